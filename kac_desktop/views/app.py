"""GUI start-up: language, fonts, the database (with clear messages and a way forward when
it cannot be used), first start or sign-in, window; once the window has painted, the full
check of the database and the daily backup on a worker thread (views/startup_checks.py)."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path

# Nothing of SQLAlchemy, the models or the services is imported before the sign-in dialog
# is on screen: a database at the schema's head is opened with sqlite3 alone
# (db.open_database), and the dialog needs nothing more.  The services are imported while the
# user types the password (PRELOAD_AFTER_MS); the window reads through them alone.
from kac_desktop import __version__
from kac_desktop.config import data_dir
from kac_desktop.i18n import _, set_language
from kac_desktop.resource_files import ICON_SIZES, font_path, icon_png
from kac_desktop.services.context import Actor
from kac_desktop.services.database import (
    Database,
    DatabaseProblem,
    LockedDatabase,
    network_warning,
    open_database,
)
from kac_desktop.services.errors import ServiceError

# isort: split
from PySide6.QtCore import QLibraryInfo, QLocale, QSettings, QSize, QTimer, QTranslator
from PySide6.QtGui import QFont, QFontDatabase, QIcon
from PySide6.QtWidgets import QApplication

LOG_FILE = "kac_desktop-errors.log"
PRELOAD_AFTER_MS = 300  # the sign-in dialog is on screen by then
log = logging.getLogger("kac_desktop")


def install_fonts(app: QApplication) -> None:
    """Chinese must render on a PC without Chinese fonts: the bundled Droid Sans Fallback
    (Apache-2.0) is the fallback family behind the system's default."""
    font_id = QFontDatabase.addApplicationFont(str(font_path()))
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
    app.setApplicationVersion(__version__)
    # the taskbar and the Linux menu match windows to the desktop entry by this name
    app.setDesktopFileName("kac-desktop")
    install_fonts(app)
    app.setWindowIcon(application_icon())
    from .colours import follow_system_scheme

    follow_system_scheme(app)
    return app


def application_icon() -> QIcon:
    """The icon of every window: the PNG sizes rendered from resources/icons/kac-desktop.svg."""
    icon = QIcon()
    for size in ICON_SIZES:
        path = icon_png(size)
        if path.is_file():
            icon.addFile(str(path), QSize(size, size))
    return icon


def choose_language(explicit: str | None) -> str:
    """The interface language, for the application's texts and for Qt's own."""
    language = set_language(explicit or QSettings().value("ui/language", "system"))
    install_qt_language(language)
    return language


_qt_translators: list[QTranslator] = []


class _MnemonicFallback(QTranslator):
    """Qt's Chinese catalogue lags some of its own source texts that gained a mnemonic
    (the file dialog's "&Look in:" and "Files of &type:" are only there as "Look in:" and
    "Files of type:"): such a text is looked up without its "&" and given back with the
    mnemonic in the Chinese way, 查找范围(&L)：."""

    def __init__(self, base: QTranslator, parent=None) -> None:
        super().__init__(parent)
        self._base = base

    def isEmpty(self) -> bool:  # noqa: N802 - Qt's name
        return False

    def translate(self, context, source, disambiguation=None, n=-1):  # noqa: D102
        at = source.find("&") if source else -1
        if at < 0 or at + 1 >= len(source) or source[at + 1] == "&":
            return ""
        found = self._base.translate(context, source[:at] + source[at + 1 :], disambiguation, n)
        if not found:
            return ""
        mnemonic = f"(&{source[at + 1].upper()})"
        if found[-1] in ":：":
            return found[:-1] + mnemonic + found[-1]
        return found + mnemonic


def install_qt_language(language: str) -> bool:
    """Qt's own texts (the standard buttons Save / Discard / Cancel, the edit menu of a text
    field, the file dialog, the calendar's month and day names) in ``language``: Qt's
    translation catalogue shipped with PySide6 and the matching default QLocale.  True when
    the catalogue was found (English needs none)."""
    app = QApplication.instance()
    for translator in _qt_translators:
        if app is not None:
            app.removeTranslator(translator)
    _qt_translators.clear()
    if language == "en":
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
        return True
    locale = QLocale(language)
    QLocale.setDefault(locale)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translator = QTranslator(app)
    if not translator.load(locale, "qtbase", "_", folder):
        log.warning("Qt's translation qtbase_%s was not found in %s", language, folder)
        return False
    fallback = _MnemonicFallback(translator, app)
    _qt_translators.extend([fallback, translator])
    if app is not None:
        # the last installed is asked first: Qt's catalogue, then the mnemonic fallback
        app.installTranslator(fallback)
        app.installTranslator(translator)
    return True


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
    from kac_desktop.services.database import problem_of as classify

    # a lock, a lost race, a full disk … met outside the engine's translation: in words
    problem = classify(value, current_db_path) if isinstance(value, Exception) else None
    title = _("Unexpected error")
    if problem is not None:
        message, title = problem.message, problem.title
    else:
        message = getattr(value, "message", None) or _(
            "An unexpected error occurred. What you saved before is kept. The details were "
            "written to {path}; please send that file to your administrator."
        ).format(path=path)
    if QApplication.instance() is not None:
        from PySide6.QtWidgets import QMessageBox

        if problem is not None:
            QMessageBox.warning(None, title, message)
        else:
            QMessageBox.critical(None, title, message)
    else:
        print(message, file=sys.stderr)


