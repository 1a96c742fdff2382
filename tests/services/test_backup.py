"""Backups, checks and restore (nothing committed is lost; copying a backup over a database
that still has its old -wal beside it corrupts the database, so a restore must not)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kac_desktop.cli import main
from kac_desktop.db import DamagedDatabase, NewerDatabase, cipher, open_database
from kac_desktop.models import AuditRecord, Customer
from kac_desktop.services import backup, customers
from kac_desktop.services.errors import PermissionDenied

pytestmark = pytest.mark.sqlite_only('backup and restore copy SQLite files')

NOW = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


def names(path: Path) -> set[str]:
    connection = cipher.connect(str(path))
    try:
        return {r[0] for r in connection.execute("SELECT name FROM customers")}
    finally:
        connection.close()


def damage(path: Path, *, header: bool = False) -> None:
    """Overwrite pages of the file the way a failing disk would."""
    connection = cipher.connect(str(path))
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = int(connection.execute("PRAGMA page_size").fetchone()[0])
    connection.close()
    with open(path, "r+b") as fh:
        if header:
            fh.write(b"this is no longer a database file")
        else:
            size = path.stat().st_size
            for offset in range(2 * page, size - page, 3 * page):
                fh.seek(offset + 100)
                fh.write(b"\xa5" * (page - 200))


def add_customers(db, actor, make_customer, *names_):
    with db.session() as session, session.begin():
        for name in names_:
            customers.save_in_session(
                session, actor, make_customer(name, manager=actor, nature="individual")
            )


def test_backup_is_a_checked_copy_rotated_and_audited(db, org, make_customer, tmp_path):
    add_customers(db, org.mgr_a1, make_customer, "福州甲公司")
    old = backup.backup_now(db, org.sup_a, now=NOW - timedelta(days=20))
    middle = backup.backup_now(db, org.sup_a, now=NOW - timedelta(days=3))
    info = backup.backup_now(db, org.sup_a, now=NOW)
    assert info.path.parent == tmp_path / "backups"
    assert backup.check_file(info.path).ok
    assert names(info.path) == {"福州甲公司"}
    assert not Path(str(info.path) + "-wal").exists()
    kept = backup.list_backups(tmp_path / "backups", "test")
    # keep_days 14: the 20-day-old one is gone, the newest first
    assert [b.path for b in kept] == [info.path, middle.path]
    assert not old.path.exists()
    with db.session() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditRecord)
                .where(AuditRecord.action == "backup.create")
            )
            == 3
        )


def test_managers_may_not_back_up_or_restore(db, org, tmp_path):
    with pytest.raises(PermissionDenied):
        backup.backup_now(db, org.mgr_a1)
    info = backup.backup_now(db, org.admin)
    for actor in (org.mgr_a1, org.sup_a):
        with pytest.raises(PermissionDenied):
            backup.restore(db.path, info.path, actor=actor)


def test_daily_backup_once_a_day(db, org):
    first = backup.daily_backup(db, now=NOW)
    assert first is not None
    assert backup.daily_backup(db, now=NOW + timedelta(hours=3)) is None
    assert backup.daily_backup(db, now=NOW + timedelta(days=1)) is not None


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["pages", "header", "foreign", "newer", "text"])
def test_check_tells_what_is_wrong_with_a_file(db, org, tmp_path, kind, make_customer):
    count = 300 if kind == "pages" else 1
    add_customers(db, org.mgr_a1, make_customer, *[f"福州测试{i}号公司" for i in range(count)])
    target = tmp_path / "copy.db"
    backup.make_copy(db.path, target)
    if kind in ("pages", "header"):
        damage(target, header=kind == "header")
        expected = "损坏"
    elif kind == "foreign":
        target.unlink()
        c = cipher.connect(str(target))
        c.execute("CREATE TABLE invoices (id INTEGER)")
        c.commit()
        c.close()
        expected = "不是 kac_desktop 数据库"
    elif kind == "newer":
        c = cipher.connect(str(target))
        c.execute("UPDATE alembic_version SET version_num='9999_future'")
        c.commit()
        c.close()
        expected = "其他版本"
    else:
        target.write_text("客户名称,地址\n", encoding="utf-8")
        expected = "不是数据库"
    result = backup.check_file(target)
    assert not result.ok
    assert expected in "\n".join(result.problems), result.problems


def test_restore_keeps_the_replaced_file_and_ignores_a_live_wal(db, org, make_customer, tmp_path):
    """A restore beside a stale -wal must not replay it into the restored file."""
    add_customers(db, org.mgr_a1, make_customer, "福州甲公司", "福州乙公司")
    info = backup.backup_now(db, org.admin, now=NOW)
    # later work, still in the WAL (a connection keeps it from being checkpointed)
    reader = cipher.connect(str(db.path))
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM customers").fetchone()
    add_customers(db, org.mgr_a1, make_customer, *[f"福州后来{i}号公司" for i in range(50)])
    reader.rollback()
    reader.close()
    assert Path(str(db.path) + "-wal").stat().st_size > 0
    db.dispose()
    result = backup.restore(db.path, info.path, actor=org.admin, now=NOW + timedelta(hours=1))
    assert result.replaced is not None and result.replaced.name.startswith("test-replaced-")
    assert len(names(result.replaced)) == 52
    assert backup.check_file(db.path).ok
    reopened = open_database(db.path)
    try:
        with reopened.session() as session:
            got = set(session.scalars(select(Customer.name)))
            restored = session.scalar(
                select(AuditRecord.action).order_by(AuditRecord.seq.desc()).limit(1)
            )
    finally:
        reopened.dispose()
    assert got == {"福州甲公司", "福州乙公司"}
    assert restored == "backup.restore"


def test_a_bad_backup_changes_nothing(db, org, make_customer, tmp_path):
    add_customers(db, org.mgr_a1, make_customer, "福州甲公司")
    bad = tmp_path / "backups" / "test-backup-20261101-080000.db"
    bad.parent.mkdir()
    bad.write_bytes(b"garbage" * 1000)
    db.dispose()
    before = db.path.read_bytes()
    with pytest.raises(backup.BackupError) as err:
        backup.restore(db.path, bad, actor=org.admin)
    assert "未做任何更改" in err.value.message
    assert db.path.read_bytes() == before
    assert not list(tmp_path.glob("*replaced*"))


@pytest.mark.slow
def test_damaged_database_is_refused_then_restored_from_the_latest_good_backup(
    db, org, make_customer, tmp_path
):
    """Issue §5: a damaged database gets a clear message and a way forward."""
    add_customers(db, org.mgr_a1, make_customer, *[f"福州测试{i}号公司" for i in range(300)])
    good = backup.backup_now(db, org.admin, now=NOW - timedelta(days=1))
    newest = tmp_path / "backups" / "test-backup-20261123-080000.db"
    newest.write_bytes(b"half a backup")  # a newer but broken backup is passed over
    db.dispose()
    damage(db.path, header=True)
    with pytest.raises(DamagedDatabase) as err:
        open_database(db.path)
    assert "损坏" in err.value.message and "备份" in err.value.message
    assert backup.latest_good_backup(db.path).path == good.path
    result = backup.restore_latest_good(db.path, now=NOW)
    assert result.replaced.read_bytes().startswith(b"this is no longer")
    reopened = open_database(db.path)
    try:
        assert backup.quick_check(reopened) == []
        with reopened.session() as session:
            assert session.scalar(select(func.count()).select_from(Customer)) == 300
    finally:
        reopened.dispose()


@pytest.mark.slow
def test_a_damaged_page_is_found_by_the_start_up_check(db, org, make_customer):
    add_customers(db, org.mgr_a1, make_customer, *[f"福州测试{i}号公司" for i in range(300)])
    db.dispose()
    damage(db.path)
    assert backup.check_file(db.path, full=False).problems


def test_newer_database_gets_a_clear_message(db):
    db.dispose()
    c = cipher.connect(str(db.path))
    c.execute("UPDATE alembic_version SET version_num='9999_future'")
    c.commit()
    c.close()
    with pytest.raises(NewerDatabase) as err:
        open_database(db.path)
    assert "更新版本" in err.value.message or "新版本" in err.value.message


def test_cli_backup_to_a_folder(db, org, make_customer, tmp_path, capsys, monkeypatch):
    add_customers(db, org.mgr_a1, make_customer, "福州甲公司")
    monkeypatch.setenv("KAC_PASSWORD", "Test-Passw0rd")
    out_dir = tmp_path / "u盘"
    assert main(["backup", "--db", db.url, "--to", str(out_dir), "--user", "admin"]) == 0
    (written,) = out_dir.glob("test-backup-*.db")
    assert names(written) == {"福州甲公司"}
    assert str(written) in capsys.readouterr().out
    assert main(["check", "--db", str(written), "--user", "admin"]) == 0


def test_cli_backup_of_a_missing_file_exits_2_and_creates_nothing(tmp_path, capsys):
    missing = tmp_path / "none.db"
    assert main(["backup", "--db", str(missing)]) == 2
    assert "none.db" in capsys.readouterr().err
    assert not missing.exists()


def test_cli_restore_latest_signs_in_against_the_backup_when_the_file_is_damaged(
    db, org, make_customer, tmp_path, monkeypatch, capsys
):
    add_customers(db, org.mgr_a1, make_customer, "福州甲公司")
    backup.backup_now(db, org.admin, now=NOW)
    db.dispose()
    damage(db.path, header=True)
    monkeypatch.setenv("KAC_PASSWORD", "Test-Passw0rd")
    assert main(["restore", "--db", db.url, "--latest", "--user", "sup_a"]) == 2
    assert "市局管理员" in capsys.readouterr().err
    assert main(["restore", "--db", db.url, "--latest", "--user", "admin"]) == 0
    assert names(db.path) == {"福州甲公司"}
