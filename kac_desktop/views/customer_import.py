"""Importing customer files from a workbook: choose, map columns, preview, import."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.db import Database
from kac_desktop.i18n import _
from kac_desktop.io import customer_import as parsing
from kac_desktop.io.workbook import WorkbookError, read_table
from kac_desktop.progress import Cancelled
from kac_desktop.services import customer_import as import_service
from kac_desktop.services.context import Actor
from kac_desktop.services.customer_import import ImportPreview
from kac_desktop.services.errors import ServiceError

from .table_models import TextTableModel
from .workers import run_with_progress

MAPPING_KEY = "import/customers/mapping"
XLSX_FILTER = "Excel (*.xlsx *.xlsm *.xls)"


class CustomerImportDialog(QDialog):
    imported = Signal(object)  # Change

    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.preview: ImportPreview | None = None
        self.headers: list[str] = []
        self.setWindowTitle(_("Import customer files from Excel"))
        self.resize(1100, 720)

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

        # column mapping: one row per field, a combo of the workbook's columns
        self.mapping_table = QTableWidget(len(parsing.FIELDS), 2)
        self.mapping_table.setHorizontalHeaderLabels([_("Field"), _("Column in the workbook")])
        self.mapping_table.verticalHeader().setVisible(False)
        self.mapping_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.mapping_table.horizontalHeader().setStretchLastSection(True)
        self.combos: dict[str, QComboBox] = {}
        for row, field in enumerate(parsing.FIELDS):
            label = _(field.label) + (" *" if field.required else "")
            self.mapping_table.setCellWidget(row, 0, QLabel(" " + label))
            combo = QComboBox()
            combo.currentIndexChanged.connect(self._mapping_edited)
            self.combos[field.key] = combo
            self.mapping_table.setCellWidget(row, 1, combo)
        load_mapping = QPushButton(_("Load mapping…"))
        save_mapping = QPushButton(_("Save mapping…"))
        self.recheck = QPushButton(_("Check again"))
        load_mapping.clicked.connect(self.load_mapping)
        save_mapping.clicked.connect(self.save_mapping)
        self.recheck.clicked.connect(self.run_preview)
        mapping_buttons = QHBoxLayout()
        mapping_buttons.addWidget(load_mapping)
        mapping_buttons.addWidget(save_mapping)
        mapping_buttons.addStretch()
        mapping_buttons.addWidget(self.recheck)
        mapping_box = QWidget()
        mapping_layout = QVBoxLayout(mapping_box)
        mapping_layout.setContentsMargins(0, 0, 0, 0)
        mapping_layout.addWidget(QLabel(_("Column mapping (recognised headers are filled in)")))
        mapping_layout.addWidget(self.mapping_table)
        mapping_layout.addLayout(mapping_buttons)

        # preview
        self.rows_model = TextTableModel()
        self.rejections_model = TextTableModel()
        self.existing_model = TextTableModel()
        self.tabs = QTabWidget()
        for model in (self.rows_model, self.rejections_model, self.existing_model):
            view = QTableView()
            view.setModel(model)
            view.verticalHeader().setVisible(False)
            view.horizontalHeader().setStretchLastSection(True)
            view.setAlternatingRowColors(True)
            self.tabs.addTab(view, "")
        self.save_rejections_button = QPushButton(_("Save rejected rows…"))
        self.save_rejections_button.clicked.connect(self.save_rejections)
        preview_box = QWidget()
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel(_("Choose a workbook to see what would be imported."))
        self.summary.setWordWrap(True)
        self.summary.setObjectName("importSummary")
        preview_layout.addWidget(self.summary)
        preview_layout.addWidget(self.tabs, 1)
        row_buttons = QHBoxLayout()
        row_buttons.addWidget(self.save_rejections_button)
        row_buttons.addStretch()
        preview_layout.addLayout(row_buttons)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(mapping_box)
        splitter.addWidget(preview_box)
        splitter.setSizes([380, 720])

        self.import_all = QPushButton(_("Import"))
        self.import_valid = QPushButton(_("Import valid rows only"))
        close = QPushButton(_("Close"))
        self.import_all.clicked.connect(lambda: self.run_import(skip_invalid=False))
        self.import_valid.clicked.connect(lambda: self.run_import(skip_invalid=True))
        close.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        note = QLabel(_("Nothing is written until you press Import; an import is all or nothing."))
        note.setStyleSheet("color: #666;")
        bottom.addWidget(note)
        bottom.addStretch()
        bottom.addWidget(self.import_valid)
        bottom.addWidget(self.import_all)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
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
            _("customer import template") + ".xlsx",
            "Excel (*.xlsx)",
        )
        if not path:
            return
        try:
            parsing.write_template(path)
        except Exception as exc:  # a locked or unwritable file
            QMessageBox.warning(self, _("Save a blank template"), str(getattr(exc, "message", exc)))

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

    def _remember(self, mapping: dict[str, int]) -> None:
        by_header = parsing.mapping_by_header(self.headers, mapping)
        QSettings().setValue(MAPPING_KEY, json.dumps(by_header, ensure_ascii=False))

    def load_mapping(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Load mapping"), "", _("Mapping (*.json)")
        )
        if not path:
            return
        try:
            saved = parsing.load_mapping(path)
        except Exception as exc:
            QMessageBox.warning(self, _("Load mapping"), str(getattr(exc, "message", exc)))
            return
        self._fill_combos(self.headers, parsing.mapping_from_headers(self.headers, saved))
        self.run_preview()

    def save_mapping(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Save mapping"), _("column mapping") + ".json", _("Mapping (*.json)")
        )
        if path:
            parsing.save_mapping(
                path, parsing.mapping_by_header(self.headers, self.current_mapping())
            )

    # ------------------------------------------------------------------ preview
    def run_preview(self, initial: bool = False) -> None:
        path = self.path.text()
        if not path:
            return
        mapping = None if initial else self.current_mapping()
        try:
            headers, mapping, preview, problem = run_with_progress(
                self, _("Checking the workbook…"), lambda progress: self._preview(path, mapping)
            )
        except Cancelled:
            return
        self.preview = preview
        self.headers = headers
        if headers:
            # even when the check failed (say no column was recognised as the name), the
            # columns are offered so that the user can map them by hand
            self._fill_combos(headers, mapping)
        if preview is not None:
            self._remember(preview.mapping)
        self._show_preview()
        if problem:
            QMessageBox.warning(self, _("The workbook cannot be imported"), problem)

    def _preview(
        self, path: str, mapping: dict[str, int] | None
    ) -> tuple[list[str], dict[str, int], ImportPreview | None, str]:
        """Runs on the worker thread: the headers, the mapping used, and the preview or the
        reason there is none."""
        try:
            headers = read_table(path).headers
        except WorkbookError as exc:
            return [], {}, None, exc.message
        if mapping is None:
            # the user's remembered mapping first, then what the headers say by themselves
            remembered = parsing.mapping_from_headers(headers, self._remembered())
            mapping = {**parsing.guess_mapping(headers), **remembered}
        try:
            preview = import_service.preview_import(self.db, self.actor, path, mapping=mapping)
        except ServiceError as exc:
            return headers, mapping, None, exc.message
        return headers, preview.mapping, preview, ""

    def _show_preview(self) -> None:
        preview = self.preview
        if preview is None:
            for model in (self.rows_model, self.rejections_model, self.existing_model):
                model.set_rows([], [])
            self._tab_titles(0, 0, 0)
            self.import_all.setEnabled(False)
            self.import_valid.setEnabled(False)
            self.save_rejections_button.setEnabled(False)
            return
        columns = preview.columns()
        self.rows_model.set_rows(
            [_("Row")] + [label for _key, label in columns],
            [[number, *values] for number, values in preview.sample(200)],
        )
        self.rejections_model.set_rows(
            [_("Row"), _("Column"), _("Reason")],
            [[r.row_number, r.column, r.reason] for r in preview.rejections],
        )
        self.existing_model.set_rows(
            [_("Row"), _("Customer name"), _("Kept by")],
            [[e.row_number, e.name, e.manager_name] for e in preview.existing],
        )
        rejected = len(preview.rejected_rows)
        self._tab_titles(len(preview.rows), rejected, len(preview.existing))
        text = _(
            "{total} rows read: {valid} ready to import, {rejected} rejected, "
            "{existing} already in the database."
        ).format(
            total=preview.total_rows,
            valid=len(preview.rows),
            rejected=rejected,
            existing=len(preview.existing),
        )
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

    def _tab_titles(self, rows: int, rejected: int, existing: int) -> None:
        self.tabs.setTabText(0, _("To import ({count})").format(count=rows))
        self.tabs.setTabText(1, _("Rejected ({count})").format(count=rejected))
        self.tabs.setTabText(2, _("Already in the database ({count})").format(count=existing))

    def save_rejections(self) -> None:
        if self.preview is None:
            return
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
    def run_import(self, skip_invalid: bool) -> None:
        preview = self.preview
        if preview is None:
            return
        try:
            result = run_with_progress(
                self,
                _("Importing customers…"),
                lambda progress: import_service.run_import(
                    self.db, self.actor, preview, skip_invalid=skip_invalid, progress=progress
                ),
            )
        except Cancelled:
            QMessageBox.information(
                self, self.windowTitle(), _("The import was cancelled; nothing was written.")
            )
            return
        except ServiceError as exc:
            QMessageBox.warning(self, self.windowTitle(), exc.message)
            return
        if result.ok:
            self.imported.emit(result.change())
            QMessageBox.information(self, self.windowTitle(), result.describe())
            self.accept()
        else:
            QMessageBox.warning(self, self.windowTitle(), result.describe())
