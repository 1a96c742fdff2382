"""The command line's own words (usage, error, options, help) follow the interface language."""

from __future__ import annotations

import re

import pytest

from kac_desktop.cli import main
from kac_desktop.i18n import set_language

ARGPARSE_ENGLISH = re.compile(
    r"\b(usage|error|options|positional arguments|show this help|unrecognized|required|"
    r"invalid choice|expected one argument)\b"
)


def _run(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    out = capsys.readouterr()
    return stop.value.code, out.out + out.err


def test_help_is_chinese(capsys):
    code, text = _run(["--help"], capsys)
    assert code == 0
    assert "用法：" in text and "选项" in text and "显示本帮助并退出" in text
    assert ARGPARSE_ENGLISH.findall(text) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["quota", "--bogus"],
        ["report"],  # --month is required
        ["requests", "--state"],  # a value is missing
        ["--lang", "fr"],
        ["nonsense"],
    ],
)
def test_errors_are_chinese(argv, capsys):
    code, text = _run(argv, capsys)
    assert code == 2
    assert "用法：" in text and "错误：" in text
    assert ARGPARSE_ENGLISH.findall(text) == [], text


def test_lang_en_gives_english_help(capsys):
    try:
        code, text = _run(["--lang", "en", "quota", "--help"], capsys)
    finally:
        set_language("zh_CN")
    assert code == 0
    assert "usage:" in text and "options" in text and "the month" in text
