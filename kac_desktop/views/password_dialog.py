"""Changing one's own password, and an administrator setting a user's new password."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout

from kac_desktop.i18n import _
from kac_desktop.rules.passwords import rule_text
from kac_desktop.services import auth
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database
from kac_desktop.services.errors import ServiceError

from .sign_in import dialog_buttons, error_label


def password_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class ChangePasswordDialog(QDialog):
    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.setWindowTitle(_("Change password"))
        self.old = password_field("old")
        self.new = password_field("new")
        self.repeat = password_field("repeat")
        rule = QLabel(rule_text())
        rule.setStyleSheet("color: #666;")
        self.message = error_label()
        form = QFormLayout()
        form.addRow(_("Current password"), self.old)
        form.addRow(_("New password"), self.new)
        form.addRow(_("Repeat the new password"), self.repeat)
        form.addRow("", rule)
        buttons = dialog_buttons()
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("User: {name}").format(name=actor.display_name)))
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(420, 0)

    def save(self) -> None:
        try:
            auth.change_password(
                self.db, self.actor, self.old.text(), self.new.text(), self.repeat.text()
            )
        except ServiceError as exc:
            self.message.setText(exc.message)
            self.message.show()
            return
        self.accept()


class NewPasswordDialog(QDialog):
    """Asks for a new password twice (an administrator resetting a user's password)."""

    def __init__(self, title: str, login: str, parent=None) -> None:
        super().__init__(parent)
        self.login = login
        self.setWindowTitle(title)
        self.new = password_field("new")
        self.repeat = password_field("repeat")
        rule = QLabel(rule_text())
        rule.setStyleSheet("color: #666;")
        self.message = error_label()
        form = QFormLayout()
        form.addRow(_("New password"), self.new)
        form.addRow(_("Repeat the new password"), self.repeat)
        form.addRow("", rule)
        buttons = dialog_buttons()
        buttons.accepted.connect(self.check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(400, 0)

    def password(self) -> str:
        return self.new.text()

    def check(self) -> None:
        try:
            auth.check_new_password(self.new.text(), self.login, self.repeat.text())
        except ServiceError as exc:
            self.message.setText(exc.message)
            self.message.show()
            return
        self.accept()
