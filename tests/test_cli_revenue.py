"""`kac-desktop import revenue FILE.xlsx` (all or nothing, --skip-invalid) and
`kac-desktop points`."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kac_desktop.cli import main
from kac_desktop.io.workbook import write_table
from kac_desktop.models import Revenue
from kac_desktop.services import customers as customer_service
from kac_desktop.services.changes import Kind

CODE = "91350100M000100Y43"
HEADERS = ["统一社会信用代码", "客户名称", "月份", "业务种类", "收入金额"]


@pytest.fixture(autouse=True)
def _signed_in(monkeypatch):
    monkeypatch.setenv("KAC_PASSWORD", "Test-Passw0rd")


@pytest.fixture
def customer(db, org, make_customer):
    return customer_service.save_customer(
        db, org.mgr_a1, make_customer(code=CODE, manager=org.mgr_a1)
    ).first(Kind.CUSTOMER)


def book(tmp_path, rows):
    path = tmp_path / "收入.xlsx"
    write_table(path, HEADERS, rows, title="收入")
    return str(path)


def count(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Revenue))


def run(db, path, *extra):
    return main(["import", "revenue", path, "--db", db.url, *extra])


MIXED = [[CODE, "", 202601, "函件", 60000], [CODE, "", 202601, "彩票", 1]]


def test_mixed_file_writes_nothing_and_exits_1(db, org, customer, tmp_path, capsys):
    assert run(db, book(tmp_path, MIXED), "--user", "mgr_a1") == 1
    out = capsys.readouterr().out
    assert "第3行，列「业务种类」" in out and "彩票" in out and "--skip-invalid" in out
    assert count(db) == 0


def test_skip_invalid_imports_the_valid_rows_and_a_reimport_changes_nothing(
    db, org, customer, tmp_path, capsys
):
    path = book(tmp_path, MIXED)
    assert run(db, path, "--user", "mgr_a1", "--skip-invalid") == 0
    assert "新增1条" in capsys.readouterr().out and count(db) == 1
    assert run(db, path, "--user", "mgr_a1", "--skip-invalid") == 0
    assert "新增0条，变更0条，未变1条，删除0条" in capsys.readouterr().out
    assert count(db) == 1


def test_unreadable_file_exits_2(db, org, tmp_path, capsys):
    bogus = tmp_path / "x.xlsx"
    bogus.write_text("not a workbook")
    assert run(db, str(bogus), "--user", "mgr_a1") == 2
    assert "x.xlsx" in capsys.readouterr().err


def test_points_lists_points_level_and_suggestion(db, org, customer, tmp_path, capsys):
    run(db, book(tmp_path, MIXED[:1]), "--user", "mgr_a1")
    capsys.readouterr()
    db_path = db.url
    assert main(["points", "--db", db_path, "--year", "2026", "--user", "sup_a"]) == 0
    out = capsys.readouterr().out
    assert "60,000" in out and "贵宾" in out and "差90,000" not in out
    assert "黄金 90,000" in out
    assert main(["points", "--db", db_path, "--year", "2026", "--user", "sup_a", "--mismatch"]) == 0
    assert "共1户客户" in capsys.readouterr().out


def test_a_column_named_on_the_command_line_holds_its_field(db, org, customer, tmp_path, capsys):
    """Issue 20 item 10: a finance workbook whose product line is headed in a way no list
    holds; --column names it, and without it the refusal says how."""
    path = tmp_path / "财务导出.xlsx"
    write_table(
        path,
        ["纳税人识别号", "所属月份", "产品大类", "收入金额（元）"],
        [[CODE, 202601, "函件", 60000]],
        title="收入",
    )
    assert run(db, str(path), "--user", "mgr_a1") != 0
    captured = capsys.readouterr()
    assert "业务种类" in captured.out + captured.err  # the header to write, and the columns
    assert count(db) == 0
    assert run(db, str(path), "--user", "mgr_a1", "--column", "product_line=产品大类") == 0
    assert count(db) == 1


def test_two_columns_claiming_the_amount_are_refused_until_one_is_named(
    db, org, customer, tmp_path, capsys
):
    path = tmp_path / "两列金额.xlsx"
    write_table(
        path,
        ["统一社会信用代码", "月份", "业务种类", "本月收入", "累计收入"],
        [[CODE, 202601, "函件", 600, 6000]],
        title="收入",
    )
    assert run(db, str(path), "--user", "mgr_a1") != 0
    captured = capsys.readouterr()
    assert "本月收入" in captured.out + captured.err and "--column" in captured.out + captured.err
    assert count(db) == 0
    assert run(db, str(path), "--user", "mgr_a1", "--column", "amount=本月收入") == 0
    with db.session() as session:
        assert session.scalar(select(func.sum(Revenue.amount))) == 600
