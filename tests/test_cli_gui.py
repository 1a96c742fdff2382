"""``kac-desktop`` and ``kac-desktop gui`` start the window without importing the other
commands' modules (and the services behind them) first."""

from __future__ import annotations

import pytest

from kac_desktop.cli import _starts_the_window, build_parser


@pytest.mark.parametrize(
    ("argv", "window"),
    [
        ([], True),
        (["gui"], True),
        (["gui", "--db", "x.db", "--user", "sup_gulou"], True),
        (["--lang", "en", "gui"], True),
        (["--lang=zh_CN"], True),
        (["gui", "--help"], False),
        (["-h"], False),
        (["demo", "--customers", "10"], False),
        (["--lang", "en", "report", "--month", "2026-10"], False),
    ],
)
def test_which_arguments_start_the_window(argv, window):
    assert _starts_the_window(argv) is window


def test_the_window_parser_reads_the_window_arguments():
    args = build_parser(commands=False).parse_args(
        ["--lang", "en", "gui", "--db", "x.db", "--user", "sup_gulou"]
    )
    assert (args.command, args.db, args.user, args.lang) == ("gui", "x.db", "sup_gulou", "en")
    assert build_parser(commands=False).parse_args([]).command is None
