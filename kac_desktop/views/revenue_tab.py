"""The customer file's tab 收入与积分: revenue by month and product line for 24 months (a
table and a bar chart), the year's points, club level, gap to the next level, maintenance
target and completion, and manual entry or correction of one month."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.i18n import _
from kac_desktop.rules import vocab
from kac_desktop.services import revenue as revenue_service
from kac_desktop.services.context import Actor, Change
from kac_desktop.services.database import Database
from kac_desktop.services.errors import ServiceError
from kac_desktop.services.revenue import CustomerRevenue

from .paged_model import IdRole as MONTH_ROLE  # a month row's key: the month

ACCENT = QColor("#0b6e4f")


def month_text(month: int) -> str:
    return _("{year}-{month}").format(year=month // 100, month=f"{month % 100:02d}")


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


class MonthsModel(QAbstractTableModel):
    """One row a month (newest first); a column a product line, then the total and points.
    Not paged: one customer's months, two dozen rows."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.data_: CustomerRevenue | None = None
        self.months: list[int] = []

    def set_data(self, data: CustomerRevenue | None) -> None:
        self.beginResetModel()
        self.data_ = data
        self.months = list(reversed(data.months)) if data else []
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.months)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        if parent.isValid() or self.data_ is None:
            return 0
        return len(self.data_.lines) + 2

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole or self.data_ is None:
            return None
        if orientation == Qt.Orientation.Vertical:
            return month_text(self.months[section]) if 0 <= section < len(self.months) else None
        lines = self.data_.lines
        if section < len(lines):
            return lines[section].label
        if section == len(lines):
            return _("Total")
        if section == len(lines) + 1:
            return _("Points")
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.data_ is None:
            return None
        month = self.months[index.row()]
        lines = self.data_.lines
        column = index.column()
        if role == MONTH_ROLE:
            return month
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and column >= len(lines):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and column < len(lines):
            line = lines[column]
            if not line.earns_points:
                return _("{line} earns no points.").format(line=line.label)
            return None
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column < len(lines):
            return money(self.data_.amounts.get((month, lines[column].code)))
        if column == len(lines):
            total = self.data_.month_totals.get(month, Decimal(0))
            return money(total) if total else ""
        points = self.data_.month_points.get(month, 0)
        return f"{points:,}" if points else ""


