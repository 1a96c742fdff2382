"""The visit pages as a manager meets them: the item models pass qtmodeltester; a visit
logged from the customer file in a few keystrokes turns the quota row to met; the status
bar counts follow-ups; a future date gets a clear message and writes nothing; the state
reads in Chinese beside its colour."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import func, select, update

from kac_desktop.models import Customer, Visit
from kac_desktop.rules import quota as rules
from kac_desktop.rules.clock import business_today
from kac_desktop.rules.quota import Month
from kac_desktop.rules.visits import VisitData
from kac_desktop.services import customers as cs
from kac_desktop.services import visit_agenda, visit_quota
from kac_desktop.services import visits as vs
from kac_desktop.services.changes import Kind
from kac_desktop.views import visit_dialog
from kac_desktop.views.main_window import MainWindow
from kac_desktop.views.quota_page import (
    COLUMN_INDEX,
    ManagerComplianceModel,
    QuotaPage,
    QuotaTableModel,
    StateRole,
)
from kac_desktop.views.visit_calendar import VisitCalendarPage
from kac_desktop.views.visit_dialog import VisitDialog
from kac_desktop.views.visits_page import (
    FOLLOW_UP_COLUMNS,
    INACTIVE_COLUMNS,
    RowsModel,
    VisitsPage,
    VisitTableModel,
)


@pytest.fixture
def files(db, org, make_customer) -> dict[str, str]:
    ids = {}
    for key, name, tier in (
        ("ordinary", "福州东方电子有限公司", "ordinary"),
        ("gold", "福州华闽贸易有限公司", "gold"),
    ):
        data = make_customer(name, manager=org.mgr_a1, nature="individual", tier=tier)
        ids[key] = cs.save_customer(db, org.sup_a, data).first(Kind.CUSTOMER)
    with db.session() as session, session.begin():
        session.execute(
            update(Customer).values(
                created_at=datetime(2020, 1, 1, tzinfo=UTC), registered_on=date(2020, 1, 1)
            )
        )
    return ids


@pytest.fixture
def warnings(monkeypatch) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []

    def warning(_parent, title, message, *args, **kwargs):
        calls.append((title, message))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(visit_dialog.QMessageBox, "warning", warning)
    return calls


def visits_in_db(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Visit))


def quota_state(page: QuotaPage, customer_id: str) -> tuple[str, str]:
    row = page.model.row_of(customer_id)
    index = page.model.index(row, COLUMN_INDEX["state"])
    return index.data(StateRole), index.data(Qt.ItemDataRole.DisplayRole)


# ------------------------------------------------------------------ item models


def test_item_models_pass_qtmodeltester(qtmodeltester, db, org, files, make_customer):
    now = datetime.now(UTC)
    vs.log_visit(
        db,
        org.mgr_a1,
        VisitData(
            customer_id=files["gold"],
            visited_at=now - timedelta(days=3),
            summary="上门拜访",
            next_step="送方案",
            next_step_date=rules.local_date(now) - timedelta(days=1),
        ),
    )
    report = visit_quota.quota_report(db, org.sup_a)
    quota = QuotaTableModel()
    quota.set_rows(report.rows)
    qtmodeltester.check(quota)
    quota.set_filter(True)
    qtmodeltester.check(quota)
    managers = ManagerComplianceModel()
    managers.set_report(report)
    qtmodeltester.check(managers)
    cs.save_customer(
        db,
        org.mgr_b1,
        make_customer("仓山远航贸易有限公司", manager=org.mgr_b1, nature="individual"),
    )
    managers.set_report(visit_quota.quota_report(db, org.admin))  # two branches: a row per branch
    assert managers.rowCount() == 2 + 2 + 1
    assert managers.index(2, 0).data() == "仓山支局"
    qtmodeltester.check(managers)
    visits = VisitTableModel(
        lambda q: vs.query_visit_ids(db, org.sup_a, q),
        lambda ids: vs.fetch_visit_rows(db, org.sup_a, ids),
    )
    visits.set_query(vs.VisitQuery())
    assert visits.rowCount() == 1
    qtmodeltester.check(visits)
    follow = RowsModel(FOLLOW_UP_COLUMNS, lambda f: f.visit_id)
    follow.set_rows(visit_agenda.follow_ups(db, org.mgr_a1))
    assert follow.rowCount() == 1
    qtmodeltester.check(follow)
    inactive = RowsModel(INACTIVE_COLUMNS, lambda r: r.customer_id)
    inactive.set_rows(visit_agenda.inactive_customers(db, org.sup_a))
    qtmodeltester.check(inactive)


# ------------------------------------------------------------------ the customer file → quota


def test_log_a_visit_from_the_file_turns_the_quota_row_met(qtbot, db, org, files):
    window = MainWindow(db, org.mgr_a1)
    qtbot.addWidget(window)
    page = window.visits.quota
    assert page.selected_month() == Month.of(business_today())
    state, label = quota_state(page, files["ordinary"])
    assert state != rules.MET and "已达标" not in label
    assert window.nav.item(1).text() == "走访"

    editor = window.open_customer(files["ordinary"])
    qtbot.addWidget(editor)
    qtbot.mouseClick(editor.visit_button, Qt.MouseButton.LeftButton)
    dialogs = editor.findChildren(VisitDialog)
    assert len(dialogs) == 1
    dialog = dialogs[0]
    # the defaults: this customer, its last (key) contact, now, on-site, maintenance
    assert dialog.customer.customer_id() == files["ordinary"]
    assert dialog.contact.currentText().startswith("李明")
    assert dialog.mode.value() == "onsite"
    assert dialog.summary.hasFocus() or dialog.focusWidget() is dialog.summary
    dialog.summary.setPlainText("上门拜访，客户满意")  # the only typing needed
    qtbot.keyClick(dialog.summary, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert visits_in_db(db) == 1

    state, label = quota_state(page, files["ordinary"])
    assert state == rules.MET and label.endswith("已达标")
    assert window.visits.model.rowCount() == 1
    editor._dirty = False
    editor.close()


def test_a_visit_in_the_future_gets_a_clear_message_and_writes_nothing(
    qtbot, db, org, files, warnings
):
    dialog = VisitDialog.for_customer(db, org.mgr_a1, files["gold"])
    qtbot.addWidget(dialog)
    dialog.when.setDateTime(QDateTime.currentDateTime().addDays(2))
    dialog.summary.setPlainText("计划上门")
    assert not dialog.save()
    assert warnings and "将来" in warnings[0][1]
    assert dialog.when.property("invalid")
    assert visits_in_db(db) == 0


def test_the_customer_must_be_picked_from_the_list(qtbot, db, org, files, warnings):
    dialog = VisitDialog(db, org.mgr_a1)
    qtbot.addWidget(dialog)
    assert dialog.customer.count() == 2  # his own customers offered at once
    dialog.customer.lineEdit().setText("不存在的客户")
    dialog.summary.setPlainText("上门拜访")
    assert not dialog.save()
    assert "列表" in warnings[0][1]
    dialog.customer.setCurrentIndex(dialog.customer.findData(files["gold"]))
    assert dialog.save()
    assert visits_in_db(db) == 1


def test_edit_and_remove_from_the_visit_list(qtbot, db, org, files, monkeypatch):
    vid = vs.log_visit(
        db,
        org.mgr_a1,
        VisitData(
            customer_id=files["gold"],
            visited_at=datetime.now(UTC) - timedelta(hours=1),
            summary="上门拜访",
        ),
    ).first(Kind.VISIT)
    page = VisitsPage(db, org.mgr_a1)
    qtbot.addWidget(page)
    assert page.model.rowCount() == 1
    dialog = page.open_visit(vid)
    dialog.summary.setPlainText("改过的概要")
    assert dialog.save()
    assert vs.get_visit(db, org.mgr_a1, vid).data.summary == "改过的概要"
    assert page.model.row_data(0).summary == "改过的概要"
    monkeypatch.setattr(
        visit_dialog.QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes
    )
    dialog = page.open_visit(vid)
    assert dialog.remove_button.isVisible() or dialog.remove_button.isVisibleTo(dialog)
    assert dialog.remove()
    assert page.model.rowCount() == 0 and visits_in_db(db) == 0


# ------------------------------------------------------------------ follow-ups, status bar


def test_status_bar_counts_follow_ups_and_marking_done_lowers_it(qtbot, db, org, files):
    now = datetime.now(UTC)
    for days in (0, 5):
        vs.log_visit(
            db,
            org.mgr_a1,
            VisitData(
                customer_id=files["gold"],
                visited_at=now - timedelta(days=10),
                summary="上门拜访",
                next_step="回访",
                next_step_date=rules.local_date(now) - timedelta(days=days),
            ),
        )
    window = MainWindow(db, org.mgr_a1)
    qtbot.addWidget(window)
    window.show()  # counted right after the first paint
    qtbot.waitUntil(lambda: window.follow_up_label.text() == "待办跟进 2")
    page = window.visits
    page.follow_table.selectRow(0)
    page._mark_follow_up_done()
    assert window.follow_up_label.text() == "待办跟进 1"


def test_quota_page_behind_only_and_supervisor_picks_a_manager(qtbot, db, org, files):
    page = QuotaPage(db, org.sup_a, today=business_today())
    qtbot.addWidget(page)
    assert page.manager.count() == 3  # all, 陈经理, 王经理
    total = page.model.rowCount()
    assert total == 2
    page.behind_only.setChecked(True)
    assert all(
        page.model.row_at(i).status.state == rules.BEHIND for i in range(page.model.rowCount())
    )
    page.manager.setCurrentIndex(page.manager.findData(org.mgr_a2.user_id))
    assert page.report is not None and page.report.total.due == 0
    assert "达标率" in page.summary.text()


def test_calendar_opens_a_visit_or_a_customer_file(qtbot, db, org, files):
    now = datetime.now(UTC)
    today = rules.local_date(now)
    vid = vs.log_visit(
        db,
        org.mgr_a1,
        VisitData(
            customer_id=files["gold"],
            visited_at=now - timedelta(minutes=1),
            summary="上门拜访",
            next_step="送方案",
            next_step_date=today,
        ),
    ).first(Kind.VISIT)
    page = VisitCalendarPage(db, org.mgr_a1)
    qtbot.addWidget(page)
    assert page.calendar.counts[today] == (1, 1)
    assert page.day_list.count() == 2
    with qtbot.waitSignal(page.openVisit) as opened:
        page._activate(page.day_list.item(0))
    assert opened.args == [vid]
    with qtbot.waitSignal(page.openCustomer) as opened:
        page._activate(page.day_list.item(1))
    assert opened.args == [files["gold"]]
