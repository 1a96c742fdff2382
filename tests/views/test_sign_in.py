"""Sign-in, first start, passwords, users and the audit log as a user meets them (docs/DOMAIN.md
§7: only authorised people; every change can be traced)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from kac_desktop.models import User
from kac_desktop.services import auth, users
from kac_desktop.views.audit_page import AuditPage
from kac_desktop.views.first_run import FirstRunDialog
from kac_desktop.views.main_window import MainWindow
from kac_desktop.views.password_dialog import ChangePasswordDialog
from kac_desktop.views.sign_in import LOGIN_KEY, SignInDialog
from kac_desktop.views.users_page import NewUserDialog, UsersPage

PW = "Test-Passw0rd"


def test_wrong_password_shows_why_and_right_one_signs_in(qtbot, db, org):
    dialog = SignInDialog(db, "mgr_a1")
    qtbot.addWidget(dialog)
    dialog.password.setText("Wrong-2026")
    dialog.sign_in()
    assert dialog.actor is None and not dialog.result()
    assert "登录名或密码错误" in dialog.message.text() and dialog.message.isVisibleTo(dialog)
    assert dialog.password.text() == ""
    dialog.password.setText(PW)
    dialog.sign_in()
    assert dialog.actor == org.mgr_a1 and dialog.result() == SignInDialog.DialogCode.Accepted
    assert QSettings().value(LOGIN_KEY) == "mgr_a1"
    again = SignInDialog(db)
    qtbot.addWidget(again)
    assert again.login.text() == "mgr_a1"  # remembered


def test_locked_and_disabled_accounts_are_told(qtbot, db, org):
    dialog = SignInDialog(db, "mgr_a2")
    qtbot.addWidget(dialog)
    for _i in range(5):
        dialog.password.setText("Wrong-2026")
        dialog.sign_in()
    assert "锁定至" in dialog.message.text()
    users.set_active(db, org.admin, org.mgr_b1.user_id, False)
    dialog.login.setText("mgr_b1")
    dialog.password.setText(PW)
    dialog.sign_in()
    assert "已停用" in dialog.message.text() and dialog.actor is None


def test_first_start_asks_for_a_password_by_the_rule(qtbot, db, monkeypatch):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    dialog = FirstRunDialog(db)
    qtbot.addWidget(dialog)
    dialog.branch.setText("鼓楼支局")
    dialog.name.setText("林主任")
    dialog.login.setText("lin")
    dialog.password.setText("abc")
    dialog.repeat.setText("abc")
    dialog.create()
    assert "至少8个字符" in warnings[-1] and users.needs_first_user(db)
    dialog.password.setText("Gulou2026")
    dialog.repeat.setText("Gulou2026")
    dialog.create()
    assert dialog.actor is not None and dialog.actor.role == "admin"
    assert auth.sign_in(db, "lin", "Gulou2026").login == "lin"


def test_change_password_dialog(qtbot, db, org):
    dialog = ChangePasswordDialog(db, org.mgr_a1)
    qtbot.addWidget(dialog)
    dialog.old.setText(PW)
    dialog.new.setText("short")
    dialog.repeat.setText("short")
    dialog.save()
    assert "至少8个字符" in dialog.message.text() and not dialog.result()
    dialog.new.setText("Newpass2026")
    dialog.repeat.setText("Newpass2026")
    dialog.save()
    assert dialog.result() == ChangePasswordDialog.DialogCode.Accepted
    assert auth.sign_in(db, "mgr_a1", "Newpass2026")


def test_users_page_admin_manages_supervisor_reads(qtbot, qtmodeltester, db, org):
    page = UsersPage(db, org.admin)
    qtbot.addWidget(page)
    qtmodeltester.check(page.model)
    assert page.model.rowCount() == 6 and page.new_button.isVisibleTo(page)
    page.select_login("mgr_a2")
    page.toggle_active()
    with db.session() as session:
        assert not session.scalar(select(User.active).where(User.login == "mgr_a2"))
    row = next(r for r in range(page.model.rowCount()) if page.model.row_at(r).login == "mgr_a2")
    assert page.model.index(row, 4).data() == "已停用"

    read_only = UsersPage(db, org.sup_a)
    qtbot.addWidget(read_only)
    assert read_only.model.rowCount() == 3
    assert not read_only.new_button.isVisibleTo(read_only)
    assert not read_only.reset_button.isVisibleTo(read_only)


def test_new_user_dialog_shows_the_rule_and_writes_nothing_on_error(qtbot, db, org):
    dialog = NewUserDialog(db, org.admin)
    qtbot.addWidget(dialog)
    dialog.login.setText("mgr_a5")
    dialog.name.setText("新经理")
    dialog.branch.setCurrentIndex(dialog.branch.findData(org.branch_a))
    dialog.password.setText("Start2026")
    dialog.repeat.setText("Start2027")
    dialog.save()
    assert "不一致" in dialog.message.text() and dialog.user_id is None
    assert len(users.list_users(db, org.admin)) == 6
    dialog.repeat.setText("Start2026")
    dialog.save()
    assert auth.sign_in(db, "mgr_a5", "Start2026").branch_id == org.branch_a


def test_audit_page_filters_and_shows_a_broken_chain(qtbot, qtmodeltester, db, org):
    for login in ("mgr_a1", "mgr_a2", "sup_a"):
        auth.sign_in(db, login, PW)
    with pytest.raises(auth.SignInFailed):
        auth.sign_in(db, "mgr_a1", "Wrong-2026")
    page = AuditPage(db, org.admin)
    qtbot.addWidget(page)
    qtmodeltester.check(page.model)
    assert page.model.rowCount() == 4
    page.action.setCurrentIndex(page.action.findData("signin.failed"))
    assert page.model.rowCount() == 1
    assert page.model.index(0, 3).data() == "登录失败"
    page.action.setCurrentIndex(0)
    page.text.setText("mgr_a2")
    page.apply_filters()
    assert page.model.rowCount() == 1
    page.verify()
    assert "审计链完整" in page.chain.text()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE audit_records SET summary='改过' WHERE seq=2")
    page.verify()
    assert "被改动" in page.chain.text()
    page.text.clear()
    page.apply_filters()
    flagged = [page.model.index(r, 0).data() for r in range(page.model.rowCount())]
    assert "2 ⚠" in flagged


@pytest.mark.parametrize(
    "role, pages",
    [
        ("mgr_a1", set()),
        ("sup_a", {"用户管理", "操作日志", "备份与恢复"}),
        ("admin", {"用户管理", "操作日志", "备份与恢复"}),
    ],
)
def test_main_window_shows_the_admin_pages_by_role(qtbot, db, org, role, pages):
    window = MainWindow(db, getattr(org, role))
    qtbot.addWidget(window)
    titles = {window.nav.item(i).text() for i in range(window.nav.count())}
    assert titles & {"用户管理", "操作日志", "备份与恢复"} == pages
    assert window.admin.password_button.text() == "修改密码…"
    assert titles and window.nav.item(window.nav.count() - 1).text() == "设置"
    if role == "sup_a":
        assert not window.admin.backup.restore_button.isVisibleTo(window.admin.backup)
