"""The page 收入与积分: the revenue import, every customer's year points, club level, gap,
suggested against confirmed tier (with the supervisor's batch review), target and
completion; completion per manager; and the alerts (revenue drops, no business)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.i18n import N_, _
from kac_desktop.rules import vocab
from kac_desktop.rules.clock import LOCAL_TZ, business_today
from kac_desktop.services import revenue as revenue_service
from kac_desktop.services import revenue_alerts
from kac_desktop.services.changes import ChangeSet, Kind
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database
from kac_desktop.services.revenue import PointsQuery, PointsRow

from . import operations
from .paged_model import IdRole as ID_ROLE
from .paged_model import PagedTableModel
from .revenue_tab import money, month_text, percent
from .table_models import Column, TextTableModel, house_table

PAGE = 200

# (key, title, sort key in the service or "")
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("name", N_("Customer name"), "name"),
    ("manager", N_("Account manager"), "manager"),
    ("points", N_("Year points"), "points"),
    ("level", N_("Club level"), "points"),
    ("gap", N_("To the next level"), ""),
    ("suggested", N_("Suggested tier"), "suggested"),
    ("confirmed", N_("Confirmed tier"), "confirmed"),
    ("confirmed_by", N_("Confirmed by"), ""),
    ("revenue", N_("Revenue this year"), "revenue"),
    ("target", N_("Maintenance target"), "target"),
    ("completion", N_("Completion"), "completion"),
)
KEYS = [c[0] for c in COLUMNS]
NUMERIC = {"points", "gap", "revenue", "target", "completion"}


def cell(row: PointsRow, key: str) -> str:
    tier = lambda code: vocab.label(vocab.TIERS, code)  # noqa: E731
    if key == "points":
        return f"{row.points:,}"
    if key == "level":
        return tier(row.level)
    if key == "gap":
        if row.next_level is None or row.gap is None:
            return _("top level")
        return _("{points} to {level}").format(points=f"{row.gap:,}", level=tier(row.next_level))
    if key == "suggested":
        return tier(row.suggested_tier) + (" ≠" if row.mismatch else "")
    if key == "confirmed":
        return tier(row.confirmed_tier)
    if key == "confirmed_by":
        if not row.confirmed_by:
            return ""
        when = (
            row.confirmed_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d") if row.confirmed_at else ""
        )
        return f"{row.confirmed_by} {when}".strip()
    if key == "revenue":
        return money(row.revenue)
    if key == "target":
        return money(row.target) if row.target else "—"
    if key == "completion":
        return percent(row.completion)
    return str(getattr(row, key))


class PointsModel(PagedTableModel):
    """The paged list model (views/paged_model.py) over the points query, keyed by
    customer id; sorts by the columns the service sorts by."""

    number_rows = False
    page_size = PAGE

    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        columns = [Column(key, title, 0) for key, title, _sort in COLUMNS]
        super().__init__(columns, PointsQuery(year=business_today().year), parent)
        self.db = db
        self.actor = actor

    def query_keys(self, query: PointsQuery) -> list[str]:
        return revenue_service.query_ids(self.db, self.actor, query)

    def fetch_rows(self, keys: list) -> list[PointsRow]:
        return revenue_service.fetch_rows(self.db, self.actor, self._query.year, keys)

    def row_key(self, row: PointsRow) -> str:
        return row.customer_id

    @property
    def ids(self) -> list[str]:
        return self._keys

    def cell(self, row: PointsRow, column: int, role: int):
        key = KEYS[column]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell(row, key)
        if role == Qt.ItemDataRole.TextAlignmentRole and key in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and key == "suggested" and row.mismatch:
            return QBrush(QColor("#8a5300"))
        if role == Qt.ItemDataRole.FontRole and key == "suggested" and row.mismatch:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and key == "suggested" and row.mismatch:
            return _("The suggestion differs from the confirmed tier.")
        return None

    def sorted_query(self, query: PointsQuery, column: int, descending: bool):
        key = COLUMNS[column][2]
        if not key:
            return None
        return replace(query, sort=key, descending=descending)


class RevenuePage(QWidget):
    changed = Signal(object)  # the ChangeSet of a confirmation made here

    def __init__(self, db: Database, actor: Actor, parent=None, today: date | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.today = today or business_today()

        self.year = QComboBox()
        self.year.setObjectName("year")
        self._fill_years()
        self.search = QLineEdit()
        self.search.setPlaceholderText(_("Search name, pinyin initials, credit code"))
        self.search.setClearButtonEnabled(True)
        self.level = QComboBox()
        self.level.addItem(_("All suggested tiers"), None)
        for code in vocab.TIERS:
            self.level.addItem(vocab.label(vocab.TIERS, code), code)
        self.mismatch = QCheckBox(_("Suggestion differs from the confirmed tier"))
        self.mismatch.setObjectName("mismatch")
        self.import_button = QPushButton(_("Import revenue…"))
        self.import_button.setObjectName("importRevenue")
        self.confirm_button = QPushButton(_("Confirm selected"))
        self.confirm_button.setObjectName("confirmSelected")
        self.confirm_button.setToolTip(
            _("Confirm the suggested tier of the selected customers (supervisors).")
        )
        self.confirm_button.setVisible(actor.is_supervisor)
        self.count = QLabel()
        for widget in (self.year, self.level):
            widget.currentIndexChanged.connect(self.refresh)
        self.mismatch.toggled.connect(self.refresh)
        self.search.textChanged.connect(self.refresh)
        self.import_button.clicked.connect(self.import_revenue)
        self.confirm_button.clicked.connect(self.confirm_selected)

        top = QHBoxLayout()
        top.addWidget(QLabel(_("Year")))
        top.addWidget(self.year)
        top.addWidget(self.search, 1)
        top.addWidget(self.level)
        top.addWidget(self.mismatch)
        top.addStretch()
        top.addWidget(self.import_button)

        self.model = PointsModel(db, actor, self)
        self.table = house_table(
            self.model,
            "pointsTable",
            selection=QAbstractItemView.SelectionMode.ExtendedSelection,
            widths={0: 260, 1: 80, 4: 150, 5: 80, 6: 70, 7: 150},
            row_height=24,
        )
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(2, Qt.SortOrder.DescendingOrder)
        self.table.doubleClicked.connect(self._open)
        points_box = QWidget()
        points_layout = QVBoxLayout(points_box)
        points_layout.setContentsMargins(0, 0, 0, 0)
        points_layout.addWidget(self.table, 1)
        below = QHBoxLayout()
        below.addWidget(self.count)
        below.addStretch()
        below.addWidget(self.confirm_button)
        points_layout.addLayout(below)

        self.managers_model = TextTableModel()
        self.managers = QTableView()
        self.managers.setModel(self.managers_model)
        self.managers.verticalHeader().setVisible(False)
        self.managers.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.managers.setAlternatingRowColors(True)

        self.alerts_model = TextTableModel()
        self.alerts = QTableView()
        self.alerts.setObjectName("alertsTable")
        self.alerts.setModel(self.alerts_model)
        self.alerts.verticalHeader().setVisible(False)
        self.alerts.horizontalHeader().setStretchLastSection(True)
        self.alerts.setAlternatingRowColors(True)
        self.alerts_note = QLabel()
        self.alerts_note.setWordWrap(True)
        self.alerts_note.setStyleSheet("color: #666;")
        alerts_box = QWidget()
        alerts_layout = QVBoxLayout(alerts_box)
        alerts_layout.setContentsMargins(0, 0, 0, 0)
        alerts_layout.addWidget(self.alerts_note)
        alerts_layout.addWidget(self.alerts, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(points_box, _("Points and club levels"))
        self.tabs.addTab(self.managers, _("Completion by manager"))
        self.tabs.addTab(alerts_box, _("Alerts"))
        self.tabs.currentChanged.connect(self._tab_changed)
        self.open_customer = None  # set by the main window: callable(customer_id)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        self.refresh()

    # ------------------------------------------------------------------ data
    def _fill_years(self) -> None:
        years = set(revenue_service.assessment_years(self.db, self.actor)) | {self.today.year}
        current = self.year.currentData()
        self.year.blockSignals(True)
        self.year.clear()
        for year in sorted(years, reverse=True):
            self.year.addItem(str(year), year)
        index = self.year.findData(current if current else self.today.year)
        self.year.setCurrentIndex(max(index, 0))
        self.year.blockSignals(False)

    def current_query(self) -> PointsQuery:
        q = self.model.query
        return PointsQuery(
            year=self.year.currentData() or self.today.year,
            search=self.search.text(),
            mismatch_only=self.mismatch.isChecked(),
            level=self.level.currentData(),
            sort=q.sort,
            descending=q.descending,
        )

    def refresh(self, *_args) -> None:
        self.model.set_query(self.current_query())
        self.count.setText(_("Customers shown: {count}").format(count=f"{self.model.rowCount():,}"))
        self._tab_changed(self.tabs.currentIndex())

    def _tab_changed(self, index: int) -> None:
        if index == 1:
            self.load_managers()
        elif index == 2:
            self.load_alerts()

    def load_managers(self) -> None:
        year = self.year.currentData() or self.today.year
        rows = revenue_service.manager_completion(self.db, self.actor, year)
        self.managers_model.set_rows(
            [
                _("Account manager"),
                _("Customers"),
                _("Year points"),
                _("Revenue this year"),
                _("Maintenance target"),
                _("Completion"),
            ],
            [
                [
                    m.manager,
                    m.customers,
                    f"{m.points:,}",
                    money(m.revenue),
                    money(m.target),
                    percent(m.completion),
                ]
                for m in rows
            ],
        )

    def load_alerts(self) -> None:
        rows = revenue_alerts.alerts(self.db, self.actor, today=self.today)
        kinds = {
            "drop": _("Revenue drop"),
            "no_business": _("No business"),
            "inactive": _("No business and no contact"),
        }
        table = []
        for r in rows:
            if r.kind == "drop":
                detail = _("{month}: ¥{amount}, {change} against the average ¥{average}").format(
                    month=month_text(r.month or 0),
                    amount=money(r.amount),
                    change=percent(r.change),
                    average=money(r.average),
                )
            else:
                last = month_text(r.month) if r.month else _("never")
                detail = _("{days} days; last revenue {month}").format(
                    days=r.days if r.days is not None else "—", month=last
                )
                if r.last_visit:
                    detail += "；" + _("last visit {day}").format(day=r.last_visit.isoformat())
            table.append(["⚠ " + kinds.get(r.kind, r.kind), r.name, r.manager, detail])
        self.alerts_model.set_rows(
            [_("Alert"), _("Customer name"), _("Account manager"), _("Details")], table
        )
        self.alerts.horizontalHeader().resizeSection(0, 170)
        self.alerts.horizontalHeader().resizeSection(1, 260)
        self.alerts.horizontalHeader().resizeSection(2, 90)
        self.alerts_note.setText(
            _(
                "Revenue drops: the latest month against the average of the three before "
                "(threshold in the settings). No business: no revenue for the set number of "
                "days; customers without a visit either are marked “no business and no "
                "contact”. {count} alerts."
            ).format(count=len(rows))
        )

    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.ids[r] for r in rows if 0 <= r < len(self.model.ids)]

    # ------------------------------------------------------------------ actions
    def confirm_selected(self, *, ask: bool = True) -> ChangeSet | None:
        ids = self.selected_ids()
        if not ids:
            QMessageBox.information(
                self, _("Confirm selected"), _("Select the reviewed customers first.")
            )
            return None
        year = self.year.currentData() or self.today.year
        if ask:
            answer = QMessageBox.question(
                self,
                _("Confirm selected"),
                _("Confirm the suggested tier of {count} customers for {year}?").format(
                    count=len(ids), year=year
                ),
            )
            if answer != QMessageBox.StandardButton.Yes:
                return None
        change = operations.run(
            self,
            lambda: revenue_service.confirm_tiers(
                self.db, self.actor, year, [(i, None) for i in ids], today=self.today
            ),
            title=_("Confirm selected"),
        )
        if change is None:
            return None
        self.changed.emit(change)
        return change

    def import_revenue(self) -> None:
        from .revenue_import import RevenueImportDialog

        dialog = RevenueImportDialog(self.db, self.actor, self)
        dialog.exec()

    def _open(self, index: QModelIndex) -> None:
        cid = self.model.data(index, ID_ROLE)
        if cid and self.open_customer is not None:
            self.open_customer(cid)

    def apply_changes(self, changes: ChangeSet) -> None:
        """Points, suggestions, confirmed tiers and alerts follow revenue, tiers, a line's
        rule and the customers' files (a name, a manager)."""
        if changes.touches(Kind.REVENUE, Kind.TIER, Kind.CUSTOMER, Kind.PRODUCT_LINE, Kind.USER):
            self._fill_years()
            self.refresh()
