"""Issue 20 item 11: the audit log, the backup names and the other times shown are in
Beijing time whatever zone the computer is set to (rules/clock.py)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from kac_desktop.services import auth, backup

# 02:30 UTC is 10:30 in Beijing and 18:30 the day before in Los Angeles
AT = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)


@pytest.fixture
def far_away(monkeypatch):
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.sqlite_only("a backup is a copy of the SQLite file")
def test_a_backup_is_named_by_beijing_time(db, far_away, tmp_path):
    info = backup.make_backup(db.path, tmp_path, now=AT)
    assert "20261123-103000" in info.path.name
    listed = backup.list_backups(tmp_path)
    assert [b.at for b in listed] == [AT]


def test_times_shown_are_beijing_time(far_away):
    assert auth.local_time(AT) == "2026-11-23 10:30"


def test_the_audit_page_shows_beijing_time(qtbot, far_away):
    from PySide6.QtCore import Qt

    from kac_desktop.services.audit import AuditRow
    from kac_desktop.views.audit_page import AuditTableModel

    row = AuditRow(1, AT, "admin", "signin", "user", None, "", {})
    model = AuditTableModel(lambda q: [1], lambda seqs: [row])
    assert model.cell(row, 1, Qt.ItemDataRole.DisplayRole) == "2026-11-23 10:30:00"
