"""The monthly visit quota (走访达标, docs/DOMAIN.md §3): every customer due with its class, visits
required and done, a progress bar and its state — colour *and* label — for a month and a
manager (a supervisor picks any manager of his branch, or all), with the compliance rate
per manager and for the branch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
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

from kac_desktop.i18n import N_, _
from kac_desktop.rules import quota as rules
from kac_desktop.rules import vocab
from kac_desktop.rules.clock import business_today
from kac_desktop.rules.quota import Month, QuotaStatus
from kac_desktop.services import users as user_service
from kac_desktop.services import visit_quota
from kac_desktop.services.changes import ChangeSet, Kind
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database
from kac_desktop.services.visit_quota import QuotaFilter, QuotaReport, QuotaRow

from .colours import current_colours
from .paged_model import FractionRole, IdRole, SortKeyRole, StateRole
from .table_models import Column, ColumnTableModel, house_table

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


class QuotaTableModel(ColumnTableModel):
    """The rows of one QuotaReport, filtered and sorted by the visit service
    (``quota_rows``).  Not a PagedTableModel: the report is computed whole (the quota states
    are the rules', not columns), so its rows are in memory already.  The texts and colours
    of a row depend on its status only, of which a report holds a handful: they are made
    once per status."""

    def __init__(
        self,
        arrange: Callable[[list[QuotaRow], QuotaFilter], list[QuotaRow]] | None = None,
        parent=None,
    ) -> None:
        super().__init__([c.title for c in COLUMNS], parent)
        self._arrange = arrange or (lambda rows, shown: visit_quota.arrange_quota_rows(rows, shown))
        self._all: list[QuotaRow] = []
        self._rows: list[QuotaRow] = []
        self._shown = QuotaFilter()
        self._looks: dict[QuotaStatus, _StatusLook] = {}
        self._class_labels: dict[int, str] = {}

    def set_rows(
        self, rows: list[QuotaRow], behind_only: bool | None = None, search: str | None = None
    ) -> None:
        """Show ``rows`` (in the service's order), with the filter changed as given."""
        self.beginResetModel()
        self._all = list(rows)
        if behind_only is not None:
            self._shown = replace(self._shown, behind_only=behind_only)
        if search is not None:
            self._shown = replace(self._shown, search=search)
        self._looks.clear()
        self._rows = self._arrange(self._all, self._shown)
        self.endResetModel()

    def set_filter(self, behind_only: bool, search: str = "") -> None:
        self.beginResetModel()
        self._shown = replace(self._shown, behind_only=behind_only, search=search)
        self._rows = self._arrange(self._all, self._shown)
        self.endResetModel()

    def row_at(self, row: int) -> QuotaRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, customer_id: str) -> int:
        for i, r in enumerate(self._rows):
            if r.customer_id == customer_id:
                return i
        return -1

    def _look(self, status: QuotaStatus) -> _StatusLook:
        look = self._looks.get(status)
        if look is None:
            look = self._looks[status] = _StatusLook(status)
        return look

    # -- Qt
    def row_total(self) -> int:
        return len(self._rows)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ):
        i = index.row()
        if not 0 <= i < len(self._rows) or not index.isValid():
            return None
        if role not in _ROLES:
            return None  # the view asks for a dozen roles a cell; most have no answer
        row = self._rows[i]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == _NAME:
                return row.name
            if column == _MANAGER:
                return row.manager
            if column == _CLASS:
                label = self._class_labels.get(row.visit_class)
                if label is None:
                    label = vocab.label(vocab.VISIT_CLASSES, row.visit_class)
                    self._class_labels[row.visit_class] = label
                return label
            return self._look(row.status).texts[column]
        if role == IdRole:
            return row.customer_id
        if role == StateRole:
            return row.status.state
        if role == FractionRole:
            return row.status.fraction
        if role == SortKeyRole:
            return visit_quota.quota_sort_key(row, COLUMNS[column].key)
        if column == _STATE:
            if role == Qt.ItemDataRole.ForegroundRole:
                return _brush(current_colours().quota[row.status.state])
            if role == Qt.ItemDataRole.BackgroundRole:
                return _brush(current_colours().quota_backgrounds[row.status.state])
            if role == Qt.ItemDataRole.ToolTipRole:
                return self._look(row.status).tooltip
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (_REQUIRED, _DONE):
            return _RIGHT
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        self._shown = replace(
            self._shown,
            sort=COLUMNS[column].key,
            descending=order == Qt.SortOrder.DescendingOrder,
        )
        self._rows = self._arrange(self._all, self._shown)
        self.layoutChanged.emit()


_NAME, _MANAGER, _CLASS, _REQUIRED, _DONE, _PROGRESS, _STATE = range(len(COLUMNS))
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.ToolTipRole,
        IdRole,
        StateRole,
        FractionRole,
        SortKeyRole,
    }
)
_BRUSHES: dict[str, QBrush] = {}


def _brush(colour: str) -> QBrush:
    brush = _BRUSHES.get(colour)
    if brush is None:
        brush = _BRUSHES[colour] = QBrush(QColor(colour))
    return brush


class _StatusLook:
    """The texts of the status columns of every row with one status."""

    __slots__ = ("texts", "tooltip")

    def __init__(self, status: QuotaStatus) -> None:
        self.texts: dict[int, str] = {
            _REQUIRED: str(status.required),
            _DONE: str(status.done),
            _PROGRESS: f"{status.done}/{status.required}",
            _STATE: f"{rules.STATE_SYMBOLS[status.state]} {rules.state_text(status)}",
        }
        self.tooltip = _("{done} of {required} visits done; {days} days left in the month").format(
            done=status.done, required=status.required, days=status.days_left
        )


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
                bar.palette.ColorRole.Highlight, QColor(current_colours().quota[state])
            )
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)


