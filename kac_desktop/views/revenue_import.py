"""Importing monthly revenue from a workbook: choose, map columns, preview, import (the
customer import's dialog, for the five revenue columns)."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
)

from kac_desktop.db import Database
from kac_desktop.i18n import _
from kac_desktop.io import revenue_import as parsing
from kac_desktop.io.workbook import WorkbookError, read_table
from kac_desktop.progress import Cancelled
from kac_desktop.services import revenue_import as import_service
from kac_desktop.services.context import Actor
from kac_desktop.services.errors import ServiceError
from kac_desktop.services.revenue_import import RevenuePreview

from .table_models import TextTableModel
from .workers import run_with_progress

MAPPING_KEY = "import/revenue/mapping"
XLSX_FILTER = "Excel (*.xlsx *.xlsm *.xls)"


class RevenueImportDialog(QDialog):
    imported = Signal(object)  # Change

    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.preview: RevenuePreview | None = None
        self.headers: list[str] = []
        self.setWindowTitle(_("Import revenue from Excel"))
        self.resize(1000, 640)

        self.path = QLineEdit()
        self.path.setReadOnly(True)
        self.path.setPlaceholderText(_("Choose the workbook to import"))
        choose = QPushButton(_("Choose workbook…"))
        template = QPushButton(_("Save a blank template…"))
        choose.clicked.connect(self.choose_file)
        template.clicked.connect(self.save_template)
        top = QHBoxLayout()
        top.addWidget(QLabel(_("Workbook")))
        top.addWidget(self.path, 1)
        top.addWidget(choose)
        top.addWidget(template)

        mapping_box = QGroupBox(_("Column mapping (recognised headers are filled in)"))
        form = QFormLayout(mapping_box)
        self.combos: dict[str, QComboBox] = {}
        for f in parsing.FIELDS:
            combo = QComboBox()
            combo.setObjectName(f"map_{f.key}")
            combo.currentIndexChanged.connect(self._mapping_edited)
            self.combos[f.key] = combo
            form.addRow(_(f.label) + (" *" if f.required else ""), combo)
        form.addRow(QLabel(_("The customer: by credit code, or by name when it is unambiguous.")))
        self.recheck = QPushButton(_("Check again"))
        self.recheck.clicked.connect(lambda: self.run_preview())
        form.addRow(self.recheck)

        self.rows_model = TextTableModel()
        self.rejections_model = TextTableModel()
        self.tabs = QTabWidget()
        for model in (self.rows_model, self.rejections_model):
            view = QTableView()
            view.setModel(model)
            view.verticalHeader().setVisible(False)
            view.horizontalHeader().setStretchLastSection(True)
            view.setAlternatingRowColors(True)
            self.tabs.addTab(view, "")
        self.summary = QLabel(_("Choose a workbook to see what would be imported."))
        self.summary.setWordWrap(True)
        self.summary.setObjectName("importSummary")
        self.save_rejections_button = QPushButton(_("Save rejected rows…"))
        self.save_rejections_button.clicked.connect(self.save_rejections)

        middle = QHBoxLayout()
        middle.addWidget(mapping_box)
        right = QVBoxLayout()
        right.addWidget(self.summary)
        right.addWidget(self.tabs, 1)
        right.addWidget(self.save_rejections_button)
        middle.addLayout(right, 1)

        self.import_all = QPushButton(_("Import"))
        self.import_valid = QPushButton(_("Import valid rows only"))
        close = QPushButton(_("Close"))
        self.import_all.clicked.connect(lambda: self.run_import(skip_invalid=False))
        self.import_valid.clicked.connect(lambda: self.run_import(skip_invalid=True))
        close.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        note = QLabel(
            _(
                "Importing a month again replaces that month's figures of the customers in the "
                "file. Nothing is written until you press Import; an import is all or nothing."
            )
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: #666;")
        bottom.addWidget(note, 1)
        bottom.addWidget(self.import_valid)
        bottom.addWidget(self.import_all)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(middle, 1)
        layout.addLayout(bottom)
        self._updating = False
        self._show_preview()

    # ------------------------------------------------------------------ files
    def choose_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, _("Choose workbook"), "", XLSX_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str) -> None:
        self.path.setText(path)
        self.preview = None
        self.run_preview(initial=True)

    def save_template(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self,
            _("Save a blank template"),
            _("revenue import template") + ".xlsx",
            "Excel (*.xlsx)",
        )
        if path:
            try:
                import_service.write_template(path, self.db)
            except ServiceError as exc:
                QMessageBox.warning(self, _("Save a blank template"), exc.message)

    # ------------------------------------------------------------------ mapping
    def _fill_combos(self, headers: list[str], mapping: dict[str, int]) -> None:
        self._updating = True
        for key, combo in self.combos.items():
            combo.clear()
            combo.addItem(_("(do not import)"), -1)
            for index, header in enumerate(headers):
                combo.addItem(header, index)
            combo.setCurrentIndex(combo.findData(mapping.get(key, -1)))
        self._updating = False

    def current_mapping(self) -> dict[str, int]:
        return {
            key: combo.currentData()
            for key, combo in self.combos.items()
            if combo.currentData() is not None and combo.currentData() >= 0
        }

    def _mapping_edited(self) -> None:
        if not self._updating and self.preview is not None:
            self.summary.setText(_("The mapping changed: press Check again to see the result."))
            self.import_all.setEnabled(False)
            self.import_valid.setEnabled(False)

    def _remembered(self) -> dict[str, str]:
        text = QSettings().value(MAPPING_KEY, "")
        try:
            value = json.loads(text) if text else {}
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    # ------------------------------------------------------------------ preview
    def run_preview(self, initial: bool = False) -> None:
        path = self.path.text()
        if not path:
            return
        mapping = None if initial else self.current_mapping()
        try:
            headers, mapping, preview, problem = run_with_progress(
                self,
                _("Checking the workbook…"),
                lambda progress: self._preview(path, mapping, progress),
            )
        except Cancelled:
            return
        self.preview = preview
        self.headers = headers
        if headers:
            self._fill_combos(headers, mapping)
        if preview is not None:
            by_header = parsing.mapping_by_header(self.headers, preview.mapping)
            QSettings().setValue(MAPPING_KEY, json.dumps(by_header, ensure_ascii=False))
        self._show_preview()
        if problem:
            QMessageBox.warning(self, _("The workbook cannot be imported"), problem)

    def _preview(self, path: str, mapping: dict[str, int] | None, progress):
        """On the worker thread: the headers, the mapping used, the preview or the reason."""
        try:
            headers = read_table(path).headers
        except WorkbookError as exc:
            return [], {}, None, exc.message
        if mapping is None:
            mapping = {
                **parsing.guess(headers),
                **parsing.remembered(headers, self._remembered()),
            }
        try:
            preview = import_service.preview_import(
                self.db, self.actor, path, mapping=mapping, progress=progress
            )
        except ServiceError as exc:
            return headers, mapping, None, exc.message
        return headers, preview.mapping, preview, ""

    def _show_preview(self) -> None:
        preview = self.preview
        if preview is None:
            self.rows_model.set_rows([], [])
            self.rejections_model.set_rows([], [])
            self._tab_titles(0, 0)
            self.import_all.setEnabled(False)
            self.import_valid.setEnabled(False)
            self.save_rejections_button.setEnabled(False)
            return
        self.rows_model.set_rows(
            [_("Row"), _("Customer name"), _("Month"), _("Product line"), _("Revenue")],
            preview.sample(200),
        )
        self.rejections_model.set_rows(
            [_("Row"), _("Column"), _("Reason")],
            [[r.row_number, r.column, r.reason] for r in preview.rejections],
        )
        rejected = len(preview.rejected_rows)
        self._tab_titles(len(preview.rows), rejected)
        text = preview.describe()
        if rejected:
            text += " " + _(
                "Correct the rejected rows in the workbook and choose it again, "
                "or import the valid rows only."
            )
            self.tabs.setCurrentIndex(1)
        self.summary.setText(text)
        self.import_all.setEnabled(bool(preview.rows) and not rejected)
        self.import_valid.setEnabled(bool(preview.rows) and bool(rejected))
        self.save_rejections_button.setEnabled(bool(rejected))

    def _tab_titles(self, rows: int, rejected: int) -> None:
        self.tabs.setTabText(0, _("To import ({count})").format(count=f"{rows:,}"))
        self.tabs.setTabText(1, _("Rejected ({count})").format(count=rejected))

    def save_rejections(self, path: str | None = None) -> None:
        if self.preview is None:
            return
        if not path:
            path, _filter = QFileDialog.getSaveFileName(
                self,
                _("Save rejected rows"),
                str(Path(self.path.text()).with_suffix("")) + _("-rejected") + ".xlsx",
                "Excel (*.xlsx)",
            )
        if path:
            try:
                parsing.write_rejections(path, self.preview.rejections)
            except Exception as exc:
                QMessageBox.warning(
                    self, _("Save rejected rows"), str(getattr(exc, "message", exc))
                )

    # ------------------------------------------------------------------ import
    def run_import(self, skip_invalid: bool):
        preview = self.preview
        if preview is None:
            return None
        try:
            result = run_with_progress(
                self,
                _("Importing revenue…"),
                lambda progress: import_service.run_import(
                    self.db, self.actor, preview, skip_invalid=skip_invalid, progress=progress
                ),
            )
        except Cancelled:
            QMessageBox.information(
                self, self.windowTitle(), _("The import was cancelled; nothing was written.")
            )
            return None
        except ServiceError as exc:
            QMessageBox.warning(self, self.windowTitle(), exc.message)
            return None
        if result.ok:
            self.imported.emit(result.change())
            QMessageBox.information(self, self.windowTitle(), result.describe())
            self.accept()
        else:
            QMessageBox.warning(self, self.windowTitle(), result.describe())
        return result
