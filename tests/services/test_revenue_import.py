"""The revenue import (docs/DOMAIN.md §5): good, bad, mixed files, re-import of a month."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from kac_desktop.db import cipher
from kac_desktop.io.workbook import write_table
from kac_desktop.models import AuditRecord, Revenue, TierAssessment
from kac_desktop.progress import Cancelled
from kac_desktop.services import revenue as revenue_service
from kac_desktop.services import revenue_import
from kac_desktop.services.errors import ServiceError

# valid GB 32100-2015 codes (as tests/conftest.py CODES)
CODES = ["91350100M000100Y43", "91110000600037341L"]
TODAY = date(2026, 11, 23)
HEADERS = ["统一社会信用代码", "客户名称", "月份", "业务种类", "收入金额"]


@pytest.fixture
def two(two_customers):
    return two_customers


def book(tmp_path, rows, name="rev.xlsx"):
    path = tmp_path / name
    write_table(path, HEADERS, rows, title="收入")
    return path


def run(db, actor, path, skip_invalid=False):
    preview = revenue_import.preview_import(db, actor, path, today=TODAY)
    return preview, revenue_import.run_import(db, actor, preview, skip_invalid=skip_invalid)


def count(db, model=Revenue):
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def stored(db):
    with db.session() as s:
        return {
            (r.customer_id, r.month, r.product_line): D(r.amount).quantize(D("0.01"))
            for r in s.scalars(select(Revenue))
        }


GOOD = [
    [CODES[0], "", 202609, "函件", 30000],
    [CODES[0], "", 202609, "速递物流", "¥20,000.50"],
    ["", "福建海峡物流有限公司", "2026-09", "代理金融", 90000],
    ["", "福建海峡物流有限公司", "2026年9月", "速递", 10000.5],
]


def test_good_file_imports_every_row_and_computes_points(db, org, two, tmp_path):
    preview, result = run(db, org.mgr_a1, book(tmp_path, GOOD))
    assert result.ok and result.new == 4 and not preview.rejections
    assert stored(db)[(two[0], 202609, "express")] == D("20000.50")
    with db.session() as s:
        ta = {t.customer_id: t for t in s.scalars(select(TierAssessment))}
    assert ta[two[0]].points == 50000 and ta[two[0]].suggested_tier == "vip"
    # agency finance earns no points: only the 10,000.50 of express count
    assert ta[two[1]].points == 10000 and ta[two[1]].revenue == D("100000.50")


def test_identical_reimport_changes_nothing(db, org, two, tmp_path):
    path = book(tmp_path, GOOD)
    run(db, org.mgr_a1, path)
    with db.session() as s:
        versions = sorted(s.scalars(select(Revenue.version)))
        ta_versions = sorted(s.scalars(select(TierAssessment.version)))
    before = stored(db)
    _preview, again = run(db, org.mgr_a1, path)
    assert again.ok and (again.new, again.changed, again.removed, again.unchanged) == (0, 0, 0, 4)
    assert stored(db) == before
    with db.session() as s:
        assert sorted(s.scalars(select(Revenue.version))) == versions
        assert sorted(s.scalars(select(TierAssessment.version))) == ta_versions


def test_reimport_of_a_month_replaces_it_instead_of_adding(db, org, two, tmp_path):
    run(db, org.mgr_a1, book(tmp_path, GOOD))
    corrected = [[CODES[0], "", 202609, "函件", 1000]]  # express left out: removed
    _p, result = run(db, org.mgr_a1, book(tmp_path, corrected, "fix.xlsx"))
    assert (result.changed, result.removed, result.new) == (1, 1, 0)
    rows = stored(db)
    assert rows[(two[0], 202609, "letters")] == D("1000.00")
    assert (two[0], 202609, "express") not in rows
    # the other customer of the month is not in the file: untouched
    assert rows[(two[1], 202609, "finance")] == D("90000.00")
    with db.session() as s:
        points = s.scalar(select(TierAssessment.points).where(TierAssessment.customer_id == two[0]))
    assert points == 1000


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        (["91350100MA2Y0001XX", "", 202609, "函件", 1], "统一社会信用代码", "信用代码"),
        (["", "不存在的公司", 202609, "函件", 1], "统一社会信用代码", "不存在的公司"),
        ([CODES[0], "", 202609, "彩票", 1], "业务种类", "彩票"),
        ([CODES[0], "", 202613, "函件", 1], "月份", "202613"),
        ([CODES[0], "", 202701, "函件", 1], "月份", "2027-01"),
        ([CODES[0], "", 202609, "函件", -5], "收入金额", "-5"),
        ([CODES[0], "", 202609, "函件", "很多"], "收入金额", "很多"),
        ([CODES[0], "", 202609, "函件", None], "收入金额", "0"),
    ],
)
def test_bad_rows_are_rejected_with_row_column_and_reason_and_nothing_is_written(
    db, org, two, tmp_path, row, column, words
):
    preview, result = run(db, org.mgr_a1, book(tmp_path, [GOOD[0], row]))
    assert not result.ok
    [rejection] = preview.rejections
    assert rejection.row_number == 3 and rejection.column == column
    assert words in rejection.reason
    assert count(db) == 0 and count(db, TierAssessment) == 0
    assert "未导入任何数据" in result.describe()


def test_duplicate_rows_inside_the_file_are_rejected(db, org, two, tmp_path):
    rows = [GOOD[0], ["", "福州华闽贸易有限公司", "2026-09", "函件", 5]]
    preview, _result = run(db, org.mgr_a1, book(tmp_path, rows))
    [rejection] = preview.rejections
    assert rejection.row_number == 3 and "2" in rejection.reason


def test_mixed_file_with_skip_invalid_imports_the_valid_rows(db, org, two, tmp_path):
    rows = [*GOOD, [CODES[0], "", 202609, "彩票", 1]]
    preview, result = run(db, org.mgr_a1, book(tmp_path, rows), skip_invalid=True)
    assert result.ok and result.new == 4 and preview.rejected_rows == [6]
    assert count(db) == 4


def test_another_managers_customer_is_refused(db, org, two, tmp_path):
    preview = revenue_import.preview_import(db, org.mgr_a2, book(tmp_path, [GOOD[0]]), today=TODAY)
    [rejection] = preview.rejections
    assert "福州华闽贸易有限公司" in rejection.reason


def test_missing_column_is_a_clear_error(db, org, two, tmp_path):
    path = tmp_path / "x.xlsx"
    write_table(
        path, ["客户名称", "月份", "收入金额"], [["福州华闽贸易有限公司", 202609, 1]], title="x"
    )
    with pytest.raises(ServiceError) as raised:
        revenue_import.preview_import(db, org.mgr_a1, path, today=TODAY)
    assert "业务种类" in raised.value.message
    assert count(db) == 0


def test_import_is_audited(db, org, two, tmp_path):
    run(db, org.mgr_a1, book(tmp_path, GOOD))
    with db.session() as s:
        actions = list(s.scalars(select(AuditRecord.action)))
    assert "import.revenue" in actions


def test_rejections_can_be_saved_as_a_workbook(db, org, two, tmp_path):
    from python_calamine import load_workbook

    from kac_desktop.io.revenue_import import write_rejections

    preview, _r = run(db, org.mgr_a1, book(tmp_path, [[CODES[0], "", 202613, "函件", 1]]))
    out = tmp_path / "rejected.xlsx"
    write_rejections(out, preview.rejections)
    with load_workbook(out) as wb:
        cells = wb.get_sheet_by_index(0).to_python()
    assert cells[1][0] == 2 and cells[1][1] == "月份"


# ---------------------------------------------------------------- between preview and import


def versions(db):
    with db.session() as s:
        return sorted(s.execute(select(Revenue.id, Revenue.amount, Revenue.version)).all())


def test_a_correction_after_the_preview_makes_the_import_refuse_and_write_nothing(
    db, org, two, tmp_path
):
    run(db, org.mgr_a1, book(tmp_path, GOOD))
    preview = revenue_import.preview_import(
        db,
        org.mgr_a1,
        book(tmp_path, [[CODES[0], "", 202609, "函件", 1000]], "fix.xlsx"),
        today=TODAY,
    )
    assert (preview.changed, preview.removed) == (1, 1)
    # a colleague corrects the month meanwhile: express is gone, the preview's "1 removed"
    # no longer holds
    revenue_service.set_month(db, org.mgr_a1, two[0], 202609, {"letters": D("30000")}, today=TODAY)
    before, audits = versions(db), count(db, AuditRecord)
    with pytest.raises(revenue_import.StalePreview) as raised:
        revenue_import.run_import(db, org.mgr_a1, preview, skip_invalid=False)
    assert "预览" in raised.value.message
    assert versions(db) == before and count(db, AuditRecord) == audits


def test_other_changes_after_the_preview_do_not_stop_the_import(db, org, two, tmp_path):
    preview = revenue_import.preview_import(db, org.mgr_a1, book(tmp_path, GOOD), today=TODAY)
    # audited, but not these months: compared again, the preview's counts still hold
    revenue_service.set_month(db, org.mgr_a1, two[0], 202608, {"letters": D("5")}, today=TODAY)
    result = revenue_import.run_import(db, org.mgr_a1, preview, skip_invalid=False)
    assert result.ok and result.new == 4
    assert stored(db)[(two[0], 202609, "express")] == D("20000.50")


@pytest.mark.sqlite_only("SQLite's rowid and its write lock")
def test_rows_moved_without_a_trace_are_caught_before_anything_is_kept(db, org, two, tmp_path):
    run(db, org.mgr_a1, book(tmp_path, GOOD))
    fix = book(tmp_path, [[CODES[0], "", 202609, "函件", 1000]], "fix.xlsx")
    preview = revenue_import.preview_import(db, org.mgr_a1, fix, today=TODAY)
    # what a VACUUM may do: the rows get other rowids, and no audit record tells
    with db.session() as s, s.begin():
        s.connection().exec_driver_sql("UPDATE revenues SET rowid = rowid + 1000")
    before = versions(db)
    with pytest.raises(revenue_import.StalePreview):
        revenue_import.run_import(db, org.mgr_a1, preview, skip_invalid=False)
    assert versions(db) == before


class CancelAfter:
    def __init__(self, checks: int) -> None:
        self.left = checks

    def report(self, fraction: float, message: str = "") -> None:
        pass

    def cancelled(self) -> bool:
        self.left -= 1
        return self.left < 0


@pytest.mark.parametrize("checks", [1, 2, 3, 4, 5])
def test_a_cancelled_import_leaves_nothing_written(db, org, two, tmp_path, checks):
    run(db, org.mgr_a1, book(tmp_path, GOOD))
    fix = book(tmp_path, [[CODES[0], "", 202609, "函件", 1000], [CODES[1], "", 202610, "函件", 7]])
    preview = revenue_import.preview_import(db, org.mgr_a1, fix, today=TODAY)
    before, assessed = versions(db), count(db, TierAssessment)
    with pytest.raises(Cancelled):
        revenue_import.run_import(
            db, org.mgr_a1, preview, skip_invalid=False, progress=CancelAfter(checks)
        )
    assert versions(db) == before and count(db, TierAssessment) == assessed
    with db.session() as s:
        assert s.scalar(select(func.count()).where(AuditRecord.action == "import.revenue")) == 1


@pytest.fixture(params=["by customer", "by month"])
def read_by(request, monkeypatch):
    """The stored rows are read by customer (few in the file) or by range of months."""
    if request.param == "by month":
        monkeypatch.setattr(revenue_import, "_FEW_CUSTOMERS", 0)
    return request.param


def test_replacing_months_reads_the_stored_rows_either_way(db, org, two, tmp_path, read_by):
    run(db, org.mgr_a1, book(tmp_path, [*GOOD, [CODES[1], "", 202607, "函件", 3]]))
    # months 2026-07 and 2026-09 (two ranges); 2026-08 of the first customer untouched
    revenue_service.set_month(db, org.mgr_a1, two[0], 202608, {"letters": D("8")}, today=TODAY)
    fix = [
        [CODES[0], "", 202609, "函件", 30000],  # unchanged
        [CODES[0], "", 202609, "集邮", 12.25],  # new; express left out: removed
        [CODES[1], "", 202607, "函件", 4],  # changed
    ]
    preview, result = run(db, org.mgr_a1, book(tmp_path, fix, "fix.xlsx"))
    counts = (result.new, result.changed, result.unchanged, result.removed)
    assert (
        counts == (1, 1, 1, 1) == (preview.new, preview.changed, preview.unchanged, preview.removed)
    )
    rows = stored(db)
    assert rows[(two[0], 202609, "philately")] == D("12.25")
    assert (two[0], 202609, "express") not in rows
    assert rows[(two[1], 202607, "letters")] == D("4.00")
    assert rows[(two[0], 202608, "letters")] == D("8.00")
    assert rows[(two[1], 202609, "finance")] == D("90000.00")  # not in the file
    with db.session() as s:
        points = s.scalar(
            select(TierAssessment.points).where(
                TierAssessment.customer_id == two[0], TierAssessment.year == 2026
            )
        )
    assert points == 30000 + 12 + 8


@pytest.mark.sqlite_only("SQLite's rowid and its write lock")
def test_the_import_holds_the_write_lock_from_its_comparison_to_its_commit(db, tmp_path):
    from kac_desktop.db import raw_sql

    with db.session() as s, s.begin():
        raw_sql.lock_for_writing(s.connection())
        other = cipher.connect(tmp_path / "test.db", timeout=0)
        try:
            with pytest.raises(cipher.Error, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


def test_the_write_lock_keeps_every_other_writer_out_until_the_commit(db):
    """The import's lock on both engines: another writer (a second connection) cannot take
    it while the import's transaction is open, and can once it has ended."""
    from kac_desktop.db import DatabaseBusy, make_engine, raw_sql

    def other_writer_gets_in() -> bool:
        if db.path is not None:
            other = cipher.connect(db.path, timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.rollback()
                return True
            except cipher.Error:
                return False
            finally:
                other.close()
        other = make_engine(db.url)
        try:
            with other.begin() as connection:
                connection.exec_driver_sql(
                    "SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE NOWAIT"
                )
            return True
        except DatabaseBusy:
            return False
        finally:
            other.dispose()

    with db.session() as s, s.begin():
        raw_sql.lock_for_writing(s.connection())
        assert not other_writer_gets_in()
    assert other_writer_gets_in()


def test_a_line_stored_without_a_trace_after_the_preview_is_caught_too(db, org, two, tmp_path):
    preview = revenue_import.preview_import(db, org.mgr_a1, book(tmp_path, GOOD), today=TODAY)
    with db.session() as s, s.begin():  # no audit record: the preview's plan looks current
        s.add(Revenue(customer_id=two[0], month=202609, product_line="letters", amount=D(1)))
    before = versions(db)
    with pytest.raises(revenue_import.StalePreview):
        revenue_import.run_import(db, org.mgr_a1, preview, skip_invalid=False)
    assert versions(db) == before
