"""The audit log viewer (操作日志) for supervisors and administrators: filters, a lazy table
over the service's query, and whether the hash chain is intact (docs/DOMAIN.md §7)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.i18n import N_, _
from kac_desktop.rules.clock import LOCAL_TZ
from kac_desktop.services import audit
from kac_desktop.services.audit import AuditQuery, AuditRow
from kac_desktop.services.changes import ChangeSet
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database

from . import operations
from .audit_words import describe_details
from .colours import current_colours
from .paged_model import PagedTableModel
from .table_models import Column, EmptyHint, house_table
from .widgets import DateField

COLUMNS = (N_("No."), N_("Time"), N_("User"), N_("Action"), N_("What"), N_("Details"))


class AuditTableModel(PagedTableModel):
    """The paged list model (views/paged_model.py) keyed by the records' sequence numbers
    (the audit trail's own ordered integer), newest first."""

    number_rows = False

    def __init__(
        self,
        query_seqs: Callable[[AuditQuery], list[int]],
        fetch: Callable[[list[int]], list[AuditRow]],
        parent=None,
    ) -> None:
        columns = [Column(str(i), title, 0) for i, title in enumerate(COLUMNS)]
        super().__init__(columns, AuditQuery(), parent)
        self._query_seqs = query_seqs
        self._fetch = fetch
        self.broken: set[int] = set()

    def query_keys(self, query: AuditQuery) -> list[int]:
        return self._query_seqs(query)

    def fetch_rows(self, keys: list) -> list[AuditRow]:
        return self._fetch(keys)

    def row_key(self, row: AuditRow) -> int:
        return row.seq

    def set_broken(self, seqs: list[int]) -> None:
        self.broken = set(seqs)
        if self._keys:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._keys) - 1, 0))

    def cell(self, row: AuditRow, column: int, role: int):
        if role == Qt.ItemDataRole.ForegroundRole and row.seq in self.broken:
            from PySide6.QtGui import QBrush, QColor

            return QBrush(QColor("#c62828"))
        if role == Qt.ItemDataRole.ToolTipRole and column in (4, 5):
            return f"{row.summary}\n{describe_details(row.details)}".strip()
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == 0:
            return f"{row.seq} ⚠" if row.seq in self.broken else str(row.seq)
        if column == 1:
            return row.at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")
        if column == 2:
            return row.login or "—"
        if column == 3:
            return audit.action_label(row.action)
        if column == 4:
            return row.summary
        if column == 5:
            text = describe_details(row.details)
            return text if len(text) <= 200 else text[:200] + "…"
        return None


class AuditPage(QWidget):
    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.model = AuditTableModel(
            lambda q: audit.query_seqs(db, actor, q),
            lambda seqs: audit.fetch_records(db, actor, seqs),
            self,
        )
        title = QLabel(_("Audit log"))
        title.setStyleSheet("font-size: 16px; font-weight: bold;")
        self.user = QComboBox()
        self.user.setObjectName("user")
        self.action = QComboBox()
        self.action.setObjectName("action")
        self.action.addItem(_("All actions"), "")
        for code, label in audit.ACTION_FAMILIES:
            self.action.addItem(_(label), code)
        self.since = DateField()
        self.until = DateField()
        self.text = QLineEdit()
        self.text.setObjectName("text")
        self.text.setPlaceholderText(_("Search the text…"))
        self.text.setClearButtonEnabled(True)
        search = QPushButton(_("Search"))
        search.clicked.connect(self.apply_filters)
        self.text.returnPressed.connect(self.apply_filters)
        for combo in (self.user, self.action):
            combo.currentIndexChanged.connect(self.apply_filters)
        self.since.valueChanged.connect(self.apply_filters)
        self.until.valueChanged.connect(self.apply_filters)
        filters = QHBoxLayout()
        filters.addWidget(QLabel(_("User")))
        filters.addWidget(self.user)
        filters.addWidget(QLabel(_("Action")))
        filters.addWidget(self.action)
        filters.addWidget(QLabel(_("From date")))
        filters.addWidget(self.since)
        filters.addWidget(QLabel(_("To date")))
        filters.addWidget(self.until)
        filters.addWidget(self.text, 1)
        filters.addWidget(search)

        self.chain = QLabel()
        self.chain.setObjectName("chain")
        self.chain.setWordWrap(True)
        verify = QPushButton(_("Verify the chain"))
        verify.clicked.connect(self.verify)
        self.count = QLabel()
        status = QHBoxLayout()
        status.addWidget(self.chain, 1)
        status.addWidget(self.count)
        status.addWidget(verify)

        self.table = house_table(
            self.model,
            selection=QAbstractItemView.SelectionMode.ExtendedSelection,
            widths=(70, 150, 90, 110, 260),
        )
        self.table.setWordWrap(False)
        self.empty_hint = EmptyHint(
            self.table,
            lambda: _(
                "No audit record matches these filters. Choose all users and all actions, "
                "or widen the dates."
            ),
        )
        note = QLabel(
            _(
                "Audit records cannot be changed in the application; each carries a hash of the "
                "one before it, so that a change made to the file outside it shows here."
            )
        )
        note.setStyleSheet("color: #666;")
        note.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(filters)
        layout.addLayout(status)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        self._verified = False
        self.reload()

    def reload(self) -> None:
        current = self.user.currentData()
        self.user.blockSignals(True)
        self.user.clear()
        self.user.addItem(_("Everyone"), "")
        for login in audit.logins(self.db, self.actor):
            self.user.addItem(login, login)
        index = self.user.findData(current)
        self.user.setCurrentIndex(max(index, 0))
        self.user.blockSignals(False)
        self.apply_filters()

    def apply_changes(self, changes: ChangeSet) -> None:
        """Every operation that changes something writes its audit record in the same
        transaction: a non-empty change set means new records (read now if the page is on
        screen, else when it is next shown)."""
        if changes and self.isVisible():
            self.reload()

    def query(self) -> AuditQuery:
        return AuditQuery(
            login=self.user.currentData() or "",
            action=self.action.currentData() or "",
            since=self.since.value(),
            until=self.until.value(),
            text=self.text.text(),
        )

    def apply_filters(self) -> None:
        self.model.set_query(self.query())
        self.count.setText(_("{count} records").format(count=f"{self.model.rowCount():,}"))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._verified:
            self.reload()  # records written since the page was last shown
        else:
            self._verified = True
            self.verify()

    def verify(self) -> None:
        report = operations.run_long(
            self,
            _("Verifying the audit chain…"),
            lambda progress: audit.check_chain(self.db, self.actor, progress=progress),
            title=_("Audit log"),
        )
        if report is not None:
            self.show_report(report)

    def show_report(self, report: audit.ChainReport) -> None:
        self.chain.setText(("✔ " if report.intact else "⚠ ") + report.describe())
        self.chain.setStyleSheet(
            f"color: {current_colours().accent};"
            if report.intact
            else f"color: {current_colours().danger}; font-weight: bold;"
        )
        self.model.set_broken(report.broken)
