"""One gettext catalogue for the window and the Qt-free exports.

Source strings are English; the Simplified Chinese catalogue lives in
``locale/zh_CN/LC_MESSAGES/kac_desktop.po``.  The .po file is read by the small parser below
and handed to the standard library's ``gettext`` as an in-memory .mo, so no build step has to
produce .mo files and a fresh checkout runs as it is.  Babel wrote the .po
(scripts/i18n.py) but is not imported at run time: importing it and compiling the catalogue
with it took ~100 ms of every start, the parser takes a few ms (tests/test_translations.py
checks that both read the catalogue alike).
"""

from __future__ import annotations

import array
import gettext
import io
import os
import re
import struct
import sys
from pathlib import Path

DOMAIN = "kac_desktop"
LOCALE_DIR = Path(__file__).with_name("locale")
SUPPORTED = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def po_path(language: str = "zh_CN") -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


# ---------------------------------------------------------------- reading a .po file

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_ESCAPE = re.compile(r"\\(.)")


def _unquote(text: str) -> str:
    body = text.strip()[1:-1]
    if "\\" not in body:
        return body
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def parse_po(text: str) -> list[tuple[str, str]]:
    """The (msgid, msgstr) pairs of a .po file as a .mo file holds them: the header and every
    translated entry that is not fuzzy (Babel's ``write_mo(use_fuzzy=False)``); plural forms
    joined by NUL, a context put before the msgid with EOT.  Obsolete (``#~``) entries and
    comments are left out."""
    pairs: list[tuple[str, str]] = []
    fields: dict[str, list[str]] = {}
    current: list[str] | None = None
    fuzzy = False

    def finish() -> None:
        nonlocal fields, current, fuzzy
        if "msgid" in fields:
            msgid = "".join(fields["msgid"])
            if "msgid_plural" in fields:
                ids = [msgid, "".join(fields["msgid_plural"])]
                forms = sorted((k for k in fields if k.startswith("msgstr[")), key=_form_index)
                strings = ["".join(fields[k]) for k in forms]
                translated = any(strings)
                # an empty plural form falls back to the source text, as in Babel's .mo
                strings = [s or ids[min(i, 1)] for i, s in enumerate(strings)]
                key, value = "\x00".join(ids), "\x00".join(strings)
            else:
                key, value = msgid, "".join(fields.get("msgstr", []))
                translated = bool(value)
            if "msgctxt" in fields:
                key = "".join(fields["msgctxt"]) + "\x04" + key
            if key == "" or (translated and not fuzzy):
                pairs.append((key, value))
        fields, current, fuzzy = {}, None, False

    def has_msgstr() -> bool:
        return any(k.startswith("msgstr") for k in fields)

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            finish()
        elif line[0] == "#":
            if has_msgstr():  # the comments of the next entry
                finish()
            if line.startswith("#,") and any(f.strip() == "fuzzy" for f in line[2:].split(",")):
                fuzzy = True
            current = None
        elif line[0] == '"':
            if current is not None:
                current.append(_unquote(line))
        else:
            keyword, _sep, rest = line.partition(" ")
            if keyword in ("msgctxt", "msgid") and has_msgstr():
                finish()
            current = fields.setdefault(keyword, [])
            current.append(_unquote(rest))
    finish()
    return pairs


def _form_index(keyword: str) -> int:
    return int(keyword[len("msgstr[") : -1])


def mo_bytes(pairs: list[tuple[str, str]]) -> bytes:
    """A GNU .mo file holding ``pairs`` (the layout written by Babel and CPython's msgfmt)."""
    pairs = sorted(pairs)
    ids = bytearray()
    strs = bytearray()
    offsets = []
    for msgid, msgstr in pairs:
        key, value = msgid.encode("utf-8"), msgstr.encode("utf-8")
        offsets.append((len(ids), len(key), len(strs), len(value)))
        ids += key + b"\x00"
        strs += value + b"\x00"
    keystart = 7 * 4 + 16 * len(pairs)
    valuestart = keystart + len(ids)
    koffsets: list[int] = []
    voffsets: list[int] = []
    for o1, l1, o2, l2 in offsets:
        koffsets += [l1, o1 + keystart]
        voffsets += [l2, o2 + valuestart]
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(pairs), 7 * 4, 7 * 4 + len(pairs) * 8, 0, 0)
    return header + array.array("i", koffsets + voffsets).tobytes() + bytes(ids) + bytes(strs)


def compiled(path: Path) -> bytes:
    """The .mo bytes of the .po file at ``path``, kept in a ``__pycache__`` folder beside it
    under the .po's size and time, as Python keeps bytecode: a start then reads 40 KB
    instead of parsing 140 KB (about 5 ms of a 0.25 s start).  A folder that cannot be
    written, or ``PYTHONDONTWRITEBYTECODE``, just means no cache."""
    stat = path.stat()
    cache = path.parent / "__pycache__" / f"{path.stem}.{stat.st_size}-{stat.st_mtime_ns}.mo"
    try:
        return cache.read_bytes()
    except OSError:
        pass
    data = mo_bytes(parse_po(path.read_text(encoding="utf-8")))
    if not sys.dont_write_bytecode:
        try:
            cache.parent.mkdir(exist_ok=True)
            for old in cache.parent.glob(f"{path.stem}.*.mo"):  # of an older .po
                old.unlink(missing_ok=True)
            partial = cache.with_name(f"{cache.name}.{os.getpid()}.partial")
            partial.write_bytes(data)
            os.replace(partial, cache)
        except OSError:
            pass
    return data


def _load(language: str) -> gettext.NullTranslations:
    path = po_path(language)
    if not path.exists():
        return gettext.NullTranslations()
    return gettext.GNUTranslations(io.BytesIO(compiled(path)))


_cache: dict[str, gettext.NullTranslations] = {}


def _catalogue(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    if language not in _cache:
        _cache[language] = _load(language)
    return _cache[language]


# ---------------------------------------------------------------- the current language


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
    _translations = _catalogue(language)
    return language


def current_language() -> str:
    return _language


def gettext_in(language: str, message: str) -> str:
    """``message`` in a given language, whatever the current one (used to read Chinese input)."""
    return _catalogue(language).gettext(message)


def _(message: str) -> str:
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (translate at use)."""
    return message


set_language(os.environ.get("KAC_LANGUAGE") or DEFAULT_LANGUAGE)
