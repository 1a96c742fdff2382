"""One gettext catalogue for the window and the Qt-free exports.

Source strings are English; the Simplified Chinese catalogue lives in
``locale/zh_CN/LC_MESSAGES/kac_desktop.po``.  The .po file is compiled in memory at
start-up (a few hundred strings, a few milliseconds), so no build step has to produce
.mo files and a fresh checkout runs as it is.
"""

from __future__ import annotations

import gettext
import io
import os
from pathlib import Path

DOMAIN = "kac_desktop"
LOCALE_DIR = Path(__file__).with_name("locale")
SUPPORTED = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def po_path(language: str = "zh_CN") -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _load(language: str) -> gettext.NullTranslations:
    path = po_path(language)
    if not path.exists():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def system_language() -> str:
    """The language the user's system asks for.  The users are Chinese: only a locale that
    clearly names another language (en_US, …) turns the interface to English; an unset or
    C/POSIX locale, as on many office PCs and services, stays Chinese."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var)
        if value and value.split(".")[0] not in ("C", "POSIX"):
            return "zh_CN" if value.lower().startswith("zh") else "en"
    return DEFAULT_LANGUAGE


def set_language(language: str | None) -> str:
    """Switch the catalogue; ``None`` or ``"system"`` follows the system locale."""
    global _translations, _language
    if not language or language == "system":
        language = system_language()
    if language not in SUPPORTED:
        language = DEFAULT_LANGUAGE
    _language = language
    _translations = gettext.NullTranslations() if language == "en" else _load(language)
    return language


def current_language() -> str:
    return _language


_cache: dict[str, gettext.NullTranslations] = {}


def gettext_in(language: str, message: str) -> str:
    """``message`` in a given language, whatever the current one (used to read Chinese input)."""
    if language == "en":
        return message
    if language not in _cache:
        _cache[language] = _load(language)
    return _cache[language].gettext(message)


def _(message: str) -> str:
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (translate at use)."""
    return message


set_language(os.environ.get("KAC_LANGUAGE") or DEFAULT_LANGUAGE)
