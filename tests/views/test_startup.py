"""Issue #8: the window opens on the customer list without waiting for anything else —
the other pages are built when first shown, the service board's counts and the notice come
right after the first paint, the full check and the day's backup after it on a thread, and
the start-up imports none of the heavy libraries a first paint does not need."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import func, select

from kac_desktop.models import Customer
from kac_desktop.services import backup, customer_list, customers
from kac_desktop.services import requests as rs
from kac_desktop.services.changes import Kind
from kac_desktop.services.requests import RequestInput
from kac_desktop.views import app as app_module
from kac_desktop.views.main_window import MainWindow
from kac_desktop.views.recovery_dialog import RecoveryDialog

LAZY = {
    "visits",
    "requests",
    "revenue",
    "report",
    "settings",
    "users",
    "audit",
    "backup",
    "sync",
}


def quiet(monkeypatch):
    shown = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, _n=name: shown.append((_n, a[2])))
    return shown


def add_customers(db, org, make_customer, n, start=0):
    with db.session() as session, session.begin():
        for i in range(start, start + n):
            customers.save_in_session(
                session,
                org.mgr_a1,
                make_customer(f"福州启动测试{i}号", manager=org.mgr_a1, nature="individual"),
            )


def test_only_the_customer_list_is_built_before_the_first_paint(qtbot, db, org):
    window = MainWindow(db, org.admin)
    qtbot.addWidget(window)
    assert set(window._lazy) == LAZY
    assert window._built == {}
    assert window.due_label.text() == "" and window.follow_up_label.text() == ""
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert titles == [
        "客户档案",
        "走访",
        "限时服务",
        "收入与积分",
        "报表",
        "用户管理",
        "操作日志",
        "备份与恢复",
        "数据交换",
        "设置",
    ]

    with qtbot.waitSignal(window.firstPainted, timeout=5000):
        window.show()
    qtbot.waitUntil(lambda: window.follow_up_label.text() == "待办跟进 0")
    # after the paint: the service board (for the status bar), nothing else
    assert set(window._built) == {"requests"}
    assert window.due_label.text() == "超时 0 件 / 今日到期 0 件"


def test_every_lazy_page_is_built_in_its_place_when_shown(qtbot, db, org):
    window = MainWindow(db, org.admin)
    qtbot.addWidget(window)
    window.show()
    for row in range(window.nav.count()):
        window.nav.setCurrentRow(row)
        page = window.pages.currentWidget()
        assert window.pages.indexOf(page) == row
        assert type(page).__name__ != "QWidget", window.nav.item(row).text()
    assert set(window._built) == LAZY
    assert window.admin.backup is window._built["backup"]
    assert window.admin.sync is window._built["sync"]
    assert window.requests is window._built["requests"]


def test_the_due_notice_follows_the_first_paint(qtbot, db, org, make_customer):
    data = make_customer("福州华闽贸易有限公司", code="91350100M000100Y43", manager=org.mgr_a1)
    customer = customers.save_customer(db, org.mgr_a1, data).first(Kind.CUSTOMER)
    received = datetime.now(UTC) - timedelta(days=3)
    request = RequestInput(customer_id=customer, description="上门揽收", received_at=received)
    rs.register_request(db, org.mgr_a1, request, now=received)
    window = MainWindow(db, org.mgr_a1)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "overdueNotice") is not None)
    assert window.due_label.text().startswith("超时 1 件")


@pytest.mark.sqlite_only("damaged files and the recovery dialog are SQLite's")
def test_damage_found_after_the_paint_brings_the_recovery_dialog_and_a_restart(
    qtbot, db, org, make_customer, monkeypatch
):
    add_customers(db, org, make_customer, 5)
    backup.backup_now(db, org.admin)
    add_customers(db, org, make_customer, 2, start=5)  # after the backup: lost by the restore
    shown = quiet(monkeypatch)
    monkeypatch.setattr(backup, "quick_check", lambda d: ["*** in database main ***"])
    seen = {}

    def exec_(dialog):
        seen["text"] = dialog.layout().itemAt(0).widget().text()
        seen["ui thread"] = QThread.currentThread() is QApplication.instance().thread()
        dialog.restore_latest()
        return dialog.result()

    monkeypatch.setattr(RecoveryDialog, "exec", exec_)
    window = app_module.open_window(db, org.admin)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: "text" in seen, timeout=10_000)
    assert window.checks.wait(10)
    assert "损坏" in seen["text"] and "*** in database main ***" in seen["text"]
    assert seen["ui thread"]
    assert window.restart_requested and window.restart_target is None
    assert not window.isVisible()
    assert any("已从" in text for _kind, text in shown)
    # no backup is made of a damaged file: only the one made above
    assert len(backup.list_backups(backup.backups_dir(db.path), "test")) == 1
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 5


def test_quitting_from_the_recovery_dialog_ends_with_code_2(qtbot, db, org, monkeypatch):
    quiet(monkeypatch)
    monkeypatch.setattr(backup, "quick_check", lambda d: ["page 7 is never used"])
    monkeypatch.setattr(RecoveryDialog, "exec", lambda dialog: dialog._finish("quit"))
    window = app_module.open_window(db, org.admin)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.exit_code is not None, timeout=10_000)
    assert window.exit_code == 2 and not window.restart_requested


@pytest.mark.slow
@pytest.mark.sqlite_only("the SQLite file's start: sqlite3 alone before the first paint")
def test_start_up_imports_nothing_heavy_that_the_first_paint_does_not_need(db, org, tmp_path):
    """The libraries that cost tens to hundreds of ms to import (measured in issue #8) are
    imported when their feature is first used, not at start-up."""
    db.dispose()
    script = textwrap.dedent(
        """
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ["KAC_DATA_DIR"] = sys.argv[2]
        from kac_desktop.views.app import make_application, choose_language, open_checked
        from kac_desktop.services.users import actor_for
        app = make_application()
        choose_language("zh_CN")
        db = open_checked(sys.argv[1])
        from kac_desktop.views.main_window import MainWindow
        w = MainWindow(db, actor_for(db, "admin")); w.show()
        app.processEvents(); w.customers.table.viewport().grab()
        heavy = ["alembic", "babel", "pypinyin", "openpyxl", "reportlab", "python_calamine",
                 "chinese_calendar", "xlsxwriter", "mako"]
        print(" ".join(sorted(m for m in heavy if m in sys.modules)) or "none")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(db.path), str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "none"


_FIRST_PAINT = """
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["KAC_DATA_DIR"] = sys.argv[2]
from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
from kac_desktop.views.app import make_application, choose_language, open_window
from kac_desktop.db import open_database
from kac_desktop.services.users import actor_for
app = make_application()
choose_language("zh_CN")
db = open_database(sys.argv[1])
actor = actor_for(db, sys.argv[3])
seen = {}

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and not seen:
            page = w.customers
            seen.update(
                names=[page.model.paint_row(r)[0][0] for r in range(page.model.rowCount())],
                branches=page.branch.count(),
                managers=page.manager.count(),
            )
        return False

w = open_window(db, actor)
spy = FirstPaint()
w.customers.table.viewport().installEventFilter(spy)
loop = QEventLoop()
w.firstPainted.connect(loop.quit)
QTimer.singleShot(20000, loop.quit)
loop.exec()
w.customers.model.wait_until_complete()
w.checks.wait()
page = w.customers
after = dict(
    count=page.model.rowCount(),
    branches=page.branch.count(),
    managers=page.manager.count(),
    shown=[page.branch.isVisibleTo(page), page.manager.isVisibleTo(page)],
)
print(json.dumps({"first": seen, "after": after}, ensure_ascii=False))
"""


@pytest.mark.slow
def test_the_first_page_paints_first_and_the_filters_follow(db, org, make_customer, tmp_path):
    """The window's first paint shows the first page of the list as it opens, read through
    the customer service (the one path every query takes); the branch and manager filters
    and the whole list follow the paint."""
    import json

    add_customers(db, org, make_customer, 60)
    expected_names = [
        row.name
        for row in customer_list.first_page(db, org.admin, customers.CustomerQuery(), 48).rows
    ]
    total = len(customer_list.list_keys(db, org.admin, customers.CustomerQuery()))
    db.dispose()
    for login, branch_filter, manager_filter in (
        ("admin", 4, 7),
        ("sup_a", 2, 4),
        ("mgr_a1", 2, 2),
    ):
        out = subprocess.run(
            [sys.executable, "-c", _FIRST_PAINT, db.url, str(tmp_path / login), login],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        result = json.loads(out.stdout.strip().splitlines()[-1])
        first, after = result["first"], result["after"]
        assert first["branches"] == 1 and first["managers"] == 1  # "all …" until loaded
        assert (after["branches"], after["managers"]) == (branch_filter, manager_filter), login
        # the city center chooses among branches; a manager sees only his own files
        assert after["shown"] == [login == "admin", login != "mgr_a1"]
        if login == "mgr_a1" or login == "admin":  # every customer is mgr_a1's
            assert first["names"] == expected_names[: len(first["names"])]
            assert len(first["names"]) == min(48, total)
            assert after["count"] == total
        else:
            assert after["count"] == total  # sup_a's branch holds them all too


@pytest.mark.sqlite_only("damaged files and the recovery dialog are SQLite's")
def test_run_starts_again_on_the_database_chosen_in_the_recovery_dialog(
    qtbot, db, org, tmp_path, monkeypatch
):
    """views/app.run end to end (the sign-in answered): damage found after the first paint,
    "another database" chosen, the window closes and the application starts again there,
    where the check passes and the day's backup is made."""
    from PySide6.QtWidgets import QApplication

    other = tmp_path / "other" / "other.db"
    other.parent.mkdir()
    backup.make_copy(db.path, other)
    quiet(monkeypatch)
    monkeypatch.setattr(
        backup,
        "quick_check",
        lambda d: ["page 9: btreeInitPage() returns error code 11"] if d.path == db.path else [],
    )

    def choose_other(dialog):
        dialog.other_path = other
        dialog._finish("other")

    monkeypatch.setattr(RecoveryDialog, "exec", choose_other)
    started = []
    monkeypatch.setattr(
        app_module, "start", lambda d, login, parent=None: started.append(d.path) or org.admin
    )
    windows = []
    real_open_window = app_module.open_window

    def open_window(d, actor):
        windows.append(real_open_window(d, actor))
        return windows[-1]

    monkeypatch.setattr(app_module, "open_window", open_window)

    def exec_(*_args):
        window = windows[-1]
        if window.db.path == other:  # the sound one: wait for its backup, then quit
            qtbot.waitUntil(lambda: not window.checks.running() and window.checks.problems == [])
            window.close()
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
        return 0

    monkeypatch.setattr(QApplication, "exec", exec_)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run() installs its own
    assert app_module.run(str(db.path), "admin", "zh_CN") == 0
    assert started == [db.path, other]
    assert windows[0].restart_requested and windows[0].restart_target == other
    assert not windows[1].restart_requested
    assert len(backup.list_backups(backup.backups_dir(other), "other")) == 1
    assert backup.list_backups(backup.backups_dir(db.path), "test") == []
    for window in windows:
        window.deleteLater()
