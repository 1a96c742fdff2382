"""A damaged database leads the user to a restored one in the window (issue §5), restores
from the backup page, and the last-resort error message (never a traceback)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import func, select

from kac_desktop.db import cipher
from kac_desktop.models import Customer
from kac_desktop.services import backup, customers
from kac_desktop.views import app as app_module
from kac_desktop.views.backup_page import BackupPage
from kac_desktop.views.main_window import MainWindow
from kac_desktop.views.recovery_dialog import RecoveryDialog

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def fill(db, org, make_customer, n=200):
    with db.session() as session, session.begin():
        for i in range(n):
            customers.save_in_session(
                session,
                org.mgr_a1,
                make_customer(f"福州恢复测试{i}号", manager=org.mgr_a1, nature="individual"),
            )


def break_header(path):
    c = cipher.connect(str(path))
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    with open(path, "r+b") as fh:
        fh.write(b"garbage garbage garbage garbage!")


def quiet(monkeypatch):
    shown = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, _n=name: shown.append((_n, a[2])))
    return shown


@pytest.mark.slow
@pytest.mark.sqlite_only("damaged files, backups and restores are SQLite's")
def test_damaged_file_leads_to_the_restored_database(qtbot, db, org, make_customer, monkeypatch):
    """Issue §5: a damaged database gets a clear message and a way forward, never a
    traceback; the damaged file is kept."""
    fill(db, org, make_customer)
    backup.backup_now(db, org.admin, now=NOW)
    db.dispose()
    break_header(db.path)
    shown = quiet(monkeypatch)
    seen = {}

    def exec_(dialog):
        seen["text"] = dialog.layout().itemAt(0).widget().text()
        seen["enabled"] = dialog.restore_button.isEnabled()
        dialog.restore_latest()
        return dialog.result()

    monkeypatch.setattr(RecoveryDialog, "exec", exec_)
    restored = app_module.open_checked(db.path)
    try:
        assert "损坏" in seen["text"] and seen["enabled"]
        with restored.session() as session:
            assert session.scalar(select(func.count()).select_from(Customer)) == 200
        assert backup.quick_check(restored) == []
    finally:
        restored.dispose()
    kept = list(db.path.parent.glob("test-replaced-*.db"))
    assert len(kept) == 1 and kept[0].read_bytes().startswith(b"garbage")
    assert any("已从" in text for _kind, text in shown)


@pytest.mark.sqlite_only("damaged files, backups and restores are SQLite's")
def test_damaged_without_backup_offers_other_or_quit(qtbot, db, monkeypatch):
    db.dispose()
    break_header(db.path)
    quiet(monkeypatch)
    states = {}

    def exec_(dialog):
        states["restore"] = dialog.restore_button.isEnabled()
        dialog._finish("quit")
        return 0

    monkeypatch.setattr(RecoveryDialog, "exec", exec_)
    assert app_module.open_checked(db.path) is None
    assert states["restore"] is False


@pytest.mark.sqlite_only("damaged files, backups and restores are SQLite's")
def test_start_up_makes_the_days_backup_once_the_window_has_painted(qtbot, db, org, monkeypatch):
    db.dispose()
    quiet(monkeypatch)
    opened = app_module.open_checked(db.path)
    try:
        folder = backup.backups_dir(db.path)
        assert backup.list_backups(folder, "test") == []  # the window comes first
        window = app_module.open_window(opened, org.admin)
        qtbot.addWidget(window)
        with qtbot.waitSignal(window.checks.finished, timeout=20_000):
            pass
        assert window.checks.problems == []
        assert len(backup.list_backups(folder, "test")) == 1
    finally:
        opened.dispose()


@pytest.mark.sqlite_only("damaged files, backups and restores are SQLite's")
def test_backup_page_refuses_a_bad_file_and_restores_a_good_one(
    qtbot, db, org, make_customer, monkeypatch, tmp_path
):
    fill(db, org, make_customer, 3)
    good = backup.backup_now(db, org.admin, now=NOW - timedelta(days=1))
    fill_more = [f"福州后加{i}号" for i in range(2)]
    with db.session() as session, session.begin():
        for name in fill_more:
            customers.save_in_session(
                session, org.mgr_a1, make_customer(name, manager=org.mgr_a1, nature="individual")
            )
    shown = quiet(monkeypatch)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    window = MainWindow(db, org.admin)
    qtbot.addWidget(window)
    page: BackupPage = window.admin.backup
    qtmodel_rows = page.model.rowCount()
    assert qtmodel_rows == 1
    bad = tmp_path / "坏备份.db"
    bad.write_bytes(b"not a database at all" * 100)
    assert page.confirm_restore(bad) is False
    assert "未做任何更改" in shown[-1][1]
    page.table.selectRow(0)
    page.restore_selected()
    assert window.restart_requested
    c = cipher.connect(str(db.path))
    try:
        assert c.execute("SELECT count(*) FROM customers").fetchone()[0] == 3
    finally:
        c.close()
    assert list(tmp_path.glob("test-replaced-*.db"))
    assert good.path.exists()


def test_unexpected_error_shows_a_message_and_logs_the_traceback(qtbot, monkeypatch):
    shown = quiet(monkeypatch)
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        app_module.excepthook(type(exc), exc, exc.__traceback__)
    assert shown[-1][0] == "critical" and "意外错误" in shown[-1][1]
    assert "Traceback" not in shown[-1][1]
    log = app_module.error_log_path().read_text(encoding="utf-8")
    assert "RuntimeError: boom" in log
