"""services.customer_import: preview, then one transaction (docs/DOMAIN.md §2: the customer file,
no double development; §7: managers keep their own customers, every change is audited)."""

from __future__ import annotations

import re
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select, text

from kac_desktop.io import customer_import as ci
from kac_desktop.models import AuditRecord, Contact, Customer, CustomerSearch
from kac_desktop.progress import Cancelled
from kac_desktop.rules.credit_code import make_credit_code
from kac_desktop.services import customer_import as imp
from kac_desktop.services import customers as cs
from kac_desktop.services.changes import Kind
from kac_desktop.services.errors import NotFound, PermissionDenied, ServiceError

TODAY = date(2025, 6, 1)
TABLES = ("customers", "contacts", "customer_search", "audit_records")
HEADERS = [
    "客户名称",
    "统一社会信用代码",
    "客户性质",
    "所属行业",
    "区域",
    "客户等级",
    "联系人",
    "手机",
    "客户经理",
]


def code(n: int) -> str:
    return make_credit_code(f"91350100MA{n:06d}")


def row(name, credit_code, manager="", **overrides):
    values = dict(
        zip(
            HEADERS,
            [name, credit_code, "企业", "批发零售", "城区", "", "李明", 13805912345.0, manager],
            strict=True,
        )
    )
    values.update(overrides)
    return [values[h] for h in HEADERS]


def book(path, rows, headers=HEADERS):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def counts(db) -> dict[str, int]:
    with db.session() as session:
        return {t: session.scalar(text(f"SELECT count(*) FROM {t}")) for t in TABLES}


def customers(db) -> dict[str, Customer]:
    with db.session() as session:
        found = {c.name: c for c in session.scalars(select(Customer))}
        for c in found.values():
            c.contacts  # noqa: B018 - load them before the session closes
        session.expunge_all()
        return found


def preview(db, actor, path, **kwargs):
    return imp.preview_import(db, actor, path, today=TODAY, **kwargs)


