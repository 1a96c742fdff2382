"""Every workbook gets an answer (issue #22 §4): non-finite and over-long amounts, more
decimals than the fen, a sheet with only its header, formulas without a stored value, a
workbook beyond the size an import reads, rejection lists summarised, over-long values
shortened in messages — and a fuzz test of both parsers: no traceback, no write."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from kac_desktop import cli
from kac_desktop.io import customer_import as customer_parsing
from kac_desktop.io import revenue_import as revenue_parsing
from kac_desktop.io import workbook
from kac_desktop.io.cells import CellProblem, parse_amount
from kac_desktop.io.workbook import Table, WorkbookError, read_table
from kac_desktop.models import AuditRecord
from kac_desktop.services import customer_import, customers, revenue_import
from kac_desktop.services.changes import Kind
from kac_desktop.services.errors import ServiceError
from tests.conftest import TEST_PASSWORD

CODE = "91350100M000100Y43"
REVENUE_HEADERS = ["统一社会信用代码", "客户名称", "月份", "业务种类", "收入金额"]
CUSTOMER_HEADERS = ["客户名称", "客户性质", "所属行业", "区域", "联系人", "手机", "欠费金额"]
TODAY = date(2026, 11, 23)


@pytest.fixture
def kept(db, org, make_customer):
    return customers.save_customer(
        db, org.mgr_a1, make_customer("福州华闽贸易有限公司", code=CODE, manager=org.mgr_a1)
    ).first(Kind.CUSTOMER)


def save(path: Path, headers, rows) -> Path:
    book = openpyxl.Workbook()
    book.active.append(headers)
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def with_raw_values(path: Path, values: dict[str, str]) -> Path:
    """Put raw texts into number cells of the sheet's XML (what a hand-made or exported
    file may hold: NaN, INF, 1E+309)."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for ref, raw in values.items():
        sheet, count = re.subn(
            rf'<c r="{ref}"([^>]*)><v>[^<]*</v></c>', rf'<c r="{ref}"\1><v>{raw}</v></c>', sheet
        )
        assert count == 1, ref
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def audit_count(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(AuditRecord))


def revenue_rows(db) -> int:
    with db.session() as session:
        return session.scalar(text("SELECT count(*) FROM revenues"))


# ---------------------------------------------------------------- amounts


@pytest.mark.parametrize("raw", ["NaN", "INF", "-INF", "1E+309"])
def test_non_finite_amounts_in_the_sheet_xml_are_refused(db, org, kept, tmp_path, raw):
    path = save(tmp_path / "rev.xlsx", REVENUE_HEADERS, [[CODE, "", 202609, "函件", 100.0]])
    with_raw_values(path, {"E2": raw})
    preview = revenue_import.preview_import(db, org.mgr_a1, path, today=TODAY)
    assert [r.row_number for r in preview.rejections] == [2], preview.rejections
    assert preview.rejections[0].column == "收入金额"
    result = revenue_import.run_import(db, org.mgr_a1, preview, skip_invalid=False)
    assert not result.ok and revenue_rows(db) == 0


@pytest.mark.parametrize(
    "value, shown", [(1234.567, "1234.567"), ("1234.565", "1234.565"), ("¥12.345", "12.345")]
)
def test_more_decimals_than_the_fen_are_refused_not_rounded(db, org, kept, tmp_path, value, shown):
    path = save(tmp_path / "rev.xlsx", REVENUE_HEADERS, [[CODE, "", 202609, "函件", value]])
    preview = revenue_import.preview_import(db, org.mgr_a1, path, today=TODAY)
    (rejection,) = preview.rejections
    assert rejection.row_number == 2 and shown in rejection.reason and "两位" in rejection.reason


def test_arrears_with_three_decimals_are_refused_with_the_row(db, org, tmp_path):
    path = save(
        tmp_path / "c.xlsx",
        CUSTOMER_HEADERS,
        [["福州三位小数店", "个人", "批发零售", "城区", "李明", "13805912345", 12.345]],
    )
    preview = customer_import.preview_import(db, org.mgr_a1, path, today=TODAY)
    (rejection,) = preview.rejections
    assert rejection.row_number == 2 and rejection.column == "欠费金额"
    assert "12.345" in rejection.reason


def test_amounts_excel_stores_at_its_precision_are_kept_exactly():
    assert str(parse_amount(0.1 + 0.2)) == "0.30"
    assert str(parse_amount(20000.5)) == "20000.50"
    assert str(parse_amount("¥1,234.50")) == "1234.50"
    for bad in (float("nan"), float("inf"), "1E+400", "1e-400", 10.0**13, True):
        with pytest.raises(CellProblem):
            parse_amount(bad)


# ---------------------------------------------------------------- whole workbooks


