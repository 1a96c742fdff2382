"""Every visible string has a Chinese translation with the same
placeholders; the catalogue serves the window and the Qt-free layers alike."""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import i18n as catalogue_tool  # noqa: E402

from kac_desktop import i18n  # noqa: E402

PLACEHOLDER = re.compile(r"\{[^{}]*\}|%[a-z%]")


@functools.cache
def _catalog():
    # read once: a thousand placeholder tests each parsing the whole catalogue took minutes
    with i18n.po_path("zh_CN").open("rb") as fh:
        return {m.id: m for m in read_po(fh, locale="zh_CN") if m.id}


def test_every_source_string_has_a_chinese_translation():
    catalog = _catalog()
    missing = [
        msgid
        for msgid in catalogue_tool.extract()
        if msgid not in catalog or not catalog[msgid].string or catalog[msgid].fuzzy
    ]
    assert not missing, "untranslated (run scripts/i18n.py update): " + "; ".join(missing)


@pytest.mark.parametrize("msgid", sorted(catalogue_tool.extract()))
def test_placeholders_match(msgid):
    message = _catalog().get(msgid)
    if message is None or not message.string:
        pytest.skip("reported by the missing-translation test")
    assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(message.string))


def test_translation_contains_chinese():
    for msgid, message in _catalog().items():
        if msgid.isupper() or re.fullmatch(r"[A-Z]+|%.*", msgid):
            continue
        if re.search(r"[A-Za-z]{3}", PLACEHOLDER.sub("", msgid)) and message.string:
            assert re.search(r"[\u4e00-\u9fff]", message.string), msgid


def test_switching_language_at_run_time():
    i18n.set_language("zh_CN")
    assert i18n._("Customer files") == "客户档案"
    i18n.set_language("en")
    assert i18n._("Customer files") == "Customer files"
    i18n.set_language("zh_CN")


def test_system_language_follows_the_locale(monkeypatch):
    for var in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert i18n.system_language() == "en"
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.system_language() == "zh_CN"
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert i18n.system_language() == "zh_CN"
    monkeypatch.delenv("LANG")
    assert i18n.system_language() == "zh_CN"
