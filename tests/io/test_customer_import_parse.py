"""io.customer_import: headers to fields, cells to CustomerData, rows checked like the
editor's save (docs/DOMAIN.md §2), duplicates inside one workbook."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from kac_desktop.io import customer_import as ci
from kac_desktop.io.workbook import Table, WorkbookError, read_table
from kac_desktop.rules.credit_code import make_credit_code

TODAY = date(2025, 6, 1)
CJK = re.compile(r"[\u4e00-\u9fff]")
MANAGERS = {"": ("u-default", "b-1"), "mgr_a1": ("u-1", "b-1"), "陈经理": ("u-1", "b-1")}


def resolve(text):
    return MANAGERS.get(text)


def code(n: int) -> str:
    return make_credit_code(f"91350100MA{n:06d}")


def table(headers, *rows) -> Table:
    return Table("客户", list(headers), [list(r) for r in rows])


def parse(t: Table, mapping=None):
    return ci.parse(
        t,
        mapping if mapping is not None else ci.guess_mapping(t.headers),
        today=TODAY,
        resolve_manager=resolve,
    )


CN_HEADERS = [
    "客户名称",
    "统一社会信用代码",
    "客户性质",
    "所属行业",
    "区域",
    "客户等级",
    "合作开始日期",
    "使用业务",
    "速递物流类别",
    "欠费金额",
    "客户经理",
    "联系人",
    "手机",
    "联系电话",
]


def cn_row(name, credit_code, **overrides):
    values = dict(
        zip(
            CN_HEADERS,
            [
                name,
                credit_code,
                "企业",
                "批发零售",
                "城区",
                "钻石",
                date(2020, 1, 1),
                "函件、速递物流",
                "国内异地",
                "¥1,234.5",
                "mgr_a1",
                "李明",
                13805912345.0,
                "0591-87654321",
            ],
            strict=True,
        )
    )
    values.update(overrides)
    return [values[h] for h in CN_HEADERS]


# ---------------------------------------------------------------- headers


@pytest.mark.parametrize(
    "header, key",
    [
        ("客户名称", "name"),
        ("单位名称", "name"),
        ("企业名称", "name"),
        ("客户", "name"),
        (" Customer  Name ", "name"),
        ("COMPANY", "name"),
        ("客户名称（必填）", "name"),
        ("*客户名称", "name"),
        ("ＵＳＣＣ", "credit_code"),
        ("统一社会信用代码", "credit_code"),
        ("信用代码", "credit_code"),
        ("联系人", "contact_name"),
        ("联系人姓名", "contact_name"),
        ("电话", "contact_phone"),
        ("座机", "contact_phone"),
        ("固定电话", "contact_phone"),
        ("手机号", "contact_mobile"),
        ("移动电话", "contact_mobile"),
        ("Mobile", "contact_mobile"),
        ("单位地址", "address"),
        ("详细地址", "address"),
        ("等级", "tier"),
        ("客户等级", "tier"),
        ("信用等级", "credit_rating"),
        ("所属行业", "industry"),
        ("城区/农村", "area"),
        ("城乡", "area"),
        ("维护人", "manager"),
        ("维护经理", "manager"),
        ("客户经理", "manager"),
        ("欠费金额（元）", "arrears"),
        ("合同到期日", "contract_end"),
    ],
)
def test_header_aliases(header, key):
    assert ci.guess_mapping([header]) == {key: 0}


def test_every_field_is_recognised_by_its_template_header_and_label():
    headers = [f.header for f in ci.FIELDS]
    assert ci.guess_mapping(headers) == {f.key: i for i, f in enumerate(ci.FIELDS)}
    assert ci.guess_mapping([f.label for f in ci.FIELDS]) == {
        f.key: i for i, f in enumerate(ci.FIELDS)
    }


def test_fields_cover_the_customer_file():
    keys = [f.key for f in ci.FIELDS]
    assert len(keys) == len(set(keys))
    for key in (
        "name",
        "credit_code",
        "kind",
        "nature",
        "industry",
        "address",
        "area",
        "business_scope",
        "cooperation_start",
        "product_lines",
        "express_kinds",
        "geo_scope",
        "settlement",
        "contract_no",
        "contract_start",
        "contract_end",
        "tariff_discount",
        "pickup_times",
        "special_needs",
        "credit_rating",
        "payment_record",
        "arrears",
        "tier",
        "notes",
        "manager",
        "contact_name",
        "contact_role",
        "contact_phone",
        "contact_mobile",
        "contact_email",
        "contact_birthday",
    ):
        assert key in keys


def test_two_columns_naming_one_field_are_left_to_the_user_and_unknown_headers_ignored():
    # issue 20 item 10: ambiguity is reported (io.mapping.recognise), never guessed
    assert ci.guess_mapping(["序号", "名称", "客户名称", "", "备注"]) == {"notes": 4}
    assert ci.guess_mapping(["序号", "客户名称", "", "备注"]) == {"name": 1, "notes": 3}


def test_saved_mapping_survives_reordering(tmp_path):
    path = tmp_path / "mapping.json"
    ci.save_mapping(path, {"单位": "name", "代码": "credit_code", "客户等级": ""})
    saved = ci.load_mapping(path)
    assert saved == {"单位": "name", "代码": "credit_code", "客户等级": ""}
    headers = ["代码", "地址", "客户等级", "单位"]
    # 客户等级 was explicitly ignored; 地址 is guessed
    assert ci.mapping_from_headers(headers, saved) == {"credit_code": 0, "address": 1, "name": 3}


def test_mapping_by_header_round_trip():
    headers = ["单位", "代码", "其他"]
    mapping = {"name": 0, "credit_code": 1}
    by_header = ci.mapping_by_header(headers, mapping)
    assert by_header == {"单位": "name", "代码": "credit_code", "其他": ""}
    assert ci.mapping_from_headers(headers, by_header) == mapping


def test_bad_mapping_file(tmp_path):
    path = tmp_path / "m.json"
    path.write_text("not json", encoding="utf-8")
    with pytest.raises(WorkbookError):
        ci.load_mapping(path)
    path.write_text('{"columns": [1, 2]}', encoding="utf-8")
    with pytest.raises(WorkbookError):
        ci.load_mapping(path)
    with pytest.raises(WorkbookError):
        ci.load_mapping(tmp_path / "missing.json")


# ---------------------------------------------------------------- cells


@pytest.mark.parametrize(
    "value, expected",
    [
        (date(2020, 1, 2), date(2020, 1, 2)),
        (datetime(2020, 1, 2, 15, 30), date(2020, 1, 2)),
        ("2020-01-02", date(2020, 1, 2)),
        ("2020/1/2", date(2020, 1, 2)),
        ("2020.1.2", date(2020, 1, 2)),
        ("2020年1月2日", date(2020, 1, 2)),
        ("２０２０年１月２日", date(2020, 1, 2)),
        ("2020-01-02 00:00:00", date(2020, 1, 2)),
        ("20200102", date(2020, 1, 2)),
        (43832.0, date(2020, 1, 2)),  # an Excel serial number
        ("43832", date(2020, 1, 2)),
        ("2020年3月", date(2020, 3, 1)),
        (2018.0, date(2018, 1, 1)),
        (None, None),
    ],
)
def test_dates(value, expected):
    assert ci.parse_date(value) == expected


@pytest.mark.parametrize("value", ["2020-02-30", "明年", "2020-13-01", -5.0])
def test_bad_dates(value):
    with pytest.raises(ci._Problem):
        ci.parse_date(value)


@pytest.mark.parametrize(
    "value, expected",
    [
        (1234.5, Decimal("1234.50")),
        (7, Decimal("7.00")),
        ("¥1,234.50", Decimal("1234.50")),
        ("￥ 1，234.5 元", Decimal("1234.50")),
        ("无", Decimal("0.00")),
        ("", None),
        (None, None),
    ],
)
def test_amounts(value, expected):
    assert ci.parse_amount(value) == expected


def test_bad_amount():
    with pytest.raises(ci._Problem):
        ci.parse_amount("一千元")


def test_numbers_excel_made_of_text_lose_their_point_zero():
    assert ci.cell_text(13805912345.0) == "13805912345"
    assert ci.cell_text(0.85) == "0.85"
    assert ci.cell_text(" 五四路 ") == "五四路"


def test_choices_by_code_english_and_chinese_label_and_lists():
    t = table(
        [
            "客户名称",
            "信用代码",
            "客户性质",
            "客户等级",
            "区域",
            "使用业务",
            "速递物流类别",
            "结算方式",
            "客户类型",
        ],
        [
            "甲公司",
            code(1),
            "企业",
            "钻石",
            "农村",
            "函件, 速递物流；报刊",
            "国内异地/同城",
            "记账",
            "大客户",
        ],
        [
            "乙公司",
            code(2),
            "enterprise",
            "Platinum",
            "city",
            "Letters、Express and logistics",
            "domestic same_city",
            "Cash",
            "重要",
        ],
        ["丙公司", code(3), "Enterprise", "黄金客户", "城区", "letters express", "", "", ""],
    )
    parsed = parse(t)
    assert parsed.rejections == []
    first, second, third = (row.data for row in parsed.rows)
    assert (first.nature, first.tier, first.area, first.settlement, first.kind) == (
        "enterprise",
        "diamond",
        "rural",
        "account",
        "key",
    )
    assert first.product_lines == ["letters", "express", "newspapers"]
    assert first.express_kinds == ["domestic", "same_city"]
    assert (second.tier, second.area, second.settlement) == ("platinum", "city", "cash")
    assert second.product_lines == ["letters", "express"]
    assert second.express_kinds == ["domestic", "same_city"]
    assert second.kind == "important"
    assert third.tier == "gold" and third.product_lines == ["letters", "express"]


# ---------------------------------------------------------------- rows


def test_good_rows_with_chinese_headers():
    t = table(
        CN_HEADERS,
        cn_row("福州华闽贸易有限公司", code(1)),
        cn_row("福州东方电子有限公司", code(2), 客户经理=None, 客户等级=None),
    )
    parsed = parse(t)
    assert parsed.rejections == []
    assert parsed.total_rows == 2
    first, second = parsed.rows
    assert first.row_number == 2 and second.row_number == 3
    data = first.data
    assert data.name == "福州华闽贸易有限公司" and data.credit_code == code(1)
    assert (data.manager_id, data.branch_id) == ("u-1", "b-1")
    assert data.cooperation_start == date(2020, 1, 1)
    assert data.arrears == Decimal("1234.50")
    assert data.contacts[0].name == "李明"
    assert data.contacts[0].mobile == "13805912345"  # not 13805912345.0
    assert data.contacts[0].phone == "0591-87654321"
    assert data.contacts[0].role == "contact"
    # blank manager: the service's default; blank tier: the editor's default
    assert (second.data.manager_id, second.data.tier) == ("u-default", "ordinary")


def test_english_headers():
    t = table(
        ["Customer name", "Credit code", "Nature", "Tier", "Contact", "Mobile", "Manager"],
        ["Fuzhou Huamin Trading", code(5), "Enterprise", "VIP", "Li Ming", "13805912345", "陈经理"],
    )
    parsed = parse(t)
    assert parsed.rejections == []
    data = parsed.rows[0].data
    assert (data.tier, data.manager_id) == ("vip", "u-1")


def test_bad_rows_name_row_column_and_reason_in_chinese():
    wrong_check = code(3)[:-1] + ("0" if code(3)[-1] != "0" else "1")
    t = table(
        CN_HEADERS,
        cn_row("福州华闽贸易有限公司", code(1)),  # row 2: fine
        cn_row("福州错码有限公司", wrong_check),  # row 3
        cn_row(None, code(4)),  # row 4
        cn_row("福州手机有限公司", code(5), 手机="1380591234"),  # row 5
        cn_row("福州等级有限公司", code(6), 客户等级="超级VIP"),  # row 6
        cn_row("福州未来有限公司", code(7), 合作开始日期=date(2030, 1, 1)),  # row 7
    )
    parsed = parse(t)
    assert [r.row_number for r in parsed.rows] == [2]
    by_row = {r.row_number: r for r in parsed.rejections}
    assert sorted(by_row) == [3, 4, 5, 6, 7]
    assert by_row[3].column == "统一社会信用代码" and "校验" in by_row[3].reason
    assert by_row[4].column == "客户名称" and "客户名称" in by_row[4].reason
    assert by_row[5].column == "手机" and "1380591234" in by_row[5].reason
    assert by_row[6].column == "客户等级"
    assert "超级VIP" in by_row[6].reason and "钻石" in by_row[6].reason
    assert by_row[7].column == "合作开始日期" and "2030-01-01" in by_row[7].reason
    for rejection in parsed.rejections:
        assert CJK.search(rejection.reason), rejection


def test_every_problem_of_a_row_is_listed():
    t = table(CN_HEADERS, cn_row("福", "123", 手机="12", 客户等级="金牌", 合作开始日期="明年"))
    parsed = parse(t)
    columns = sorted(r.column for r in parsed.rejections)
    assert columns == sorted(["客户名称", "统一社会信用代码", "手机", "客户等级", "合作开始日期"])
    assert {r.row_number for r in parsed.rejections} == {2}


def test_unknown_manager_and_list_values():
    t = table(
        CN_HEADERS, cn_row("福州华闽贸易有限公司", code(1), 客户经理="赵六", 使用业务="函件、外卖")
    )
    parsed = parse(t)
    reasons = {r.column: r.reason for r in parsed.rejections}
    assert "赵六" in reasons["客户经理"]
    assert "外卖" in reasons["使用业务"]


def test_resolver_messages_are_passed_on():
    def refuse(text):
        raise ValueError("不能分配给" + text)

    t = table(["客户名称", "客户性质", "客户经理"], ["张三", "个人", "王经理"])
    parsed = ci.parse(t, ci.guess_mapping(t.headers), today=TODAY, resolve_manager=refuse)
    assert [(r.column, r.reason) for r in parsed.rejections] == [("客户经理", "不能分配给王经理")]


def test_blank_rows_are_skipped():
    t = table(
        ["客户名称", "客户性质", "序号"],
        ["张三", "个人", 1],
        [None, None, None],
        [None, None, 3],
        ["李四", "个人", 4],
    )
    parsed = parse(t)
    assert [r.row_number for r in parsed.rows] == [2, 5]
    assert parsed.total_rows == 2


def test_duplicates_inside_the_file_are_rejected_on_the_later_row():
    t = table(
        CN_HEADERS,
        cn_row("福州华闽贸易有限公司", code(1)),
        cn_row("福州东方电子有限公司", code(1)),
        cn_row("福州华闽贸易（集团）有限公司", code(3)),
        cn_row("福州新星有限公司", code(4)),
    )
    parsed = parse(t)
    assert [r.row_number for r in parsed.rows] == [2, 5]
    by_row = {r.row_number: r for r in parsed.rejections}
    assert by_row[3].column == "统一社会信用代码" and "2" in by_row[3].reason
    assert by_row[4].column == "客户名称" and "第2行" in by_row[4].reason


def test_a_sheet_without_a_name_column_is_refused_as_a_whole():
    t = table(["代码", "地址"], [code(1), "五四路"])
    with pytest.raises(WorkbookError) as caught:
        parse(t)
    assert "客户名称" in caught.value.message


def test_credit_code_that_excel_made_a_number():
    t = table(["客户名称", "统一社会信用代码"], ["甲公司", 9.13501001234568e17])
    parsed = parse(t)
    assert parsed.rejections[0].column == "统一社会信用代码"
    assert "文本" in parsed.rejections[0].reason


def test_credit_code_is_normalised():
    spaced = code(1)[:8] + " " + code(1)[8:].lower()
    t = table(["客户名称", "统一社会信用代码"], ["甲公司", spaced])
    assert parse(t).rows[0].data.credit_code == code(1)


def test_individuals_need_no_credit_code():
    t = table(["客户名称", "客户性质", "联系人", "手机"], ["张三", "个人", "张三", "13805912345"])
    parsed = parse(t)
    assert parsed.rejections == [] and parsed.rows[0].data.nature == "individual"


def test_contact_problems_point_at_the_contact_columns():
    t = table(["客户名称", "客户性质", "联系人", "手机", "邮箱"], ["张三", "个人", "张三", "", "x"])
    columns = sorted(r.column for r in parse(t).rejections)
    assert columns == ["手机", "邮箱"]  # no phone: pointed at the mobile column


# ---------------------------------------------------------------- template and rejections


def test_template_round_trip(tmp_path):
    path = tmp_path / "模板.xlsx"
    ci.write_template(path)
    wb = openpyxl.load_workbook(path)
    assert len(wb.sheetnames) == 2 and wb.sheetnames[1] == "说明"
    instructions = [[c.value for c in row] for row in wb["说明"].iter_rows(min_row=2)]
    assert [row[0] for row in instructions] == [f.header for f in ci.FIELDS]
    tier_row = next(row for row in instructions if row[0] == "客户等级")
    assert "钻石" in tier_row[2] and "普通" in tier_row[2]
    name_row = next(row for row in instructions if row[0] == "客户名称")
    assert name_row[1] == "必填"

    t = read_table(path)
    assert t.headers == [f.header for f in ci.FIELDS]
    mapping = ci.guess_mapping(t.headers)
    assert len(mapping) == len(ci.FIELDS)
    parsed = parse(t, mapping)
    assert parsed.rejections == []
    data = parsed.rows[0].data
    assert data.tier == "gold" and data.product_lines == ["letters", "express"]
    assert data.contacts[0].role == "key_person"
    assert data.contacts[0].birthday == date(1980, 5, 1)


def test_rejections_workbook(tmp_path):
    path = tmp_path / "未导入.xlsx"
    ci.write_rejections(
        path, [ci.Rejection(3, "手机", "手机号码不正确"), ci.Rejection(4, "", "与第2行是同一客户")]
    )
    t = read_table(path)
    assert t.headers == ["行号", "列", "原因"]
    assert t.rows == [[3, "手机", "手机号码不正确"], [4, None, "与第2行是同一客户"]]
