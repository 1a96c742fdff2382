"""`kac-desktop import customers FILE.xlsx`: exit 0 when imported, 1 when rows were rejected
and nothing was written, 2 when the file cannot be read."""

from __future__ import annotations

import openpyxl
import pytest
from sqlalchemy import func, select

from kac_desktop.cli import main
from kac_desktop.models import Customer
from kac_desktop.rules.credit_code import make_credit_code

HEADERS = ["客户名称", "统一社会信用代码", "客户等级", "联系人", "手机", "客户经理"]


def code(n: int) -> str:
    return make_credit_code(f"91350100MA{n:06d}")


def book(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return str(path)


@pytest.fixture(autouse=True)
def _signed_in(monkeypatch):
    """The command signs in: the password of the org fixture's users."""
    monkeypatch.setenv("KAC_PASSWORD", "Test-Passw0rd")


def count(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Customer))


def args(path, db, *extra):
    return ["import", "customers", path, "--db", db.url, *extra]


MIXED = [
    ["福州华闽贸易有限公司", code(1), "黄金", "李明", "13805912345", "mgr_a1"],
    ["福州错码有限公司", code(2)[:-1] + "X", "钻石", "王强", "13805912346", "mgr_a1"],
    ["福州东方电子有限公司", code(3), "超级", "赵六", "13805912347", ""],
]


def test_mixed_workbook_without_skip_writes_nothing_and_exits_1(db, org, tmp_path, capsys):
    path = book(tmp_path / "混合.xlsx", MIXED)
    assert main(args(path, db, "--user", "sup_a")) == 1
    out = capsys.readouterr().out
    assert "第3行，列「统一社会信用代码」" in out
    assert "第4行，列「客户等级」" in out and "超级" in out
    assert "--skip-invalid" in out
    assert count(db) == 0


def test_skip_invalid_imports_the_valid_rows_and_exits_0(db, org, tmp_path, capsys):
    path = book(tmp_path / "混合.xlsx", MIXED)
    assert main(args(path, db, "--user", "sup_a", "--skip-invalid")) == 0
    out = capsys.readouterr().out
    assert "1" in out and "第3行" in out
    assert count(db) == 1


def test_good_workbook_with_default_manager(db, org, tmp_path, capsys):
    path = book(
        tmp_path / "好.xlsx", [["福州华闽贸易有限公司", code(1), "黄金", "李明", "13805912345", ""]]
    )
    assert main(args(path, db, "--user", "sup_a", "--manager", "mgr_a2")) == 0
    with db.session() as session:
        assert session.scalar(select(Customer.manager_id)) == org.mgr_a2.user_id


def test_text_file_named_xlsx_exits_2_with_a_clear_message(db, org, tmp_path, capsys):
    path = tmp_path / "客户.xlsx"
    path.write_text("客户名称,地址\n福州华闽,五四路\n", encoding="utf-8")
    assert main(args(str(path), db, "--user", "sup_a")) == 2
    err = capsys.readouterr().err
    assert "客户.xlsx" in err and "Excel" in err
    assert count(db) == 0


def test_missing_file_exits_2(db, org, tmp_path, capsys):
    assert main(args(str(tmp_path / "none.xlsx"), db, "--user", "sup_a")) == 2
    assert "none.xlsx" in capsys.readouterr().err
