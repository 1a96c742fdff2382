"""Log, correct or remove one visit (走访记录).

Made for few keystrokes: opened from a customer file the customer is set, the contact met
last time is chosen, the date is now, the mode on-site and the purpose maintenance, and
the cursor waits in the summary; type it and press Ctrl+Enter.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDateTime, QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.i18n import _
from kac_desktop.rules import vocab
from kac_desktop.rules.quota import LOCAL_TZ
from kac_desktop.rules.visits import MEETING, VisitData
from kac_desktop.services import visits as visit_service
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database
from kac_desktop.services.errors import ServiceError, StaleRecord, ValidationFailed

from .colours import error_style
from .screen_fit import FittedDialog
from .widgets import CodeCombo, DateField, refuse_invalid_dates


def to_qdatetime(moment: datetime) -> QDateTime:
    local = moment.astimezone(LOCAL_TZ)
    return QDateTime.fromString(local.strftime("%Y-%m-%d %H:%M"), "yyyy-MM-dd HH:mm")


def from_qdatetime(value: QDateTime) -> datetime:
    text = value.toString("yyyy-MM-dd HH:mm")
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=LOCAL_TZ)


class CustomerPicker(QComboBox):
    """An editable combo that looks customers up as the user types (name, pinyin,
    initials); the manager's own customers come first."""

    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMinimumWidth(360)
        self.lineEdit().setPlaceholderText(_("Type a name, pinyin or initials"))
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self._look_up)
        self.lineEdit().textEdited.connect(lambda _text: self._timer.start())
        self.refill("")

    def refill(self, search: str) -> None:
        choices = visit_service.customer_choices(self.db, self.actor, search)
        text = self.lineEdit().text()
        self.blockSignals(True)
        self.clear()
        for c in choices:
            label = c.name if c.own else f"{c.name}（{c.manager_name}）"
            self.addItem(label, c.id)
        self.setCurrentIndex(-1)
        self.lineEdit().setText(text)
        self.blockSignals(False)

    def _look_up(self) -> None:
        self.refill(self.lineEdit().text())
        if self.count():
            self.showPopup()

    def customer_id(self) -> str | None:
        index = self.currentIndex()
        if index < 0 or self.itemText(index) != self.currentText():
            return None
        return self.itemData(index)

    def set_customer(self, customer_id: str, label: str) -> None:
        index = self.findData(customer_id)
        if index < 0:
            self.addItem(label, customer_id)
            index = self.count() - 1
        self.setCurrentIndex(index)


