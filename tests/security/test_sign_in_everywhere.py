"""Issue #21: ``backup`` signs in and is for supervisors and administrators; a refusal never
tells whether a login exists."""

from __future__ import annotations

import pytest

from kac_desktop.cli import main


@pytest.fixture
def password(monkeypatch):
    monkeypatch.setenv("KAC_PASSWORD", "Test-Passw0rd")


def test_a_backup_needs_a_sign_in(db, org, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    monkeypatch.delenv("KAC_PASSWORD", raising=False)
    assert main(["backup", "--db", db.url, "--to", str(out)]) != 0
    monkeypatch.setenv("KAC_PASSWORD", "wrong")
    assert main(["backup", "--db", db.url, "--to", str(out), "--user", "admin"]) != 0
    assert not out.exists() or not list(out.glob("*.db"))
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.sqlite_only('backups are SQLite files')
def test_a_manager_may_not_back_up(db, org, tmp_path, password, capsys):
    out = tmp_path / "out"
    assert main(["backup", "--db", db.url, "--to", str(out), "--user", "mgr_a1"]) != 0
    assert "支局长和管理员" in capsys.readouterr().err
    assert not out.exists() or not list(out.glob("*.db"))


@pytest.mark.sqlite_only('backups are SQLite files')
def test_a_supervisor_backs_up_and_is_told_it_is_the_whole_file(
    db, org, tmp_path, password, capsys
):
    out = tmp_path / "out"
    assert main(["backup", "--db", db.url, "--to", str(out), "--user", "sup_a"]) == 0
    assert len(list(out.glob("*.db"))) == 1
    said = capsys.readouterr().out
    assert "整个数据库" in said and "鼓楼支局" in said


@pytest.mark.parametrize("what", ["disable", "enable", "reset"])
def test_a_refusal_never_tells_whether_a_login_exists(db, org, password, capsys, what):
    assert main(["users", what, "nosuchuser", "--db", db.url, "--user", "mgr_a1"]) != 0
    unknown = capsys.readouterr().err
    assert main(["users", what, "mgr_a2", "--db", db.url, "--user", "mgr_a1"]) != 0
    known = capsys.readouterr().err
    assert unknown == known
    assert "nosuchuser" not in unknown
