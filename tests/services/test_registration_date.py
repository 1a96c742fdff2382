"""Issue 20 item 9: a branch that imports its customer files today, with the revenue of
the months before, reports those months with those customers (docs/DOMAIN.md §2, §6): the
report, the quota and the alerts count a customer from its registration date (登记日期),
not from the moment its row was made."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from kac_desktop.models import Customer
from kac_desktop.rules.clock import business_today
from kac_desktop.rules.credit_code import make_credit_code
from kac_desktop.rules.quota import Month
from kac_desktop.services import customer_import, monthly_report, revenue_import, visit_quota
from kac_desktop.services import customers as cs
from kac_desktop.services.errors import PermissionDenied, ValidationFailed

TODAY = business_today()  # the files are made now: created_at is the real clock's


def _months_back(n: int) -> Month:
    month = Month.of(TODAY)
    for _ in range(n):
        month = month.previous()
    return month


def _book(path, headers, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


CODE_A = make_credit_code("91350100MA000901")
CODE_B = make_credit_code("91350100MA000902")


@pytest.fixture
def imported(db, org, tmp_path):
    """Two customers imported today, one registered long ago by its 登记日期 column and
    one without a date in its row, then three months of revenue."""
    files = _book(
        tmp_path / "customers.xlsx",
        ["客户名称", "统一社会信用代码", "客户类型", "登记日期"],
        [
            ["福州老客户贸易有限公司", CODE_A, "大客户", date(2024, 5, 6)],
            ["福州新客户贸易有限公司", CODE_B, "大客户", None],
        ],
    )
    preview = customer_import.preview_import(db, org.sup_a, files, manager_login="mgr_a1")
    result = customer_import.run_import(db, org.sup_a, preview, skip_invalid=False)
    assert result.ok, result.describe()
    months = [_months_back(n) for n in (3, 2, 1)]
    revenue = _book(
        tmp_path / "revenue.xlsx",
        ["统一社会信用代码", "月份", "业务种类", "收入金额"],
        [[code, m.year * 100 + m.month, "函件", 1000] for code in (CODE_A, CODE_B) for m in months],
    )
    preview = revenue_import.preview_import(db, org.sup_a, revenue)
    assert revenue_import.run_import(db, org.sup_a, preview, skip_invalid=False).ok
    return months


def test_last_months_report_counts_the_customers_imported_today(db, org, imported):
    report = monthly_report.build_report(db, org.sup_a, imported[-1])
    names = {row.name for row in report.customers}
    assert "福州老客户贸易有限公司" in names  # on file since 2024 by its 登记日期
    # the row without a date is on file from the day of the import, not before
    assert "福州新客户贸易有限公司" not in names
    assert report.summary.revenue_key == Decimal("1000.00")
    assert report.summary.new_key_customers == 0  # registered in 2024: not new


def test_the_quota_of_an_earlier_month_has_the_imported_customer_due(db, org, imported):
    quota = visit_quota.quota_report(db, org.sup_a, imported[0])
    assert [r.name for r in quota.rows] == ["福州老客户贸易有限公司"]


def _id_of(db, name):
    with db.session() as session:
        return session.scalar(select(Customer.id).where(Customer.name == name))


def test_a_supervisor_changes_the_registration_date_a_manager_may_not(db, org, imported):
    cid = _id_of(db, "福州新客户贸易有限公司")
    record = cs.get_customer(db, org.mgr_a1, cid)
    assert record.data.registered_on == business_today()  # the day the file was made
    data = dataclasses.replace(record.data, registered_on=date(2025, 1, 1))
    with pytest.raises(PermissionDenied):
        cs.save_customer(db, org.mgr_a1, data, cid, record.version)
    with pytest.raises(ValidationFailed):  # not in the future
        cs.save_customer(
            db,
            org.sup_a,
            dataclasses.replace(data, registered_on=business_today() + timedelta(days=1)),
            cid,
            record.version,
        )
    cs.save_customer(db, org.sup_a, data, cid, record.version)
    assert cs.get_customer(db, org.sup_a, cid).data.registered_on == date(2025, 1, 1)
    report = monthly_report.build_report(db, org.sup_a, imported[-1])
    assert {row.name for row in report.customers} == {
        "福州老客户贸易有限公司",
        "福州新客户贸易有限公司",
    }
    assert report.summary.revenue_key == Decimal("2000.00")


def test_the_importer_names_the_date_of_rows_without_one(db, org, tmp_path):
    files = _book(
        tmp_path / "customers.xlsx",
        ["客户名称", "统一社会信用代码", "客户类型"],
        [["福州新客户贸易有限公司", CODE_B, "大客户"]],
    )
    preview = customer_import.preview_import(
        db, org.sup_a, files, manager_login="mgr_a1", registered_on=date(2023, 7, 1)
    )
    assert customer_import.run_import(db, org.sup_a, preview, skip_invalid=False).ok
    record = cs.get_customer(db, org.sup_a, _id_of(db, "福州新客户贸易有限公司"))
    assert record.data.registered_on == date(2023, 7, 1)