class ManagerComplianceModel(ColumnTableModel):
    """Compliance per manager, then per branch when there are several (docs/DOMAIN.md §3
    "rolled up per branch"), and the total as the last row.  Not paged: a summary of a few
    dozen rows."""

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
        # (kind, texts, manager id): kind "manager", "branch" or "total"
        self._rows: list[tuple[str, tuple[str, ...], str | None]] = []
        self._bold: QFont | None = None
        self._shade = QBrush(QColor(current_colours().alternate))

    def set_report(self, report: QuotaReport) -> None:
        self.beginResetModel()
        several = len(report.by_branch) > 1
        self._rows = [
            (
                "manager",
                _texts(f"{m.manager}（{m.branch}）" if several else m.manager, m.compliance),
                m.manager_id,
            )
            for m in report.by_manager
        ]
        if several:
            self._rows += [
                ("branch", _texts(b.branch, b.compliance), None) for b in report.by_branch
            ]
        if report.by_manager:
            self._rows.append(("total", _texts(_("Total"), report.total), None))
        self.endResetModel()

    def manager_at(self, row: int) -> str | None:
        return self._rows[row][2] if 0 <= row < len(self._rows) else None

    def rows(self) -> list[tuple[str, tuple[str, ...]]]:
        """(kind, texts) of every row: what the table shows."""
        return [(kind, texts) for kind, texts, _manager in self._rows]

    def row_total(self) -> int:
        return len(self._rows)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if not index.isValid():
            return None
        if not 0 <= index.row() < len(self._rows):
            return None
        kind, texts, _manager = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return texts[index.column()]
        if role == Qt.ItemDataRole.BackgroundRole and kind == "branch":
            return self._shade
        if role == Qt.ItemDataRole.FontRole and kind != "manager":
            if self._bold is None:
                self._bold = QApplication.font()
                self._bold.setBold(True)
            return self._bold
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _texts(name: str, c: rules.Compliance) -> tuple[str, ...]:
    return (name, f"{c.due:,}", f"{c.met:,}", f"{c.behind:,}", rules.format_rate(c.rate))


def recent_months(today: date, count: int = 24) -> list[Month]:
    months = [Month.of(today)]
    while len(months) < count:
        months.append(months[-1].previous())
    return months


class QuotaPage(QWidget):
    openCustomer = Signal(str)
    logVisit = Signal(str)  # customer id

    def __init__(
        self,
        db: Database,
        actor: Actor,
        parent=None,
        today: date | None = None,
        month: Month | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.report: QuotaReport | None = None
        today = today or business_today()

        self.month = QComboBox()
        self.month.setObjectName("quotaMonth")
        for m in recent_months(today):
            self.month.addItem(_("{year}-{month}").format(year=m.year, month=m.month), m)
        if month is not None and self.month_index(month) >= 0:
            self.month.setCurrentIndex(self.month_index(month))
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
                f'<span style="color:{current_colours().quota[s]}">{rules.STATE_SYMBOLS[s]} '
                f"{rules.state_label(s)}</span>"
                for s in (rules.MET, rules.ON_TRACK, rules.BEHIND)
            )
        )
        self.rule_note = QLabel()
        self.rule_note.setStyleSheet("color: #666;")
        self.rule_note.setWordWrap(True)

        self.model = QuotaTableModel(
            lambda rows, shown: visit_quota.quota_rows(db, actor, rows, shown), self
        )
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

    def month_index(self, month: Month) -> int:
        """The month's entry in the month box (findData cannot compare Python objects)."""
        for i in range(self.month.count()):
            if self.month.itemData(i) == month:
                return i
        return -1

    def reload(self, *_args) -> None:
        selected = self.model.row_at(self.table.currentIndex().row())
        self.report = visit_quota.quota_report(
            self.db, self.actor, self.selected_month(), self.manager.currentData()
        )
        self.model.set_rows(self.report.rows, self.behind_only.isChecked(), self.search.text())
        self.managers_model.set_report(self.report)
        self._fit_manager_columns()
        self._show_summary()
        if selected is not None:
            self.select_customer(selected.customer_id)

    def _fit_manager_columns(self) -> None:
        """Each column of the compliance table as wide as its widest text, measured once a
        report: ResizeToContents measured every cell at every layout, through a dozen model
        calls a cell."""
        table = self.managers_table
        bold_font = QFont(table.font())
        bold_font.setBold(True)
        plain, bold = QFontMetrics(table.font()), QFontMetrics(bold_font)
        # the item view's text margins, either side, and the grid line
        margin = 2 * (table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1) + 1
        margin += 8  # and room to spare: the bold total row was elided ("47....") at 47.5%
        header = table.horizontalHeader()
        rows = self.managers_model.rows()
        for column in range(self.managers_model.columnCount()):
            widest = header.sectionSizeHint(column)
            for kind, texts in rows:
                metrics = plain if kind == "manager" else bold
                widest = max(widest, metrics.horizontalAdvance(texts[column]) + margin)
            table.setColumnWidth(column, widest)

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
                month=_("{year}-{month}").format(year=r.month.year, month=r.month.month),
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

    def apply_changes(self, changes: ChangeSet) -> None:
        """The quota follows visits, confirmed tiers (the visit class), customer files and
        the managers' names."""
        if changes.touches(Kind.VISIT, Kind.TIER, Kind.CUSTOMER, Kind.USER, Kind.SETTING):
            self.reload()
