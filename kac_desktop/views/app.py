"""GUI start-up: language, fonts, the database (with clear messages and a way forward when
it cannot be used), the daily backup, first start or sign-in, window."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QMessageBox

from kac_desktop.config import data_dir
from kac_desktop.db import Database, DatabaseProblem, LockedDatabase, open_database
from kac_desktop.i18n import _, set_language
from kac_desktop.progress import Cancelled
from kac_desktop.services import backup as backup_service
from kac_desktop.services import users as user_service
from kac_desktop.services.context import Actor
from kac_desktop.services.errors import ServiceError

FONT_FILE = (
    Path(__file__).resolve().parent.parent / "resources" / "fonts" / "DroidSansFallbackFull.ttf"
)
LOG_FILE = "kac_desktop-errors.log"
log = logging.getLogger("kac_desktop")


def install_fonts(app: QApplication) -> None:
    """Chinese must render on a PC without Chinese fonts: the bundled Droid Sans Fallback
    (Apache-2.0) is the fallback family behind the system's default."""
    font_id = QFontDatabase.addApplicationFont(str(FONT_FILE))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    font = QFont(app.font())
    font.setFamilies([font.family(), *families])
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setOrganizationName("kac_desktop")
    app.setApplicationName("kac_desktop")
    app.setApplicationDisplayName("kac_desktop")
    install_fonts(app)
    return app


def choose_language(explicit: str | None) -> str:
    return set_language(explicit or QSettings().value("ui/language", "system"))


def error_log_path() -> Path:
    return data_dir() / LOG_FILE


def excepthook(kind, value, tb) -> None:
    """The last resort: a message instead of a traceback; the traceback goes to a file in
    the data folder for whoever supports the branch."""
    path = error_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write("".join(traceback.format_exception(kind, value, tb)) + "\n")
    except OSError:
        pass
    if issubclass(kind, KeyboardInterrupt):
        return
    message = getattr(value, "message", None) or _(
        "An unexpected error occurred. What you saved before is kept. The details were "
        "written to {path}; please send that file to your administrator."
    ).format(path=path)
    if QApplication.instance() is not None:
        QMessageBox.critical(None, _("Unexpected error"), message)
    else:
        print(message, file=sys.stderr)


def start(db: Database, login: str | None, parent=None) -> Actor | None:
    """The actor the window runs as: the first-start dialog on an empty database, else
    the sign-in dialog."""
    from .first_run import FirstRunDialog
    from .sign_in import SignInDialog

    if user_service.needs_first_user(db):
        dialog = FirstRunDialog(db, parent)
        if dialog.exec() != FirstRunDialog.DialogCode.Accepted:
            return None
        return dialog.actor
    sign_in = SignInDialog(db, login, parent)
    if sign_in.exec() != SignInDialog.DialogCode.Accepted:
        return None
    return sign_in.actor


def open_checked(target: str | Path | None, parent=None) -> Database | None:
    """Open the database, run the quick check off the UI thread and make the day's backup;
    on any problem the recovery dialog offers the latest good backup, another database, or
    quitting.  None when the user quits."""
    from .recovery_dialog import RecoveryDialog
    from .workers import run_with_progress

    while True:
        problem: DatabaseProblem | None = None
        db: Database | None = None
        try:
            db = open_database(target)
        except DatabaseProblem as exc:
            problem = exc
        if db is not None:
            current = db
            try:
                problems = run_with_progress(
                    parent,
                    _("Checking the database…"),
                    lambda _p, d=current: backup_service.quick_check(d),
                )
            except Cancelled:
                problems = []
            if problems:
                db.dispose()
                problem = DatabaseProblem(
                    _(
                        "The database {path} is damaged:\n{problems}\n\nOpen the latest good "
                        "backup; the damaged file is kept."
                    ).format(path=db.path, problems="\n".join(problems[:5])),
                    db.path,
                )
                db = None
        if db is not None:
            try:
                run_with_progress(
                    parent, _("Daily backup…"), lambda _p, d=current: backup_service.daily_backup(d)
                )
            except (Cancelled, ServiceError) as exc:
                log.warning("daily backup: %s", getattr(exc, "message", exc))
            warning = backup_service.network_warning(db.path)
            if warning:
                QMessageBox.warning(parent, _("Database on a network drive"), warning)
            return db
        assert problem is not None
        from kac_desktop.config import database_url, sqlite_path

        path = problem.path or sqlite_path(database_url(target))
        dialog = RecoveryDialog(
            problem.message, path, locked=isinstance(problem, LockedDatabase), parent=parent
        )
        dialog.exec()
        if dialog.choice == "quit":
            return None
        if dialog.choice == "other":
            target = dialog.other_path


def run(db_target: str | None = None, login: str | None = None, language: str | None = None) -> int:
    app = make_application()
    choose_language(language)
    sys.excepthook = excepthook
    from .main_window import MainWindow

    while True:
        db = open_checked(db_target)
        if db is None:
            return 2
        try:
            actor = start(db, login)
        except ServiceError as exc:
            QMessageBox.critical(None, _("Cannot start"), exc.message)
            db.dispose()
            return 2
        if actor is None:
            db.dispose()
            return 0
        window = MainWindow(db, actor)
        window.show()
        code = app.exec()
        db.dispose()
        if not window.restart_requested:
            return code
        db_target = str(db.path) if db.path else db.url
