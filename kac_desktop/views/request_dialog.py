"""Registering a service request (its deadline shown at once) and handling one through its
status flow (已受理 → 处理中 → 已办结 → 已回访 → 已关闭, or reopening)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDate, QDateTime, QEvent, Qt, QTime, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.i18n import N_, _
from kac_desktop.rules import vocab
from kac_desktop.rules.deadlines import LOCAL_TZ, first_response_hours, rule_label
from kac_desktop.rules.service_states import (
    CALLED_BACK,
    CLOSED,
    IN_PROGRESS,
    RESOLVED,
    SATISFACTION,
    UNRESOLVED,
    WARNING_STATES,
    allowed_steps,
    next_due,
    request_state,
    time_left_text,
)
from kac_desktop.services import customer_list
from kac_desktop.services import requests as request_service
from kac_desktop.services.context import Actor
from kac_desktop.services.customers import CustomerQuery
from kac_desktop.services.database import Database
from kac_desktop.services.errors import ServiceError
from kac_desktop.services.requests import RequestInput

from . import operations
from .colours import current_colours
from .request_board import Clock, local_text
from .screen_fit import FittedDialog
from .table_models import TextTableModel
from .widgets import CodeCombo

PICKER_LIMIT = 50


def _error_style() -> str:
    return f"QLabel {{ color: {current_colours().danger}; }}"


def _hint_style() -> str:
    return f"QLabel {{ color: {current_colours().muted}; }}"


def _deadline_style() -> str:
    return f"QLabel {{ font-size: 14px; font-weight: bold; color: {current_colours().accent}; }}"


def to_qdatetime(moment: datetime) -> QDateTime:
    """The branch's local time, whatever the PC's zone."""
    local = moment.astimezone(LOCAL_TZ)
    return QDateTime(
        QDate(local.year, local.month, local.day), QTime(local.hour, local.minute, local.second)
    )


def from_qdatetime(value: QDateTime) -> datetime:
    d, t = value.date(), value.time()
    return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), t.second(), tzinfo=LOCAL_TZ)


def _datetime_edit(moment: datetime) -> QDateTimeEdit:
    edit = QDateTimeEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd HH:mm")
    edit.setDateTime(to_qdatetime(moment))
    return edit


class CustomerPicker(QWidget):
    """A search box over the customers the user may see (the customer list's search)."""

    chosen = Signal(str)

    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.customer_id: str | None = None
        self.search = QLineEdit()
        self.search.setObjectName("customerSearch")
        self.search.setPlaceholderText(
            _("Search: name, pinyin or initials, credit code, contact, phone")
        )
        self.search.setClearButtonEnabled(True)
        self.results = QListWidget()
        self.results.setObjectName("customerResults")
        self.results.setMaximumHeight(130)
        self.chosen_label = QLabel(_("No customer chosen"))
        self.chosen_label.setObjectName("chosenCustomer")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.results)
        layout.addWidget(self.chosen_label)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(self._timer.start)
        self.results.currentItemChanged.connect(self._picked)

    def refresh(self) -> None:
        self.results.clear()
        text = self.search.text().strip()
        if not text:
            return
        ids = customer_list.query_ids(self.db, self.actor, CustomerQuery(search=text))
        for row in customer_list.fetch_rows(self.db, self.actor, ids[:PICKER_LIMIT]):
            item = QListWidgetItem(
                f"{row.name}  ·  {vocab.label(vocab.AREAS, row.area)}  ·  {row.manager}"
            )
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            self.results.addItem(item)
        if len(ids) > PICKER_LIMIT:
            more = QListWidgetItem(
                _("… {count} more; type more of the name").format(count=len(ids) - PICKER_LIMIT)
            )
            more.setFlags(Qt.ItemFlag.NoItemFlags)
            self.results.addItem(more)
        if len(ids) == 1:
            self.results.setCurrentRow(0)

    def _picked(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is None or not item.data(Qt.ItemDataRole.UserRole):
            return
        self.set_customer(item.data(Qt.ItemDataRole.UserRole), item.text())

    def set_customer(self, customer_id: str, text: str | None = None) -> None:
        if text is None:
            rows = customer_list.fetch_rows(self.db, self.actor, [customer_id])
            text = rows[0].name if rows else ""
        self.customer_id = customer_id
        self.chosen_label.setText(_("Customer: {name}").format(name=text))
        self.chosen.emit(customer_id)


class RegisterRequestDialog(FittedDialog):
    """登记工单: customer, type, channel, time received, description, special case; the
    deadline is computed and shown as soon as the form has what it needs."""

    saved = Signal(object)  # the ChangeSet of what it changed

    def _show_refusal(self, exc: ServiceError) -> None:
        self.errors.setText(exc.message)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        clock: Clock,
        customer_id: str | None = None,
        parent=None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.clock = clock
        self.setWindowTitle(_("Register a service request"))
        self.resize(620, 560)
        now = clock()
        self.picker = CustomerPicker(db, actor)
        self.type = CodeCombo(vocab.REQUEST_TYPES)
        self.type.setObjectName("requestType")
        self.channel = CodeCombo(vocab.REQUEST_CHANNELS)
        self.channel.setObjectName("requestChannel")
        self.received = _datetime_edit(now)
        self.received.setObjectName("receivedAt")
        self.received.setToolTip(
            _("Now by default; change it to enter a request received earlier.")
        )
        self.description = QPlainTextEdit()
        self.description.setObjectName("description")
        self.description.setPlaceholderText(_("What does the customer ask for?"))
        self.special = QCheckBox(_("Special case: confirmed with the customer by phone"))
        self.special.setObjectName("specialCase")
        self.confirmed = _datetime_edit(now)
        self.confirmed.setObjectName("confirmedAt")
        self.confirmed.setEnabled(False)
        self.deadline = QLabel()
        self.deadline.setObjectName("deadlinePreview")
        self.deadline.setWordWrap(True)
        self.deadline.setStyleSheet(_deadline_style())
        self.errors = QLabel()
        self.errors.setObjectName("errors")
        self.errors.setWordWrap(True)
        self.errors.setStyleSheet(_error_style())

        form = QFormLayout()
        form.addRow(_("Customer"), self.picker)
        form.addRow(_("Type"), self.type)
        form.addRow(_("Channel"), self.channel)
        form.addRow(_("Received at"), self.received)
        form.addRow(_("Description"), self.description)
        form.addRow("", self.special)
        form.addRow(_("Confirming call at"), self.confirmed)
        form.addRow(_("Deadline"), self.deadline)
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton(_("Register"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("register")
        buttons.addButton(_("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.register)
        buttons.rejected.connect(self.reject)
        # Ctrl+Enter registers, as in the visit dialog; the description box would take it
        # as a new line, so it is watched too
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self.register)
        self.description.installEventFilter(self)
        self.ok.setToolTip(_("Register (Ctrl+Enter)"))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)

        self.special.toggled.connect(self.confirmed.setEnabled)
        for signal in (
            self.picker.chosen,
            self.type.currentIndexChanged,
            self.received.dateTimeChanged,
            self.special.toggled,
            self.confirmed.dateTimeChanged,
        ):
            signal.connect(self.update_deadline)
        if customer_id:
            self.picker.set_customer(customer_id)
        self.update_deadline()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if (
            watched is self.description
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.register()
            return True
        return super().eventFilter(watched, event)

    def input(self) -> RequestInput:
        return RequestInput(
            customer_id=self.picker.customer_id,
            type=self.type.value(),
            channel=self.channel.value(),
            received_at=from_qdatetime(self.received.dateTime()),
            description=self.description.toPlainText(),
            special_case=self.special.isChecked(),
            confirmed_at=from_qdatetime(self.confirmed.dateTime())
            if self.special.isChecked()
            else None,
        )

    def update_deadline(self, *_args) -> None:
        data = self.input()
        if not data.customer_id:
            self.deadline.setStyleSheet(_hint_style())
            self.deadline.setText(_("Choose the customer to see the deadline."))
            return
        self.deadline.setStyleSheet(_deadline_style())
        data.description = data.description or "-"  # the preview needs no description yet

        def refused(exc: ServiceError) -> None:
            self.deadline.setText("")
            self.errors.setText(exc.message)

        deadline = operations.run(
            self,
            lambda: request_service.preview_deadline(self.db, self.actor, data, now=self.clock()),
            refused=refused,
        )
        if deadline is None:
            return
        self.errors.setText("")
        hours = first_response_hours(
            data.received_at or self.clock(), deadline.first_response_due_at
        )
        text = _("Due {time} ({rule})").format(
            time=local_text(deadline.due_at),
            rule=rule_label(deadline.rule, provisional=deadline.provisional),
        )
        if deadline.first_response_due_at is not None:
            text += "\n" + _("First response due {time} (complaint, {hours} h)").format(
                time=local_text(deadline.first_response_due_at), hours=hours
            )
        self.deadline.setText(text)

    def register(self) -> None:
        data = self.input()
        change = operations.run(
            self,
            lambda: request_service.register_request(self.db, self.actor, data, now=self.clock()),
            refused=self._show_refusal,
        )
        if change is None:
            return
        self.saved.emit(change)
        self.accept()


STEP_BUTTONS = {
    IN_PROGRESS: N_("Start handling"),
    RESOLVED: N_("Resolve"),
    CALLED_BACK: N_("Record the callback"),
    CLOSED: N_("Close the request"),
}
HISTORY_HEADERS = (N_("Time"), N_("From"), N_("To"), N_("By"), N_("Note"))


class RequestDialog(FittedDialog):
    """One request: what was asked, its deadline and state, each step so far, and the next
    steps the flow allows."""

    saved = Signal(object)  # the ChangeSet of what it changed

    def _show_refusal(self, exc: ServiceError) -> None:
        self.errors.setText(exc.message)

    def __init__(
        self, db: Database, actor: Actor, request_id: str, clock: Clock, parent=None
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.request_id = request_id
        self.clock = clock
        self.limits = request_service.thresholds(db)
        self.setWindowTitle(_("Service request"))
        self.resize(760, 640)

        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state = QLabel()
        self.state.setObjectName("state")
        self.history_model = TextTableModel()
        self.history = QTableView()
        self.history.setModel(self.history_model)
        self.history.verticalHeader().setVisible(False)
        self.history.horizontalHeader().setStretchLastSection(True)
        self.history.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.resolution = QPlainTextEdit()
        self.resolution.setObjectName("resolution")
        self.resolution.setPlaceholderText(_("How was the request resolved?"))
        self.resolution.setMaximumHeight(80)
        self.satisfaction = QComboBox()
        self.satisfaction.setObjectName("satisfaction")
        self.satisfaction.addItem(_("(choose)"), None)
        for score, text in SATISFACTION.items():
            self.satisfaction.addItem(f"{score} · {_(text)}", score)
        self.note = QLineEdit()
        self.note.setObjectName("note")
        self.note.setPlaceholderText(_("Note (the reason, when reopening)"))
        self.errors = QLabel()
        self.errors.setObjectName("errors")
        self.errors.setWordWrap(True)
        self.errors.setStyleSheet(_error_style())

        form = QFormLayout()
        form.addRow(_("Resolution"), self.resolution)
        form.addRow(_("Satisfaction"), self.satisfaction)
        form.addRow(_("Note"), self.note)
        self.step_bar = QHBoxLayout()
        self.step_buttons: dict[str, QPushButton] = {}
        close = QPushButton(_("Close window"))
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.state)
        layout.addWidget(QLabel(_("Steps")))
        layout.addWidget(self.history, 1)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        bottom = QHBoxLayout()
        bottom.addLayout(self.step_bar)
        bottom.addStretch()
        bottom.addWidget(close)
        layout.addLayout(bottom)

        self.timer = QTimer(self)
        self.timer.setInterval(30_000)
        self.timer.timeout.connect(self._show_state)
        self.timer.start()
        self.load()

    def load(self) -> None:
        def refused(exc: ServiceError) -> None:
            self.summary.setText(exc.message)

        self.record = operations.run(
            self,
            lambda: request_service.get_request(self.db, self.actor, self.request_id),
            refused=refused,
        )
        if self.record is None:
            return
        r = self.record
        rule = rule_label(
            r.deadline_rule,
            first_response_hours(r.received_at, r.first_response_due_at),
            r.deadline_provisional,
        )
        lines = [
            f"<b>{r.customer_name}</b>　{vocab.label(vocab.REQUEST_TYPES, r.type)}　"
            + _("via {channel}").format(channel=vocab.label(vocab.REQUEST_CHANNELS, r.channel)),
            _("Received {received}; due {deadline} ({rule})").format(
                received=local_text(r.received_at), deadline=local_text(r.deadline_at), rule=rule
            ),
        ]
        if r.special_case:
            lines.append(
                _("Special case, confirmed by phone at {time}").format(
                    time=local_text(r.confirmed_at)
                )
            )
        if r.first_response_due_at is not None:
            lines.append(
                _("First response due {due}; given {given}").format(
                    due=local_text(r.first_response_due_at),
                    given=local_text(r.first_response_at) or _("not yet"),
                )
            )
        lines.append(
            _("Status: {status}; account manager {manager}").format(
                status=vocab.label(vocab.REQUEST_STATUSES, r.status), manager=r.manager_name
            )
        )
        lines.append(_("Description: {text}").format(text=r.description))
        if r.resolution:
            lines.append(_("Resolution: {text}").format(text=r.resolution))
        self.summary.setText("<br>".join(line.replace("\n", "<br>") for line in lines))
        self.history_model.set_rows(
            [_(h) for h in HISTORY_HEADERS],
            [
                [
                    local_text(step.at),
                    vocab.label(vocab.REQUEST_STATUSES, step.from_status),
                    vocab.label(vocab.REQUEST_STATUSES, step.to_status),
                    step.by,
                    step.note,
                ]
                for step in r.history
            ],
        )
        self._build_steps()
        self._show_state()

    def _show_state(self) -> None:
        r = self.record
        if r is None:
            return
        now = self.clock()
        state = request_state(
            r.received_at,
            r.deadline_at,
            now,
            resolved_at=r.resolved_at,
            first_response_due_at=r.first_response_due_at,
            first_response_at=r.first_response_at,
            thresholds=self.limits,
        )
        due = next_due(r.deadline_at, r.first_response_due_at, r.first_response_at)
        left = (
            time_left_text(r.deadline_at, now, r.resolved_at)
            if r.resolved_at
            else time_left_text(due.at, now, None, due.first_response)
        )
        fg, bg = current_colours().service[state]
        self.state.setStyleSheet(
            f"QLabel {{ color: {fg}; background: {bg}; padding: 6px 10px; font-weight: bold;"
            " border-radius: 4px; }"
        )
        self.state.setText("  ".join(t for t in (_(WARNING_STATES[state]), left) if t))

    def _build_steps(self) -> None:
        while self.step_bar.count():
            item = self.step_bar.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.step_buttons.clear()
        status = self.record.status if self.record else ""
        for target in allowed_steps(status):
            reopen = target == IN_PROGRESS and status not in UNRESOLVED
            text = _("Reopen") if reopen else _(STEP_BUTTONS[target])
            button = QPushButton(text)
            button.setObjectName("reopen" if reopen else f"step_{target}")
            button.clicked.connect(lambda _checked=False, t=target: self.step(t))
            self.step_bar.addWidget(button)
            self.step_buttons["reopen" if reopen else target] = button
        self.resolution.setEnabled(status == IN_PROGRESS)
        self.satisfaction.setEnabled(status == RESOLVED)

    def step(self, target: str) -> bool:
        if self.record is None:
            return False
        version = self.record.version
        change = operations.run(
            self,
            lambda: request_service.change_status(
                self.db,
                self.actor,
                self.request_id,
                target,
                resolution=self.resolution.toPlainText(),
                satisfaction=self.satisfaction.currentData(),
                note=self.note.text(),
                now=self.clock(),
                expected_version=version,
            ),
            refused=self._show_refusal,
        )
        if change is None:
            return False
        self.errors.setText("")
        self.resolution.clear()
        self.note.clear()
        self.satisfaction.setCurrentIndex(0)
        self.load()
        self.saved.emit(change)
        return True
