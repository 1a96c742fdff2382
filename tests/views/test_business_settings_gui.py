"""The 业务参数 tab: every business setting with its value in force beside its default."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kac_desktop.rules.defaults import DEFAULTS
from kac_desktop.services import settings as settings_service
from kac_desktop.views.settings_page import SettingsPage


def _rows(tab):
    model = tab.model
    return [
        [model.index(r, c).data() for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


def test_everyone_reads_every_setting_and_a_change_shows_when_the_tab_is_shown(qtbot, db, org):
    page = SettingsPage(db, org.mgr_a1)
    qtbot.addWidget(page)
    tab = page.business
    rows = _rows(tab)
    assert {row[-1] for row in rows} >= set(DEFAULTS) | {"club.thresholds"}
    headers = [tab.model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)]
    assert headers == ["含义", "当前值", "默认值", "单位", "修改", "键"]
    by_key = {row[-1]: row for row in rows}
    assert by_key["inactivity.days"][:5] == ["客户多少天未拜访即提醒", "30", "30", "天", "默认"]
    settings_service.set_value(db, org.admin, "inactivity.days", 45)
    page.tabs.setCurrentWidget(tab)
    page.show()
    qtbot.waitExposed(page)
    changed = {row[-1]: row for row in _rows(tab)}["inactivity.days"]
    assert changed[1:3] == ["45", "30"] and changed[4].endswith("admin 修改")
