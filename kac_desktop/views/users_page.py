"""User administration (用户管理): the administrator creates, disables and resets users; a
supervisor sees his branch's users read-only."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.i18n import N_, _
from kac_desktop.rules import vocab
from kac_desktop.rules.clock import LOCAL_TZ
from kac_desktop.rules.passwords import rule_text
from kac_desktop.services import users as user_service
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database
from kac_desktop.services.errors import ServiceError
from kac_desktop.services.users import UserAdminRow

from .paged_model import IdRole
from .password_dialog import NewPasswordDialog, password_field
from .sign_in import dialog_buttons, error_label
from .table_models import ColumnTableModel, house_table

COLUMNS = (
    N_("Login name"),
    N_("Full name"),
    N_("Role"),
    N_("Branch"),
    N_("State"),
    N_("Last sign-in"),
)


def state_text(row: UserAdminRow) -> str:
    """The account's state as the service judged it, in words."""
    if row.state == "disabled":
        return _("Disabled")
    if row.state == "locked" and row.locked_until is not None:
        until = row.locked_until.astimezone(LOCAL_TZ).strftime("%H:%M")
        return _("Locked until {time}").format(time=until)
    if row.state == "no_password":
        return _("No password")
    return _("Active")


class UserTableModel(ColumnTableModel):
    """The users the actor may see.  Not paged: a few hundred at most, read in one query."""

    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        super().__init__(COLUMNS, parent)
        self.db = db
        self.actor = actor
        self._rows: list[UserAdminRow] = []

    def reload(self) -> None:
        self.beginResetModel()
        self._rows = user_service.list_users(self.db, self.actor)
        self.endResetModel()

    def row_at(self, row: int) -> UserAdminRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_total(self) -> int:
        return len(self._rows)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        row = self._rows[index.row()]
        if role == IdRole:
            return row.id
        if role == Qt.ItemDataRole.ForegroundRole and not row.active:
            return QBrush(QColor("#9e9e9e"))
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        column = index.column()
        if column == 0:
            return row.login
        if column == 1:
            return row.display_name
        if column == 2:
            return row.role_label
        if column == 3:
            return row.branch_name
        if column == 4:
            return state_text(row)
        if column == 5:
            return (
                row.last_login_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
                if row.last_login_at
                else ""
            )
        return None


class NewUserDialog(QDialog):
    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.user_id: str | None = None
        self.setWindowTitle(_("New user"))
        self.login = QLineEdit()
        self.login.setObjectName("login")
        self.name = QLineEdit()
        self.name.setObjectName("name")
        self.role = QComboBox()
        self.role.setObjectName("role")
        for code in vocab.ROLES:
            self.role.addItem(vocab.label(vocab.ROLES, code), code)
        self.branch = QComboBox()
        self.branch.setObjectName("branch")
        for b in user_service.list_branches(db, actor):
            self.branch.addItem(b.name, b.id)
        self.phone = QLineEdit()
        self.password = password_field("password")
        self.repeat = password_field("repeat")
        rule = QLabel(rule_text())
        rule.setStyleSheet("color: #666;")
        self.message = error_label()
        form = QFormLayout()
        form.addRow(_("Login name"), self.login)
        form.addRow(_("Full name"), self.name)
        form.addRow(_("Role"), self.role)
        form.addRow(_("Branch"), self.branch)
        form.addRow(_("Phone"), self.phone)
        form.addRow(_("Password"), self.password)
        form.addRow(_("Repeat the password"), self.repeat)
        form.addRow("", rule)
        buttons = dialog_buttons()
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(440, 0)

    def save(self) -> None:
        try:
            self.user_id = user_service.create_user(
                self.db,
                self.actor,
                self.login.text(),
                self.name.text(),
                self.role.currentData(),
                self.branch.currentData(),
                self.password.text(),
                self.repeat.text(),
                self.phone.text(),
            )
        except ServiceError as exc:
            self.message.setText(exc.message)
            self.message.show()
            return
        self.accept()


class UsersPage(QWidget):
    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.may_manage = user_service.may_manage_users(actor)
        self.model = UserTableModel(db, actor, self)
        self.table = house_table(
            self.model, resize_mode=QHeaderView.ResizeMode.Stretch, stretch_last=False
        )

        title = QLabel(_("Users"))
        title.setStyleSheet("font-size: 16px; font-weight: bold;")
        self.hint = QLabel(
            _("Administrators create, disable and reset users here.")
            if self.may_manage
            else _("The users of your branch. Only a city-center administrator changes them.")
        )
        self.hint.setStyleSheet("color: #666;")
        self.new_button = QPushButton(_("New user…"))
        self.toggle_button = QPushButton(_("Disable"))
        self.reset_button = QPushButton(_("Reset password…"))
        self.new_button.clicked.connect(self.new_user)
        self.toggle_button.clicked.connect(self.toggle_active)
        self.reset_button.clicked.connect(self.reset_password)
        buttons = QHBoxLayout()
        buttons.addWidget(title)
        buttons.addStretch()
        for b in (self.new_button, self.toggle_button, self.reset_button):
            b.setVisible(self.may_manage)
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.hint)
        layout.addWidget(self.table)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.reload()

    def reload(self) -> None:
        self.model.reload()
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self._update_buttons()

    def selected(self) -> UserAdminRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select_login(self, login: str) -> None:
        for row in range(self.model.rowCount()):
            if self.model.row_at(row).login == login:
                self.table.selectRow(row)
                return

    def _update_buttons(self, *_args) -> None:
        row = self.selected()
        self.toggle_button.setEnabled(row is not None)
        self.reset_button.setEnabled(row is not None)
        self.toggle_button.setText(_("Enable") if row and not row.active else _("Disable"))

    def new_user(self) -> None:
        dialog = NewUserDialog(self.db, self.actor, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.reload()
            self.select_login(dialog.login.text().strip())

    def toggle_active(self) -> None:
        row = self.selected()
        if row is None:
            return
        try:
            user_service.set_active(self.db, self.actor, row.id, not row.active)
        except ServiceError as exc:
            QMessageBox.warning(self, _("Users"), exc.message)
            return
        self.reload()
        self.select_login(row.login)

    def reset_password(self) -> None:
        row = self.selected()
        if row is None:
            return
        temporary, choose = _("Temporary password"), _("Enter a new password")
        choice, ok = QInputDialog.getItem(
            self,
            _("Reset password"),
            _("New password for {name} ({login}):").format(name=row.display_name, login=row.login),
            [temporary, choose],
            0,
            False,
        )
        if not ok:
            return
        given = None
        if choice == choose:
            dialog = NewPasswordDialog(_("Reset password"), row.login, self)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            given = dialog.password()
        try:
            password = user_service.reset_password(self.db, self.actor, row.id, given)
        except ServiceError as exc:
            QMessageBox.warning(self, _("Reset password"), exc.message)
            return
        self.reload()
        if given is None:
            box = QMessageBox(self)
            box.setWindowTitle(_("Reset password"))
            box.setText(
                _(
                    "The temporary password of {name} is:\n\n{password}\n\nHand it to him in "
                    "person; he should change it after signing in (Change password…)."
                ).format(name=row.display_name, password=password)
            )
            box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            box.exec()
        else:
            QMessageBox.information(
                self,
                _("Reset password"),
                _("The password of {name} was changed.").format(name=row.display_name),
            )
