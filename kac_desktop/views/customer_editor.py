"""The customer file editor (客户档案): every field of docs/DOMAIN.md §2, contacts, completeness,
tiers side by side, validation and the no-double-development refusal."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.i18n import _
from kac_desktop.rules import vocab
from kac_desktop.rules.clock import LOCAL_TZ, business_today
from kac_desktop.rules.completeness import completeness
from kac_desktop.rules.credit_code import LENGTH as CODE_LENGTH
from kac_desktop.rules.credit_code import credit_code_error, normalise_credit_code
from kac_desktop.rules.customer import CustomerData
from kac_desktop.rules.tiers import visit_class
from kac_desktop.services import customers as customer_service
from kac_desktop.services import users as user_service
from kac_desktop.services.changes import Kind
from kac_desktop.services.context import Actor
from kac_desktop.services.customers import CustomerRecord
from kac_desktop.services.database import Database
from kac_desktop.services.errors import (
    DuplicateCustomer,
    ServiceError,
    StaleRecord,
    ValidationFailed,
)

from . import operations
from .colours import current_colours, error_style, text_style
from .contacts import ContactDialog, ContactsModel
from .screen_fit import FittedDialog
from .widgets import CodeCombo, DateField, MoneyEdit, refuse_invalid_dates


def _check_grid(vocabulary: dict, columns: int = 4) -> tuple[QGroupBox, dict[str, QCheckBox]]:
    """A group of check boxes, one per code of ``vocabulary``, in a grid."""
    group = QGroupBox()
    grid = QGridLayout(group)
    boxes: dict[str, QCheckBox] = {}
    for i, code in enumerate(vocabulary):
        boxes[code] = QCheckBox(vocab.label(vocabulary, code))
        grid.addWidget(boxes[code], i // columns, i % columns)
    return group, boxes


class CustomerEditor(FittedDialog):
    """Opens one file (or a new one); emits ``saved`` with what changed."""

    saved = Signal(object)  # the ChangeSet of what it changed

    def __init__(
        self, db: Database, actor: Actor, customer_id: str | None = None, parent=None
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.customer_id = customer_id
        self.record: CustomerRecord | None = None
        self._dirty = False
        self._loading = True
        self.resize(860, 640)  # screen_fit makes it smaller, scrolling, on a small screen
        # the administrator's tier -> visit class mapping: the service's answer, not the
        # defaults
        self._class_mapping = customer_service.visit_class_mapping(db)
        self._build()
        if customer_id:
            self.record = customer_service.get_customer(db, actor, customer_id)
            self._load(self.record.data)
        else:
            # a manager's or supervisor's new file is his own; the city center chooses
            own = not actor.is_admin
            data = CustomerData(
                manager_id=actor.user_id if own else None,
                branch_id=actor.branch_id if own else None,
            )
            self._load(data)
        self._loading = False
        self._dirty = False
        self._refresh_header()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 18px; font-weight: bold;")
        self.subtitle = QLabel()
        self.subtitle.setStyleSheet("color: #666;")
        self.completeness_bar = QProgressBar()
        self.completeness_bar.setRange(0, 100)
        self.completeness_bar.setFormat(_("File completeness %p%"))
        self.completeness_bar.setFixedWidth(260)
        self.missing = QLabel()
        self.missing.setWordWrap(True)
        self.missing.setStyleSheet("color: #8a5300;")

        # classification: confirmed tier beside the suggestion
        self.tier = CodeCombo(vocab.TIERS)
        self.suggested = QLabel()
        self.class_override = QCheckBox(_("Override"))
        self.class_value = CodeCombo(vocab.VISIT_CLASSES)
        self.class_info = QLabel()
        if not self.actor.is_supervisor:
            self.tier.setEnabled(False)
            self.tier.setToolTip(_("A supervisor confirms the tier."))
            self.class_override.setEnabled(False)
            self.class_value.setEnabled(False)
        self.class_override.toggled.connect(self.class_value.setEnabled)

        header = QGridLayout()
        header.addWidget(self.title, 0, 0, 1, 2)
        header.addWidget(self.completeness_bar, 0, 2)
        header.addWidget(self.subtitle, 1, 0, 1, 2)
        header.addWidget(self.missing, 1, 2, 2, 1)
        tiers = QHBoxLayout()
        tiers.addWidget(QLabel(_("Confirmed tier")))
        tiers.addWidget(self.tier)
        tiers.addSpacing(12)
        tiers.addWidget(QLabel(_("Suggested tier")))
        tiers.addWidget(self.suggested)
        tiers.addSpacing(12)
        tiers.addWidget(QLabel(_("Visit class")))
        tiers.addWidget(self.class_info)
        tiers.addWidget(self.class_override)
        tiers.addWidget(self.class_value)
        tiers.addStretch()
        header.addLayout(tiers, 2, 0, 1, 2)
        header.setColumnStretch(1, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._basic_tab(), _("Basic"))
        self.tabs.addTab(self._business_tab(), _("Business"))
        self.tabs.addTab(self._credit_tab(), _("Preferences and credit"))
        self.tabs.addTab(self._contacts_tab(), _("Contacts"))
        if self.customer_id:  # 收入与积分, once the file is saved
            from .revenue_tab import RevenueTab

            self.tabs.addTab(
                RevenueTab(self.db, self.actor, self.customer_id), _("Revenue and points")
            )

        self.save_button = QPushButton(_("Save"))
        self.save_button.setDefault(True)
        self.save_button.setObjectName("save")
        self.cancel_button = QPushButton(_("Close"))
        self.archive_button = QPushButton()
        self.archive_button.setVisible(False)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        self.archive_button.clicked.connect(self._toggle_archive)
        self.visit_button = QPushButton(_("Log a visit…"))
        self.visit_button.setObjectName("logVisit")
        self.visit_button.clicked.connect(self.log_visit)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)
        buttons = QHBoxLayout()
        buttons.addWidget(self.archive_button)
        buttons.addWidget(self.visit_button)
        buttons.addStretch()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)

        for widget in self.findChildren(QLineEdit):
            widget.textEdited.connect(self._changed)
        for widget in self.findChildren(QPlainTextEdit):
            widget.textChanged.connect(self._changed)
        for widget in self.findChildren(CodeCombo):
            widget.currentIndexChanged.connect(self._changed)
        for widget in self.findChildren(DateField):
            widget.valueChanged.connect(self._changed)
        for widget in self.findChildren(QCheckBox):
            widget.toggled.connect(self._changed)

    def _basic_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.name = QLineEdit()
        self.name.setObjectName("name")
        self.credit_code = QLineEdit()
        self.credit_code.setPlaceholderText(_("18 characters, e.g. 91350100M000100Y43"))
        self.credit_code.setMaxLength(24)
        self.kind = CodeCombo(vocab.KINDS)
        self.nature = CodeCombo(vocab.NATURES)
        self.industry = CodeCombo(vocab.INDUSTRIES, allow_empty=True)
        self.area = CodeCombo(vocab.AREAS)
        self.area.setToolTip(_("City or rural sets the deadlines of service requests."))
        self.address = QLineEdit()
        self.manager = CodeCombo({})
        self._managers = user_service.list_managers(self.db, self.actor)
        if self.actor.is_admin and self.customer_id is None:
            # a new file's manager is chosen, never the administrator by default
            self.manager.addItem(_("(choose the account manager)"), None)
        for m in self._managers:
            self.manager.addItem(f"{m.display_name}（{m.branch_name}）", m.id)
        if not self.actor.is_supervisor:
            self.manager.setEnabled(False)
        self.business_scope = QPlainTextEdit()
        self.business_scope.setMaximumHeight(80)
        self.cooperation_start = DateField()
        # 登记日期: the reports count the customer from this day; a supervisor sets it
        self.registered_on = DateField()
        self.registered_on.setObjectName("registered_on")
        if not self.actor.is_supervisor:
            self.registered_on.setEnabled(False)
            self.registered_on.setToolTip(
                _("Only a supervisor changes the date a customer was registered.")
            )
        else:
            self.registered_on.setToolTip(
                _(
                    "The day the customer came on the branch's files: the monthly report, "
                    "the visit quota and the alerts count it from this day."
                )
            )
        self.notes = QPlainTextEdit()
        self.notes.setMaximumHeight(80)
        form.addRow(_("Customer name") + " *", self.name)
        # checked as it is typed (issue 20 item 11): the reason beside the field, not only
        # on save, and the red mark gone as soon as the code is right
        self.credit_code_check = QLabel()
        self.credit_code_check.setObjectName("creditCodeCheck")
        self.credit_code_check.setWordWrap(True)
        self.credit_code.textChanged.connect(self._check_credit_code)
        code_box = QVBoxLayout()
        code_box.setContentsMargins(0, 0, 0, 0)
        code_box.setSpacing(2)
        code_box.addWidget(self.credit_code)
        code_box.addWidget(self.credit_code_check)
        form.addRow(_("Unified social credit code"), code_box)
        form.addRow(_("Kind") + " *", self.kind)
        form.addRow(_("Nature") + " *", self.nature)
        form.addRow(_("Industry"), self.industry)
        form.addRow(_("Area") + " *", self.area)
        form.addRow(_("Address"), self.address)
        form.addRow(_("Account manager") + " *", self.manager)
        form.addRow(_("Business scope"), self.business_scope)
        form.addRow(_("Cooperation since"), self.cooperation_start)
        form.addRow(_("Registration date"), self.registered_on)
        form.addRow(_("Notes"), self.notes)
        return page

    def _business_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        lines, self.product_lines = _check_grid(vocab.PRODUCT_LINES)
        kinds, self.express_kinds = _check_grid(vocab.EXPRESS_KINDS)
        self._express_group = kinds
        self.product_lines["express"].toggled.connect(kinds.setEnabled)
        self.geo_scope = CodeCombo(vocab.GEO_SCOPES, allow_empty=True)
        self.settlement = CodeCombo(vocab.SETTLEMENTS, allow_empty=True)
        self.contract_no = QLineEdit()
        self.contract_start = DateField()
        self.contract_end = DateField()
        contract_dates = QHBoxLayout()
        contract_dates.addWidget(self.contract_start)
        contract_dates.addWidget(QLabel(_("to")))
        contract_dates.addWidget(self.contract_end)
        contract_dates.addStretch()
        self.tariff_discount = QLineEdit()
        self.tariff_discount.setPlaceholderText(_("e.g. 15% off domestic express"))
        form.addRow(_("Product lines used"), lines)
        form.addRow(_("Express kinds"), kinds)
        form.addRow(_("Geographic scope"), self.geo_scope)
        form.addRow(_("Settlement"), self.settlement)
        form.addRow(_("Contract number"), self.contract_no)
        form.addRow(_("Contract term"), contract_dates)
        form.addRow(_("Agreed tariff discount"), self.tariff_discount)
        return page

    def _credit_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.pickup_times = QLineEdit()
        self.pickup_times.setPlaceholderText(_("e.g. weekdays 16:00–17:00"))
        self.special_needs = QPlainTextEdit()
        self.special_needs.setMaximumHeight(80)
        self.credit_rating = CodeCombo(vocab.CREDIT_RATINGS, allow_empty=True)
        self.payment_record = QPlainTextEdit()
        self.payment_record.setMaximumHeight(80)
        self.arrears = MoneyEdit()
        form.addRow(_("Pickup times"), self.pickup_times)
        form.addRow(_("Special needs"), self.special_needs)
        form.addRow(_("Credit rating"), self.credit_rating)
        form.addRow(_("Payment record"), self.payment_record)
        form.addRow(_("Arrears (yuan)"), self.arrears)
        return page

    def _contacts_tab(self) -> QWidget:
        page = QWidget()
        self.contacts_model = ContactsModel()
        self.contacts_view = QTableView()
        self.contacts_view.setModel(self.contacts_model)
        self.contacts_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.contacts_view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.contacts_view.verticalHeader().setVisible(False)
        self.contacts_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.contacts_view.horizontalHeader().setStretchLastSection(True)
        self.contacts_view.doubleClicked.connect(lambda index: self.edit_contact(index.row()))
        add = QPushButton(_("Add contact…"))
        edit = QPushButton(_("Edit…"))
        remove = QPushButton(_("Remove"))
        add.clicked.connect(self.add_contact)
        edit.clicked.connect(lambda: self.edit_contact(self.contacts_view.currentIndex().row()))
        remove.clicked.connect(self.remove_contact)
        buttons = QHBoxLayout()
        for b in (add, edit, remove):
            buttons.addWidget(b)
        buttons.addStretch()
        layout = QVBoxLayout(page)
        layout.addWidget(self.contacts_view)
        layout.addLayout(buttons)
        return page

    # ------------------------------------------------------------------ contacts
    def add_contact(self) -> None:
        dialog = ContactDialog(parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.contacts_model.add(dialog.value())
            self._changed()

    def edit_contact(self, row: int) -> None:
        if row < 0 or row >= self.contacts_model.rowCount():
            return
        dialog = ContactDialog(self.contacts_model.contact(row), parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.contacts_model.replace(row, dialog.value())
            self._changed()

    def remove_contact(self) -> None:
        row = self.contacts_view.currentIndex().row()
        if row < 0:
            return
        contact = self.contacts_model.contact(row)
        answer = QMessageBox.question(
            self,
            _("Remove contact"),
            _("Remove the contact {name} from this file?").format(name=contact.name),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.contacts_model.remove(row)
            self._changed()

    # ------------------------------------------------------------------ data in and out
    def _load(self, data: CustomerData) -> None:
        self.name.setText(data.name)
        self.credit_code.setText(data.credit_code)
        self.kind.set_value(data.kind)
        self.nature.set_value(data.nature)
        self.industry.set_value(data.industry)
        self.area.set_value(data.area)
        self.address.setText(data.address)
        self.manager.set_value(data.manager_id)
        self._branch_id = data.branch_id
        self.business_scope.setPlainText(data.business_scope)
        self.cooperation_start.set_value(data.cooperation_start)
        self.registered_on.set_value(data.registered_on or business_today())
        for code, box in self.product_lines.items():
            box.setChecked(code in data.product_lines)
        for code, box in self.express_kinds.items():
            box.setChecked(code in data.express_kinds)
        self._express_group.setEnabled("express" in data.product_lines)
        self.geo_scope.set_value(data.geo_scope)
        self.settlement.set_value(data.settlement)
        self.contract_no.setText(data.contract_no)
        self.contract_start.set_value(data.contract_start)
        self.contract_end.set_value(data.contract_end)
        self.tariff_discount.setText(data.tariff_discount)
        self.pickup_times.setText(data.pickup_times)
        self.special_needs.setPlainText(data.special_needs)
        self.credit_rating.set_value(data.credit_rating)
        self.payment_record.setPlainText(data.payment_record)
        self.arrears.set_value(data.arrears)
        self.tier.set_value(data.tier)
        self.class_override.setChecked(data.visit_class_override is not None)
        self.class_value.set_value(
            data.visit_class_override or visit_class(data.tier, None, self._class_mapping)
        )
        self.class_value.setEnabled(
            self.actor.is_supervisor and data.visit_class_override is not None
        )
        self.notes.setPlainText(data.notes)
        self.contacts_model.beginResetModel()
        self.contacts_model._contacts = list(data.contacts)
        self.contacts_model.endResetModel()

    def value(self) -> CustomerData:
        manager_id = self.manager.value()
        branch_id = next(
            (m.branch_id for m in self._managers if m.id == manager_id), self._branch_id
        )
        lines = [code for code, box in self.product_lines.items() if box.isChecked()]
        return CustomerData(
            name=self.name.text(),
            credit_code=self.credit_code.text(),
            kind=self.kind.value(),
            nature=self.nature.value(),
            industry=self.industry.value(),
            address=self.address.text(),
            area=self.area.value(),
            branch_id=branch_id,
            manager_id=manager_id,
            business_scope=self.business_scope.toPlainText(),
            cooperation_start=self.cooperation_start.value(),
            registered_on=self.registered_on.value(),
            product_lines=lines,
            express_kinds=[code for code, box in self.express_kinds.items() if box.isChecked()]
            if "express" in lines
            else [],
            geo_scope=self.geo_scope.value(),
            settlement=self.settlement.value(),
            contract_no=self.contract_no.text(),
            contract_start=self.contract_start.value(),
            contract_end=self.contract_end.value(),
            tariff_discount=self.tariff_discount.text(),
            pickup_times=self.pickup_times.text(),
            special_needs=self.special_needs.toPlainText(),
            credit_rating=self.credit_rating.value(),
            payment_record=self.payment_record.toPlainText(),
            arrears=self.arrears.value(),
            tier=self.tier.value(),
            visit_class_override=self.class_value.value()
            if self.class_override.isChecked()
            else None,
            notes=self.notes.toPlainText(),
            contacts=self.contacts_model.contacts(),
        )

    # ------------------------------------------------------------------ state
    def _changed(self, *_args) -> None:
        if self._loading:
            return
        # the field the user is correcting loses its red mark (the credit code keeps its
        # own, live check)
        edited = self.sender()
        if (
            isinstance(edited, QWidget)
            and edited is not self.credit_code
            and edited.property("invalid")
        ):
            edited.setStyleSheet("")
            edited.setProperty("invalid", False)
        self._dirty = True
        self._refresh_header()

    def _check_credit_code(self, text: str) -> None:
        """The code's problem as it is typed: where it is wrong, or that it is valid."""
        code = normalise_credit_code(text)
        problem = credit_code_error(code) if code else None
        scheme = current_colours()
        if not code:
            self.credit_code_check.setText("")
            self.credit_code_check.setVisible(False)
        elif problem:
            self.credit_code_check.setText("✗ " + problem)
            self.credit_code_check.setStyleSheet(text_style(scheme.danger))
            self.credit_code_check.setVisible(True)
        else:
            self.credit_code_check.setText("✓ " + _("The credit code is valid."))
            self.credit_code_check.setStyleSheet(text_style(scheme.accent))
            self.credit_code_check.setVisible(True)
        wrong = bool(problem) and len(code) >= CODE_LENGTH
        self.credit_code.setStyleSheet(error_style() if wrong else "")
        self.credit_code.setProperty("invalid", wrong)

    def is_dirty(self) -> bool:
        return self._dirty

    def _refresh_header(self) -> None:
        data = self.value()
        name = data.name.strip() or _("New customer")
        self.title.setText(name)
        self.setWindowTitle(
            _("Customer file — {name}").format(name=name) + (" *" if self._dirty else "")
        )
        record = self.record
        if record is not None:
            parts = [
                _("Kept by {manager}, {branch}").format(
                    manager=record.manager_name, branch=record.branch_name
                ),
                _("last changed {when} by {who}").format(
                    when=record.updated_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                    who=record.updated_by or "—",
                ),
            ]
            if record.archived:
                parts.insert(0, _("Archived"))
            self.subtitle.setText("，".join(parts))
            self.archive_button.setVisible(True)
            self.archive_button.setText(
                _("Restore from archive") if record.archived else _("Archive…")
            )
            if record.suggested_tier:
                self.suggested.setText(
                    _("{tier} ({year}, {points} points)").format(
                        tier=vocab.label(vocab.TIERS, record.suggested_tier),
                        year=record.suggested_year,
                        points=f"{record.suggested_points:,}",
                    )
                )
            else:
                self.suggested.setText(_("none yet"))
            if record.tier_confirmed_at:
                self.tier.setToolTip(
                    _("Confirmed by {who} on {when}").format(
                        who=record.tier_confirmed_by,
                        when=record.tier_confirmed_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d"),
                    )
                )
        else:
            self.subtitle.setText(_("A new customer file"))
            self.suggested.setText(_("none yet"))
        self.class_info.setText(
            vocab.label(
                vocab.VISIT_CLASSES,
                visit_class(data.tier, data.visit_class_override, self._class_mapping),
            )
        )
        saved = self.customer_id is not None
        self.visit_button.setEnabled(saved)
        self.visit_button.setToolTip(
            "" if saved else _("Save the new file first, then log visits to it.")
        )
        result = completeness(data)
        self.completeness_bar.setValue(result.percent)
        labels = result.missing_labels()
        self.missing.setText(
            _("Missing: {fields}").format(fields="、".join(labels))
            if labels
            else _("All required fields are filled in.")
        )

    # ------------------------------------------------------------------ actions
    def _clear_marks(self) -> None:
        for widget in self.findChildren(QWidget):
            if widget.property("invalid"):
                widget.setStyleSheet("")
                widget.setProperty("invalid", False)

    def _mark(self, field: str) -> QWidget | None:
        if field.startswith("contacts"):
            self.contacts_view.setStyleSheet(error_style())
            self.contacts_view.setProperty("invalid", True)
            return self.contacts_view
        widget = getattr(self, field, None)
        if isinstance(widget, dict):
            return None
        if field in ("branch_id", "manager_id"):
            widget = self.manager
        if isinstance(widget, QWidget):
            widget.setStyleSheet(error_style())
            widget.setProperty("invalid", True)
            return widget
        return None

    def _focus(self, widget: QWidget) -> None:
        for i in range(self.tabs.count()):
            if self.tabs.widget(i).isAncestorOf(widget):
                self.tabs.setCurrentIndex(i)
                break
        widget.setFocus()

    def save(self) -> bool:
        self._clear_marks()
        if refuse_invalid_dates(self):
            return False
        data = self.value()
        change = operations.run(
            self,
            lambda: customer_service.save_customer(
                self.db,
                self.actor,
                data,
                self.customer_id,
                self.record.version if self.record else None,
            ),
            refused=self._save_refused,
        )
        if change is None:
            return False
        self.customer_id = next(iter(change.ids(Kind.CUSTOMER)))
        self.record = customer_service.get_customer(self.db, self.actor, self.customer_id)
        self._loading = True
        self._load(self.record.data)
        self._loading = False
        self._dirty = False
        self._refresh_header()
        self.saved.emit(change)
        return True

    def _save_refused(self, exc: ServiceError) -> None:
        """A refused save, shown where it is: the fields marked, the reason in a box."""
        if isinstance(exc, ValidationFailed):
            marked = [w for w in (self._mark(e.field) for e in exc.errors) if w is not None]
            if marked:
                self._focus(marked[0])
            QMessageBox.warning(self, _("The file cannot be saved yet"), exc.message)
        elif isinstance(exc, DuplicateCustomer):
            self._mark("name")
            if exc.existing.same_credit_code:
                self._mark("credit_code")
            QMessageBox.warning(self, _("Customer already kept"), exc.message)
        elif isinstance(exc, StaleRecord):
            if self._offer_reload(exc.message) and self.customer_id:
                self.reload()
        else:
            QMessageBox.warning(self, _("The file cannot be saved"), exc.message)

    def _offer_reload(self, message: str) -> bool:
        """The refusal of a save that another one overtook, with 重新载入 (reload) and
        keeping one's own changes to copy them over by hand; whether to reload."""
        box = QMessageBox(self)
        box.setObjectName("staleRecord")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(_("Changed by someone else"))
        box.setText(message)
        box.setInformativeText(_("Reload the file now? Your changes will be lost."))
        reload = box.addButton(_("Reload"), QMessageBox.ButtonRole.AcceptRole)
        reload.setObjectName("reload")
        keep = box.addButton(_("Keep my changes on screen"), QMessageBox.ButtonRole.RejectRole)
        keep.setObjectName("keep")
        box.setDefaultButton(reload)
        box.exec()
        return box.clickedButton() is reload

    def reload(self) -> None:
        if not self.customer_id:
            return
        self.record = customer_service.get_customer(self.db, self.actor, self.customer_id)
        self._loading = True
        self._load(self.record.data)
        self._loading = False
        self._dirty = False
        self._refresh_header()

    def _toggle_archive(self) -> None:
        if self.record is None:
            return
        archive = not self.record.archived
        if archive:
            answer = QMessageBox.question(
                self,
                _("Archive customer"),
                _(
                    "Archive {name}? The file and its history are kept and can be restored; "
                    "it leaves the working list."
                ).format(name=self.record.data.name),
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        record_id = self.record.id
        change = operations.run(
            self,
            lambda: customer_service.set_archived(self.db, self.actor, record_id, archive),
            title=_("Archive customer"),
        )
        if change is None:
            return
        self.reload()
        self.saved.emit(change)

    def log_visit(self):
        """记录走访…: a visit to this customer (the file must have been saved)."""
        from .visit_dialog import open_visit_dialog

        if self.customer_id is None:
            QMessageBox.information(
                self, _("Log a visit"), _("Save the new file first, then log visits to it.")
            )
            return None
        return open_visit_dialog(
            self, self.db, self.actor, self.saved.emit, customer_id=self.customer_id
        )

    def reject(self) -> None:
        if self._dirty:
            answer = QMessageBox.question(
                self,
                _("Unsaved changes"),
                _("This file has changes that are not saved. Save them before closing?"),
                QMessageBox.StandardButton.Save
                | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Save,
            )
            if answer == QMessageBox.StandardButton.Cancel:
                return
            if answer == QMessageBox.StandardButton.Save and not self.save():
                return
        super().reject()

    def closeEvent(self, event) -> None:
        if self._dirty:
            event.ignore()
            self.reject()
            return
        super().closeEvent(event)
