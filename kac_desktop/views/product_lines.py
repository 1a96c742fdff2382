"""The settings section 产品线与积分折算: each product line's points factor (有效收入折算标准),
whether it earns points (代理金融 does not) and its maintenance growth rate.  An
administrator edits; everyone else reads."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from kac_desktop.i18n import _
from kac_desktop.services import product_lines as line_service
from kac_desktop.services.context import Actor, Change
from kac_desktop.services.database import Database
from kac_desktop.services.errors import ServiceError


class ProductLinesBox(QGroupBox):
    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        super().__init__(_("Product lines and points factors"), parent)
        self.db = db
        self.actor = actor
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("productLines")
        self.table.setHorizontalHeaderLabels(
            [_("Product line"), _("Points factor"), _("Earns points"), _("Growth rate (%)")]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.factors: dict[str, QDoubleSpinBox] = {}
        self.earns: dict[str, QCheckBox] = {}
        self.growth: dict[str, QDoubleSpinBox] = {}
        self.save_button = QPushButton(_("Save product lines"))
        self.save_button.setObjectName("saveProductLines")
        self.save_button.clicked.connect(self.save)
        note = QLabel(
            _(
                "Points: one per yuan of revenue × the factor, rounded down each month. "
                "Maintenance target: last year's revenue × (1 + growth rate). Changes "
                "recompute every customer's points and targets."
            )
            if actor.is_admin
            else _("Only a city-center administrator changes these.")
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: #666;")
        buttons = QHBoxLayout()
        buttons.addWidget(note, 1)
        buttons.addWidget(self.save_button)
        self.save_button.setVisible(actor.is_admin)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.load()

    def load(self) -> None:
        lines = line_service.product_lines(self.db)
        self.lines = lines
        self.table.setRowCount(len(lines))
        editable = self.actor.is_admin
        for row, line in enumerate(lines):
            name = QTableWidgetItem(line.label)
            name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(row, 0, name)
            factor = QDoubleSpinBox()
            factor.setDecimals(4)
            factor.setRange(0, 99)
            factor.setSingleStep(0.1)
            factor.setValue(float(line.factor))
            factor.setEnabled(editable)
            earns = QCheckBox()
            earns.setChecked(line.earns_points)
            earns.setEnabled(editable)
            growth = QDoubleSpinBox()
            growth.setDecimals(2)
            growth.setRange(-100, 9900)
            growth.setSuffix(" %")
            growth.setValue(float(line.growth_rate * 100))
            growth.setEnabled(editable)
            self.table.setCellWidget(row, 1, factor)
            self.table.setCellWidget(row, 2, earns)
            self.table.setCellWidget(row, 3, growth)
            self.factors[line.code], self.earns[line.code], self.growth[line.code] = (
                factor,
                earns,
                growth,
            )
        self.table.setFixedHeight(self.table.horizontalHeader().height() + 30 * len(lines) + 4)
        for row in range(len(lines)):
            self.table.setRowHeight(row, 30)

    def save(self) -> Change | None:
        change = None
        try:
            for line in self.lines:
                factor = Decimal(str(round(self.factors[line.code].value(), 4)))
                growth = Decimal(str(round(self.growth[line.code].value(), 2))) / 100
                earns = self.earns[line.code].isChecked()
                if (factor, earns, growth) != (line.factor, line.earns_points, line.growth_rate):
                    change = line_service.update_product_line(
                        self.db,
                        self.actor,
                        line.code,
                        factor=factor,
                        earns_points=earns,
                        growth_rate=growth,
                    )
        except ServiceError as exc:
            QMessageBox.warning(self, self.title(), exc.message)
        self.load()
        return change