class BarChart(QWidget):
    """Monthly revenue as bars, drawn with QPainter (QtCharts is not shipped)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.values: list[tuple[int, Decimal]] = []
        self.setMinimumHeight(170)

    def set_values(self, values: list[tuple[int, Decimal]]) -> None:
        self.values = values
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(640, 200)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        metrics = painter.fontMetrics()
        left, top, bottom, right = 70, 22, 34, 10
        width = self.width() - left - right
        height = self.height() - top - bottom
        painter.setPen(QColor("#333"))
        painter.drawText(left, 15, _("Monthly revenue (yuan)"))
        if not self.values or width <= 0 or height <= 0:
            painter.end()
            return
        peak = max((float(v) for _m, v in self.values), default=0.0) or 1.0
        grid = QPen(QColor("#e3e6ea"))
        for step in range(5):
            y = top + height - height * step / 4
            painter.setPen(grid)
            painter.drawLine(left, int(y), left + width, int(y))
            painter.setPen(QColor("#666"))
            label = f"{peak * step / 4:,.0f}"
            painter.drawText(
                QRectF(0, y - 8, left - 6, 16),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                label,
            )
        slot = width / len(self.values)
        bar = max(2.0, slot * 0.7)
        for i, (month, value) in enumerate(self.values):
            h = height * float(value) / peak
            x = left + i * slot + (slot - bar) / 2
            painter.fillRect(QRectF(x, top + height - h, bar, h), ACCENT)
            last = len(self.values) - 1
            if (i % 3 == 0 and last - i >= 3) or i == last:
                painter.setPen(QColor("#666"))
                text = month_text(month)
                w = metrics.horizontalAdvance(text) + 4
                tx = min(max(0.0, x + bar / 2 - w / 2), self.width() - w)
                painter.drawText(
                    QRectF(tx, top + height + 4, w, metrics.height()),
                    int(Qt.AlignmentFlag.AlignHCenter),
                    text,
                )
        painter.end()


class MonthDialog(QDialog):
    """Manual entry or correction of one month's figures, a field a product line."""

    def __init__(self, data: CustomerRevenue, month: int, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Revenue of {month}").format(month=month_text(month)))
        self.month = month
        self.edits: dict[str, QLineEdit] = {}
        form = QFormLayout(self)
        form.addRow(QLabel(_("Amounts in yuan; an empty field means no revenue of that line.")))
        for line in data.lines:
            edit = QLineEdit(money(data.amounts.get((month, line.code))).replace(",", ""))
            edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            edit.setObjectName(f"amount_{line.code}")
            self.edits[line.code] = edit
            form.addRow(line.label, edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        # Qt's own catalogue is not shipped: the buttons speak through ours
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("Save"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def amounts(self) -> dict[str, Decimal]:
        """Raises ServiceError for a cell that is not an amount."""
        return {
            code: revenue_service.parse_amount_text(edit.text())
            for code, edit in self.edits.items()
        }


class RevenueTab(QWidget):
    changed = Signal(object)  # Change

    def __init__(
        self, db: Database, actor: Actor, customer_id: str, parent=None, today: date | None = None
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.customer_id = customer_id
        self.today = today
        self.data: CustomerRevenue | None = None

        self.labels: dict[str, QLabel] = {}
        summary = QGridLayout()
        fields = [
            ("points", _("Points this year")),
            ("level", _("Club level")),
            ("gap", _("To the next level")),
            ("last_points", _("Points last year")),
            ("suggested", _("Suggested tier")),
            ("confirmed", _("Confirmed tier")),
            ("revenue", _("Revenue this year")),
            ("target", _("Maintenance target")),
            ("completion", _("Completion")),
        ]
        for i, (key, title) in enumerate(fields):
            label = QLabel()
            label.setObjectName(f"revenue_{key}")
            label.setStyleSheet("font-weight: bold;")
            self.labels[key] = label
            summary.addWidget(QLabel(title + "："), i // 3, (i % 3) * 2)
            summary.addWidget(label, i // 3, (i % 3) * 2 + 1)
        summary.setColumnStretch(5, 1)

        self.model = MonthsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.doubleClicked.connect(lambda _i: self.edit_month())
        self.chart = BarChart()

        self.edit_button = QPushButton(_("Enter or correct the selected month…"))
        self.edit_button.setObjectName("editMonth")
        self.edit_button.clicked.connect(lambda: self.edit_month())
        buttons = QHBoxLayout()
        self.note = QLabel()
        self.note.setStyleSheet("color: #666;")
        buttons.addWidget(self.note)
        buttons.addStretch()
        buttons.addWidget(self.edit_button)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.chart)
        splitter.addWidget(self.table)
        splitter.setSizes([180, 360])

        layout = QVBoxLayout(self)
        layout.addLayout(summary)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        self.reload()

    def reload(self) -> None:
        try:
            self.data = revenue_service.customer_revenue(
                self.db, self.actor, self.customer_id, today=self.today
            )
        except ServiceError as exc:
            self.note.setText(exc.message)
            self.edit_button.setEnabled(False)
            return
        data = self.data
        self.model.set_data(data)
        self.chart.set_values([(m, data.month_totals.get(m, Decimal(0))) for m in data.months])
        s = data.standing
        tier = lambda code: vocab.label(vocab.TIERS, code)  # noqa: E731
        self.labels["points"].setText(f"{s.points:,}（{data.year}）")
        self.labels["level"].setText(tier(s.level))
        self.labels["gap"].setText(
            _("{points} points to {level}").format(points=f"{s.gap:,}", level=tier(s.next_level))
            if s.next_level and s.gap is not None
            else _("top level")
        )
        self.labels["last_points"].setText(f"{data.last_year_points:,}")
        self.labels["suggested"].setText(tier(data.suggested_tier))
        self.labels["confirmed"].setText(tier(data.confirmed_tier))
        self.labels["revenue"].setText("¥" + money(data.year_revenue))
        self.labels["target"].setText("¥" + money(data.target) if data.target else "—")
        self.labels["completion"].setText(percent(data.completion))
        self.edit_button.setEnabled(data.may_edit)
        self.note.setText(
            _("Points: one per yuan of revenue × the line's factor, rounded down each month.")
        )

    def selected_month(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            return self.model.data(rows[0], MONTH_ROLE)
        return self.model.months[0] if self.model.months else None

    def edit_month(self, month: int | None = None, amounts: dict | None = None) -> Change | None:
        """Open the month's editor (or, for tests, store ``amounts`` directly)."""
        if self.data is None:
            return None
        month = month or self.selected_month()
        if month is None:
            return None
        if amounts is None:
            dialog = MonthDialog(self.data, month, self)
            while True:
                if dialog.exec() != QDialog.DialogCode.Accepted:
                    return None
                try:
                    amounts = dialog.amounts()
                    break
                except ServiceError as exc:
                    QMessageBox.warning(self, dialog.windowTitle(), exc.message)
        try:
            change = revenue_service.set_month(
                self.db, self.actor, self.customer_id, month, amounts, today=self.today
            )
        except ServiceError as exc:
            QMessageBox.warning(self, _("The revenue cannot be saved"), exc.message)
            return None
        self.reload()
        self.changed.emit(change)
        return change
