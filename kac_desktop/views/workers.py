"""Run long work (import, export, demo data) on a worker thread behind a cancellable
progress dialog, so the window never freezes.  The work is a plain function below views/
that takes a Progress handle; it opens its own database session in that thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from kac_desktop.i18n import _


class _Handle:
    def __init__(self, thread: _Worker) -> None:
        self._thread = thread
        self._cancel = threading.Event()

    def report(self, fraction: float, message: str = "") -> None:
        self._thread.progressed.emit(max(0.0, min(1.0, fraction)), message)

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()


class _Worker(QThread):
    progressed = Signal(float, str)

    def __init__(self, work: Callable[[Any], Any]) -> None:
        super().__init__()
        self._work = work
        self.handle = _Handle(self)
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self._work(self.handle)
        except BaseException as exc:  # handed back to the UI thread and raised there
            self.error = exc


def run_with_progress(parent: QWidget | None, title: str, work: Callable[[Any], Any]) -> Any:
    """Run ``work(progress)`` on a worker thread; return its result or raise its error
    (progress.Cancelled when the user pressed Cancel)."""
    worker = _Worker(work)
    dialog = QProgressDialog(title, _("Cancel"), 0, 1000, parent)
    dialog.setWindowTitle(title)
    dialog.setMinimumDuration(300)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setMinimumWidth(420)

    def on_progress(fraction: float, message: str) -> None:
        dialog.setValue(int(fraction * 1000))
        if message:
            dialog.setLabelText(message)

    worker.progressed.connect(on_progress)
    dialog.canceled.connect(worker.handle.cancel)
    worker.finished.connect(dialog.accept)
    worker.start()
    if worker.isRunning():
        dialog.exec()
    worker.wait()
    dialog.close()
    if worker.error is not None:
        raise worker.error
    return worker.result
