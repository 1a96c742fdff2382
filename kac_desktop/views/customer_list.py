"""The customer list: a lazy table model over the customer service's SQL query, and the
page around it (search, filters, count, export)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.db import Database
from kac_desktop.i18n import N_, _
from kac_desktop.progress import Cancelled
from kac_desktop.rules import vocab
from kac_desktop.services import customers as customer_service
from kac_desktop.services import users as user_service
from kac_desktop.services.context import Actor, Change
from kac_desktop.services.customers import CustomerQuery, CustomerRow
from kac_desktop.services.errors import ServiceError

PAGE_SIZE = 256
IdRole = Qt.ItemDataRole.UserRole + 1
SortKeyRole = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True)
class Column:
    key: str  # the sort key the service understands, and the CustomerRow attribute
    title: str  # N_ marked
    width: int


COLUMNS: tuple[Column, ...] = (
    Column("name", N_("Customer name"), 260),
    Column("credit_code", N_("Credit code"), 170),
    Column("kind", N_("Kind"), 90),
    Column("tier", N_("Tier"), 60),
    Column("visit_class", N_("Visit class"), 70),
    Column("industry", N_("Industry"), 90),
    Column("area", N_("Area"), 50),
    Column("branch", N_("Branch"), 100),
    Column("manager", N_("Account manager"), 90),
    Column("contact", N_("Main contact"), 80),
    Column("phone", N_("Phone"), 120),
    Column("completeness", N_("File completeness"), 80),
)
COLUMN_INDEX = {c.key: i for i, c in enumerate(COLUMNS)}

_TIER_COLOURS = {
    "diamond": "#5b3fb5",
    "platinum": "#37718e",
    "gold": "#a97800",
    "vip": "#b0413e",
}


def display_value(row: CustomerRow, key: str) -> str:
    if key == "kind":
        return vocab.label(vocab.KINDS, row.kind)
    if key == "tier":
        return vocab.label(vocab.TIERS, row.tier)
    if key == "visit_class":
        return vocab.label(vocab.VISIT_CLASSES, row.visit_class)
    if key == "industry":
        return vocab.label(vocab.INDUSTRIES, row.industry)
    if key == "area":
        return vocab.label(vocab.AREAS, row.area)
    if key == "completeness":
        return f"{row.completeness}%"
    value = getattr(row, key)
    return "" if value is None else str(value)


class CustomerTableModel(QAbstractTableModel):
    """Holds the ordered ids of the current query; rows are fetched a page at a time
    when the view first asks for them, so 100,000 matches cost one id list."""

    countChanged = Signal(int)

    def __init__(
        self,
        query_ids: Callable[[CustomerQuery], list[str]],
        fetch_rows: Callable[[list[str]], list[CustomerRow]],
        parent=None,
    ) -> None:
        super().__init__(parent)
        self._query_ids = query_ids
        self._fetch_rows = fetch_rows
        self._query = CustomerQuery()
        self._ids: list[str] = []
        self._rows: dict[int, CustomerRow] = {}

    # -- the query
    @property
    def query(self) -> CustomerQuery:
        return self._query

    def set_query(self, query: CustomerQuery) -> None:
        self.beginResetModel()
        self._query = query
        self._ids = self._query_ids(query)
        self._rows.clear()
        self.endResetModel()
        self.countChanged.emit(len(self._ids))

    def reload(self) -> None:
        self.set_query(self._query)

    def apply_change(self, change: Change) -> None:
        """Refresh after one user action: re-run the query when rows may enter or leave,
        otherwise refetch only the changed rows."""
        if change.kind != "customer":
            return
        self.set_query(self._query)

    def id_at(self, row: int) -> str | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, customer_id: str) -> int:
        try:
            return self._ids.index(customer_id)
        except ValueError:
            return -1

    def row_data(self, row: int) -> CustomerRow | None:
        if not 0 <= row < len(self._ids):
            return None
        cached = self._rows.get(row)
        if cached is None:
            start = row - row % PAGE_SIZE
            page_ids = self._ids[start : start + PAGE_SIZE]
            fetched = {r.id: r for r in self._fetch_rows(page_ids)}
            for offset, cid in enumerate(page_ids):
                if cid in fetched:
                    self._rows[start + offset] = fetched[cid]
            cached = self._rows.get(row)
        return cached

    # -- Qt
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
                return _(COLUMNS[section].title)
            if orientation == Qt.Orientation.Vertical:
                return str(section + 1)
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if not index.isValid():
            return None
        row = self.row_data(index.row())
        if row is None:
            return None
        key = COLUMNS[index.column()].key
        if role == Qt.ItemDataRole.DisplayRole:
            return display_value(row, key)
        if role == IdRole:
            return row.id
        if role == SortKeyRole:
            value = getattr(row, key)
            return value if isinstance(value, (int, str)) else str(value)
        if role == Qt.ItemDataRole.ForegroundRole:
            if row.archived:
                return QBrush(QColor("#8a8a8a"))
            if key == "tier" and row.tier in _TIER_COLOURS:
                return QBrush(QColor(_TIER_COLOURS[row.tier]))
            if key == "completeness" and row.completeness < 60:
                return QBrush(QColor("#b35c00"))
        if role == Qt.ItemDataRole.TextAlignmentRole and key == "completeness":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and key == "name" and row.archived:
            return _("Archived")
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        self._query = replace(
            self._query, sort=COLUMNS[column].key, descending=order == Qt.SortOrder.DescendingOrder
        )
        self._ids = self._query_ids(self._query)
        self._rows.clear()
        self.layoutChanged.emit()


class _Filter(QComboBox):
    """A combo whose first entry means 'any'."""

    def __init__(self, any_text: str, items: list[tuple[object, str]], parent=None) -> None:
        super().__init__(parent)
        self.addItem(any_text, None)
        for code, text in items:
            self.addItem(text, code)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

    def value(self):
        return self.currentData()


class CustomerListPage(QWidget):
    openCustomer = Signal(str)
    newCustomer = Signal()
    importRequested = Signal()
    countChanged = Signal(int)

    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.model = CustomerTableModel(
            lambda q: customer_service.query_ids(db, actor, q),
            lambda ids: customer_service.fetch_rows(db, actor, ids),
            self,
        )

        self.search = QLineEdit()
        self.search.setPlaceholderText(
            _("Search: name, pinyin or initials, credit code, contact, phone")
        )
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(320)
        self.search.setObjectName("customerSearch")

        def options(vocabulary: dict) -> list[tuple[object, str]]:
            return [(code, vocab.label(vocabulary, code)) for code in vocabulary]

        self.tier = _Filter(_("All tiers"), options(vocab.TIERS))
        self.visit_class = _Filter(_("All visit classes"), options(vocab.VISIT_CLASSES))
        self.kind = _Filter(_("All kinds"), options(vocab.KINDS))
        self.industry = _Filter(_("All industries"), options(vocab.INDUSTRIES))
        self.area = _Filter(_("City and rural"), options(vocab.AREAS))
        branches = user_service.list_branches(db, actor)
        self.branch = _Filter(_("All branches"), [(b.id, b.name) for b in branches])
        managers = user_service.list_managers(db, actor)
        self.manager = _Filter(_("All managers"), [(m.id, m.display_name) for m in managers])
        self.archived = QComboBox()
        self.archived.addItem(_("In use"), False)
        self.archived.addItem(_("Archived"), True)
        self.archived.addItem(_("In use and archived"), None)
        if actor.role == "manager":
            self.branch.setVisible(False)
            self.manager.setVisible(False)
        elif len(branches) <= 1:
            self.branch.setVisible(False)

        self.count = QLabel()
        self.count.setObjectName("matchCount")
        new_button = QPushButton(_("New customer"))
        new_button.setObjectName("newCustomer")
        import_button = QPushButton(_("Import from Excel…"))
        export_button = QPushButton(_("Export list to Excel…"))
        new_button.clicked.connect(self.newCustomer)
        import_button.clicked.connect(self.importRequested)
        export_button.clicked.connect(self.export)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        for i, column in enumerate(COLUMNS):
            self.table.setColumnWidth(i, column.width)
        self.table.doubleClicked.connect(self._open_index)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self._open_current)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.search.setFocus)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count)
        top.addStretch()
        top.addWidget(new_button)
        top.addWidget(import_button)
        top.addWidget(export_button)
        filters = QHBoxLayout()
        for combo in (
            self.tier,
            self.visit_class,
            self.kind,
            self.industry,
            self.area,
            self.branch,
            self.manager,
            self.archived,
        ):
            filters.addWidget(combo)
            combo.currentIndexChanged.connect(self._query_changed)
        filters.addStretch()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)

        self.search.textChanged.connect(self._query_changed)
        self.model.countChanged.connect(self._show_count)
        self._query_changed()

    def current_query(self) -> CustomerQuery:
        return CustomerQuery(
            search=self.search.text(),
            tier=self.tier.value(),
            visit_class=self.visit_class.value(),
            kind=self.kind.value(),
            industry=self.industry.value(),
            area=self.area.value(),
            branch_id=self.branch.value(),
            manager_id=self.manager.value(),
            archived=self.archived.currentData(),
            sort=self.model.query.sort,
            descending=self.model.query.descending,
        )

    def _query_changed(self, *_args) -> None:
        self.model.set_query(self.current_query())

    def _show_count(self, n: int) -> None:
        self.count.setText(_("{count} customers").format(count=f"{n:,}"))
        self.countChanged.emit(n)

    def _open_index(self, index: QModelIndex) -> None:
        customer_id = self.model.id_at(index.row())
        if customer_id:
            self.openCustomer.emit(customer_id)

    def _open_current(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self._open_index(index)

    def apply_change(self, change: Change) -> None:
        selected = self.model.id_at(self.table.currentIndex().row())
        self.model.apply_change(change)
        target = change.ids[0] if change.created and change.ids else selected
        if target:
            row = self.model.row_of(target)
            if row >= 0:
                self.table.selectRow(row)
                self.table.scrollTo(self.model.index(row, 0))

    def export(self) -> None:
        from kac_desktop.views.workers import run_with_progress

        path, _filter = QFileDialog.getSaveFileName(
            self,
            _("Export list to Excel"),
            _("customer list") + ".xlsx",
            _("Excel workbook (*.xlsx)"),
        )
        if not path:
            return
        if not path.lower().endswith(".xlsx"):
            path += ".xlsx"
        query = self.current_query()
        try:
            count = run_with_progress(
                self,
                _("Exporting the customer list…"),
                lambda progress: customer_service.export_list(
                    self.db, self.actor, query, path, progress=progress
                ),
            )
        except Cancelled:
            return
        except ServiceError as exc:
            QMessageBox.warning(self, _("Export failed"), exc.message)
            return
        QMessageBox.information(
            self,
            _("Export finished"),
            _("{count} customers were written to {path}.").format(count=count, path=path),
        )
