"""The 工作日历 tab and the provisional deadline as an administrator and a manager meet them,
with a fake clock across the year boundary: the board marks a deadline beyond the known
years 暂按周末计算; the administrator pastes the 2027 notice, saves, and the mark goes; the
status bar and the sign-in notice warn of the calendar's end."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from PySide6.QtWidgets import QMessageBox

from kac_desktop.rules.deadlines import LOCAL_TZ
from kac_desktop.services import calendar as calendar_service
from kac_desktop.services import customers as cs
from kac_desktop.services import requests as rs
from kac_desktop.services import settings as settings_service
from kac_desktop.services.changes import Kind
from kac_desktop.services.requests import RequestInput
from kac_desktop.views.calendar_settings import CalendarSettings
from kac_desktop.views.request_board import COLUMN_INDEX, RequestBoardPage
from kac_desktop.views.settings_page import SettingsPage
from tests.rules.test_calendar import NOTICE_2027, entries_2027
from tests.services.test_calendar_service import LibraryTo2026
from tests.views.test_request_board import FakeClock


@pytest.fixture(autouse=True)
def library(monkeypatch):
    lib = LibraryTo2026()
    monkeypatch.setattr(calendar_service, "_library", lambda: lib)
    return lib


@pytest.fixture
def rural(db, org, make_customer) -> str:
    data = make_customer(
        "闽侯县竹岐农业合作社", manager=org.mgr_a1, area="rural", nature="individual"
    )
    rid = cs.save_customer(db, org.mgr_a1, data).first(Kind.CUSTOMER)
    settings_service.set_value(db, org.admin, "deadline.working_days", True)
    return rid


def text(page, row, key):
    return page.model.data(page.model.index(row, COLUMN_INDEX[key]))


def test_the_mark_on_the_board_goes_when_the_schedule_is_pasted_and_saved(
    qtbot, db, org, rural, monkeypatch
):
    received = datetime(2026, 12, 31, 17, tzinfo=LOCAL_TZ)
    rs.register_request(
        db,
        org.mgr_a1,
        RequestInput(customer_id=rural, description="揽收", received_at=received),
        now=received,
    )
    clock = FakeClock(datetime(2027, 1, 2, 9, tzinfo=LOCAL_TZ).astimezone(UTC))
    board = RequestBoardPage(db, org.admin, clock)
    qtbot.addWidget(board)
    assert text(board, 0, "rule") == "农村2日 · 暂按周末计算"
    assert text(board, 0, "deadline") == "2027-01-04 18:00 （暂定）"
    tooltip = board.model.data(board.model.index(0, COLUMN_INDEX["rule"]), 3)
    assert "暂按周末计算" in tooltip

    page = CalendarSettings(db, org.admin)
    qtbot.addWidget(page)
    assert page.mode.isChecked()
    assert page.years.item(0).text() == "2027 — 未录入（暂按周末计算）"
    assert "周末" in page.source.text()

    from kac_desktop.views import calendar_settings

    def paste(dialog_self):
        dialog_self.text.setPlainText(NOTICE_2027)
        dialog_self._read()
        return dialog_self.result()

    monkeypatch.setattr(calendar_settings.PasteNoticeDialog, "exec", paste)
    page.paste_notice()
    assert page.table.rowCount() == len(calendar_service.parse_text(NOTICE_2027)[2027])
    assert page.table.item(0, 0).text() == "2027-01-01"
    assert page.table.item(0, 1).text() == "周五"
    changes = []
    page.changed.connect(changes.append)
    monkeypatch.setattr(calendar_service, "utcnow", lambda: clock())
    result = page.save()
    assert result is not None and result.recomputed == 1
    assert "已保存2027年" in page.message.text()
    assert page.years.currentItem().text() == "2027 — 本中心录入"

    board.apply_changes(changes[0])
    assert text(board, 0, "rule") == "农村2日"
    assert text(board, 0, "deadline") == "2027-01-05 18:00"


def test_a_typed_schedule_with_a_problem_is_refused_with_the_message(qtbot, db, org, rural):
    page = CalendarSettings(db, org.admin)
    qtbot.addWidget(page)
    page.show_year(2027, [])
    page.add_row()
    page.table.item(0, 0).setText("2027-01-01")
    page.table.item(0, 3).setText("元旦")
    assert page.table.item(0, 1).text() == "周五"
    assert page.save() is None
    assert "没有春节" in page.message.text()
    page.add_row()
    page.table.item(1, 0).setText("2027-13-01")
    assert page.save() is None and "第2行" in page.message.text()
    assert calendar_service.year_schedule(db, org.admin, 2027) is None


def test_everyone_reads_the_calendar_and_only_an_administrator_changes_it(qtbot, db, org, rural):
    calendar_service.save_year(db, org.admin, 2027, entries_2027())
    admin = SettingsPage(db, org.admin)
    qtbot.addWidget(admin)
    assert [admin.tabs.tabText(i) for i in range(admin.tabs.count())] == ["常规", "工作日历", "业务参数"]
    assert not admin.calendar.read_only and admin.calendar.outlook.isHidden()
    manager = SettingsPage(db, org.mgr_a1)
    qtbot.addWidget(manager)
    page = manager.calendar
    assert page.read_only and not page.mode.isEnabled()
    assert page.save_button.isHidden() and page.paste_button.isHidden()
    assert not page.read_only_note.isHidden() and "管理员" in page.read_only_note.text()
    assert page.years.currentItem().text() == "2027 — 本中心录入"
    assert page.table.rowCount() == len(entries_2027())
    assert not page.table.cellWidget(0, 2).isEnabled()


def test_the_administrator_is_warned_in_the_status_bar_and_at_sign_in(
    qtbot, db, org, rural, monkeypatch
):
    from kac_desktop.views import calendar_notice
    from kac_desktop.views.main_window import MainWindow

    monkeypatch.setattr(calendar_notice, "utcnow", lambda: datetime(2026, 12, 2, 1, tzinfo=UTC))
    window = MainWindow(db, org.admin)
    qtbot.addWidget(window)
    box = window.show_calendar_notice()
    assert isinstance(box, QMessageBox)
    assert "2026-12-31" in box.text() and "29" in box.text() and "2027" in box.text()
    assert window.calendar_label.text() == "⚠ 工作日历至 2026-12-31"
    box.close()
    manager = MainWindow(db, org.mgr_a1)
    qtbot.addWidget(manager)
    assert manager.show_calendar_notice() is None
    assert not manager.calendar_label.isVisibleTo(manager)
    # with 2027 entered, no warning
    calendar_service.save_year(db, org.admin, 2027, entries_2027())
    assert window.show_calendar_outlook() is None
    assert calendar_notice.calendar_outlook(db, org.admin, date(2026, 12, 2)) is None