def test_a_header_only_sheet_is_refused_on_the_command_line(db, org, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KAC_PASSWORD", TEST_PASSWORD)
    before = audit_count(db)
    for kind, headers in (("customers", CUSTOMER_HEADERS), ("revenue", REVENUE_HEADERS)):
        path = save(tmp_path / f"{kind}.xlsx", headers, [])
        code = cli.main(["import", kind, str(path), "--db", db.url, "--user", "sup_a"])
        output = capsys.readouterr()
        assert code != 0
        assert "没有数据行" in output.err, output
    assert audit_count(db) - before == 2  # the two sign-ins, no import


def test_a_formula_without_a_stored_value_is_named(db, org, kept, tmp_path):
    path = save(
        tmp_path / "rev.xlsx", REVENUE_HEADERS, [[CODE, "", 202609, "函件", "=100+20"]]
    )  # openpyxl stores formulas without their values
    with pytest.raises(ServiceError) as raised:
        revenue_import.preview_import(db, org.mgr_a1, path, today=TODAY)
    assert "E2" in raised.value.message and "公式" in raised.value.message
    assert "Excel" in raised.value.message and "WPS" in raised.value.message


def test_a_workbook_beyond_the_stated_size_is_refused_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook, "MAX_ROWS", 50)
    path = save(
        tmp_path / "big.xlsx", REVENUE_HEADERS, [[CODE, "", 202609, "函件", i] for i in range(60)]
    )
    loaded = []
    import python_calamine

    monkeypatch.setattr(python_calamine, "load_workbook", lambda *a, **k: loaded.append(a) or 1 / 0)
    with pytest.raises(WorkbookError) as raised:
        read_table(path)
    assert "60" in raised.value.message and "50" in raised.value.message
    assert loaded == []  # refused from the sheet's declared size, before it is read


def test_rejections_are_summarised_and_the_whole_list_is_kept(
    db, org, kept, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("KAC_PASSWORD", TEST_PASSWORD)
    rows = [[CODE, "", f"第{i}月", "函件", 100] for i in range(300)]
    rows += [[CODE, "", 202609, "函件", "x" * 1_000_000]]
    path = save(tmp_path / "bad.xlsx", REVENUE_HEADERS, rows)
    code = cli.main(["import", "revenue", str(path), "--db", db.url, "--user", "mgr_a1"])
    out = capsys.readouterr().out
    assert code == 1
    assert len(out) < 10_000 and len(out.splitlines()) < 40, len(out)
    assert "300" in out and "第0月" in out
    kept_list = tmp_path / "bad-rejected-rows.xlsx"
    assert str(kept_list) in out
    assert len(read_table(kept_list).rows) == 301


def test_an_over_long_value_is_shortened_in_the_message(db, org, tmp_path):
    path = save(
        tmp_path / "c.xlsx",
        [*CUSTOMER_HEADERS, "客户等级"],
        [["福州超长值店", "个人", "批发零售", "城区", "李明", "13805912345", 0, "钻" * 1_000_000]],
    )
    preview = customer_import.preview_import(db, org.sup_a, path, today=TODAY)
    (rejection,) = preview.rejections
    assert len(rejection.reason) < 400 and "32,767" in rejection.reason  # a cell holds at most that


# ---------------------------------------------------------------- fuzz

CELLS = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.booleans(),
    st.dates(min_value=date(1, 1, 1)),
    st.datetimes(min_value=datetime(1, 1, 1)),
    st.sampled_from(["NaN", "INF", "1E+309", "¥1,234.565", "2026年13月", "=SUM(A1)", "无", "-"]),
)


def _table(headers, rows):
    width = len(headers)
    return Table(
        "Sheet1", list(headers), [list(r[:width]) + [None] * (width - len(r)) for r in rows]
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(CELLS, min_size=5, max_size=5), max_size=8))
def test_fuzz_revenue_parser_never_raises(rows):
    table = _table(REVENUE_HEADERS, rows)
    mapping = revenue_parsing.guess(table.headers)

    def resolve(code, name):
        if code == CODE or name == "福州华闽贸易有限公司":
            return "c1"
        raise ValueError("unknown")

    parsed = revenue_parsing.parse(
        table,
        mapping,
        resolve_customer=resolve,
        lines={revenue_parsing.line_key("函件"): "letters"},
    )
    assert len(parsed.rows) + len({r.row_number for r in parsed.rejections}) <= len(rows)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(CELLS, min_size=8, max_size=8), max_size=8))
def test_fuzz_customer_parser_never_raises(rows):
    headers = [*CUSTOMER_HEADERS, "合同起始日期"]
    table = _table(headers, rows)
    mapping = customer_parsing.guess_mapping(table.headers)
    parsed = customer_parsing.parse(
        table, mapping, today=TODAY, resolve_manager=lambda text: ("u1", "b1")
    )
    assert len(parsed.rows) <= len(rows)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(st.lists(CELLS, min_size=5, max_size=5), min_size=1, max_size=5))
def test_fuzz_both_previews_write_nothing(db, org, tmp_path, rows):
    before = audit_count(db)
    for headers, service, actor in (
        (REVENUE_HEADERS, revenue_import, org.mgr_a1),
        (CUSTOMER_HEADERS[:5], customer_import, org.sup_a),
    ):
        table = _table(headers, rows)
        try:
            service.preview_import(db, actor, tmp_path / "fuzz.xlsx", table=table, today=TODAY)
        except ServiceError:
            pass  # a message for the user (no rows, a column missing): fine
    assert audit_count(db) == before
