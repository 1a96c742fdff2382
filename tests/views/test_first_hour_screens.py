"""Issue 20 item 11, as seen on screen: the editor's live credit-code check, red marks that
go once fixed, no 记录走访 on an unsaved file, a new file's manager chosen (never the
administrator silently), the status bar's count on the customer page only, Ctrl+Q and
sign-out, empty lists that say why, Ctrl+Enter in 登记服务工单, one month format."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from kac_desktop.models import utcnow
from kac_desktop.rules.credit_code import make_credit_code
from kac_desktop.rules.quota import Month
from kac_desktop.services import customers as cs
from kac_desktop.services.changes import Kind
from kac_desktop.views import customer_editor
from kac_desktop.views.customer_editor import CustomerEditor
from kac_desktop.views.main_window import MainWindow

GOOD = make_credit_code("91350100MA000077")
BAD = GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1")


@pytest.fixture
def no_boxes(monkeypatch):
    calls = []

    def warning(_parent, title, message, *args, **kwargs):
        calls.append((title, message))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(customer_editor.QMessageBox, "warning", warning)
    return calls


def test_the_credit_code_is_checked_as_it_is_typed_and_the_mark_goes_when_right(qtbot, db, org):
    editor = CustomerEditor(db, org.mgr_a1, None)
    qtbot.addWidget(editor)
    editor.show()
    editor.credit_code.setText(BAD)
    assert editor.credit_code.property("invalid") is True
    assert editor.credit_code_check.text().startswith("✗")
    # an invalid code is not a filled-in field
    assert "统一社会信用代码" in editor.missing.text()
    editor.credit_code.setText(GOOD)
    assert editor.credit_code.property("invalid") is False
    assert "校验通过" in editor.credit_code_check.text()


def test_a_fixed_field_loses_its_red_mark_before_the_next_save(qtbot, db, org, no_boxes):
    editor = CustomerEditor(db, org.mgr_a1, None)
    qtbot.addWidget(editor)
    editor.show()
    assert editor.save() is False  # no name
    assert editor.name.property("invalid") is True
    QTest.keyClicks(editor.name, "Fuzhou")  # typed (QTest types ASCII only)
    assert not editor.name.property("invalid")
    editor._dirty = False  # no question when the test closes it


def test_no_visit_is_logged_on_a_file_not_saved_yet(qtbot, db, org, make_customer):
    editor = CustomerEditor(db, org.mgr_a1, None)
    qtbot.addWidget(editor)
    assert not editor.visit_button.isEnabled()
    data = make_customer("福州已存客户", manager=org.mgr_a1, nature="individual")
    cid = cs.save_customer(db, org.mgr_a1, data).first(Kind.CUSTOMER)
    saved = CustomerEditor(db, org.mgr_a1, cid)
    qtbot.addWidget(saved)
    assert saved.visit_button.isEnabled()


def test_the_city_centers_new_file_asks_for_its_manager(qtbot, db, org, no_boxes):
    editor = CustomerEditor(db, org.admin, None)
    qtbot.addWidget(editor)
    assert editor.manager.value() is None  # not the first user of the list, not himself
    editor.name.setText("福州无人维护公司")
    editor.nature.set_value("individual")
    assert editor.save() is False
    assert editor.manager.property("invalid") is True
    editor._dirty = False  # no question when the test closes it


def test_a_service_save_without_a_manager_is_refused_for_the_city_center(db, org, make_customer):
    from kac_desktop.services.errors import ValidationFailed

    data = make_customer("福州市局直接登记公司", manager=org.mgr_a1)
    data.manager_id = None
    data.branch_id = None
    with pytest.raises(ValidationFailed):
        cs.save_customer(db, org.admin, data)


@pytest.fixture
def window(qtbot, db, org):
    window = MainWindow(db, org.mgr_a1)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_the_customer_count_shows_on_the_customer_page_only(window):
    assert window.count_label.isVisible()
    window.nav.setCurrentRow(1)
    assert not window.count_label.isVisible()
    window.nav.setCurrentRow(0)
    assert window.count_label.isVisible()


def test_sign_out_goes_back_to_the_sign_in(qtbot, db, org):
    window = MainWindow(db, org.mgr_a1)
    qtbot.addWidget(window)
    window.show()
    window.sign_out_button.click()
    assert window.restart_requested and not window.isVisible()


def test_ctrl_q_quits(qtbot, window):
    window.activateWindow()
    qtbot.waitActive(window)
    QTest.keyClick(window.customers.search, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert not window.isVisible() and not window.restart_requested


def test_an_empty_list_says_why_and_what_to_do(window):
    page = window.customers
    hint = page.empty_hint.label
    assert page.model.rowCount() == 0 and hint.isVisible()
    assert "新建客户" in hint.text() and "从Excel导入" in hint.text().replace(" ", "")
    page.search.setText("不存在的客户")
    assert hint.isVisible() and "不存在的客户" in hint.text()


def test_ctrl_enter_registers_a_service_request(qtbot, db, org, make_customer, monkeypatch):
    from kac_desktop.views.request_dialog import RegisterRequestDialog

    dialog = RegisterRequestDialog(db, org.mgr_a1, utcnow)
    qtbot.addWidget(dialog)
    dialog.show()
    calls = []
    monkeypatch.setattr(dialog, "register", lambda: calls.append(1))
    dialog.description.setFocus()
    QTest.keyClick(dialog.description, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert calls and "\n" not in dialog.description.toPlainText()


def test_months_read_the_same_on_every_page(qtbot, db, org):
    from kac_desktop.views.quota_page import QuotaPage
    from kac_desktop.views.report_page import ReportPage

    quota = QuotaPage(db, org.sup_a, month=Month(2026, 9))
    report = ReportPage(db, org.sup_a)
    qtbot.addWidget(quota)
    qtbot.addWidget(report)
    texts = [quota.month.itemText(i) for i in range(quota.month.count())]
    texts += [report.month.itemText(i) for i in range(report.month.count())]
    assert texts and all(re.fullmatch(r"\d{4}年[1-9]\d?月", t) for t in texts), texts


def test_the_search_marks_what_it_matched(qtbot, db, org, make_customer):
    cs.save_customer(
        db,
        org.mgr_a1,
        make_customer("福州华闽贸易有限公司", manager=org.mgr_a1, nature="individual"),
    )
    window = MainWindow(db, org.mgr_a1)
    qtbot.addWidget(window)
    page = window.customers
    page.search.setText("华闽")
    assert page.delegate.highlight_span("福州华闽贸易有限公司") == (2, 4)
    page.search.setText("huamin")  # a pinyin match: nothing in the letters to mark
    assert page.delegate.highlight_span("福州华闽贸易有限公司") is None
    page.search.setText("")
    assert page.delegate.highlight_span("福州华闽贸易有限公司") is None


def test_a_rows_context_menu_opens_logs_a_visit_and_registers_a_request(
    qtbot, db, org, make_customer
):
    cid = cs.save_customer(
        db,
        org.mgr_a1,
        make_customer("福州菜单客户有限公司", manager=org.mgr_a1, nature="individual"),
    ).first(Kind.CUSTOMER)
    window = MainWindow(db, org.mgr_a1)
    qtbot.addWidget(window)
    window.show()
    page = window.customers
    position = page.table.visualRect(page.model.index(0, 0)).center()
    menu = page.context_menu(position, show=False)
    actions = {a.text(): a for a in menu.actions() if a.text()}
    assert {"打开…", "记录走访…", "登记工单…", "新建客户"} <= set(actions)
    with qtbot.waitSignal(page.logVisit) as visit:
        actions["记录走访…"].trigger()
    assert visit.args == [cid]
    with qtbot.waitSignal(page.openCustomer) as opened:
        actions["打开…"].trigger()
    assert opened.args == [cid]
    for editor in window.findChildren(CustomerEditor):
        editor._dirty = False