# the database the window works on, for the messages of the last resort
current_db_path: Path | None = None


def import_services() -> None:
    """Import what signing in and the window's work after its first paint need (0.3-0.4 s):
    while the user types the password, not after "Sign in"."""
    import kac_desktop.services.auth
    import kac_desktop.services.backup
    import kac_desktop.services.customers
    import kac_desktop.services.list_cache
    import kac_desktop.services.users  # noqa: F401 - imported for their cost

    from . import main_window  # noqa: F401


def _needs_first_user(db: Database) -> bool:
    empty = db.needs_first_user()
    if empty is None:
        from kac_desktop.services import users as user_service

        return user_service.needs_first_user(db)
    return empty


def start(db: Database, login: str | None, parent=None) -> Actor | None:
    """The actor the window runs as: the first-start dialog on an empty database, else
    the sign-in dialog."""
    from .sign_in import SignInDialog

    if _needs_first_user(db):
        from .first_run import FirstRunDialog

        dialog = FirstRunDialog(db, parent)
        if dialog.exec() != FirstRunDialog.DialogCode.Accepted:
            return None
        return dialog.actor
    sign_in = SignInDialog(db, login, parent)
    # while the user types, import what the window needs instead of after "Sign in"
    QTimer.singleShot(PRELOAD_AFTER_MS, sign_in, import_services)
    if sign_in.exec() != SignInDialog.DialogCode.Accepted:
        return None
    return sign_in.actor


def open_checked(target: str | Path | None, parent=None) -> Database | None:
    """Open the database; when it cannot be opened (damaged, locked, foreign, newer) the
    recovery dialog offers the latest good backup, another database, or quitting.  None
    when the user quits.  The full check and the day's backup follow the first paint of
    the window (open_window)."""
    while True:
        try:
            db = open_database(target, create=False)  # a server is set up by `server init`
        except DatabaseProblem as problem:
            from kac_desktop.config import database_url, sqlite_path

            from .recovery_dialog import RecoveryDialog

            path = problem.path or sqlite_path(database_url(target))
            dialog = RecoveryDialog(
                problem.message, path, locked=isinstance(problem, LockedDatabase), parent=parent
            )
            dialog.exec()
            if dialog.choice == "quit":
                return None
            if dialog.choice == "other":
                target = dialog.other_path
            continue
        warning = network_warning(db.path)
        if warning:
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.warning(parent, _("Database on a network drive"), warning)
        return db


def open_window(db: Database, actor: Actor):
    """The main window, shown; once it has painted, the quick check of the whole database
    and the day's backup run on a worker thread, and damage found brings the recovery
    dialog (``window.checks``)."""
    from .main_window import MainWindow
    from .startup_checks import StartupChecks, recover

    window = MainWindow(db, actor)
    window.checks = StartupChecks(db, window)
    window.firstPainted.connect(window.checks.start)
    window.checks.damaged.connect(lambda problems: recover(window, problems))
    window.show()
    return window


def run(db_target: str | None = None, login: str | None = None, language: str | None = None) -> int:
    app = make_application()
    choose_language(language)
    sys.excepthook = excepthook
    while True:
        db = open_checked(db_target)
        if db is None:
            return 2
        global current_db_path
        current_db_path = db.path
        try:
            actor = start(db, login)
        except ServiceError as exc:
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.critical(None, _("Cannot start"), exc.message)
            db.dispose()
            return 2
        if actor is None:
            db.dispose()
            return 0
        window = open_window(db, actor)
        code = app.exec()
        window.checks.wait()  # a day's backup is finished, not left half made
        db.dispose()
        if not window.restart_requested:
            return code if window.exit_code is None else window.exit_code
        target = window.restart_target or db.path
        db_target = str(target) if target else db.url
