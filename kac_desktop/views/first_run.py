"""The first start on an empty database: the user's unit and administrator account, or a
database of demonstration data to try the application with."""

from __future__ import annotations

import getpass

from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from kac_desktop.demo.build import DEMO_PASSWORD
from kac_desktop.i18n import _
from kac_desktop.progress import Cancelled
from kac_desktop.rules.passwords import rule_text
from kac_desktop.services import users as user_service
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database
from kac_desktop.services.errors import ServiceError

from .password_dialog import password_field
from .screen_fit import FittedDialog
from .workers import run_with_progress

DEMO_CUSTOMERS = 2000


class FirstRunDialog(FittedDialog):
    def __init__(self, db: Database, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor: Actor | None = None
        self.setWindowTitle(_("Welcome to kac_desktop"))
        intro = QLabel(
            _(
                "This database is new. Enter your unit and your name to start with "
                "an empty set of customer files, or load demonstration data to try "
                "the application first."
            )
        )
        intro.setWordWrap(True)
        self.branch = QLineEdit()
        self.branch.setPlaceholderText(_("e.g. Gulou sub-branch"))
        self.name = QLineEdit()
        self.login = QLineEdit(getpass.getuser() if hasattr(getpass, "getuser") else "")
        form = QFormLayout()
        form.addRow(_("Your unit"), self.branch)
        form.addRow(_("Your name"), self.name)
        form.addRow(_("Login name"), self.login)
        self.password = password_field("password")
        self.repeat = password_field("repeat")
        rule = QLabel(rule_text())
        rule.setStyleSheet("color: #666;")
        form.addRow(_("Password"), self.password)
        form.addRow(_("Repeat the password"), self.repeat)
        form.addRow("", rule)
        start = QPushButton(_("Start with an empty database"))
        start.setDefault(True)
        demo = QPushButton(_("Load demonstration data…"))
        start.clicked.connect(self.create)
        demo.clicked.connect(self.load_demo)
        buttons = QHBoxLayout()
        buttons.addWidget(demo)
        buttons.addStretch()
        buttons.addWidget(start)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addLayout(buttons)
        demo_note = QLabel(
            _(
                "Demonstration users (admin, sup_…, mgr…) all sign in with the password {password}."
            ).format(password=DEMO_PASSWORD)
        )
        demo_note.setStyleSheet("color: #666;")
        layout.addWidget(demo_note)
        self.resize(520, 0)

    def create(self) -> None:
        try:
            self.actor = user_service.create_first_admin(
                self.db,
                self.branch.text(),
                self.name.text(),
                self.login.text(),
                self.password.text(),
                self.repeat.text(),
            )
        except ServiceError as exc:
            QMessageBox.warning(self, self.windowTitle(), exc.message)
            return
        self.accept()

    def load_demo(self) -> None:
        from kac_desktop.demo.build import build_demo

        try:
            run_with_progress(
                self,
                _("Building demonstration data…"),
                lambda progress: build_demo(self.db, customers=DEMO_CUSTOMERS, progress=progress),
            )
        except Cancelled:
            return
        except ServiceError as exc:
            QMessageBox.warning(self, self.windowTitle(), exc.message)
            return
        # the person who built the data starts as its administrator; the next start asks
        # for a password like any other
        self.actor = user_service.actor_for(self.db, None)
        self.accept()
