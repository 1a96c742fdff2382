"""The one job runner: long work on a worker thread, behind a progress dialog whose Cancel
works, or quietly in the background.

A job is a plain function below views/ that takes the progress-and-cancel handle
(kac_desktop/progress.py), reports now and then, and checks ``cancelled()`` at the points
where stopping leaves nothing half done — it raises ``progress.Cancelled`` there, after
undoing what it started (no partial file, no partial commit).  It opens its own database
session in its thread; nothing of the window crosses into it.

* ``run_job(parent, title, work)`` — the user waits: a modal progress dialog appears when the
  work takes longer than a moment, Cancel asks the job to stop (the dialog says so and waits
  for it), and the dialog is closed for good when the job ends.  Progress that arrives after
  the end is dropped: nothing opens the dialog again.  Returns the job's result or raises
  its error (``Cancelled`` when the user cancelled).
* ``start(work, done)`` — the user does not wait (a count for the status bar, the search
  cache, a start-up check): ``done(result)`` (or ``failed(error)``) runs on the UI thread when
  the job ends.

Both run the job on a ``threading.Thread`` (daemon: a background count never holds the
program open when the window closes) and hand results to the UI thread through a queued
Qt signal.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.i18n import _
from kac_desktop.progress import Progress

log = logging.getLogger("kac_desktop")

T = TypeVar("T")

# the dialog appears only when a job takes longer than this (a quick job shows nothing)
SHOW_AFTER_MS = 300
_SCALE = 1000


class Handle:
    """The progress-and-cancel handle a job gets (progress.Progress)."""

    def __init__(self, job: Job) -> None:
        self._job = job
        self._cancel = threading.Event()

    def report(self, fraction: float, message: str = "") -> None:
        self._job._report(max(0.0, min(1.0, float(fraction))), message)

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()


class Job(QObject):
    """One run of a job; lives on the UI thread, its work on a thread of its own."""

    progressed = Signal(float, str)
    ended = Signal()

    # every job still running: a job must outlive whatever started it (a closed page)
    _running: set[Job] = set()

    def __init__(self, work: Callable[[Progress], Any], name: str = "job") -> None:
        super().__init__()
        self._work = work
        self._name = name
        self.handle = Handle(self)
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = False
        self._thread: threading.Thread | None = None
        self._finished = threading.Event()
        # emitted from the worker, received here on the UI thread (a queued connection)
        self._ended_relay.connect(self._on_ended, Qt.ConnectionType.QueuedConnection)

    _ended_relay = Signal()

    def start(self) -> Job:
        Job._running.add(self)
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.result = self._work(self.handle)
        except BaseException as exc:  # handed to the UI thread and raised or passed there
            self.error = exc
        finally:
            self._finished.set()
            try:
                self._ended_relay.emit()
            except RuntimeError:  # the application is gone
                pass

    def _report(self, fraction: float, message: str) -> None:
        if not self._finished.is_set():
            try:
                self.progressed.emit(fraction, message)
            except RuntimeError:
                pass

    def _on_ended(self) -> None:
        if self.done:
            return
        self.done = True
        Job._running.discard(self)
        self.ended.emit()

    def cancel(self) -> None:
        self.handle.cancel()

    def running(self) -> bool:
        return not self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the work is over (waits up to ``timeout`` seconds; the UI thread only
        when it must, e.g. a backup is not left half made when the window closes)."""
        return self._finished.wait(timeout)


def start(
    work: Callable[[Progress], T],
    done: Callable[[T], None] | None = None,
    failed: Callable[[BaseException], None] | None = None,
    *,
    name: str = "background-job",
) -> Job:
    """Run ``work(handle)`` in the background; ``done(result)`` or ``failed(error)`` on the
    UI thread when it ends (an error without ``failed`` is logged)."""
    job = Job(work, name)

    def ended() -> None:
        if job.error is None:
            if done is not None:
                done(job.result)
        elif failed is not None:
            failed(job.error)
        elif not _is_cancel(job.error):
            log.error("%s failed", name, exc_info=job.error)

    job.ended.connect(ended)
    return job.start()


def _is_cancel(error: BaseException) -> bool:
    from kac_desktop.progress import Cancelled

    return isinstance(error, Cancelled)


class ProgressDialog(QDialog):
    """The job's progress: its message, a bar, and a Cancel that asks the job to stop."""

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName("jobProgress")
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setMinimumWidth(420)
        self.label = QLabel(title)
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, _SCALE)
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addLayout(buttons)
        self.cancel_requested: Callable[[], None] = lambda: None
        self.cancel_button.clicked.connect(self._cancel)

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText(_("Cancelling… the work stops at the next safe point."))
        self.cancel_requested()

    def reject(self) -> None:  # Esc, the window's close button: the same as Cancel
        if self.cancel_button.isEnabled():
            self._cancel()

    def show_progress(self, fraction: float, message: str) -> None:
        self.bar.setValue(int(fraction * _SCALE))
        if message and self.cancel_button.isEnabled():
            self.label.setText(message)


def run_job(parent: QWidget | None, title: str, work: Callable[[Progress], T]) -> T:
    """Run ``work(handle)`` while the user waits; return its result or raise its error
    (``progress.Cancelled`` when the user cancelled)."""
    job = Job(work, "job")
    dialog = ProgressDialog(title, parent)
    dialog.cancel_requested = job.cancel
    loop = QEventLoop()

    def progressed(fraction: float, message: str) -> None:
        if not job.done:  # late progress never reaches (or reopens) a closed dialog
            dialog.show_progress(fraction, message)

    def show() -> None:
        if not job.done:
            dialog.show()
            loop.quit()  # on in the loop that lets the user reach Cancel

    job.progressed.connect(progressed)
    job.ended.connect(loop.quit)
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(show)
    job.start()
    timer.start(SHOW_AFTER_MS)
    try:
        # until the dialog shows, the window takes no input (the work is under way); after
        # that the modal dialog keeps it from the window, and Cancel can be pressed
        loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        if not job.done:
            loop.exec()
    finally:
        timer.stop()
        job.progressed.disconnect(progressed)
        if not job.done:  # the loop ended another way (the application quits): stop it
            job.cancel()
            job.wait()
        dialog.hide()
        dialog.deleteLater()
    if job.error is not None:
        raise job.error
    return job.result
