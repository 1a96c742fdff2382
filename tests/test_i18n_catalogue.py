"""The run-time reading of the .po catalogue (kac_desktop/i18n.py, without Babel) gives the
same translations as Babel's compiler, which the catalogue tool and the tests use."""

from __future__ import annotations

import gettext
import io
import subprocess
import sys

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from kac_desktop import i18n

SAMPLE = r"""# Chinese translations for kac_desktop.
#, fuzzy
msgid ""
msgstr ""
"Project-Id-Version: kac_desktop VERSION\n"
"Plural-Forms: nplurals=1; plural=0;\n"
"Content-Type: text/plain; charset=utf-8\n"

#: kac_desktop/views/a.py:1
msgid "Customer files"
msgstr "客户档案"

#. a translator's note
#: kac_desktop/views/a.py:2 kac_desktop/views/b.py:3
msgid ""
"A long message that the catalogue tool wraps over more than one line, with \"quotes\", "
"a tab\there and a new line\n"
"and a backslash \\ in it."
msgstr ""
"一条很长的消息，带有“引号”和\"quotes\"，"
"一个制表符\t和换行\n"
"以及反斜杠 \\。"

#, fuzzy, python-format
msgid "A guess: {count} rows"
msgstr "猜测：{count} 行"

msgid "Not translated yet"
msgstr ""
msgctxt "menu"
msgid "Open"
msgstr "打开"

msgid "{n} request"
msgid_plural "{n} requests"
msgstr[0] "{n} 件工单"

#~ msgid "An old message"
#~ msgstr "一条旧消息"
"""


def _babel(text: str) -> gettext.GNUTranslations:
    catalog = read_po(io.BytesIO(text.encode("utf-8")), locale="zh_CN")
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _ours(text: str) -> gettext.GNUTranslations:
    return gettext.GNUTranslations(io.BytesIO(i18n.mo_bytes(i18n.parse_po(text))))


def _messages(translations: gettext.GNUTranslations) -> dict:
    return {k: v for k, v in translations._catalog.items() if k != ""}  # type: ignore[attr-defined]


def test_the_catalogue_reads_as_babel_reads_it():
    text = i18n.po_path("zh_CN").read_text(encoding="utf-8")
    ours, babel = _ours(text), _babel(text)
    assert len(_messages(ours)) > 500
    assert _messages(ours) == _messages(babel)
    assert ours.plural(5) == babel.plural(5)


def test_escapes_wrapping_fuzzy_context_plurals_and_obsolete_entries():
    ours, babel = _ours(SAMPLE), _babel(SAMPLE)
    assert _messages(ours) == _messages(babel)
    long_id = (
        'A long message that the catalogue tool wraps over more than one line, with "quotes", '
        "a tab\there and a new line\nand a backslash \\ in it."
    )
    assert (
        ours.gettext(long_id)
        == '一条很长的消息，带有“引号”和"quotes"，一个制表符\t和换行\n以及反斜杠 \\。'
    )
    assert ours.gettext("A guess: {count} rows") == "A guess: {count} rows"  # fuzzy: not used
    assert ours.gettext("Not translated yet") == "Not translated yet"
    assert ours.pgettext("menu", "Open") == "打开"
    assert ours.ngettext("{n} request", "{n} requests", 3) == "{n} 件工单"
    assert ours.gettext("An old message") == "An old message"


def test_importing_the_catalogue_does_not_import_babel():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from kac_desktop.i18n import _; "
            "print(_('Customer files'), 'babel' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["客户档案", "False"]


def test_the_compiled_catalogue_is_kept_and_renewed_with_the_po(tmp_path, monkeypatch):
    """A start reads the .mo kept beside the .po; a changed .po is compiled again (and its
    old .mo removed); a folder that cannot be written still gives the catalogue."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    po = tmp_path / "kac_desktop.po"
    po.write_text(i18n.po_path("zh_CN").read_text(encoding="utf-8"), encoding="utf-8")
    first = i18n.compiled(po)
    assert first == i18n.mo_bytes(i18n.parse_po(po.read_text(encoding="utf-8")))
    kept = list((tmp_path / "__pycache__").glob("kac_desktop.*.mo"))
    assert len(kept) == 1 and kept[0].read_bytes() == first

    with monkeypatch.context() as patched:
        patched.setattr(i18n, "parse_po", lambda text: (_ for _ in ()).throw(AssertionError))
        assert i18n.compiled(po) == first  # read back, not parsed

    po.write_text(
        po.read_text(encoding="utf-8").replace('msgstr "客户名称"', 'msgstr "单位名称"', 1),
        encoding="utf-8",
    )
    again = i18n.compiled(po)
    catalogue = gettext.GNUTranslations(io.BytesIO(again))
    assert catalogue.gettext("Customer name") == "单位名称"
    assert [p.read_bytes() for p in (tmp_path / "__pycache__").glob("*.mo")] == [again]

    # a folder where nothing can be kept (here a file stands where the cache would go)
    elsewhere = tmp_path / "read-only"
    elsewhere.mkdir()
    (elsewhere / "__pycache__").write_text("not a folder")
    moved = elsewhere / po.name
    moved.write_text(po.read_text(encoding="utf-8"), encoding="utf-8")
    catalogue = gettext.GNUTranslations(io.BytesIO(i18n.compiled(moved)))
    assert catalogue.gettext("Customer name") == "单位名称"
