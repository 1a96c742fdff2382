"""The deadline board (限时服务) as a user meets it: registering a request shows its deadline at
once; its warning state moves by itself as a (fake) clock advances; the status bar and the
start-up notice count overdue and due-today requests; the item model passes qtmodeltester."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from kac_desktop.rules.deadlines import LOCAL_TZ
from kac_desktop.services import customers as cs
from kac_desktop.services import requests as rs
from kac_desktop.services.changes import ChangeSet, Kind
from kac_desktop.services.requests import RequestInput
from kac_desktop.views.main_window import MainWindow
from kac_desktop.views.request_board import (
    COLUMN_INDEX,
    RequestBoardModel,
    RequestBoardPage,
    StateRole,
)
from kac_desktop.views.request_dialog import RegisterRequestDialog, RequestDialog

START = datetime(2026, 11, 23, 9, 0, tzinfo=LOCAL_TZ).astimezone(UTC)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock():
    return FakeClock(START)


@pytest.fixture
def customer(db, org, make_customer) -> str:
    data = make_customer("福州华闽贸易有限公司", code="91350100M000100Y43", manager=org.mgr_a1)
    return cs.save_customer(db, org.mgr_a1, data).first(Kind.CUSTOMER)


@pytest.fixture
def rural(db, org, make_customer) -> str:
    """A rural customer of the same manager: its requests get the rural deadlines."""
    data = make_customer(
        "闽侯县竹岐农业合作社", manager=org.mgr_a1, area="rural", nature="individual"
    )
    return cs.save_customer(db, org.mgr_a1, data).first(Kind.CUSTOMER)


@pytest.fixture
def board(qtbot, db, org, customer, clock):
    page = RequestBoardPage(db, org.mgr_a1, clock)
    qtbot.addWidget(page)
    page.resize(1400, 600)
    page.show()
    qtbot.waitExposed(page)
    return page


def cell(page: RequestBoardPage, row: int, key: str, role=Qt.ItemDataRole.DisplayRole):
    return page.model.data(page.model.index(row, COLUMN_INDEX[key]), role)


def register(db, actor, customer_id, received, **kw):
    data = RequestInput(customer_id=customer_id, description="上门揽收", received_at=received, **kw)
    return rs.register_request(db, actor, data, now=received).first(Kind.REQUEST)


def test_register_a_request_and_watch_its_state_change_as_time_passes(qtbot, board, clock):
    """§4: the deadline is shown at once; the board's state moves on track → attention →
    urgent → overdue without a reload."""
    dialog = board.register_request()
    assert isinstance(dialog, RegisterRequestDialog)
    dialog.picker.search.setText("华闽")
    dialog.picker.refresh()
    assert dialog.picker.customer_id  # the only match is chosen
    assert dialog.deadline.text() == "2026-11-23 18:00 前办结（城区当日）"
    dialog.description.setPlainText("今天下午有20箱货物需上门揽收")
    with qtbot.waitSignal(board.model.modelReset):
        dialog.ok.click()
    assert board.model.rowCount() == 1
    assert cell(board, 0, "customer") == "福州华闽贸易有限公司"
    assert cell(board, 0, "state") == "正常"
    assert cell(board, 0, "left") == "剩余 9小时0分"
    assert cell(board, 0, "rule") == "城区当日"
    queries = []
    board.model._fetch_rows = lambda ids, f=board.model._fetch_rows: queries.append(ids) or f(ids)

    clock.advance(hours=4, minutes=30)  # 13:30, half of 9 hours left
    with qtbot.waitSignal(board.model.dataChanged):
        board.tick()
    assert cell(board, 0, "state") == "注意"
    assert cell(board, 0, "left") == "剩余 4小时30分"
    clock.advance(hours=3, minutes=31)  # 17:01, under an hour
    board.tick()
    assert cell(board, 0, "state") == "紧急"
    clock.advance(minutes=59, seconds=1)  # 18:00:01
    board.tick()
    assert cell(board, 0, "state") == "超时"
    assert cell(board, 0, "left") == "超时 不足1分钟"
    clock.advance(days=1, hours=2)
    board.tick()
    assert cell(board, 0, "left") == "超时 1天2小时"
    assert cell(board, 0, "state", StateRole) == "overdue"
    assert cell(board, 0, "state", Qt.ItemDataRole.FontRole).bold()
    assert queries == []  # no SQL while time passes
    assert board.counts.overdue == 1 and board.banner.isVisibleTo(board)
    assert "超时" in cell(board, 0, "state", Qt.ItemDataRole.ToolTipRole)


def test_a_tick_repaints_only_the_rows_on_screen(qtbot, db, org, customer, clock, board):
    for i in range(80):
        register(db, org.mgr_a1, customer, START - timedelta(minutes=i))
    board.apply_changes(ChangeSet.whole(Kind.REQUEST))
    assert board.model.rowCount() == 80
    first, last = board.visible_rows()
    assert first == 0 and 5 < last < 79
    board.table.viewport().repaint()
    clock.advance(minutes=1)  # every time left on screen moves
    with qtbot.waitSignal(board.model.dataChanged) as blocker:
        board.tick()
    top, bottom = blocker.args[0], blocker.args[1]
    assert (top.row(), bottom.row()) == (0, last)
    assert (top.column(), bottom.column()) == (COLUMN_INDEX["state"], COLUMN_INDEX["left"])


def test_a_tick_repaints_only_the_rows_whose_state_or_time_left_changed(
    qtbot, db, org, clock, board, rural
):
    """Times are shown to the minute: a tick repaints a row when its minute or its state
    turns, not every row at every tick."""
    # complaints whose first response falls due 4 h from now and 0, 20, 40, 50 s
    for seconds in (0, 20, 40, 50):
        received = START - timedelta(hours=20) + timedelta(seconds=seconds)
        register(db, org.mgr_a1, rural, received, type="complaint")
    board.apply_changes(ChangeSet.whole(Kind.REQUEST))
    board.table.viewport().repaint()
    assert [cell(board, r, "left") for r in range(4)] == ["首次响应剩余 4小时0分"] * 4
    changed: list[tuple[int, int]] = []
    board.model.dataChanged.connect(lambda a, b, _roles: changed.append((a.row(), b.row())))
    board.tick()  # the clock has not moved
    assert changed == []
    clock.advance(seconds=15)
    board.tick()
    assert changed == [(0, 0)]
    assert cell(board, 0, "left") == "首次响应剩余 3小时59分"
    changed.clear()
    clock.advance(seconds=30)
    board.tick()
    assert changed == [(1, 2)]
    assert [cell(board, r, "left") for r in range(4)] == ["首次响应剩余 3小时59分"] * 3 + [
        "首次响应剩余 4小时0分"
    ]


def test_ticks_run_no_sql_and_a_filtered_tick_recomputes_few_requests(
    qtbot, db, org, customer, clock, board, monkeypatch
):
    """However many requests the board holds, a tick asks the database nothing; under a
    state filter it recomputes the rows on screen and the requests whose state could have
    changed since the last tick, not every request."""
    from sqlalchemy import event

    from kac_desktop.views import request_board

    for i in range(60):  # due 18:00, received from 08:59 back to 07:01
        register(db, org.mgr_a1, customer, START - timedelta(minutes=1 + 2 * i))
    board.apply_changes(ChangeSet.whole(Kind.REQUEST))
    board.state.set_value("on_track")
    assert board.model.rowCount() == 60
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    computed: list[str] = []
    state_of = request_board.request_service.state_of
    monkeypatch.setattr(
        request_board.request_service,
        "state_of",
        lambda t, now, limits: computed.append(t.id) or state_of(t, now, limits),
    )
    visible = board.visible_rows()[1] + 1
    clock.advance(seconds=30)
    board.tick()
    assert len(computed) <= visible < 60
    # 13:00: those received before about 08:00 reach half their time and leave the filter,
    # one of them exactly now — as a full recomputation by the rules says
    clock.advance(hours=4)
    board.tick()
    limits = rs.thresholds(db)
    everything = rs.query_timings(db, org.mgr_a1, rs.RequestQuery())
    expected = {t.id for t in everything if state_of(t, clock(), limits) == "on_track"}
    assert {board.model.id_at(r) for r in range(board.model.rowCount())} == expected
    assert len(expected) == 29
    assert {cell(board, r, "state") for r in range(board.model.rowCount())} == {"正常"}
    board.state.set_value("attention")
    statements.clear()
    for _i in range(10):
        clock.advance(seconds=30)
        board.tick()
    assert statements == []
    assert {cell(board, r, "state") for r in range(board.model.rowCount())} == {"注意"}
    assert board.counts == rs.DueCounts(overdue=0, due_today=60)


def test_the_board_opens_with_one_query_for_its_rows_and_its_counts(
    qtbot, db, org, customer, clock
):
    from sqlalchemy import event

    for i in range(5):
        register(db, org.mgr_a1, customer, START - timedelta(days=i))
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    page = RequestBoardPage(db, org.mgr_a1, clock)
    qtbot.addWidget(page)
    reads = [s for s in statements if "FROM service_requests" in s]
    assert len(reads) == 1, reads
    assert page.counts == rs.DueCounts(overdue=4, due_today=1)
    assert page.model.rowCount() == 5


def test_the_state_filter_follows_the_clock(qtbot, db, org, customer, clock, board):
    register(db, org.mgr_a1, customer, START)
    board.apply_changes(ChangeSet.whole(Kind.REQUEST))
    board.state.set_value("overdue")
    assert board.model.rowCount() == 0
    clock.advance(hours=9, seconds=1)
    board.tick()
    assert board.model.rowCount() == 1
    assert cell(board, 0, "state") == "超时"


def test_the_board_sorts_by_urgency_and_filters(qtbot, db, org, customer, clock, board, rural):
    on_track = register(db, org.mgr_a1, customer, START)  # due 18:00, 9 h left
    urgent = register(  # first response due in 30 minutes
        db, org.mgr_a1, rural, START - timedelta(hours=23, minutes=30), type="complaint"
    )
    overdue = register(db, org.mgr_a1, customer, START - timedelta(days=1))
    board.apply_changes(ChangeSet.whole(Kind.REQUEST))
    ids = [board.model.id_at(r) for r in range(board.model.rowCount())]
    assert ids == [overdue, urgent, on_track]
    assert [cell(board, r, "state") for r in range(3)] == ["超时", "紧急", "正常"]
    assert cell(board, 1, "left") == "首次响应剩余 30分"
    board.type.set_value("complaint")
    assert [board.model.id_at(r) for r in range(board.model.rowCount())] == [urgent]
    board.type.set_value(None)
    board.customer.setText("竹岐")
    board._query_changed()
    assert [board.model.id_at(r) for r in range(board.model.rowCount())] == [urgent]
    assert "投诉首次响应24小时" in cell(board, 0, "rule")


def test_handling_a_request_through_its_flow(qtbot, db, org, customer, clock, board):
    rid = register(db, org.mgr_a1, customer, START)
    board.apply_changes(ChangeSet.whole(Kind.REQUEST))
    dialog = board.open_request(rid)
    assert isinstance(dialog, RequestDialog)
    assert list(dialog.step_buttons) == ["in_progress"]
    dialog.step_buttons["in_progress"].click()
    assert list(dialog.step_buttons) == ["resolved"]
    dialog.step_buttons["resolved"].click()  # no resolution text: refused, said why
    assert "办理结果" in dialog.errors.text()
    dialog.resolution.setPlainText("已上门揽收并交寄")
    clock.advance(hours=1)
    with qtbot.waitSignal(board.model.modelReset):
        dialog.step_buttons["resolved"].click()
    assert dialog.errors.text() == ""
    assert "按时办结" in dialog.state.text()
    assert board.model.rowCount() == 0  # resolved requests leave the default board
    board.scope.set_value("unclosed")
    assert cell(board, 0, "state") == "按时办结"
    dialog.satisfaction.setCurrentIndex(dialog.satisfaction.findData(5))
    dialog.step_buttons["called_back"].click()
    dialog.step_buttons["closed"].click()
    assert list(dialog.step_buttons) == ["reopen"]
    dialog.note.setText("客户再次反映")
    dialog.step_buttons["reopen"].click()
    assert dialog.history_model.rowCount() == 6
    assert rs.get_request(db, org.mgr_a1, rid).status == "in_progress"


def test_the_item_model_passes_qtmodeltester(qtmodeltester, db, org, customer, clock):
    for i in range(5):
        register(db, org.mgr_a1, customer, START - timedelta(hours=3 * i))
    model = RequestBoardModel(
        lambda q: rs.query_timings(db, org.mgr_a1, q),
        lambda ids: rs.fetch_rows(db, org.mgr_a1, ids),
        clock,
    )
    model.reload()
    assert model.rowCount() == 5
    qtmodeltester.check(model)


def test_main_window_counts_overdue_and_due_today_and_gives_notice(qtbot, db, org, customer):
    now = datetime.now(UTC)
    register(db, org.mgr_a1, customer, now - timedelta(days=3))  # overdue by days
    window = MainWindow(db, org.mgr_a1)
    qtbot.addWidget(window)
    window.show()
    # the board, which counts them, is built right after the window's first paint
    qtbot.waitUntil(lambda: window.due_label.text().startswith("超时 1 件 / 今日到期"))
    notice = window.show_due_notice()
    assert isinstance(notice, QMessageBox) and not notice.isModal()
    assert "1 件服务工单已超时" in notice.text()
    notice.buttons()[0].click()
    assert window.pages.currentWidget() is window.requests
    assert window.requests.state.value() == "overdue"
    assert window.requests.model.rowCount() == 1
    assert window.nav.item(window.pages.indexOf(window.requests)).text() == "限时服务"


def test_no_notice_without_overdue_requests(qtbot, db, org, customer):
    window = MainWindow(db, org.mgr_a1)
    qtbot.addWidget(window)
    assert window.show_due_notice() is None
    assert window.due_label.text() == "超时 0 件 / 今日到期 0 件"
