"""Issue 20 item 10: a header is recognised by what it means, as finance systems name their
columns; a unit in the header counts (万元 is not 元); two columns claiming one field are
reported, never guessed between; the user can name a column for a field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kac_desktop.io import customer_import as ci
from kac_desktop.io import revenue_import as ri
from kac_desktop.io.mapping import amount_scale, choose_columns, recognise
from kac_desktop.io.workbook import Table, WorkbookError

LINES = {ri.line_key(t): c for t, c in (("函件", "letters"), ("速递物流", "express"))}


@pytest.mark.parametrize(
    "headers",
    [
        # as several finance and CRM exports name the same five columns
        ["统一社会信用代码", "客户名称", "期间", "产品线名称", "收入金额（元）"],
        ["纳税人识别号", "单位名称", "所属月份", "业务种类", "收入金额(元)"],
        ["统一社会信用代码/纳税人识别号", "客户名称/单位名称", "账期", "业务类型", "金额"],
        ["ＵＳＣＣ", "客户名称", "会计期间", "产品线名称", "本月收入（元）"],
    ],
)
def test_finance_headers_are_recognised_by_meaning(headers):
    assert ri.guess(headers) == {
        "credit_code": 0,
        "name": 1,
        "month": 2,
        "product_line": 3,
        "amount": 4,
    }


def test_a_header_with_another_meaning_is_not_taken_for_a_field():
    # 客户经理 holds a manager, not the customer; 客户编号 is neither name nor code
    assert ri.guess(["客户经理", "客户编号", "月份", "业务", "金额"]) == {
        "month": 2,
        "product_line": 3,
        "amount": 4,
    }


def test_two_columns_claiming_one_field_are_reported_not_guessed():
    headers = ["客户名称", "月份", "业务种类", "本月收入", "累计收入"]
    found = recognise(headers, ri.FIELDS)
    assert "amount" not in found.mapping
    assert found.ambiguous == {"amount": (3, 4)}
    with pytest.raises(WorkbookError) as raised:
        choose_columns(headers, ri.FIELDS)
    assert "本月收入" in raised.value.message and "累计收入" in raised.value.message
    assert "--column" in raised.value.message
    # naming the column settles it
    assert choose_columns(headers, ri.FIELDS, named={"amount": "本月收入"})["amount"] == 3


def test_an_exact_header_beats_one_that_only_contains_the_word():
    assert ri.guess(["客户名称", "客户经理名称", "月份", "业务", "金额"])["name"] == 0


def test_a_named_column_must_exist_and_the_field_too():
    headers = ["客户名称", "月份", "产品大类", "金额"]
    assert choose_columns(headers, ri.FIELDS, named={"product_line": "产品大类"}) == {
        "name": 0,
        "month": 1,
        "product_line": 2,
        "amount": 3,
    }
    with pytest.raises(WorkbookError, match="产品小类"):
        choose_columns(headers, ri.FIELDS, named={"product_line": "产品小类"})
    with pytest.raises(WorkbookError, match="colour"):
        choose_columns(headers, ri.FIELDS, named={"colour": "产品大类"})


@pytest.mark.parametrize(
    ("header", "scale"),
    [("金额", 1), ("收入金额（元）", 1), ("金额(万元)", 10_000), ("收入（千元）", 1_000)],
)
def test_the_unit_of_a_money_header(header, scale):
    assert amount_scale(header) == scale


def test_a_foreign_currency_is_refused():
    with pytest.raises(WorkbookError, match="美元"):
        amount_scale("金额(美元)")


def _parse(headers, rows):
    table = Table("收入", list(headers), [list(r) for r in rows])
    return ri.parse(
        table,
        ri.guess(table.headers),
        resolve_customer=lambda code, name: "id-1",
        lines=LINES,
    )


def test_an_amount_in_ten_thousands_of_yuan_is_converted_not_taken_as_yuan():
    parsed = _parse(
        ["客户名称", "月份", "业务", "金额(万元)"], [["甲公司", 202601, "函件", 1.2345]]
    )
    assert [r.amount for r in parsed.rows] == [Decimal("12345.00")]
    plain = _parse(
        ["客户名称", "月份", "业务", "收入金额（元）"], [["甲公司", 202601, "函件", 1.5]]
    )
    assert [r.amount for r in plain.rows] == [Decimal("1.50")]


def test_the_customer_import_recognises_the_same_way():
    assert ci.guess_mapping(["单位名称", "纳税人识别号", "登记日期", "欠费（万元）"]) == {
        "name": 0,
        "credit_code": 1,
        "registered_on": 2,
        "arrears": 3,
    }
