"""The dialog both workbook imports share: choose a workbook, map its columns to the import's
fields, preview what would be imported and what is rejected (row, column, reason), then
import all or nothing, or only the valid rows.

A concrete import (``customer_import.CustomerImportDialog``,
``revenue_import.RevenueImportDialog``) is a subclass that names its fields, its service's
``preview_import``/``run_import``, the QSettings key of the remembered mapping and its texts,
lays out the mapping and the preview (``_build_middle``) and fills the "to import" tab."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.i18n import N_, _
from kac_desktop.io import mapping as parsing
from kac_desktop.io.mapping import ImportField
from kac_desktop.io.workbook import WorkbookError, read_table
from kac_desktop.progress import Cancelled
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database
from kac_desktop.services.errors import ServiceError

from . import jobs, operations
from .screen_fit import FittedDialog
from .table_models import TextTableModel

XLSX_FILTER = "Excel (*.xlsx *.xlsm *.xls)"


class ImportDialog(FittedDialog):
    imported = Signal(object)  # the ChangeSet of what it changed

    # ---------------------------------------------------------- what an import sets
    FIELDS: Sequence[ImportField] = ()
    # the service: preview_import(db, actor, path, *, mapping, progress, table) → a preview
    # with rows, rejections, rejected_rows and mapping, ``table`` the workbook as read_table
    # (path, tidy=read_tidy) read it; run_import(db, actor, preview, *, skip_invalid,
    # progress) → a result with ok, change() and describe()
    preview_import: Callable[..., Any]
    read_tidy = True
    run_service_import: Callable[..., Any]
    MAPPING_KEY = ""  # QSettings: the last mapping used, by header text
    SIZE = (1000, 640)
    # N_(): translated when shown
    TITLE = ""
    TEMPLATE_NAME = ""  # the blank template's suggested file name, without .xlsx
    IMPORTING = ""  # the progress dialog's title while importing
    NOTE = N_("Nothing is written until you press Import; an import is all or nothing.")

    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.preview: Any = None
        self.headers: list[str] = []
        self._updating = False
        self.setWindowTitle(_(self.TITLE))
        self.resize(*self.SIZE)

        self.path = QLineEdit()
        self.path.setReadOnly(True)
        self.path.setPlaceholderText(_("Choose the workbook to import"))

        # one combo of the workbook's columns per field; _build_middle places them
        self.combos: dict[str, QComboBox] = {}
        for f in self.FIELDS:
            combo = QComboBox()
            combo.setObjectName(f"map_{f.key}")
            combo.currentIndexChanged.connect(self._mapping_edited)
            self.combos[f.key] = combo
        self.recheck = QPushButton(_("Check again"))
        self.recheck.clicked.connect(lambda: self.run_preview())

        self.rows_model = TextTableModel()
        self.rejections_model = TextTableModel()
        self.preview_models = [self.rows_model, self.rejections_model, *self._extra_tabs()]
        self.tabs = QTabWidget()
        for model in self.preview_models:
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
        self.save_rejections_button.clicked.connect(lambda: self.save_rejections())

        self.import_all = QPushButton(_("Import"))
        self.import_valid = QPushButton(_("Import valid rows only"))
        self.import_all.clicked.connect(lambda: self.run_import(skip_invalid=False))
        self.import_valid.clicked.connect(lambda: self.run_import(skip_invalid=True))

        top = self._build_top()
        middle = self._build_middle()
        bottom = self._build_bottom()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        if isinstance(middle, QLayout):
            layout.addLayout(middle, 1)
        else:
            layout.addWidget(middle, 1)
        layout.addLayout(bottom)
        self._show_preview()

    # ------------------------------------------------------------------ layout
    def _extra_tabs(self) -> list[TextTableModel]:
        """The models of preview tabs after "to import" and "rejected"."""
        return []

    def _build_top(self) -> QHBoxLayout:
        choose = QPushButton(_("Choose workbook…"))
        template = QPushButton(_("Save a blank template…"))
        choose.clicked.connect(self.choose_file)
        template.clicked.connect(self.save_template)
        top = QHBoxLayout()
        top.addWidget(QLabel(_("Workbook")))
        top.addWidget(self.path, 1)
        top.addWidget(choose)
        top.addWidget(template)
        return top

    def _build_middle(self) -> QWidget | QLayout:
        """The column mapping (``self.combos``, ``self.recheck``) beside the preview
        (``self.summary``, ``self.tabs``, ``self.save_rejections_button``)."""
        raise NotImplementedError

    def _build_bottom(self) -> QHBoxLayout:
        close = QPushButton(_("Close"))
        close.clicked.connect(self.reject)
        note = QLabel(_(self.NOTE))
        note.setWordWrap(True)
        note.setStyleSheet("color: #666;")
        bottom = QHBoxLayout()
        bottom.addWidget(note, 1)
        bottom.addWidget(self.import_valid)
        bottom.addWidget(self.import_all)
        bottom.addWidget(close)
        return bottom

    # ------------------------------------------------------------------ files
    def choose_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, _("Choose workbook"), "", XLSX_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str) -> None:
        self.path.setText(path)
        self.preview = None
        self.run_preview(initial=True)

    def write_template(self, path: str) -> None:
        raise NotImplementedError

    def save_template(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self,
            _("Save a blank template"),
            _(self.TEMPLATE_NAME) + ".xlsx",
            "Excel (*.xlsx)",
        )
        if not path:
            return
        try:
            self.write_template(path)
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
        text = QSettings().value(self.MAPPING_KEY, "")
        try:
            value = json.loads(text) if text else {}
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def _remember(self, mapping: dict[str, int]) -> None:
        by_header = parsing.mapping_by_header(self.headers, mapping)
        QSettings().setValue(self.MAPPING_KEY, json.dumps(by_header, ensure_ascii=False))

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
        self._fill_combos(
            self.headers, parsing.mapping_from_headers(self.headers, saved, self.FIELDS)
        )
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
        # the first look at a workbook uses the user's remembered mapping
        mapping = None if initial else self.current_mapping()
        remembered = self._remembered() if initial else {}
        try:
            headers, mapping, preview, problem = jobs.run_job(
                self,
                _("Checking the workbook…"),
                lambda progress: self._preview(path, mapping, remembered, progress),
            )
        except Cancelled:  # only a look at the workbook: nothing to undo, nothing to say
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
        self,
        path: str,
        mapping: dict[str, int] | None,
        remembered: dict[str, str],
        progress,
    ) -> tuple[list[str], dict[str, int], Any, str]:
        """Runs on the worker thread: the headers, the mapping used, and the preview or the
        reason there is none."""
        try:
            # read once: its columns for the mapping, and the table for the preview
            table = read_table(path, tidy=self.read_tidy)
        except WorkbookError as exc:
            return [], {}, None, exc.message
        headers = table.headers
        ambiguity = ""
        if mapping is None:
            # the user's remembered mapping first, then what the headers say by themselves;
            # a field several columns claim is left for the user to choose, and said so
            found = parsing.recognise(headers, self.FIELDS)
            mapping = {
                **found.mapping,
                **parsing.mapping_from_headers(headers, remembered, self.FIELDS),
            }
            ambiguity = parsing.Recognised(
                {}, {k: v for k, v in found.ambiguous.items() if k not in mapping}
            ).problem(headers, self.FIELDS)
        try:
            preview = self.preview_import(
                self.db, self.actor, path, mapping=mapping, progress=progress, table=table
            )
        except ServiceError as exc:
            return headers, mapping, None, " ".join(t for t in (ambiguity, exc.message) if t)
        return headers, preview.mapping, preview, ambiguity

    def _show_rows(self, preview) -> str:
        """Fill the "to import" tab (and any extra tab) from ``preview``; return the
        summary shown above the tabs."""
        raise NotImplementedError

    def _show_preview(self) -> None:
        preview = self.preview
        self._tab_titles(preview)
        if preview is None:
            for model in self.preview_models:
                model.set_rows([], [])
            self.import_all.setEnabled(False)
            self.import_valid.setEnabled(False)
            self.save_rejections_button.setEnabled(False)
            return
        self.rejections_model.set_rows(
            [_("Row"), _("Column"), _("Reason")],
            [[r.row_number, r.column, r.reason] for r in preview.rejections],
        )
        text = self._show_rows(preview)
        rejected = len(preview.rejected_rows)
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

    def _tab_titles(self, preview) -> None:
        rows = len(preview.rows) if preview is not None else 0
        rejected = len(preview.rejected_rows) if preview is not None else 0
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
        """Import the previewed rows; the service's result, or ``None`` when nothing was
        tried (no preview, cancelled, refused)."""
        preview = self.preview
        if preview is None:
            return None
        result = operations.run_long(
            self,
            _(self.IMPORTING),
            lambda progress: self.run_service_import(
                self.db, self.actor, preview, skip_invalid=skip_invalid, progress=progress
            ),
            title=self.windowTitle(),
            cancelled_message=_("The import was cancelled; nothing was written."),
        )
        if result is None:
            return None
        if result.ok:
            self.imported.emit(result.changes)
            QMessageBox.information(self, self.windowTitle(), result.describe())
            self.accept()
        else:
            QMessageBox.warning(self, self.windowTitle(), result.describe())
        return result
