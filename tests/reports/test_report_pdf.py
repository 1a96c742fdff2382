"""The report's PDF read back with pypdf: Chinese text, the totals, the page footer, the
embedded fonts (docs/DOMAIN.md §6)."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from kac_desktop.reports import write_pdf
from kac_desktop.services import monthly_report as service
from tests.report_data import MONTH, NOW, build_sample


@pytest.fixture
def pdf(db, org, tmp_path):
    build_sample(db, org)
    report = service.build_report(db, org.admin, MONTH, now=NOW)
    path = tmp_path / "report.pdf"
    write_pdf(report, path)
    return report, PdfReader(str(path))


def _text(reader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def test_title_totals_and_footer_in_chinese(pdf):
    report, reader = pdf
    text = _text(reader)
    assert "大客户用邮月报表" in text
    assert "福州市大客户中心" in text and "2026年3月" in text
    assert "¥4,050.90" in text  # revenue of all customers, in the summary
    assert "4,050.90" in text.split("客户用邮明细")[1]  # and the customer table's total
    pages = len(reader.pages)
    assert f"第 1 页 共 {pages} 页" in text
    assert f"第 {pages} 页 共 {pages} 页" in text
    assert "制表人" in text and "审核人" in text
    assert "巩固率 =" in text and "开发率 =" in text


def test_fonts_are_embedded_and_pages_are_a4(pdf):
    _report, reader = pdf
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            # a font without a descriptor (ReportLab's Helvetica) is only named, not embedded
            assert descriptor is not None, font["/BaseFont"]
            descriptor = descriptor.get_object()
            assert "/FontFile2" in descriptor, font["/BaseFont"]
            fonts.add(font["/BaseFont"].split("+")[-1])
    assert {"DroidSansFallback", "BitstreamVeraSans-Roman"} <= fonts
    sizes = {tuple(round(float(v)) for v in page.mediabox[2:]) for page in reader.pages}
    assert sizes <= {(595, 842), (842, 595)} and (842, 595) in sizes


def test_the_customer_table_repeats_its_header_on_every_page(db, org, tmp_path):
    from kac_desktop.reports.model import CustomerUsage

    build_sample(db, org)
    report = service.build_report(db, org.sup_a, MONTH, now=NOW)
    row = report.customers[0]
    report.customers = [
        CustomerUsage(**{**row.__dict__, "name": f"客户{i:04d}"}) for i in range(300)
    ]
    path = tmp_path / "long.pdf"
    write_pdf(report, path)
    reader = PdfReader(str(path))
    pages = [p.extract_text() for p in reader.pages]
    with_rows = [t for t in pages if "客户0" in t]
    assert len(with_rows) >= 4
    assert all("本年积分" in t for t in with_rows)
    text = "\n".join(pages)
    assert all(f"客户{i:04d}" in text for i in (0, 150, 299))


@pytest.mark.parametrize(
    ("title", "lines"),
    [
        ("客户类型", ["客户", "类型"]),
        ("同比增长", ["同比", "增长"]),
        ("俱乐部等级", ["俱乐部", "等级"]),
        ("客户经理", ["客户", "经理"]),
        ("去年同期累计", ["去年同期", "累计"]),
        ("本月收入（元）", ["本月收入", "（元）"]),
    ],
)
def test_a_narrow_column_title_breaks_between_words(title, lines):
    """Issue 20 item 11: 客户经/理 no more; a title breaks where a word ends."""
    from kac_desktop.reports.pdf import text_width, title_lines

    width = text_width(title, 7.5) * 0.6  # too narrow for one line
    got, size = title_lines(title, width, 7.5)
    assert got == lines
    assert all(text_width(line, size) <= width for line in got)


def test_the_titles_of_the_usage_table_are_not_broken_inside_a_word(pdf):
    _report, reader = pdf
    text = _text(reader)
    for broken in ("客户类\n型", "客户经\n理", "同比增\n长", "俱乐\n部"):
        assert broken not in text
