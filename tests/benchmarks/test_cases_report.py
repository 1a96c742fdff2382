"""The report benchmarks' floors hold what the report holds: the workbook floor the same
cells, the PDF floor the same table text on the same pages (no timing is asserted)."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from benchmarks import cases_report as cases
from benchmarks.suite import Context
from kac_desktop.services import monthly_report as service
from tests.report_data import MONTH, NOW, build_sample

pytestmark = pytest.mark.sqlite_only('the benchmark suite runs on SQLite files')


@pytest.fixture
def ctx(db, org, tmp_path):
    build_sample(db, org)
    context = Context("S", db.path, quick=True)
    context.cache["report model"] = service.build_report(db, org.admin, MONTH, now=NOW)
    return context


def test_the_workbook_floor_writes_the_cells_of_the_report(ctx):
    report = ctx.cache["report model"]
    cells = cases._checked_cells(ctx)  # compares them with the real workbook read back
    assert cases._workbook_floor(ctx) > 0
    floor = load_workbook(cases._folder(ctx) / "floor.xlsx")
    assert floor.sheetnames == [name for name, _rows in cells]
    rows = [list(r) for r in floor["客户用邮明细"].iter_rows(values_only=True)]
    names = [r[0] for r in rows]
    assert all(c.name in names for c in report.customers)
    assert "合计（6 户）" in names
    assert not any(cell.has_style for row in floor["汇总"].iter_rows() for cell in row)


def test_the_cells_check_notices_a_floor_that_drifted(ctx, monkeypatch):
    drifted = cases.workbook_cells

    def one_row_short(report):
        sheets = drifted(report)
        name, rows = sheets[2]
        sheets[2] = (name, rows[:3] + rows[4:])
        return sheets

    monkeypatch.setattr(cases, "workbook_cells", one_row_short)
    with pytest.raises(cases.FloorMismatch, match="客户用邮明细"):
        cases._checked_cells(ctx)


def test_the_pdf_floor_draws_the_report_pages_and_their_rows(ctx):
    from kac_desktop.reports import write_pdf

    report = ctx.cache["report model"]
    pages = cases._floor_pages(ctx)
    write_pdf(report, cases._folder(ctx) / "check.pdf")
    real = PdfReader(str(cases._folder(ctx) / "check.pdf"))
    assert [tuple(round(v) for v in p["size"]) for p in pages] == [
        tuple(round(float(v)) for v in page.mediabox[2:]) for page in real.pages
    ]
    assert cases._pdf_floor(ctx) > 0
    floor = PdfReader(str(cases._folder(ctx) / "floor.pdf"))
    assert len(floor.pages) == len(real.pages)
    text = "\n".join(page.extract_text() for page in floor.pages)
    assert all(c.name in text for c in report.customers)
    assert "4,050.90" in text and "巩固率" in text
    # each run of one font is a string of its own: the extracted text breaks between runs
    assert f"第{len(pages)}页共{len(pages)}页" in "".join(text.split())


def test_the_model_case_reads_the_last_complete_month(ctx, db):
    db.dispose()  # the case opens the file read-only on its own
    month, now = cases._month_and_now(ctx)
    assert (month, now.date().isoformat()) == ("2026-02", "2026-03-30")
    del ctx.cache["report model"]
    assert cases._model(ctx) > 0
    assert ctx.cache["report model"].month == "2026-02"


def test_paired_samples_give_the_baseline_the_floor_times_taken_beside_the_case(tmp_path):
    calls: list[str] = []
    floor_times = iter([10.0, 20.0, 30.0])

    def run(ctx):
        calls.append("case")
        return 1.0

    def floor(ctx):
        calls.append("floor")
        return next(floor_times)

    measure, baseline = cases._paired("x", run, floor)
    ctx = Context("S", tmp_path / "unused.db", quick=True)
    assert [measure(ctx) for _ in range(3)] == [1.0, 1.0, 1.0]
    assert calls == ["case", "floor", "floor", "case", "case", "floor"]
    assert [baseline(ctx) for _ in range(3)] == [10.0, 20.0, 30.0]
    with pytest.raises(StopIteration):  # nothing kept: the baseline measures the floor
        baseline(ctx)
