"""io.workbook: reading the first sheet with python-calamine, writing tidy sheets."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from kac_desktop.io.workbook import (
    SheetSpec,
    WorkbookError,
    display_width,
    read_table,
    write_table,
    write_workbook,
)


def _book(path, rows, title="客户"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_reads_headers_and_rows_with_excel_row_numbers(tmp_path):
    path = _book(
        tmp_path / "a.xlsx",
        [
            ["客户名称", "手机", "合作开始日期", "欠费"],
            ["福州华闽贸易有限公司", 13805912345, date(2020, 1, 2), 12.5],
            [None, None, None, None],
            ["福州东方电子有限公司", "0591-87654321", None, None],
            [None, None, None, None],
        ],
    )
    table = read_table(path)
    assert table.sheet_name == "客户"
    assert table.headers == ["客户名称", "手机", "合作开始日期", "欠费"]
    assert table.header_row == 1
    assert len(table.rows) == 3  # the trailing blank row is gone, the middle one stays
    first = table.rows[0]
    assert first[0] == "福州华闽贸易有限公司"
    assert first[1] == 13805912345  # calamine gives 13805912345.0
    assert first[2] == date(2020, 1, 2)
    assert table.rows[1] == [None, None, None, None]
    assert table.row_number(2) == 4


def test_untidy_rows_are_calamines_own_with_the_same_rows_and_numbers(tmp_path):
    path = _book(
        tmp_path / "a.xlsx",
        [
            ["客户名称", "月份", None],
            ["福州华闽贸易有限公司", 202601, None, "备注"],
            [None, "  ", None],
            ["福建海峡物流有限公司", None],
            [None, None, None, " "],
        ],
    )
    tidy, raw = read_table(path), read_table(path, tidy=False)
    assert raw.headers == tidy.headers == ["客户名称", "月份"]
    assert raw.header_row == tidy.header_row
    # the trailing blank row goes (a text of spaces is blank); cells past the headers stay
    assert [len(row) for row in raw.rows] == [4, 4, 4] and raw.rows[0][3] == "备注"
    blank = [[None if not str(v).strip() else v for v in row[:2]] for row in raw.rows]
    assert blank == tidy.rows
    assert tidy.rows == [
        ["福州华闽贸易有限公司", 202601.0],
        [None, None],
        ["福建海峡物流有限公司", None],
    ]


def test_header_is_the_first_non_empty_row_and_a_title_above_it_is_skipped(tmp_path):
    path = _book(
        tmp_path / "a.xlsx",
        [
            [],
            [None, "2024年鼓楼支局大客户名单"],
            [None, "客户名称", "地址"],
            [None, "福州华闽贸易有限公司", "五四路100号"],
        ],
    )
    table = read_table(path)
    assert table.headers == ["", "客户名称", "地址"]  # column indices stay Excel's
    assert table.header_row == 3
    assert table.rows == [[None, "福州华闽贸易有限公司", "五四路100号"]]
    assert table.row_number(0) == 4


def test_missing_file(tmp_path):
    with pytest.raises(WorkbookError) as caught:
        read_table(tmp_path / "nope.xlsx")
    assert "nope.xlsx" in caught.value.message
    assert "不存在" in caught.value.message


def test_text_file_named_xlsx(tmp_path):
    path = tmp_path / "客户.xlsx"
    path.write_text("客户名称,地址\n福州华闽,五四路\n", encoding="utf-8")
    with pytest.raises(WorkbookError) as caught:
        read_table(path)
    assert "客户.xlsx" in caught.value.message
    assert "Excel" in caught.value.message


def test_corrupt_zip(tmp_path):
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(WorkbookError):
        read_table(path)
    truncated = tmp_path / "truncated.xlsx"
    good = _book(tmp_path / "good.xlsx", [["客户名称"], ["甲公司"]])
    truncated.write_bytes(good.read_bytes()[:300])
    with pytest.raises(WorkbookError):
        read_table(truncated)


def test_empty_sheet(tmp_path):
    path = _book(tmp_path / "empty.xlsx", [])
    with pytest.raises(WorkbookError) as caught:
        read_table(path)
    assert "空" in caught.value.message


def test_display_width_counts_cjk_double():
    assert display_width("abc") == 3
    assert display_width("福州") == 4
    assert display_width("ＡＢ1") == 5


def test_write_table_layout(tmp_path):
    path = tmp_path / "out.xlsx"
    long_name = "福州市鼓楼区某某某某某某某某某某某某某某某某某某某某某某某某某某某某某某某某某某某某贸易有限公司"
    rows = [
        [
            "福州华闽贸易有限公司",
            date(2024, 3, 1),
            Decimal("1234.50"),
            "=SUM(A1:A2)",
            ["函件", "报刊"],
        ],
        [long_name, datetime(2024, 3, 1, 9, 30), 7, None, "x"],
    ]
    write_table(
        path,
        ["客户名称", "日期", "金额", "备注", "业务"],
        rows,
        title="客户档案",
        number_formats={2: "#,##0.00"},
    )
    wb = openpyxl.load_workbook(path)
    ws = wb["客户档案"]
    assert [c.value for c in ws[1]] == ["客户名称", "日期", "金额", "备注", "业务"]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:E3"
    assert ws["B2"].value == datetime(2024, 3, 1) and ws["B2"].number_format == "yyyy-mm-dd"
    assert ws["B3"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["C2"].number_format == "#,##0.00" and ws["C2"].value == 1234.5
    assert ws["D2"].value == "=SUM(A1:A2)" and ws["D2"].data_type == "s"
    assert ws["E2"].value == "函件、报刊"
    # 福州华闽贸易有限公司: 10 CJK characters → at least 20 columns; the long one is capped
    assert ws.column_dimensions["A"].width == 60
    assert ws.column_dimensions["B"].width >= 10
    assert ws.column_dimensions["E"].width >= display_width("业务")


def test_width_fits_chinese_text(tmp_path):
    path = tmp_path / "w.xlsx"
    write_table(path, ["名称"], [["福州华闽贸易有限公司"]], title="表")
    width = openpyxl.load_workbook(path)["表"].column_dimensions["A"].width
    assert 20 <= width <= 26


def test_write_workbook_several_sheets_and_round_trip(tmp_path):
    path = tmp_path / "two.xlsx"
    write_workbook(
        path,
        [
            SheetSpec("客户", ["客户名称", "欠费"], iter([["甲公司", 1.5], ["乙公司", None]])),
            SheetSpec("说明", ["列名"], [["客户名称"]], widths=[30]),
        ],
    )
    assert openpyxl.load_workbook(path).sheetnames == ["客户", "说明"]
    table = read_table(path)
    assert table.headers == ["客户名称", "欠费"]
    assert table.rows == [["甲公司", 1.5], ["乙公司", None]]


def test_write_failure_is_a_workbook_error_and_leaves_no_file(tmp_path):
    target = tmp_path / "missing-folder" / "out.xlsx"
    with pytest.raises(WorkbookError):
        write_table(target, ["a"], [[1]], title="t")
    assert not target.exists()
