"""Encryption at rest (issue: "anyone with the file has everything"): the database, its WAL
and every backup are unreadable without this PC's key; a plain database of an earlier
release is encrypted at its first open, checked, with its plain backups; the key can be
changed; and a file no key opens is answered in words, with nothing changed."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kac_desktop import keystore
from kac_desktop.cli import main
from kac_desktop.db import EncryptedElsewhere, cipher, open_database
from kac_desktop.models import AuditRecord, Customer
from kac_desktop.services import audit, backup, customers, keys
from kac_desktop.services.errors import PermissionDenied
from tests.conftest import TEST_PASSWORD

FIXTURE_0_1_0 = Path(__file__).resolve().parents[1] / "fixtures" / "release-0.1.0.db"
SECRET_NAME = "福州机密客户贸易有限公司"

pytestmark = [
    pytest.mark.skipif(not cipher.available(), reason="SQLCipher is not installed"),
    pytest.mark.sqlite_only("encryption at rest is of the SQLite file"),
]


def _plain_reader_fails(path: Path) -> None:
    """The standard library's sqlite3 — what anyone who copies the file has — reads nothing."""
    connection = sqlite3.connect(str(path))
    try:
        with pytest.raises(sqlite3.DatabaseError, match="not a database"):
            connection.execute("SELECT count(*) FROM customers").fetchone()
    finally:
        connection.close()


def _no_plain_text(path: Path) -> None:
    data = path.read_bytes()
    assert SECRET_NAME.encode("utf-8") not in data
    assert not data.startswith(cipher.PLAIN_HEADER)


def _save_secret(db, org, make_customer):
    return customers.save_customer(db, org.mgr_a1, make_customer(SECRET_NAME, manager=org.mgr_a1, nature="individual"))


def test_the_database_and_its_wal_hold_no_readable_customer(db, org, make_customer):
    _save_secret(db, org, make_customer)
    wal = db.path.with_name(db.path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0  # the save sits in the WAL still
    assert SECRET_NAME.encode("utf-8") not in wal.read_bytes()
    _no_plain_text(db.path)
    _plain_reader_fails(db.path)
    # the application itself reads it as always
    with db.session() as session:
        assert session.scalar(select(Customer.name).where(Customer.name == SECRET_NAME))


def test_every_backup_is_encrypted_and_restores(db, org, make_customer):
    _save_secret(db, org, make_customer)
    made = backup.backup_now(db, org.admin)
    _no_plain_text(made.path)
    _plain_reader_fails(made.path)
    assert backup.check_file(made.path).ok
    db.dispose()
    backup.restore(db.path, made.path, actor=org.admin)
    _no_plain_text(db.path)
    with db.session() as session:
        assert session.scalar(select(func.count()).where(Customer.name == SECRET_NAME)) == 1


def test_a_plain_database_of_an_earlier_release_is_encrypted_at_its_first_open(tmp_path):
    path = tmp_path / "kac.db"
    shutil.copy(FIXTURE_0_1_0, path)
    backups = tmp_path / "backups"
    backups.mkdir()
    old_backup = backups / "kac-backup-20261101-080000.db"
    shutil.copy(FIXTURE_0_1_0, old_backup)
    plain = sqlite3.connect(str(path))
    names = sorted(r[0] for r in plain.execute("SELECT name FROM customers"))
    plain.close()
    assert names and cipher.is_plain(path)
    steps: list[float] = []

    db = open_database(path, progress=steps.append)
    try:
        with db.session() as session:
            assert sorted(session.scalars(select(Customer.name))) == names
    finally:
        db.dispose()
    assert cipher.is_plain(path) is False and cipher.is_plain(old_backup) is False
    _plain_reader_fails(path)
    _plain_reader_fails(old_backup)
    assert steps and steps[-1] == pytest.approx(1.0) and steps == sorted(steps)
    assert not list(tmp_path.glob("*.part")) and not list(backups.glob("*.part"))
    # and the encrypted old backup still is a backup this version can check
    assert backup.check_file(old_backup).ok


def test_a_conversion_that_fails_leaves_the_plain_file_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "kac.db"
    shutil.copy(FIXTURE_0_1_0, path)
    before = path.read_bytes()

    def fail(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cipher, "_count", fail)
    with pytest.raises(Exception) as failed:
        open_database(path)
    assert "磁盘" in getattr(failed.value, "message", "")  # the disk-full message, in Chinese
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.encrypting*"))


def test_a_file_no_key_opens_is_answered_in_words_and_left_alone(db, org, tmp_path, monkeypatch):
    made = backup.backup_now(db, org.admin)
    db.dispose()
    monkeypatch.setenv("KAC_KEY_DIR", str(tmp_path / "another-pc"))
    keystore.forget_cached_keys()
    cipher.forget_keys()
    try:
        before = made.path.read_bytes()
        with pytest.raises(EncryptedElsewhere) as refused:
            open_database(made.path)
        assert "恢复密钥" in refused.value.message and str(made.path) in refused.value.message
        assert made.path.read_bytes() == before
        check = backup.check_file(made.path)
        assert not check.ok and "恢复密钥" in check.problems[0]
    finally:
        keystore.forget_cached_keys()
        cipher.forget_keys()


def test_a_new_key_keeps_the_old_backups_open(db, org, make_customer):
    _save_secret(db, org, make_customer)
    before = backup.backup_now(db, org.admin)
    old_key = keystore.database_key()
    with pytest.raises(PermissionDenied):
        keys.rekey_database(db, org.sup_a)
    code = keys.rekey_database(db, org.admin)
    assert keystore.database_key() != old_key and code == keystore.fingerprint()
    assert cipher.key_of(db.path) == keystore.database_key()
    with db.session() as session:
        assert session.scalar(select(func.count()).where(Customer.name == SECRET_NAME)) == 1
        actions = list(session.scalars(select(AuditRecord.action)))
    assert "security.rekey" in actions
    assert audit.check_chain(db, org.admin).intact
    # the backup made under the old key still checks and restores here
    assert backup.check_file(before.path).ok
    db.dispose()
    backup.restore(db.path, before.path, actor=org.admin)
    assert cipher.key_of(db.path) == keystore.database_key()
    # new databases take the new key
    assert keystore.recovery_text()[13:] == keystore.recovery_text(keystore.recovery_key())[13:]


def test_a_new_key_is_refused_while_another_connection_has_the_file(db, org):
    other = cipher.connect(db.path)
    try:
        other.execute("SELECT count(*) FROM customers").fetchone()
        other.execute("BEGIN")
        other.execute("SELECT count(*) FROM customers").fetchone()
        old_key = keystore.database_key()
        with pytest.raises(Exception) as refused:
            keys.rekey_database(db, org.admin, backup_first=False)
        assert "关闭" in getattr(refused.value, "message", "")
        assert keystore.database_key() == old_key
    finally:
        other.close()
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) is not None


def test_the_command_line_changes_the_key(db, org, monkeypatch, capsys):
    monkeypatch.setenv("KAC_PASSWORD", TEST_PASSWORD)
    db.dispose()
    assert main(["key", "rekey", "--db", str(db.path), "--user", "admin"]) == 0
    out = capsys.readouterr().out
    assert keystore.fingerprint() in out and "key sheet" in out


def test_without_sqlcipher_new_databases_stay_plain_and_the_page_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(cipher, "_plain_only", True)
    db = open_database(tmp_path / "plain.db")
    try:
        assert cipher.is_plain(db.path)
        assert keys.encryption_state(db) == "plain"
        assert "未加密" in backup.key_store_note(db.path)
    finally:
        db.dispose()
