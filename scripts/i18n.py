"""Keep the Chinese catalogue in step with the source.

    python scripts/i18n.py update [FRAGMENT.json ...]

extracts every _()/N_()/ngettext() string from kac_desktop with Babel, keeps the existing
translations of kac_desktop/locale/zh_CN/LC_MESSAGES/kac_desktop.po, adds those given in
JSON fragments (msgid → msgstr), and rewrites the .po.  Strings still without Chinese are
listed; tests/test_translations.py fails on them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kac_desktop"
PO = PACKAGE / "locale" / "zh_CN" / "LC_MESSAGES" / "kac_desktop.po"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "gettext_in": (2,)}


def extract() -> dict[str, list[tuple[str, int]]]:
    """msgid → places, for every marked string in the package."""
    found: dict[str, list[tuple[str, int]]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        if isinstance(message, tuple):
            message = message[0]
        if not message:
            continue
        found.setdefault(message, []).append((f"kac_desktop/{filename}", lineno))
    return found


def existing() -> dict[str, str]:
    if not PO.exists():
        return {}
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def update(fragments: list[Path]) -> list[str]:
    translations = existing()
    for fragment in fragments:
        translations.update(json.loads(fragment.read_text(encoding="utf-8")))
    catalog = Catalog(locale="zh_CN", project="kac_desktop", charset="utf-8")
    missing = []
    for msgid, places in sorted(extract().items(), key=lambda kv: kv[1][0]):
        msgstr = translations.get(msgid, "")
        if not msgstr:
            missing.append(msgid)
        catalog.add(msgid, msgstr, locations=places)
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=False)
    return missing


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] != "update":
        print(__doc__)
        raise SystemExit(2)
    missing = update([Path(p) for p in sys.argv[2:]])
    for msgid in missing:
        print("untranslated:", msgid)
    print(f"{len(missing)} untranslated")
