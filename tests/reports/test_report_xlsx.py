"""The report's workbook read back with openpyxl: one sheet a section, frozen headers,
filters, number formats, and totals that equal the report model (docs/DOMAIN.md §6)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from openpyxl import load_workbook

from kac_desktop.reports import write_xlsx
from kac_desktop.services import monthly_report as service
from tests.report_data import MONTH, NOW, build_sample


@pytest.fixture
def city_report(db, org):
    build_sample(db, org)
    return service.build_report(db, org.admin, MONTH, now=NOW)


def _rows(sheet):
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def _find(rows, first_cell):
    return next(i for i, r in enumerate(rows) if r and r[0] == first_cell)


def test_one_sheet_a_section_with_title_frozen_header_and_filter(city_report, tmp_path):
    path = tmp_path / "report.xlsx"
    write_xlsx(city_report, path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["汇总", "各支局汇总", "客户用邮明细", "走访", "限时服务", "异常预警"]
    customers = wb["客户用邮明细"]
    assert customers["A1"].value == "大客户用邮月报表"
    assert "福州市大客户中心" in customers["A2"].value and "2026年3月" in customers["A2"].value
    assert customers["A3"].value == "客户"
    assert customers.freeze_panes == "B4"
    last = customers.cell(row=3, column=customers.max_column).column_letter
    assert customers.auto_filter.ref == f"A3:{last}9"  # header row 3 + 6 customers
    for sheet in wb.worksheets:
        assert sheet.freeze_panes is not None, sheet.title
    # printed, each page repeats the title and the header row (issue 20 item 11)
    assert customers.print_title_rows == "$1:$3"


def test_totals_equal_the_model_and_money_is_formatted(city_report, tmp_path):
    path = tmp_path / "report.xlsx"
    write_xlsx(city_report, path)
    sheet = load_workbook(path)["客户用邮明细"]
    rows = _rows(sheet)
    header = rows[2]
    month_col = header.index("本月收入")
    points_col = header.index("本年积分")
    data = rows[3:9]
    totals = rows[9]
    assert totals[0] == "合计（6 户）"
    assert (
        Decimal(str(totals[month_col])) == city_report.summary.revenue_total == Decimal("4050.90")
    )
    assert round(sum(r[month_col] for r in data), 2) == pytest.approx(totals[month_col])
    assert totals[points_col] == sum(r.points_year for r in city_report.customers)
    assert sheet.cell(row=4, column=month_col + 1).number_format == '"¥"#,##0.00'
    growth = header.index("同比增长")
    assert sheet.cell(row=10, column=growth + 1).number_format == "0.0%"


def test_summary_and_branch_sheets_agree_with_the_model(city_report, tmp_path):
    path = tmp_path / "report.xlsx"
    write_xlsx(city_report, path)
    wb = load_workbook(path)
    rows = _rows(wb["汇总"])
    values = {r[0]: r[1] for r in rows if r and r[0]}
    s = city_report.summary
    assert values["报表客户数"] == s.customers
    assert Decimal(str(values["全部客户用邮收入"])) == s.revenue_total
    assert values["走访达标率"] == pytest.approx(s.quota_rate)
    assert values["环比增长"] == pytest.approx(s.growth_month_on_month)
    assert any(r and str(r[0]).startswith("巩固率 =") for r in rows)
    branches = _rows(wb["各支局汇总"])
    total = branches[_find(branches, "合计")]
    assert total[1] == s.customers
    assert Decimal(str(total[5])) == s.revenue_total


def test_empty_sections_say_so(db, org, tmp_path):
    build_sample(db, org)
    report = service.build_report(db, org.sup_a, "2026-01", now=NOW)
    path = tmp_path / "january.xlsx"
    write_xlsx(report, path)
    wb = load_workbook(path)
    service_rows = _rows(wb["限时服务"])
    assert ["本月无服务工单。"] == [c for c in service_rows[2] if c]
    visit_rows = _rows(wb["走访"])
    assert visit_rows[2][0] == "本月无走访记录。"
    summary = {r[0]: r[1] for r in _rows(wb["汇总"]) if r and r[0]}
    assert report.summary.growth_year_on_year is None
    assert summary["同比增长"] == "—"  # no base: said, not invented as 0 %


def test_every_customer_row_has_its_own_figures_and_formats(city_report, tmp_path):
    # the writer gives each formatted column one cell, filled again for every row
    path = tmp_path / "report.xlsx"
    write_xlsx(city_report, path)
    sheet = load_workbook(path)["客户用邮明细"]
    header = [c.value for c in sheet[3]]
    month_col = header.index("本月收入") + 1
    ytd_col = header.index("本年累计") + 1
    points_col = header.index("本年积分") + 1
    for offset, row in enumerate(city_report.customers):
        r = 4 + offset
        assert sheet.cell(row=r, column=1).value == row.name
        assert Decimal(str(sheet.cell(row=r, column=month_col).value)) == row.month_total
        assert Decimal(str(sheet.cell(row=r, column=ytd_col).value)) == row.year_to_date
        assert sheet.cell(row=r, column=points_col).value == row.points_year
        assert sheet.cell(row=r, column=month_col).number_format == '"¥"#,##0.00'
        assert sheet.cell(row=r, column=points_col).number_format == "#,##0"
        assert sheet.cell(row=r, column=1).number_format == "General"


def test_rows_taken_as_given_write_what_openpyxl_itself_writes(city_report, tmp_path, monkeypatch):
    import zipfile

    from kac_desktop.reports import xlsx

    fast = tmp_path / "fast.xlsx"
    write_xlsx(city_report, fast)
    monkeypatch.setattr(xlsx, "_take_rows_as_given", lambda sheet: None)
    plain = tmp_path / "plain.xlsx"
    write_xlsx(city_report, plain)
    with zipfile.ZipFile(fast) as a, zipfile.ZipFile(plain) as b:
        names = a.namelist()
        assert names == b.namelist()
        sheets = [n for n in names if n.startswith("xl/worksheets/")]
        assert len(sheets) == 6
        for name in [*sheets, "xl/styles.xml"]:
            assert a.read(name) == b.read(name), name


def test_a_bare_date_does_not_lend_its_format_to_the_values_after_it(tmp_path):
    from datetime import date

    from openpyxl import Workbook

    from kac_desktop.reports.xlsx import _take_rows_as_given

    book = Workbook(write_only=True)
    sheet = book.create_sheet("s")
    _take_rows_as_given(sheet)
    sheet.append([date(2026, 3, 1), 12.5, "文本"])
    sheet.append([7, None, date(2026, 3, 2)])
    book.save(tmp_path / "dates.xlsx")
    sheet = load_workbook(tmp_path / "dates.xlsx")["s"]
    assert sheet["A1"].is_date and sheet["C2"].is_date
    assert sheet["B1"].value == 12.5 and sheet["B1"].number_format == "General"
    assert sheet["C1"].value == "文本" and sheet["A2"].number_format == "General"
    assert sheet["A2"].value == 7 and sheet["B2"].value is None
