"""A mistyped --db is refused, naming the path, and nothing is created: only the window's
first start on the default database and ``demo`` make a new database."""

from __future__ import annotations

import pytest

from kac_desktop import config
from kac_desktop.cli import main

COMMANDS = [
    ["quota", "--month", "2026-11", "--user", "admin"],
    ["requests", "--user", "admin"],
    ["points", "--user", "admin"],
    ["report", "--month", "2026-10", "--pdf", "r.pdf"],
    ["import", "customers", "customers.xlsx", "--user", "admin"],
    ["import", "revenue", "revenue.xlsx", "--user", "admin"],
    ["users", "list", "--user", "admin"],
    ["audit", "verify", "--user", "admin"],
    ["export", "customers", "out.xlsx", "--user", "admin"],
    ["backup"],
    ["check"],
    ["gui", "--user", "admin"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_database_path_that_does_not_exist_is_refused(command, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KAC_PASSWORD", "whatever")
    missing = tmp_path / "typo" / "kac.db"
    code = main([*command, "--db", str(missing)])
    assert code == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "没有数据库" in err
    assert not (tmp_path / "typo").exists()  # nothing was created


def test_a_command_on_the_default_database_that_was_never_made(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KAC_PASSWORD", "whatever")
    code = main(["requests", "--user", "admin"])
    assert code == 2
    assert str(config.default_database_path()) in capsys.readouterr().err
    assert not config.default_database_path().exists()


def test_demo_makes_its_database(tmp_path, capsys):
    target = tmp_path / "new" / "demo.db"
    assert main(["demo", "--db", str(target), "--customers", "20", "--months", "1"]) == 0
    assert target.exists()
