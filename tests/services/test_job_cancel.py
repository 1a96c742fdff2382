"""Every long job honours Cancel midway and leaves nothing half done: no partial file, no
partial commit, no audit record of what did not happen.

(The two imports, the report's computation, the demo build and the customer export's
read are cancelled midway in their own tests: test_customer_import, test_revenue_import,
test_monthly_report, test_demo.)"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from kac_desktop.db import files
from kac_desktop.models import AuditRecord
from kac_desktop.progress import Cancelled
from kac_desktop.services import audit, backup, customer_list
from kac_desktop.services import customers as cs
from kac_desktop.services import monthly_report as report_service
from kac_desktop.services.list_types import CustomerQuery


class CancelAfter:
    """Answers "not cancelled" ``n`` times, then "cancelled"; records what was reported."""

    def __init__(self, n: int) -> None:
        self.left = n
        self.reports: list[float] = []

    def report(self, fraction: float, message: str = "") -> None:
        self.reports.append(fraction)

    def cancelled(self) -> bool:
        self.left -= 1
        return self.left < 0


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _actions(db, action: str) -> int:
    with db.session() as session:
        return session.scalar(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.action == action)
        )


@pytest.fixture
def filled(db, org, make_customer):
    """A database of some pages, so that a copy takes several steps."""
    for i in range(40):
        data = make_customer(f"福州第{i}号贸易有限公司", manager=org.mgr_a1, nature="individual")
        data.business_scope = "批发零售" * 200
        cs.save_customer(db, org.mgr_a1, data)
    return db


@pytest.fixture
def small_steps(monkeypatch):
    monkeypatch.setattr(files, "STEP_PAGES", 2)
    monkeypatch.setattr(backup, "_CHECK_STEPS", 50)
    monkeypatch.setattr(audit, "_CHAIN_STEP", 5)


def _files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("after", [2, 6, 30])
@pytest.mark.sqlite_only("backup, restore and the file check are SQLite's files")
def test_a_cancelled_backup_leaves_no_file_and_no_record(filled, org, small_steps, after):
    db = filled
    folder = backup.backups_dir(db.path)
    progress = CancelAfter(after)
    with pytest.raises(Cancelled):
        backup.backup_now(db, org.admin, progress=progress)
    assert 0 < max(progress.reports, default=0) < 1  # it was under way
    assert _files(folder) == []  # neither the backup nor its .part
    assert _actions(db, "backup.create") == 0
    # and the next backup is made as ever
    info = backup.backup_now(db, org.admin)
    # the backup, and its chain's sealed head beside it
    assert _files(folder) == [info.name, info.name + ".head"]
    assert _actions(db, "backup.create") == 1


@pytest.mark.sqlite_only("backup, restore and the file check are SQLite's files")
def test_a_cancelled_integrity_check_stops_and_changes_nothing(filled, small_steps):
    filled.dispose()
    before = _digest(filled.path)
    with pytest.raises(Cancelled):
        backup.check_file(filled.path, progress=CancelAfter(3))
    assert _digest(filled.path) == before
    assert backup.check_file(filled.path, progress=CancelAfter(10**9)).ok


def test_a_cancelled_audit_chain_check_stops(filled, org, small_steps):
    with pytest.raises(Cancelled):
        audit.check_chain(filled, org.admin, progress=CancelAfter(3))
    report = audit.check_chain(filled, org.admin, progress=CancelAfter(10**9))
    assert report.intact and report.records > 15


@pytest.mark.parametrize("after", [1, 4, 40])
@pytest.mark.sqlite_only("backup, restore and the file check are SQLite's files")
def test_a_cancelled_restore_leaves_the_database_as_it_was(
    filled, org, make_customer, small_steps, after
):
    db = filled
    info = backup.backup_now(db, org.admin)
    cs.save_customer(
        db, org.mgr_a1, make_customer("备份之后的新客户", manager=org.mgr_a1, nature="individual")
    )
    db.dispose()
    before = _digest(db.path)
    siblings = _files(db.path.parent)
    with pytest.raises(Cancelled):
        backup.restore(db.path, info.path, actor=org.admin, progress=CancelAfter(after))
    assert _digest(db.path) == before
    assert _files(db.path.parent) == siblings  # no "-replaced-" copy, no .part


@pytest.mark.sqlite_only("backup, restore and the file check are SQLite's files")
def test_a_cancelled_recovery_restore_leaves_the_database_as_it_was(filled, org, small_steps):
    db = filled
    backup.backup_now(db, org.admin)
    db.dispose()
    before = _digest(db.path)
    siblings = _files(db.path.parent)
    with pytest.raises(Cancelled):
        backup.restore_latest_good(db.path, progress=CancelAfter(2))
    assert _digest(db.path) == before and _files(db.path.parent) == siblings


def test_a_cancelled_export_writes_no_file(filled, org, tmp_path):
    target = tmp_path / "list.xlsx"
    with pytest.raises(Cancelled):
        customer_list.export_list(
            filled, org.mgr_a1, CustomerQuery(), str(target), progress=CancelAfter(1)
        )
    assert not target.exists() and _files(tmp_path).count("list.xlsx") == 0
    assert _actions(filled, "customer.export") == 0


def test_a_report_cancelled_while_writing_its_pdf_leaves_neither_file(
    db, org, make_customer, tmp_path, monkeypatch
):
    cs.save_customer(db, org.mgr_a1, make_customer(manager=org.mgr_a1, nature="individual"))
    from kac_desktop import reports

    class CancelAtPdf:
        pdf = False

        def report(self, fraction: float, message: str = "") -> None:
            pass

        def cancelled(self) -> bool:
            return self.pdf

    progress = CancelAtPdf()
    real = reports.write_pdf

    def write_pdf(report, path, p=None):
        progress.pdf = True  # the workbook is written; the user cancels now
        return real(report, path, p)

    monkeypatch.setattr(reports, "write_pdf", write_pdf)
    xlsx, pdf = tmp_path / "r.xlsx", tmp_path / "r.pdf"
    with pytest.raises(Cancelled):
        report_service.make_files(
            db,
            org.sup_a,
            "2026-03",
            xlsx=xlsx,
            pdf=pdf,
            progress=progress,
            now=datetime(2026, 4, 2, 2, tzinfo=UTC),
        )
    assert not xlsx.exists() and not pdf.exists()
    assert _actions(db, "report.make") == 0
