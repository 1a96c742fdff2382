"""Every item model of the application passes Qt's model tester (pytest-qt's
``qtmodeltester``): filled with real rows from the services, and — for the paged lists —
while they reload, refresh some rows and sort (the tester watches the signals too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt

from kac_desktop.rules.clock import business_today
from kac_desktop.rules.customer import ContactData
from kac_desktop.rules.visits import VisitData
from kac_desktop.services import audit, customers, revenue, visit_agenda, visit_quota
from kac_desktop.services import customer_list as cs
from kac_desktop.services import requests as rs
from kac_desktop.services import visits as vs
from kac_desktop.services.audit import AuditQuery
from kac_desktop.services.requests import RequestInput, RequestQuery
from kac_desktop.services.revenue import PointsQuery
from kac_desktop.views.audit_page import AuditTableModel
from kac_desktop.views.contacts import ContactsModel
from kac_desktop.views.customer_list import CustomerTableModel, SqlListSource
from kac_desktop.views.paged_model import IdRole, PagedTableModel
from kac_desktop.views.quota_page import ManagerComplianceModel, QuotaTableModel
from kac_desktop.views.request_board import RequestBoardModel
from kac_desktop.views.revenue_page import PointsModel
from kac_desktop.views.revenue_tab import MonthsModel
from kac_desktop.views.table_models import TextTableModel
from kac_desktop.views.users_page import UserTableModel
from kac_desktop.views.visits_page import FOLLOW_UP_COLUMNS, RowsModel, VisitTableModel

NAMES = ["福州华闽贸易有限公司", "鼓楼医院", "长乐电子有限公司", "仓山物流有限公司", "晋安酒店"]


@pytest.fixture
def data(db, org, make_customer):
    """Five customers of 陈经理 with a visit, a follow-up, a request and a month's revenue
    each."""
    now = datetime.now(UTC)
    ids = []
    for name in NAMES:
        record = make_customer(name, manager=org.mgr_a1, nature="individual")
        customer_id = customers.save_customer(db, org.mgr_a1, record).ids[0]
        ids.append(customer_id)
        vs.log_visit(
            db,
            org.mgr_a1,
            VisitData(
                customer_id=customer_id,
                visited_at=now - timedelta(days=1),
                summary="上门拜访",
                next_step="送方案",
                next_step_date=business_today() - timedelta(days=1),
            ),
        )
        rs.register_request(
            db,
            org.mgr_a1,
            RequestInput(customer_id=customer_id, description="上门揽收", received_at=now),
            now=now,
        )
        today = business_today()
        month = today.year * 100 + today.month
        amounts = {"letters": Decimal("1200")}
        revenue.set_month(db, org.mgr_a1, customer_id, month, amounts, today=today)
    return ids


def _customers_recorded(db, org, ids):
    model = CustomerTableModel(
        lambda q: cs.query_ids(db, org.admin, q), lambda keys: cs.fetch_rows(db, org.admin, keys)
    )
    model.set_query(cs.CustomerQuery())
    return model


def _customers_sql(db, org, ids):
    model = CustomerTableModel(source=SqlListSource(db, org.admin))
    model.set_query(cs.CustomerQuery(search="有限"))
    model.wait_until_complete()
    return model


def _audit(db, org, ids):
    model = AuditTableModel(
        lambda q: audit.query_seqs(db, org.admin, q),
        lambda seqs: audit.fetch_records(db, org.admin, seqs),
    )
    model.set_query(AuditQuery())
    return model


def _visits(db, org, ids):
    model = VisitTableModel(
        lambda q: vs.query_visit_ids(db, org.sup_a, q),
        lambda keys: vs.fetch_visit_rows(db, org.sup_a, keys),
    )
    model.set_query(vs.VisitQuery())
    return model


def _points(db, org, ids):
    model = PointsModel(db, org.admin)
    model.set_query(PointsQuery(year=business_today().year))
    return model


def _follow_ups(db, org, ids):
    model = RowsModel(FOLLOW_UP_COLUMNS, lambda f: f.visit_id)
    model.set_rows(visit_agenda.follow_ups(db, org.mgr_a1))
    return model


def _quota(db, org, ids):
    model = QuotaTableModel(lambda rows, shown: visit_quota.quota_rows(db, org.sup_a, rows, shown))
    model.set_rows(visit_quota.quota_report(db, org.sup_a).rows)
    return model


def _compliance(db, org, ids):
    model = ManagerComplianceModel()
    model.set_report(visit_quota.quota_report(db, org.admin))
    return model


def _users(db, org, ids):
    model = UserTableModel(db, org.admin)
    model.reload()
    return model


def _board(db, org, ids):
    model = RequestBoardModel(
        lambda q: rs.query_timings(db, org.mgr_a1, q),
        lambda keys: rs.fetch_rows(db, org.mgr_a1, keys),
    )
    model.set_query(RequestQuery())
    return model


def _months(db, org, ids):
    model = MonthsModel()
    model.set_data(revenue.customer_revenue(db, org.mgr_a1, ids[0]))
    return model


def _contacts(db, org, ids):
    return ContactsModel(
        [
            ContactData(name="李明", role="key_person", mobile="13805912345"),
            ContactData(name="王芳", role="finance", mobile="13905912345"),
        ]
    )


def _text(db, org, ids):
    return TextTableModel(["A", "B"], [["1", "2"], ["3", None], ["5"]])


MODELS = {
    "customer list (recorded)": _customers_recorded,
    "customer list (SQL, search)": _customers_sql,
    "audit trail": _audit,
    "visits": _visits,
    "points": _points,
    "follow-ups": _follow_ups,
    "quota": _quota,
    "compliance": _compliance,
    "users": _users,
    "service board": _board,
    "a customer's months": _months,
    "contacts": _contacts,
    "text rows": _text,
}


@pytest.mark.parametrize("make", list(MODELS.values()), ids=list(MODELS))
def test_every_model_passes_the_model_tester(qtmodeltester, db, org, data, make):
    model = make(db, org, data)
    assert model.rowCount() > 0
    qtmodeltester.check(model, force_py=True)
    if isinstance(model, PagedTableModel):
        # the tester watches the signals of what a page does after a change
        first = model.data(model.index(0, 0), IdRole)
        assert first is not None and model.row_of(first) == 0
        model.refresh_keys([first])
        model.sort(0, Qt.SortOrder.DescendingOrder)
        model.reload()
        qtmodeltester.check(model, force_py=True)


def test_refresh_keys_fetches_again_only_the_rows_named(qtbot, db, org, data):
    """``refresh_keys``: a renamed customer's row shows the new name with no reload; a key
    whose record is no longer the actor's (handed to another manager) leaves the list; the
    other rows stay as they were."""
    fetched: list[list[str]] = []

    def fetch(keys):
        fetched.append(list(keys))
        return cs.fetch_rows(db, org.mgr_a1, keys)

    model = CustomerTableModel(lambda q: cs.query_ids(db, org.mgr_a1, q), fetch)
    model.set_query(cs.CustomerQuery())
    names = [model.data(model.index(r, 0)) for r in range(model.rowCount())]
    target = model.id_at(2)
    record = customers.get_customer(db, org.admin, target)
    record.data.name = "福州新名字有限公司"
    customers.save_customer(db, org.sup_a, record.data, target, record.version)
    fetched.clear()
    with qtbot.waitSignal(model.dataChanged):
        model.refresh_keys([target, "no-such-key"])
    assert fetched == [[target]]
    assert model.data(model.index(2, 0)) == "福州新名字有限公司"
    assert [model.data(model.index(r, 0)) for r in range(model.rowCount()) if r != 2] == [
        n for i, n in enumerate(names) if i != 2
    ]
    gone = model.id_at(0)
    record = customers.get_customer(db, org.sup_a, gone)
    record.data.manager_id = org.mgr_a2.user_id
    customers.save_customer(db, org.sup_a, record.data, gone, record.version)
    model.refresh_keys([gone])
    assert model.rowCount() == len(names) - 1 and model.row_of(gone) == -1