class VisitDialog(FittedDialog):
    """Emits ``saved`` with the Change of what it logged, corrected or removed."""

    saved = Signal(object)  # Change

    def __init__(
        self,
        db: Database,
        actor: Actor,
        visit_id: str | None = None,
        customer_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.visit_id = visit_id
        self.record: visit_service.VisitRecord | None = None
        self.setMinimumWidth(560)
        self._build()
        if visit_id:
            self.record = visit_service.get_visit(db, actor, visit_id)
            self._load(self.record)
        else:
            self.setWindowTitle(_("Log a visit"))
            self.when.setDateTime(to_qdatetime(datetime.now(LOCAL_TZ)))
            if customer_id:
                self._preset_customer(customer_id)
        self._focus_first()

    @classmethod
    def for_customer(
        cls, db: Database, actor: Actor, customer_id: str, parent: QWidget | None = None
    ) -> VisitDialog:
        """A new visit to ``customer_id`` (the customer file's 记录走访… button)."""
        return cls(db, actor, None, customer_id, parent)

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        self.customer = CustomerPicker(self.db, self.actor)
        self.customer.setObjectName("customer")
        self.customer_label = QLabel()
        self.customer_label.setStyleSheet("font-weight: bold;")
        self.customer_label.setVisible(False)
        self.contact = QComboBox()
        self.contact.setObjectName("contact")
        self.when = QDateTimeEdit()
        self.when.setObjectName("when")
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.mode = CodeCombo(vocab.VISIT_MODES)
        self.mode.setObjectName("mode")
        self.purpose = CodeCombo(vocab.VISIT_PURPOSES)
        self.purpose.setObjectName("purpose")
        self.summary = QPlainTextEdit()
        self.summary.setObjectName("summary")
        self.summary.setTabChangesFocus(True)
        self.summary.setPlaceholderText(_("What was discussed, what the customer said"))
        self.summary.setMaximumHeight(90)
        self.needs = QPlainTextEdit()
        self.needs.setTabChangesFocus(True)
        self.needs.setMaximumHeight(60)
        self.needs.setPlaceholderText(_("Demand found: products, times, problems"))
        self.next_step = QLineEdit()
        self.next_step.setObjectName("nextStep")
        self.next_step_date = DateField()
        self.next_step_date.setObjectName("nextStepDate")
        self.satisfaction = QComboBox()
        self.satisfaction.setObjectName("satisfaction")
        self.satisfaction.addItem(_("not asked"), None)
        for score, text in (
            (5, _("5 – very satisfied")),
            (4, _("4 – satisfied")),
            (3, _("3 – neutral")),
            (2, _("2 – dissatisfied")),
            (1, _("1 – very dissatisfied")),
        ):
            self.satisfaction.addItem(text, score)

        customer_row = QHBoxLayout()
        customer_row.addWidget(self.customer, 1)
        customer_row.addWidget(self.customer_label, 1)
        step_row = QHBoxLayout()
        step_row.addWidget(self.next_step, 1)
        step_row.addWidget(QLabel(_("by")))
        step_row.addWidget(self.next_step_date)
        mode_row = QHBoxLayout()
        mode_row.addWidget(self.mode)
        mode_row.addWidget(QLabel(_("Purpose")))
        mode_row.addWidget(self.purpose)
        mode_row.addStretch()

        form = QFormLayout()
        form.addRow(_("Customer") + " *", customer_row)
        form.addRow(_("Contact met"), self.contact)
        form.addRow(_("Date and time") + " *", self.when)
        form.addRow(_("Mode") + " *", mode_row)
        form.addRow(_("Summary") + " *", self.summary)
        form.addRow(_("Needs found"), self.needs)
        form.addRow(_("Next step"), step_row)
        form.addRow(_("Satisfaction"), self.satisfaction)
        self.hint = QLabel(_("Ctrl+Enter saves."))
        self.hint.setStyleSheet("color: #666;")

        self.save_button = QPushButton(_("Save"))
        self.save_button.setObjectName("save")
        self.save_button.setDefault(False)
        self.save_button.setAutoDefault(False)
        self.remove_button = QPushButton(_("Remove visit…"))
        self.remove_button.setVisible(False)
        close = QPushButton(_("Cancel"))
        close.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.remove_button.clicked.connect(self.remove)
        close.clicked.connect(self.reject)
        for keys in ("Ctrl+Return", "Ctrl+Enter", QKeySequence.StandardKey.Save):
            QShortcut(QKeySequence(keys), self, activated=self.save)
        # the text boxes would take Ctrl+Enter as a new line
        for box in (self.summary, self.needs):
            box.installEventFilter(self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.hint)
        buttons.addStretch()
        buttons.addWidget(self.save_button)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        self.customer.currentIndexChanged.connect(self._customer_changed)
        self._fill_contacts(None)
        self.mode.currentIndexChanged.connect(self._mode_changed)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if (
            event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.save()
            return True
        return super().eventFilter(watched, event)

    def _preset_customer(self, customer_id: str) -> None:
        choice = visit_service.customer_choice(self.db, self.actor, customer_id)
        if choice is None:
            return
        self.customer.set_customer(choice.id, choice.name)
        self.customer.setVisible(False)
        self.customer_label.setText(choice.name)
        self.customer_label.setVisible(True)
        self._fill_contacts(choice.id)

    def _customer_changed(self, _index: int) -> None:
        customer_id = self.customer.customer_id()
        self._fill_contacts(customer_id)

    def _fill_contacts(self, customer_id: str | None, chosen: str | None = None) -> None:
        self.contact.clear()
        self.contact.addItem(_("(not recorded)"), None)
        if not customer_id:
            return
        contacts, last = visit_service.contacts_of(self.db, self.actor, customer_id)
        for c in contacts:
            self.contact.addItem(f"{c.name}（{vocab.label(vocab.CONTACT_ROLES, c.role)}）", c.id)
        index = self.contact.findData(chosen or last)
        self.contact.setCurrentIndex(max(index, 0))

    def _mode_changed(self, _index: int) -> None:
        meeting = self.mode.value() == MEETING
        self.customer.lineEdit().setPlaceholderText(
            _("A branch meeting may have no customer")
            if meeting
            else _("Type a name, pinyin or initials")
        )

    def _focus_first(self) -> None:
        if not self.customer_label.isHidden() or self.record is not None:
            self.summary.setFocus()
        else:
            self.customer.setFocus()

    def _load(self, record: visit_service.VisitRecord) -> None:
        data = record.data
        self.setWindowTitle(_("Visit — {customer}").format(customer=record.customer_name))
        if data.customer_id:
            self.customer.set_customer(data.customer_id, record.customer_name)
        self._fill_contacts(data.customer_id, data.contact_id)
        if data.visited_at:
            self.when.setDateTime(to_qdatetime(data.visited_at))
        self.mode.set_value(data.mode)
        self.purpose.set_value(data.purpose)
        self.summary.setPlainText(data.summary)
        self.needs.setPlainText(data.needs)
        self.next_step.setText(data.next_step)
        self.next_step_date.set_value(data.next_step_date)
        self.satisfaction.setCurrentIndex(max(0, self.satisfaction.findData(data.satisfaction)))
        self.remove_button.setVisible(record.may_change)
        if not record.may_change:
            self.save_button.setEnabled(False)
            self.hint.setText(
                _("Logged by {manager}; only he or a supervisor may change it.").format(
                    manager=record.manager_name
                )
            )

    # ------------------------------------------------------------------ data and actions
    def value(self) -> VisitData:
        return VisitData(
            customer_id=self.customer.customer_id(),
            contact_id=self.contact.currentData(),
            visited_at=from_qdatetime(self.when.dateTime()),
            mode=self.mode.value(),
            purpose=self.purpose.value(),
            summary=self.summary.toPlainText(),
            needs=self.needs.toPlainText(),
            next_step=self.next_step.text(),
            next_step_date=self.next_step_date.value(),
            satisfaction=self.satisfaction.currentData(),
            branch_id=self.record.data.branch_id if self.record else None,
        )

    def _mark(self, field: str) -> QWidget | None:
        widget = {
            "customer_id": self.customer,
            "contact_id": self.contact,
            "visited_at": self.when,
            "mode": self.mode,
            "purpose": self.purpose,
            "summary": self.summary,
            "next_step": self.next_step,
            "next_step_date": self.next_step_date,
            "satisfaction": self.satisfaction,
        }.get(field)
        if widget is not None:
            widget.setStyleSheet(error_style())
            widget.setProperty("invalid", True)
        return widget

    def _clear_marks(self) -> None:
        for widget in self.findChildren(QWidget):
            if widget.property("invalid"):
                widget.setStyleSheet("")
                widget.setProperty("invalid", False)

    def save(self) -> bool:
        if self.record is not None and not self.record.may_change:
            return False
        self._clear_marks()
        if refuse_invalid_dates(self):
            return False
        data = self.value()
        if self.customer.currentText().strip() and data.customer_id is None:
            self._mark("customer_id")
            self.customer.setFocus()
            QMessageBox.warning(
                self,
                _("The visit cannot be saved yet"),
                _("Choose the customer from the list that appears as you type."),
            )
            return False
        try:
            if self.record is None:
                change = visit_service.log_visit(self.db, self.actor, data)
            else:
                change = visit_service.update_visit(
                    self.db, self.actor, self.record.id, data, self.record.version
                )
        except ValidationFailed as exc:
            marked = [w for w in (self._mark(e.field) for e in exc.errors) if w is not None]
            if marked:
                marked[0].setFocus()
            QMessageBox.warning(self, _("The visit cannot be saved yet"), exc.message)
            return False
        except StaleRecord as exc:
            QMessageBox.warning(self, _("Changed by someone else"), exc.message)
            return False
        except ServiceError as exc:
            QMessageBox.warning(self, _("The visit cannot be saved"), exc.message)
            return False
        self.visit_id = change.ids[0]
        self.saved.emit(change)
        self.accept()
        return True

    def remove(self) -> bool:
        if self.record is None:
            return False
        answer = QMessageBox.question(
            self,
            _("Remove visit"),
            _(
                "Remove this visit? It no longer counts towards the quota; the audit "
                "records keep what it said."
            ),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            change = visit_service.remove_visit(
                self.db, self.actor, self.record.id, self.record.version
            )
        except ServiceError as exc:
            QMessageBox.warning(self, _("Remove visit"), exc.message)
            return False
        self.saved.emit(change)
        self.accept()
        return True


def open_visit_dialog(
    parent: QWidget,
    db: Database,
    actor: Actor,
    on_saved,
    *,
    visit_id: str | None = None,
    customer_id: str | None = None,
) -> VisitDialog:
    """Open the dialog non-modally, deleted on close; ``on_saved(change)`` after a save."""
    dialog = VisitDialog(db, actor, visit_id, customer_id, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.saved.connect(on_saved)
    dialog.show()
    return dialog
