"""GUI start-up: language, fonts, the database (with clear messages), first start, window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QMessageBox

from kac_desktop.db import Database, DatabaseProblem, open_database
from kac_desktop.i18n import _, set_language
from kac_desktop.services import users as user_service
from kac_desktop.services.context import Actor
from kac_desktop.services.errors import ServiceError

FONT_FILE = (
    Path(__file__).resolve().parent.parent / "resources" / "fonts" / "DroidSansFallbackFull.ttf"
)


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


def start(db: Database, login: str | None, parent=None) -> Actor | None:
    """The actor the window runs as; on an empty database the first-start dialog."""
    from .first_run import FirstRunDialog

    if user_service.needs_first_user(db):
        dialog = FirstRunDialog(db, parent)
        if dialog.exec() != FirstRunDialog.DialogCode.Accepted:
            return None
        return dialog.actor
    return user_service.actor_for(db, login)


def run(db_target: str | None = None, login: str | None = None, language: str | None = None) -> int:
    app = make_application()
    choose_language(language)
    try:
        db = open_database(db_target)
    except DatabaseProblem as exc:
        QMessageBox.critical(None, _("The database cannot be opened"), exc.message)
        return 2
    try:
        actor = start(db, login)
    except ServiceError as exc:
        QMessageBox.critical(None, _("Cannot start"), exc.message)
        return 2
    if actor is None:
        return 0
    from .main_window import MainWindow

    window = MainWindow(db, actor)
    window.show()
    code = app.exec()
    db.dispose()
    return code
