"""The one job runner (views/jobs.py): a progress dialog that closes for good when the job
ends, never reopens on late progress, and a Cancel that stops the job."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QProgressDialog, QWidget

from kac_desktop.progress import Cancelled, check
from kac_desktop.views import jobs, operations


def _open_dialogs() -> list[QWidget]:
    """Every progress dialog on screen (the runner's own, or a QProgressDialog)."""
    return [
        w
        for w in QApplication.topLevelWidgets()
        if w.isVisible() and isinstance(w, (QProgressDialog, jobs.ProgressDialog))
    ]


def _settle(qtbot, ms: int) -> None:
    """Let the event loop run for ``ms`` (timers that would show a dialog fire)."""
    qtbot.wait(ms)


@pytest.fixture
def parent(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_a_quick_job_leaves_no_dialog(qtbot, parent):
    """A job done before the dialog's delay: no dialog then, and none later either."""

    def work(progress):
        progress.report(1.0, "完成")
        return 42

    assert jobs.run_job(parent, "导出到 Excel…", work) == 42
    _settle(qtbot, jobs.SHOW_AFTER_MS + 400)
    assert _open_dialogs() == []


def test_a_longer_job_shows_its_dialog_and_closes_it_when_done(qtbot, parent):
    seen = []

    def work(progress):
        for i in range(8):
            progress.report(i / 8, f"第 {i} 步")
            time.sleep(0.06)
        seen.append(bool(_open_dialogs()))  # from the worker: the dialog is up by now
        progress.report(1.0)
        return "ok"

    assert jobs.run_job(parent, "从 Excel 导入…", work) == "ok"
    assert seen == [True]
    assert _open_dialogs() == []
    _settle(qtbot, 600)
    assert _open_dialogs() == []


def test_progress_arriving_after_the_end_never_reopens_the_dialog(qtbot, parent):
    late = threading.Event()

    def work(progress):
        time.sleep(0.45)  # long enough for the dialog to show

        def afterwards():  # a report that arrives after the job returned
            late.wait(2)
            progress.report(0.99, "迟到的进度")

        threading.Thread(target=afterwards, daemon=True).start()
        return 1

    jobs.run_job(parent, "备份…", work)
    late.set()
    _settle(qtbot, 400)
    assert _open_dialogs() == []


def test_cancel_stops_the_job_and_the_dialog_goes(qtbot, parent):
    stopped = []

    def work(progress):
        for i in range(400):
            check(progress, i / 400)
            time.sleep(0.01)
        stopped.append("ran to the end")

    def press_cancel():
        dialogs = [w for w in _open_dialogs() if isinstance(w, jobs.ProgressDialog)]
        if not dialogs:
            QTimer.singleShot(50, press_cancel)
            return
        dialogs[0].cancel_button.click()

    QTimer.singleShot(jobs.SHOW_AFTER_MS + 100, press_cancel)
    with pytest.raises(Cancelled):
        jobs.run_job(parent, "完整性检查…", work)
    assert stopped == []
    assert _open_dialogs() == []


def test_an_error_is_raised_on_the_ui_thread_and_the_dialog_goes(qtbot, parent):
    def work(progress):
        time.sleep(0.4)
        raise ValueError("坏了")

    with pytest.raises(ValueError, match="坏了"):
        jobs.run_job(parent, "…", work)
    assert _open_dialogs() == []


def test_run_long_tells_the_user_that_nothing_was_changed(qtbot, parent, monkeypatch):
    told = []
    monkeypatch.setattr(
        QMessageBox, "information", lambda p, title, text, *a, **k: told.append(text)
    )

    def cancelling(progress):
        raise Cancelled()

    assert operations.run_long(parent, "备份…", cancelling) is None
    assert told == ["已取消，未做任何修改。"]
    assert _open_dialogs() == []


def test_background_jobs_answer_on_the_ui_thread(qtbot):
    threads = []

    def work(progress):
        return threading.current_thread().name

    job = jobs.start(work, lambda name: threads.append((name, threading.current_thread().name)))
    qtbot.waitUntil(lambda: bool(threads), timeout=3000)
    assert threads[0][0] != threads[0][1] == threading.main_thread().name
    assert not job.running()


def test_no_dialog_survives_a_job_in_a_modal_dialog(qtbot):
    """The case of the import dialog: the job runs over a modal dialog."""
    dialog = QDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    jobs.run_job(dialog, "从 Excel 导入…", lambda progress: time.sleep(0.35))
    _settle(qtbot, 500)
    assert _open_dialogs() == []


def test_the_customer_export_ends_with_no_dialog_left(
    qtbot, db, org, make_customer, tmp_path, monkeypatch
):
    """导出到 Excel… used to stay at 100 % until 取消 was pressed: the export, run from the
    list as the user runs it, leaves no progress dialog when it is done."""
    from PySide6.QtWidgets import QFileDialog

    from kac_desktop.services import customers as cs
    from kac_desktop.views.customer_list import CustomerListPage

    for i in range(30):
        data = make_customer(f"福州第{i}号贸易有限公司", manager=org.mgr_a1, nature="individual")
        cs.save_customer(db, org.mgr_a1, data)
    page = CustomerListPage(db, org.mgr_a1)
    qtbot.addWidget(page)
    page.show()
    target = tmp_path / "客户清单.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    told = []
    monkeypatch.setattr(QMessageBox, "information", lambda p, t, text, *a, **k: told.append(text))
    page.export()
    assert target.exists() and told and "30" in told[0]
    _settle(qtbot, jobs.SHOW_AFTER_MS + 500)
    assert _open_dialogs() == []
