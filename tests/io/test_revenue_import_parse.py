"""Reading revenue rows (io/revenue_import.py): headers, months, amounts, lines, duplicates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kac_desktop.io import revenue_import as parsing
from kac_desktop.io.revenue_import import CellProblem, parse_month
from kac_desktop.io.workbook import Table, WorkbookError

LINES = {parsing.line_key(t): c for t, c in (("函件", "letters"), ("速递物流", "express"))}


def resolve(code: str, name: str) -> str:
    if code == "C1" or name == "甲公司":
        return "id-1"
    if name == "同名公司":
        raise ValueError("Several customer files are called 同名公司; give the credit code.")
    raise ValueError(f"unknown {code or name}")


def table(rows, headers=("信用代码", "客户名称", "月份", "业务", "金额")):
    return Table("收入", list(headers), [list(r) for r in rows])


def parse(rows, **kw):
    t = table(rows)
    return parsing.parse(t, parsing.guess(t.headers), resolve_customer=resolve, lines=LINES, **kw)


@pytest.mark.parametrize(
    ("cell", "month"),
    [
        (202601.0, 202601),
        ("202601", 202601),
        ("2026-01", 202601),
        ("2026/1", 202601),
        ("2026年1月", 202601),
        ("２０２６年１月份", 202601),
        (date(2026, 1, 15), 202601),
        (datetime(2026, 1, 1), 202601),
        (20260131.0, 202601),
    ],
)
def test_months_as_finance_exports_write_them(cell, month):
    assert parse_month(cell) == month


@pytest.mark.parametrize("cell", ["2026-13", 202600.0, "一月", "abc", 12.5, 199912])
def test_bad_months_are_refused(cell):
    with pytest.raises(CellProblem) as raised:
        parse_month(cell)
    assert str(cell)[:4] in raised.value.message or "月" in raised.value.message


def test_a_future_month_is_refused():
    with pytest.raises(CellProblem):
        parse_month(202612, latest=202611)


def test_headers_are_recognised():
    assert parsing.guess(["统一社会信用代码", "单位名称", "账期", "产品线", "收入(元)"]) == {
        "credit_code": 0,
        "name": 1,
        "month": 2,
        "product_line": 3,
        "amount": 4,
    }


def test_rows_with_their_problems():
    parsed = parse(
        [
            ["C1", "", 202601, "函件", 100.1],
            ["", "甲公司", "2026-01", "速递物流", "¥1,000"],
            ["", "同名公司", 202601, "函件", 1],
            ["C1", "", 202601, "报刊x", 1],
            ["C1", "", 202602, "函件", -1],
            ["C1", "", "2026年1月", "函件", 3],  # same as the first row
            [None, None, None, None, None],  # blank rows are skipped
        ]
    )
    assert [(r.row_number, r.month, r.product_line, r.amount) for r in parsed.rows] == [
        (2, 202601, "letters", D("100.10")),
        (3, 202601, "express", D("1000.00")),
    ]
    assert parsed.rejected_rows == [4, 5, 6, 7]
    assert parsed.total_rows == 6
    by_row = {r.row_number: r for r in parsed.rejections}
    assert "同名公司" in by_row[4].reason and by_row[4].column == "信用代码"
    assert by_row[5].column == "业务" and by_row[6].column == "金额"
    assert "2" in by_row[7].reason and by_row[7].column == ""


def test_a_required_column_missing_is_an_error():
    t = table([["C1", 202601, 1]], headers=("信用代码", "月份", "金额"))
    with pytest.raises(WorkbookError) as raised:
        parsing.parse(t, parsing.guess(t.headers), resolve_customer=resolve, lines=LINES)
    assert "业务" in raised.value.message or "Product line" in raised.value.message


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.integers(0, 10**13).map(lambda fen: fen / 100),  # what finance exports hold
        st.floats(0, 1e12, allow_nan=False, allow_infinity=False),
        st.decimals(0, 10**6, places=3).map(float),  # half a fen and other thirds
    )
)
def test_a_float_amount_becomes_its_fen_or_is_refused_never_rounded(value):
    """An amount is read at Excel's 15 significant digits; whole fen are kept exactly,
    anything finer is refused (issue #22: no silent rounding)."""
    parsed = parse([["C1", "", 202601, "函件", value]])
    read = D(format(value, ".15g"))
    exact = read.quantize(D("0.01"), ROUND_HALF_UP)
    if exact >= D("1000000000000") or exact != read:
        assert parsed.rejections and not parsed.rows
    else:
        [row] = parsed.rows
        assert row.fen == int(exact * 100) and row.amount == exact


def test_an_untidy_table_reads_as_the_tidy_one():
    rows = [
        ["C1", "", 202601.0, "函件", 100.1],
        ["", "", "", "", ""],  # blank
        ["  ", " ", " ", "", "   "],  # blank too: texts of spaces
        ["", "甲公司", " 2026-02 ", "速递物流", "¥1,000"],
        ["C1", "", "", "函件", 3.0],  # no month
        ["C1", "", 202603.0, " ", " "],  # no line, no amount
    ]
    untidy = table([[*r, "past the headers"] for r in rows])
    untidy.headers = untidy.headers[:5]
    tidy = table([[None if not str(v).strip() else v for v in r] for r in rows])
    a, b = (
        parsing.parse(t, parsing.guess(t.headers), resolve_customer=resolve, lines=LINES)
        for t in (untidy, tidy)
    )
    assert a.rows == b.rows and a.rejections == b.rejections and a.total_rows == b.total_rows
    assert [r.row_number for r in a.rows] == [2, 5] and a.total_rows == 4
    assert [(r.row_number, r.column) for r in a.rejections] == [
        (6, "月份"),
        (7, "业务"),
        (7, "金额"),
    ]
