"""The monthly visit quota (走访达标, DOMAIN.md §3): every customer due with its class, visits
required and done, a progress bar and its state — colour *and* label — for a month and a
manager (a supervisor picks any manager of his branch, or all), with the compliance rate
per manager and for the branch."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.db import Database
from kac_desktop.i18n import N_, _
from kac_desktop.rules import quota as rules
from kac_desktop.rules import vocab
from kac_desktop.rules.quota import Month
from kac_desktop.services import users as user_service
from kac_desktop.services import visits as visit_service
from kac_desktop.services.context import Actor, Change
from kac_desktop.services.visits import QuotaReport, QuotaRow

from .table_models import Column, ColumnTableModel, house_table

IdRole = Qt.ItemDataRole.UserRole + 1
StateRole = Qt.ItemDataRole.UserRole + 2
FractionRole = Qt.ItemDataRole.UserRole + 3
SortKeyRole = Qt.ItemDataRole.UserRole + 4


COLUMNS: tuple[Column, ...] = (
    Column("name", N_("Customer name"), 280),
    Column("manager", N_("Account manager"), 90),
    Column("visit_class", N_("Visit class"), 70),
    Column("required", N_("Visits required"), 60),
    Column("done", N_("Visits done"), 60),
    Column("progress", N_("Progress"), 140),
    Column("state", N_("State"), 150),
)
COLUMN_INDEX = {c.key: i for i, c in enumerate(COLUMNS)}
_STATE_ORDER = {rules.BEHIND: 0, rules.ON_TRACK: 1, rules.MET: 2}


class QuotaTableModel(ColumnTableModel):
    """The rows of one QuotaReport (at most one per customer of the branch, computed by
    the service in two grouped queries), filtered and sorted here."""

    def __init__(self, parent=None) -> None:
        super().__init__([c.title for c in COLUMNS], parent)
        self._all: list[QuotaRow] = []
        self._rows: list[QuotaRow] = []
        self._behind_only = False
        self._search = ""
        self._sort: tuple[int, Qt.SortOrder] | None = None

    def set_rows(self, rows: list[QuotaRow]) -> None:
        self.beginResetModel()
        self._all = list(rows)
        self._apply()
        self.endResetModel()

    def set_filter(self, behind_only: bool, search: str = "") -> None:
        self.beginResetModel()
        self._behind_only = behind_only
        self._search = search.strip().lower()
        self._apply()
        self.endResetModel()

    def _apply(self) -> None:
        rows = self._all
        if self._behind_only:
            rows = [r for r in rows if r.status.state == rules.BEHIND]
        if self._search:
            rows = [r for r in rows if self._search in r.name.lower()]
        self._rows = rows
        if self._sort is not None:
            self._sort_rows(*self._sort)

    def row_at(self, row: int) -> QuotaRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, customer_id: str) -> int:
        for i, r in enumerate(self._rows):
            if r.customer_id == customer_id:
                return i
        return -1

    # -- Qt
    def row_total(self) -> int:
        return len(self._rows)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if not index.isValid():
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
        key = COLUMNS[index.column()].key
        status = row.status
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "name":
                return row.name
            if key == "manager":
                return row.manager
            if key == "visit_class":
                return vocab.label(vocab.VISIT_CLASSES, row.visit_class)
            if key == "required":
                return str(status.required)
            if key == "done":
                return str(status.done)
            if key == "progress":
                return f"{status.done}/{status.required}"
            if key == "state":
                return f"{rules.STATE_SYMBOLS[status.state]} {rules.state_text(status)}"
        if role == IdRole:
            return row.customer_id
        if role == StateRole:
            return status.state
        if role == FractionRole:
            return status.fraction
        if role == SortKeyRole:
            return _sort_key(row, key)
        if role == Qt.ItemDataRole.ForegroundRole and key == "state":
            return QBrush(QColor(rules.STATE_COLOURS[status.state]))
        if role == Qt.ItemDataRole.BackgroundRole and key == "state":
            return QBrush(QColor(rules.STATE_BACKGROUNDS[status.state]))
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("required", "done"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and key == "state":
            return _("{done} of {required} visits done; {days} days left in the month").format(
                done=status.done, required=status.required, days=status.days_left
            )
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        self._sort_rows(column, order)
        self.layoutChanged.emit()

    def _sort_rows(self, column: int, order: Qt.SortOrder) -> None:
        key = COLUMNS[column].key
        self._rows = sorted(
            self._rows,
            key=lambda r: (_sort_key(r, key), r.name_sort),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )


def _sort_key(row: QuotaRow, key: str):
    s = row.status
    return {
        "name": row.name_sort,
        "manager": row.manager,
        "visit_class": row.visit_class,
        "required": s.required,
        "done": s.done,
        "progress": s.fraction,
        "state": (_STATE_ORDER[s.state], -s.missing),
    }[key]


class ProgressDelegate(QStyledItemDelegate):
    """A progress bar in the colour of the state, with ``done/required`` on it."""

    def paint(self, painter: QPainter, option, index) -> None:
        fraction = index.data(FractionRole)
        state = index.data(StateRole)
        if fraction is None:
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = QRect(option.rect.adjusted(4, 4, -4, -4))
        bar.minimum = 0
        bar.maximum = 100
        bar.progress = int(round(fraction * 100))
        bar.text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        bar.textVisible = True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        if state in rules.STATE_COLOURS:
            bar.palette.setColor(
                bar.palette.ColorRole.Highlight, QColor(rules.STATE_COLOURS[state])
            )
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)


class ManagerComplianceModel(ColumnTableModel):
    """Compliance per manager, then per branch when there are several (DOMAIN §3 "rolled up
    per branch"), and the total as the last row."""

    HEADERS = (
        N_("Account manager"),
        N_("Customers due"),
        N_("Met"),
        N_("Behind"),
        N_("Compliance rate"),
    )

    number_rows = False

    def __init__(self, parent=None) -> None:
        super().__init__(self.HEADERS, parent)
        # (kind, label, compliance, manager id): kind "manager", "branch" or "total"
        self._rows: list[tuple[str, str, rules.Compliance, str | None]] = []

    def set_report(self, report: QuotaReport) -> None:
        self.beginResetModel()
        several = len(report.by_branch) > 1
        self._rows = [
            (
                "manager",
                f"{m.manager}（{m.branch}）" if several else m.manager,
                m.compliance,
                m.manager_id,
            )
            for m in report.by_manager
        ]
        if several:
            self._rows += [("branch", b.branch, b.compliance, None) for b in report.by_branch]
        if report.by_manager:
            self._rows.append(("total", _("Total"), report.total, None))
        self.endResetModel()

    def manager_at(self, row: int) -> str | None:
        return self._rows[row][3] if 0 <= row < len(self._rows) else None

    def row_total(self) -> int:
        return len(self._rows)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if not index.isValid():
            return None
        if not 0 <= index.row() < len(self._rows):
            return None
        kind, name, c, _manager = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (name, f"{c.due:,}", f"{c.met:,}", f"{c.behind:,}", rules.format_rate(c.rate))[
                index.column()
            ]
        if role == Qt.ItemDataRole.BackgroundRole and kind == "branch":
            return QBrush(QColor("#f3f5f8"))
        if role == Qt.ItemDataRole.FontRole and kind != "manager":
            font = QApplication.font()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def recent_months(today: date, count: int = 24) -> list[Month]:
    months = [Month.of(today)]
    while len(months) < count:
        months.append(months[-1].previous())
    return months


class QuotaPage(QWidget):
    openCustomer = Signal(str)
    logVisit = Signal(str)  # customer id

    def __init__(self, db: Database, actor: Actor, parent=None, today: date | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.report: QuotaReport | None = None
        today = today or date.today()

        self.month = QComboBox()
        self.month.setObjectName("quotaMonth")
        for m in recent_months(today):
            self.month.addItem(_("{year}-{month:02d}").format(year=m.year, month=m.month), m)
        self.manager = QComboBox()
        self.manager.setObjectName("quotaManager")
        if actor.role == "manager":
            self.manager.addItem(actor.display_name, actor.user_id)
            self.manager.setEnabled(False)
        else:
            self.manager.addItem(_("All managers"), None)
            for m in user_service.list_managers(db, actor):
                if m.role == "manager":
                    self.manager.addItem(f"{m.display_name}（{m.branch_name}）", m.id)
        self.behind_only = QCheckBox(_("Behind only"))
        self.behind_only.setObjectName("behindOnly")
        self.search = QLineEdit()
        self.search.setPlaceholderText(_("Find a customer"))
        self.search.setClearButtonEnabled(True)
        self.log_button = QPushButton(_("Log a visit…"))
        self.log_button.clicked.connect(self._log_current)

        self.summary = QLabel()
        self.summary.setObjectName("quotaSummary")
        self.summary.setStyleSheet("font-size: 14px;")
        self.summary.setWordWrap(True)
        self.legend = QLabel(
            "　".join(
                f'<span style="color:{rules.STATE_COLOURS[s]}">{rules.STATE_SYMBOLS[s]} '
                f"{rules.state_label(s)}</span>"
                for s in (rules.MET, rules.ON_TRACK, rules.BEHIND)
            )
        )
        self.rule_note = QLabel()
        self.rule_note.setStyleSheet("color: #666;")
        self.rule_note.setWordWrap(True)

        self.model = QuotaTableModel(self)
        self.table = house_table(
            self.model,
            "quotaTable",
            widths=[c.width for c in COLUMNS],
            row_height=26,
            alternating=False,
        )
        # behind first (the service's order), then by what is missing
        self.table.horizontalHeader().setSortIndicator(
            COLUMN_INDEX["state"], Qt.SortOrder.AscendingOrder
        )
        self.table.setSortingEnabled(True)
        self.table.setItemDelegateForColumn(COLUMN_INDEX["progress"], ProgressDelegate(self.table))
        self.table.doubleClicked.connect(self._open_index)

        self.managers_model = ManagerComplianceModel(self)
        self.managers_table = house_table(
            self.managers_model,
            selection=QAbstractItemView.SelectionMode.ExtendedSelection,
            alternating=False,
            resize_mode=QHeaderView.ResizeMode.ResizeToContents,
            stretch_last=False,
        )
        self.managers_table.clicked.connect(self._pick_manager_row)

        top = QHBoxLayout()
        top.addWidget(QLabel(_("Month")))
        top.addWidget(self.month)
        top.addWidget(QLabel(_("Account manager")))
        top.addWidget(self.manager)
        top.addWidget(self.behind_only)
        top.addWidget(self.search)
        top.addStretch()
        top.addWidget(self.legend)
        top.addWidget(self.log_button)
        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(self.managers_table)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        self.managers_table.setMinimumWidth(400)
        self.managers_table.verticalHeader().setDefaultSectionSize(24)
        splitter.setSizes([860, 420])
        if actor.role == "manager":
            self.managers_table.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.rule_note)

        self.month.currentIndexChanged.connect(self.reload)
        self.manager.currentIndexChanged.connect(self.reload)
        self.behind_only.toggled.connect(self._filter)
        self.search.textChanged.connect(self._filter)
        self.reload()

    def selected_month(self) -> Month:
        return self.month.currentData()

    def reload(self, *_args) -> None:
        selected = self.model.row_at(self.table.currentIndex().row())
        self.report = visit_service.quota_report(
            self.db, self.actor, self.selected_month(), self.manager.currentData()
        )
        self.model.set_rows(self.report.rows)
        self._filter()
        self.managers_model.set_report(self.report)
        self._show_summary()
        if selected is not None:
            self.select_customer(selected.customer_id)

    def _filter(self, *_args) -> None:
        self.model.set_filter(self.behind_only.isChecked(), self.search.text())

    def _show_summary(self) -> None:
        r = self.report
        if r is None:
            return
        t = r.total
        if r.days_left:
            left = _("{days} days left in the month").format(days=r.days_left)
        else:
            left = _("the month is over")
        self.summary.setText(
            _(
                "{month}: {due} customers due, {met} met, {behind} behind; "
                "compliance rate {rate} ({left})."
            ).format(
                month=_("{year}-{month:02d}").format(year=r.month.year, month=r.month.month),
                due=f"{t.due:,}",
                met=f"{t.met:,}",
                behind=f"{t.behind:,}",
                rate=rules.format_rate(t.rate),
                left=left,
            )
        )
        modes = "、".join(vocab.label(vocab.VISIT_MODES, m) for m in r.counting_modes)
        self.rule_note.setText(
            _(
                "Quota a month: class 1 {c1}, class 2 {c2}, class 3 {c3} visits; counted: {modes}. "
                "The class in force at the end of the month applies (for this month, the "
                "class now). On track: visits keep pace with the days past."
            ).format(
                c1=r.per_class.get(1, 0),
                c2=r.per_class.get(2, 0),
                c3=r.per_class.get(3, 0),
                modes=modes or "—",
            )
        )

    def select_customer(self, customer_id: str) -> bool:
        row = self.model.row_of(customer_id)
        if row < 0:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def _open_index(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row is not None:
            self.openCustomer.emit(row.customer_id)

    def _log_current(self) -> None:
        row = self.model.row_at(self.table.currentIndex().row())
        self.logVisit.emit(row.customer_id if row else "")

    def _pick_manager_row(self, index: QModelIndex) -> None:
        manager_id = self.managers_model.manager_at(index.row())
        found = self.manager.findData(manager_id) if manager_id else 0
        if found >= 0 and self.manager.isEnabled():
            self.manager.setCurrentIndex(found)

    def apply_change(self, change: Change) -> None:
        if change.kind in ("visit", "customer"):
            self.reload()
