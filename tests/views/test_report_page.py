"""The report page: the summary for the chosen month and both files made through the page
(with the progress dialog replaced by a direct call)."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from kac_desktop.progress import NullProgress
from kac_desktop.rules.quota import Month
from kac_desktop.views import jobs
from kac_desktop.views.report_page import ReportPage
from tests.report_data import build_sample


@pytest.fixture
def direct(monkeypatch):
    """The job runner without a thread or a dialog; ``cancel`` makes it cancel."""
    state = {"cancel": False}

    class Fake(NullProgress):
        def cancelled(self):
            return state["cancel"]

    monkeypatch.setattr(jobs, "run_job", lambda parent, title, work: work(Fake()))
    return state


def _choose_march(page: ReportPage) -> None:
    march = Month(2026, 3)
    index = next((i for i in range(page.month.count()) if page.month.itemData(i) == march), -1)
    if index < 0:
        page.month.addItem("2026年3月", march)
        index = page.month.count() - 1
    page.month.setCurrentIndex(index)


def test_supervisor_sees_the_summary_and_makes_both_files(qtbot, db, org, tmp_path, direct):
    build_sample(db, org)
    page = ReportPage(db, org.sup_a)
    qtbot.addWidget(page)
    assert not page.branch.isEnabled()  # a supervisor's report is his branch
    _choose_march(page)
    report = page.show_report()
    assert report is not None and report.summary.customers == 5
    shown = page.view.toPlainText()
    assert "大客户用邮月报表" in shown and "¥3,050.50" in shown and "鼓楼支局" in shown
    with qtbot.waitSignal(page.filesMade):
        assert page.make_files(str(tmp_path))
    assert page.open_xlsx_button.isEnabled() and page.open_pdf_button.isEnabled()
    sheet = load_workbook(page.xlsx_path)["客户用邮明细"]
    assert sheet["A3"].value == "客户"
    assert open(page.pdf_path, "rb").read(4) == b"%PDF"
    # the page shows the report the files were written from
    assert "¥3,050.50" in page.view.toPlainText()
    assert page.document().toPlainText().startswith("大客户用邮月报表")


def test_city_center_picks_a_branch(qtbot, db, org, direct):
    build_sample(db, org)
    page = ReportPage(db, org.admin)
    qtbot.addWidget(page)
    names = [page.branch.itemText(i) for i in range(page.branch.count())]
    assert names[0].startswith("全部支局") and "仓山支局" in names
    _choose_march(page)
    assert page.show_report().scope == "city"
    assert "各支局汇总" in page.view.toPlainText()
    page.branch.setCurrentIndex(names.index("仓山支局"))
    assert page.show_report().summary.customers == 1


def test_cancelling_makes_no_file(qtbot, db, org, tmp_path, direct):
    build_sample(db, org)
    page = ReportPage(db, org.sup_a)
    qtbot.addWidget(page)
    _choose_march(page)
    direct["cancel"] = True
    assert not page.make_files(str(tmp_path))
    assert not [p for p in tmp_path.iterdir() if p.suffix in (".xlsx", ".pdf")]
    assert page.xlsx_path is None
    assert page.status.text() == "已取消，未生成文件。"


def test_preview_and_print_draw_every_page_of_the_filed_pdf(qtbot, db, org, tmp_path, direct):
    """Issue 20 item 6: what is previewed and printed is the PDF that is filed (all its
    pages, charts and 第 x 页 共 y 页), not a summary of its own; the files are made first."""
    from pypdf import PdfReader
    from PySide6.QtPrintSupport import QPrinter

    build_sample(db, org)
    page = ReportPage(db, org.sup_a)
    qtbot.addWidget(page)
    _choose_march(page)
    page.show_report()
    # no file made yet: the preview makes them (here into tmp_path) before showing pages
    page.make_files = lambda folder=None, _make=page.make_files: _make(str(tmp_path))
    shown = []
    page.print_preview(dialog_shown=shown.append)
    assert page.pdf_path is not None and shown
    filed = len(PdfReader(page.pdf_path).pages)
    assert filed > 1

    printed = tmp_path / "printed.pdf"
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(printed))
    printer.setResolution(72)  # small images: the test looks at pages, not ink
    shown[0].paintRequested.emit(printer)  # what the preview paints is what the print paints
    assert len(PdfReader(printed).pages) == filed
