"""The sign-in dialog before the main window (docs/DOMAIN.md §7: only authorised people)."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
)

from kac_desktop.i18n import _
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database

from .colours import current_colours

LOGIN_KEY = "signin/login"


def dialog_buttons(ok_text: str | None = None) -> QDialogButtonBox:
    """OK and Cancel in the interface's language (Qt's own labels stay English without a
    Qt translation)."""
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text or _("OK"))
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
    return buttons


def error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("error")
    label.setWordWrap(True)
    label.setStyleSheet("color: #c62828;")
    label.hide()
    return label


class SignInDialog(QDialog):
    def __init__(self, db: Database, login: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor: Actor | None = None
        self.setWindowTitle(_("Sign in — kac_desktop"))
        title = QLabel(_("Key-account management"))
        title.setStyleSheet(
            f"font-size: 18px; font-weight: bold; color: {current_colours().accent};"
        )
        where = QLabel(db.where)
        where.setStyleSheet("color: #666;")
        where.setWordWrap(True)
        self.login = QLineEdit(login or QSettings().value(LOGIN_KEY, "") or "")
        self.login.setObjectName("login")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = error_label()
        form = QFormLayout()
        form.addRow(_("Login name"), self.login)
        form.addRow(_("Password"), self.password)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(_("Sign in"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Quit"))
        buttons.accepted.connect(self.sign_in)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(where)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(420, 0)
        (self.password if self.login.text() else self.login).setFocus()

    def sign_in(self) -> None:
        login = self.login.text().strip()
        if not login:
            self._show(_("Enter your login name."))
            self.login.setFocus()
            return
        # imported while the user typed (views/app.py), so this costs nothing then
        from kac_desktop.services import auth

        from . import operations

        def refused(exc) -> None:
            self.password.clear()
            self.password.setFocus()
            self._show(exc.message)

        actor = operations.run(
            self, lambda: auth.sign_in(self.db, login, self.password.text()), refused=refused
        )
        if actor is None:
            return
        self.actor = actor
        QSettings().setValue(LOGIN_KEY, login)
        self._warn_administrator()
        self.accept()

    def _warn_administrator(self) -> None:
        """An administrator is told at once of changes made outside the application."""
        from kac_desktop.services import integrity

        warnings = integrity.warnings_for(self.db, self.actor)
        if warnings:
            QMessageBox.warning(
                self, _("Changes made outside the application"), "\n\n".join(warnings)
            )

    def _show(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()
