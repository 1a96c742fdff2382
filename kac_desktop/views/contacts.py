"""The contacts of one customer file: a small table model and the dialog for one contact."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
)

from kac_desktop.i18n import N_, _
from kac_desktop.rules import vocab
from kac_desktop.rules.customer import ContactData
from kac_desktop.rules.validation import email_error, mobile_error, phone_error

from .screen_fit import FittedDialog
from .widgets import CodeCombo, DateField, refuse_invalid_dates

CONTACT_COLUMNS = (
    ("name", N_("Name")),
    ("role", N_("Role")),
    ("mobile", N_("Mobile")),
    ("phone", N_("Phone")),
    ("email", N_("E-mail")),
    ("birthday", N_("Birthday")),
    ("notes", N_("Notes")),
)


class ContactsModel(QAbstractTableModel):
    """The contacts of the file being edited.  Not paged: an edited copy of a few rows."""

    def __init__(self, contacts: list[ContactData] | None = None, parent=None) -> None:
        super().__init__(parent)
        self._contacts = [dataclasses.replace(c) for c in (contacts or [])]

    def contacts(self) -> list[ContactData]:
        return [dataclasses.replace(c) for c in self._contacts]

    def contact(self, row: int) -> ContactData:
        return dataclasses.replace(self._contacts[row])

    def add(self, contact: ContactData) -> None:
        row = len(self._contacts)
        self.beginInsertRows(QModelIndex(), row, row)
        self._contacts.append(contact)
        self.endInsertRows()

    def replace(self, row: int, contact: ContactData) -> None:
        self._contacts[row] = contact
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(CONTACT_COLUMNS) - 1))

    def remove(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._contacts[row]
        self.endRemoveRows()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._contacts)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(CONTACT_COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(CONTACT_COLUMNS)
        ):
            return _(CONTACT_COLUMNS[section][1])
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        contact = self._contacts[index.row()]
        key = CONTACT_COLUMNS[index.column()][0]
        value = getattr(contact, key)
        if key == "role":
            return vocab.label(vocab.CONTACT_ROLES, value)
        if key == "birthday":
            return value.isoformat() if value else ""
        return value or ""


class ContactDialog(FittedDialog):
    def __init__(self, contact: ContactData | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Contact") if contact is None else _("Edit contact"))
        self._original = contact or ContactData()
        self.name = QLineEdit(self._original.name)
        self.role = CodeCombo(vocab.CONTACT_ROLES)
        self.role.set_value(self._original.role)
        self.mobile = QLineEdit(self._original.mobile)
        self.mobile.setPlaceholderText("138 0591 2345")
        self.phone = QLineEdit(self._original.phone)
        self.phone.setPlaceholderText("0591-87654321")
        self.email = QLineEdit(self._original.email)
        self.birthday = DateField()
        self.birthday.set_value(self._original.birthday)
        self.notes = QPlainTextEdit(self._original.notes)
        self.notes.setMaximumHeight(70)
        form = QFormLayout(self)
        form.addRow(_("Name") + " *", self.name)
        form.addRow(_("Role"), self.role)
        form.addRow(_("Mobile"), self.mobile)
        form.addRow(_("Phone"), self.phone)
        form.addRow(_("E-mail"), self.email)
        form.addRow(_("Birthday"), self.birthday)
        form.addRow(_("Notes"), self.notes)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.resize(380, 0)

    def value(self) -> ContactData:
        return ContactData(
            id=self._original.id,
            name=self.name.text().strip(),
            role=self.role.value(),
            mobile=self.mobile.text().strip(),
            phone=self.phone.text().strip(),
            email=self.email.text().strip(),
            birthday=self.birthday.value(),
            notes=self.notes.toPlainText().strip(),
        )

    def problems(self) -> list[str]:
        contact = self.value()
        problems = []
        if not contact.name:
            problems.append(_("Enter the contact's name."))
        if not contact.mobile and not contact.phone:
            problems.append(_("Enter a mobile or a phone number."))
        for error in (
            mobile_error(contact.mobile),
            phone_error(contact.phone),
            email_error(contact.email),
        ):
            if error:
                problems.append(error)
        return problems

    def accept(self) -> None:
        if refuse_invalid_dates(self):
            return
        problems = self.problems()
        if problems:
            QMessageBox.warning(self, _("Please check the contact"), "\n".join(problems))
            return
        super().accept()
