"""The one database copy (db.files.copy_database): a consistent, self-contained file that
appears whole or not at all, used by the backups and by the copy kept before a migration."""

from __future__ import annotations

import sqlite3

import pytest

from kac_desktop.db import (
    DatabaseProblem,
    cipher,
    copy_database,
    open_database,
)
from tests.helpers import database_at


def _live_wal_database(path):
    """A database in WAL mode whose last commit is still in the WAL (the writer is open)."""
    writer = cipher.connect(str(path))
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (x INTEGER)")
    writer.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(500)])
    writer.commit()
    return writer


def test_a_copy_of_a_live_database_holds_every_commit_and_is_one_file(tmp_path):
    writer = _live_wal_database(tmp_path / "live.db")
    try:
        target = copy_database(tmp_path / "live.db", tmp_path / "out" / "copy.db")
    finally:
        writer.close()
    c = cipher.connect(str(target))
    try:
        assert c.execute("SELECT count(*) FROM t").fetchone()[0] == 500
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        c.close()
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.db"]


def test_a_failed_copy_leaves_no_file_behind(tmp_path):
    source = tmp_path / "not-a-database.db"
    source.write_bytes(b"this is not SQLite" * 1000)
    # no key opens it (with SQLCipher: the message that says so), or plain sqlite3's error
    with pytest.raises((sqlite3.DatabaseError, DatabaseProblem)):
        copy_database(source, tmp_path / "copy.db")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-database.db"]


def test_a_failed_copy_over_an_earlier_one_keeps_the_earlier_one(tmp_path):
    writer = _live_wal_database(tmp_path / "live.db")
    writer.close()
    target = copy_database(tmp_path / "live.db", tmp_path / "copy.db")
    before = target.read_bytes()
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"garbage" * 1000)
    with pytest.raises((sqlite3.DatabaseError, DatabaseProblem)):
        copy_database(bad, target)
    assert target.read_bytes() == before
    assert not (tmp_path / "copy.db.part").exists()


def test_an_upgrade_whose_copy_fails_is_refused_with_a_message_and_changes_nothing(tmp_path):
    path = database_at(tmp_path / "old.db", "0001")
    (tmp_path / "backups").write_text("a file where the backups folder should be")

    with pytest.raises(DatabaseProblem) as refused:
        open_database(path)
    assert str(path) in refused.value.message
    c = cipher.connect(str(path))
    try:
        assert c.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
    finally:
        c.close()
