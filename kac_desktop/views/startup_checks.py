"""The slow safety work of a start — PRAGMA quick_check of the whole file, then the day's
backup — on a worker thread once the main window has painted its customer list.

On a 3 GB database the two take tens of seconds (the check alone ~16 s), which the user
used to wait for before the sign-in dialog.  A file too damaged to open still stops the
start (open_database, views/app.open_checked); damage that only the full check finds
now leads to the same recovery dialog over the window, a little later.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from kac_desktop.i18n import _
from kac_desktop.services.database import Database

from . import jobs

if TYPE_CHECKING:
    from kac_desktop.services.backup import BackupInfo

log = logging.getLogger("kac_desktop")


class StartupChecks(QObject):
    """``start()`` runs the check and, when the file is sound, the day's backup; ``damaged``
    carries the problems found (no backup is made of a damaged file)."""

    damaged = Signal(object)  # list[str]
    finished = Signal()

    def __init__(self, db: Database, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.problems: list[str] | None = None
        self.backup: BackupInfo | None = None
        self._job: jobs.Job | None = None

    def start(self) -> None:
        if self._job is not None:
            return
        # imported here, on the UI thread, not by the worker: two threads importing at once
        # can deadlock, and the window imports the services right after its first paint
        from kac_desktop.services import backup as backup_service
        from kac_desktop.services.errors import ServiceError

        self._job = jobs.start(
            lambda _handle: self._run(backup_service, ServiceError), name="startup-checks"
        )

    def running(self) -> bool:
        return self._job is not None and self._job.running()

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the work is over (a backup is not left half made when the window closes)."""
        if self._job is not None:
            self._job.wait(timeout)
        return not self.running()

    def _run(self, backup_service, service_error: type[Exception]) -> None:
        # the services open their own connections in this thread (no session crosses)
        try:
            try:
                problems = backup_service.quick_check(self.db)
            except service_error as exc:
                # locked by another program, unreadable, gone: not damage, so no restore
                # is offered (the work the user does next meets the problem in its words)
                log.warning("start-up check not made: %s", exc.message)
                return
            self.problems = problems
            if problems:
                self._emit(self.damaged, problems)
                return
            try:
                self.backup = backup_service.daily_backup(self.db)
            except service_error as exc:
                log.warning("daily backup: %s", exc.message)
        except Exception:  # a start-up check must never take the window down
            log.exception("start-up checks")
        finally:
            self._emit(self.finished)

    def _emit(self, signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the window, and this object with it, is gone
            pass


def damage_message(db: Database, problems: list[str]) -> str:
    return _(
        "The database {path} is damaged:\n{problems}\n\nOpen the latest good "
        "backup; the damaged file is kept."
    ).format(path=db.path, problems="\n".join(problems[:5]))


def recover(window, problems: list[str]) -> None:
    """The recovery dialog over the window for a database the check found damaged; the
    window closes and views/app.run starts again on the restored (or the other) database,
    or quits."""
    from .recovery_dialog import RecoveryDialog

    db: Database = window.db
    db.dispose()  # the restore replaces the file: let go of it first
    dialog = RecoveryDialog(damage_message(db, problems), db.path, parent=window)
    dialog.exec()
    if dialog.choice == "quit":
        window.exit_code = 2
    else:
        window.restart_requested = True
        window.restart_target = dialog.other_path if dialog.choice == "other" else None
    window.close()