class Cancelling:
    """Cancels once ``after`` progress reports have been made."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.reports: list[float] = []

    def report(self, fraction, message=""):
        self.reports.append(fraction)

    def cancelled(self):
        return len(self.reports) >= self.after


def test_good_workbook_is_imported_in_one_transaction_with_one_audit_record(db, org, tmp_path):
    path = book(
        tmp_path / "客户.xlsx",
        [row("福州华闽贸易有限公司", code(1)), row("福州东方电子有限公司", code(2))],
    )
    before = counts(db)
    p = preview(db, org.mgr_a1, path)
    assert p.total_rows == 2 and len(p.rows) == 2 and not p.rejections and not p.existing
    assert p.columns()[0] == ("name", "客户名称")
    assert p.sample(1) == [
        (
            2,
            [
                "福州华闽贸易有限公司",
                code(1),
                "企业",
                "批发零售",
                "城区",
                "普通",
                "李明",
                "13805912345",
                "陈经理",
            ],
        )
    ]
    assert counts(db) == before  # a preview writes nothing

    result = imp.run_import(db, org.mgr_a1, p, skip_invalid=False)
    assert result.ok and result.imported == 2 and result.existing == 0 and len(result.ids) == 2
    assert "2" in result.describe()
    after = counts(db)
    assert after["customers"] == before["customers"] + 2
    assert after["contacts"] == before["contacts"] + 2
    assert after["customer_search"] == before["customer_search"] + 2
    assert after["audit_records"] == before["audit_records"] + 1
    with db.session() as session:
        record = session.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
        assert record.action == "import.customers"
        assert record.details["file"] == "客户.xlsx" and record.details["imported"] == 2
        assert session.scalar(
            select(CustomerSearch.text).where(CustomerSearch.customer_id == result.ids[0])
        )
    saved = customers(db)["福州华闽贸易有限公司"]
    assert saved.manager_id == org.mgr_a1.user_id and saved.branch_id == org.branch_a
    assert saved.tier == "ordinary" and saved.industry == "retail"
    assert saved.name_key and saved.primary_phone == "13805912345"
    assert [c.name for c in saved.contacts] == ["李明"]
    # the same derived columns as a file saved in the editor
    record = cs.get_customer(db, org.mgr_a1, saved.id)
    assert record.completeness.percent == saved.completeness


def test_only_a_supervisor_imports_tiers(db, org, tmp_path):
    path = book(
        tmp_path / "等级.xlsx",
        [
            row("甲贸易有限公司", code(1), 客户等级="钻石"),
            row("乙贸易有限公司", code(2), 客户等级="普通"),
        ],
    )
    p = preview(db, org.mgr_a1, path)
    assert [r.row_number for r in p.rows] == [3]
    [rejection] = p.rejections
    assert rejection.row_number == 2 and rejection.column == "客户等级"
    assert "支局长" in rejection.reason
    p = preview(db, org.sup_a, path)
    assert not p.rejections and p.rows[0].data.tier == "diamond"


def test_rejected_rows_without_skip_write_nothing(db, org, tmp_path):
    path = book(
        tmp_path / "混合.xlsx",
        [
            row("福州华闽贸易有限公司", code(1)),
            row("福州错码有限公司", code(2)[:-1] + "X"),
            row("", code(3)),
        ],
    )
    before = counts(db)
    p = preview(db, org.mgr_a1, path)
    assert p.rejected_rows == [3, 4] and len(p.rows) == 1
    result = imp.run_import(db, org.mgr_a1, p, skip_invalid=False)
    assert not result.ok and result.imported == 0 and result.ids == ()
    assert counts(db) == before
    text_ = result.describe()
    assert "第3行，列「统一社会信用代码」" in text_ and "第4行，列「客户名称」" in text_
    assert "--skip-invalid" in text_


def test_skip_invalid_imports_only_the_valid_rows(db, org, tmp_path):
    path = book(
        tmp_path / "混合.xlsx",
        [
            row("福州华闽贸易有限公司", code(1)),
            row("福州手机有限公司", code(2), 手机="123"),
            row("福州东方电子有限公司", code(3)),
        ],
    )
    p = preview(db, org.mgr_a1, path)
    result = imp.run_import(db, org.mgr_a1, p, skip_invalid=True)
    assert result.ok and result.imported == 2
    assert [r.row_number for r in result.rejected] == [3]
    assert set(customers(db)) == {"福州华闽贸易有限公司", "福州东方电子有限公司"}
    assert "第3行，列「手机」" in result.describe()


def test_a_customer_already_in_the_database_is_reported_not_duplicated(
    db, org, tmp_path, make_customer
):
    cs.save_customer(
        db, org.mgr_a2, make_customer("福州华闽贸易有限公司", code=code(1), manager=org.mgr_a2)
    )
    path = book(
        tmp_path / "客户.xlsx",
        [row("福州华闽商贸公司", code(1)), row("福州东方电子有限公司", code(2))],
    )
    p = preview(db, org.sup_a, path)
    assert p.existing == [(2, "福州华闽贸易有限公司", "王经理")]
    assert not p.rejections and [r.row_number for r in p.rows] == [3]
    result = imp.run_import(db, org.sup_a, p, skip_invalid=False)
    assert result.ok and result.imported == 1 and result.existing == 1
    assert "王经理" in result.describe()
    assert len(customers(db)) == 2
    # importing the same workbook again changes nothing
    again = imp.run_import(db, org.sup_a, preview(db, org.sup_a, path), skip_invalid=False)
    assert again.ok and again.imported == 0 and again.existing == 2


def test_same_name_as_another_managers_customer_is_refused_naming_him(
    db, org, tmp_path, make_customer
):
    cs.save_customer(
        db, org.mgr_b1, make_customer("福州华闽贸易有限公司", code=code(50), manager=org.mgr_b1)
    )
    path = book(tmp_path / "客户.xlsx", [row("福州华闽贸易（集团）有限公司", code(7))])
    p = preview(db, org.mgr_a1, path)
    assert not p.rows
    [rejection] = p.rejections
    assert rejection.row_number == 2 and rejection.column == "客户名称"
    assert "张经理" in rejection.reason and "仓山支局" in rejection.reason
    result = imp.run_import(db, org.mgr_a1, p, skip_invalid=False)
    assert not result.ok and len(customers(db)) == 1


def test_reimporting_ones_own_customer_without_credit_code_is_existing(db, org, tmp_path):
    path = book(
        tmp_path / "个人.xlsx",
        [["张三", "个人", "13805912345"]],
        headers=["客户名称", "客户性质", "手机"],
    )
    first = imp.run_import(db, org.mgr_a1, preview(db, org.mgr_a1, path), skip_invalid=False)
    # a phone without a contact name: the contact needs one, and no column holds it
    assert not first.ok and first.rejected[0].column == "" and "姓名" in first.rejected[0].reason
    path = book(
        tmp_path / "个人.xlsx",
        [["张三", "个人", "张三", "13805912345"]],
        headers=["客户名称", "客户性质", "联系人", "手机"],
    )
    first = imp.run_import(db, org.mgr_a1, preview(db, org.mgr_a1, path), skip_invalid=False)
    again = imp.run_import(db, org.mgr_a1, preview(db, org.mgr_a1, path), skip_invalid=False)
    assert first.imported == 1 and again.ok and again.imported == 0 and again.existing == 1


def test_duplicate_inside_the_file(db, org, tmp_path):
    path = book(
        tmp_path / "重复.xlsx",
        [
            row("福州华闽贸易有限公司", code(1)),
            row("福州东方电子有限公司", code(2)),
            row("福州华闽贸易有限公司", code(3)),
        ],
    )
    p = preview(db, org.mgr_a1, path)
    [rejection] = p.rejections
    assert rejection.row_number == 4 and "第2行" in rejection.reason


def test_managers_by_login_or_name_within_what_the_actor_may_assign(db, org, tmp_path):
    path = book(
        tmp_path / "分配.xlsx",
        [
            row("甲贸易有限公司", code(1), "mgr_a1"),
            row("乙贸易有限公司", code(2), "王经理"),
            row("丙贸易有限公司", code(3), "张经理"),
            row("丁贸易有限公司", code(4), "无此人"),
            row("戊贸易有限公司", code(5), ""),
        ],
    )
    p = preview(db, org.sup_a, path)
    assert {r.row_number for r in p.rows} == {2, 3, 6}
    by_row = {r.row_number: r for r in p.rejections}
    assert by_row[4].column == "客户经理" and "张经理" in by_row[4].reason
    assert "无此人" in by_row[5].reason
    result = imp.run_import(db, org.sup_a, p, skip_invalid=True)
    saved = customers(db)
    assert saved["甲贸易有限公司"].manager_id == org.mgr_a1.user_id
    assert saved["乙贸易有限公司"].manager_id == org.mgr_a2.user_id
    assert saved["戊贸易有限公司"].manager_id == org.sup_a.user_id  # the actor
    assert result.imported == 3

    # a manager may import only for himself
    p = preview(
        db, org.mgr_a1, book(tmp_path / "m.xlsx", [row("己贸易有限公司", code(9), "王经理")])
    )
    assert p.rejections[0].column == "客户经理" and "王经理" in p.rejections[0].reason

    # the admin may assign anyone
    p = preview(
        db, org.admin, book(tmp_path / "a.xlsx", [row("庚贸易有限公司", code(10), "mgr_b1")])
    )
    assert not p.rejections and p.rows[0].data.branch_id == org.branch_b


def test_default_manager_for_rows_without_one(db, org, tmp_path):
    path = book(tmp_path / "默认.xlsx", [row("甲贸易有限公司", code(1))])
    p = preview(db, org.sup_a, path, manager_login="mgr_a2")
    assert p.rows[0].data.manager_id == org.mgr_a2.user_id
    with pytest.raises(PermissionDenied):
        preview(db, org.sup_a, path, manager_login="mgr_b1")
    with pytest.raises(NotFound):
        preview(db, org.sup_a, path, manager_login="nobody")


def test_saved_mapping_file(db, org, tmp_path):
    path = book(
        tmp_path / "自定义.xlsx",
        [["福州华闽贸易有限公司", code(1), "黄金"]],
        headers=["单位", "代码", "档次"],
    )
    mapping_file = tmp_path / "mapping.json"
    ci.save_mapping(mapping_file, {"单位": "name", "代码": "credit_code", "档次": "tier"})
    p = preview(db, org.sup_a, path, mapping_file=str(mapping_file))
    assert p.mapping == {"name": 0, "credit_code": 1, "tier": 2}
    result = imp.run_import(db, org.sup_a, p, skip_invalid=False)
    assert result.ok and customers(db)["福州华闽贸易有限公司"].tier == "gold"
    # an explicit mapping wins
    p = preview(db, org.mgr_a1, path, mapping={"name": 0})
    assert p.mapping == {"name": 0}


def test_cancelling_mid_import_writes_nothing(db, org, tmp_path):
    rows = [row(f"福州第{i}号贸易有限公司", code(i)) for i in range(450)]
    p = preview(db, org.mgr_a1, book(tmp_path / "大.xlsx", rows))
    before = counts(db)
    progress = Cancelling(after=2)  # the start and row 200 are reported; stop at row 400
    with pytest.raises(Cancelled):
        imp.run_import(db, org.mgr_a1, p, skip_invalid=False, progress=progress)
    assert progress.reports == [0.0, 200 / 450]
    assert counts(db) == before


def test_an_error_mid_import_rolls_everything_back(db, org, tmp_path, monkeypatch):
    rows = [row(f"福州第{i}号贸易有限公司", code(i)) for i in range(5)]
    p = preview(db, org.mgr_a1, book(tmp_path / "错.xlsx", rows))
    before = counts(db)
    real = imp.save_in_session
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(imp, "save_in_session", failing)
    with pytest.raises(RuntimeError):
        imp.run_import(db, org.mgr_a1, p, skip_invalid=False)
    assert counts(db) == before


def test_a_file_saved_between_preview_and_import_is_not_duplicated(
    db, org, tmp_path, make_customer
):
    path = book(
        tmp_path / "客户.xlsx",
        [row("福州华闽贸易有限公司", code(1)), row("福州东方电子有限公司", code(2))],
    )
    p = preview(db, org.mgr_a1, path)
    cs.save_customer(
        db, org.mgr_a2, make_customer("福州东方电子有限公司", code=code(51), manager=org.mgr_a2)
    )
    result = imp.run_import(db, org.mgr_a1, p, skip_invalid=False)
    assert not result.ok and "王经理" in result.rejected[0].reason
    assert set(customers(db)) == {"福州东方电子有限公司"}
    result = imp.run_import(db, org.mgr_a1, p, skip_invalid=True)
    assert result.ok and result.imported == 1


def test_text_file_named_xlsx_is_a_clear_error(db, org, tmp_path):
    path = tmp_path / "客户.xlsx"
    path.write_text("客户名称,地址\n", encoding="utf-8")
    before = counts(db)
    with pytest.raises(ServiceError) as caught:
        preview(db, org.mgr_a1, path)
    assert "客户.xlsx" in caught.value.message and re.search(
        "[\u4e00-\u9fff]", caught.value.message
    )
    assert counts(db) == before


def test_template_example_row_imports(db, org, tmp_path):
    path = tmp_path / "模板.xlsx"
    ci.write_template(path)
    result = imp.run_import(db, org.sup_a, preview(db, org.sup_a, path), skip_invalid=False)
    assert result.ok and result.imported == 1
    with db.session() as session:
        saved = session.scalars(select(Customer)).one()
        assert saved.manager_id == org.sup_a.user_id and saved.tier == "gold"
        assert saved.contract_end == date(2026, 12, 31)
        contact = session.scalars(select(Contact)).one()
        assert contact.role == "key_person" and contact.email == "liming@example.com"


def test_rejections_can_be_saved_and_read(db, org, tmp_path):
    path = book(tmp_path / "混合.xlsx", [row("福州手机有限公司", code(2), 手机="123")])
    p = preview(db, org.mgr_a1, path)
    out = tmp_path / "未导入.xlsx"
    ci.write_rejections(out, p.rejections)
    wb = openpyxl.load_workbook(out)
    values = [[c.value for c in r] for r in wb.active.iter_rows()]
    assert values[0] == ["行号", "列", "原因"]
    assert values[1][:2] == [2, "手机"] and "123" in values[1][2]


def test_save_customer_behaviour_is_kept(db, org, make_customer):
    """The editor's save now runs through save_in_session: still one audit record per save
    and the duplicate check."""
    change = cs.save_customer(db, org.mgr_a1, make_customer(code=code(1), manager=org.mgr_a1))
    assert len(change.new(Kind.CUSTOMER)) == 1 and len(change.ids(Kind.CUSTOMER)) == 1
    with db.session() as session:
        assert session.scalars(select(AuditRecord.action)).all() == ["customer.create"]
    from kac_desktop.services.errors import DuplicateCustomer

    with pytest.raises(DuplicateCustomer):
        cs.save_customer(
            db, org.mgr_a2, make_customer("另一个名字", code=code(1), manager=org.mgr_a2)
        )


def test_the_preview_can_be_cancelled_too(db, org, tmp_path):
    rows = [row(f"福州第{i}号贸易有限公司", code(i)) for i in range(600)]
    path = book(tmp_path / "大.xlsx", rows)
    with pytest.raises(Cancelled):
        preview(db, org.mgr_a1, path, progress=Cancelling(after=1))


def test_rows_without_a_manager_are_not_given_to_the_administrator_silently(
    db, org, tmp_path
):
    """Issue 20 item 11: the city center's rows that name no account manager are rejected
    with the question whose they are, until the importer names one; a manager's and a
    supervisor's are their own."""
    path = book(tmp_path / "c.xlsx", [row("福州无主客户有限公司", code(801))])
    rejected = preview(db, org.admin, path)
    assert not rejected.rows
    assert any("客户经理" in r.reason and "--manager" in r.reason for r in rejected.rejections)
    chosen = preview(db, org.admin, path, manager_login="mgr_a1")
    assert [r.data.manager_id for r in chosen.rows] == [org.mgr_a1.user_id]
    # a manager's or supervisor's own rows stay his
    for actor in (org.mgr_a1, org.sup_a):
        own = preview(db, actor, path)
        assert [r.data.manager_id for r in own.rows] == [actor.user_id]
