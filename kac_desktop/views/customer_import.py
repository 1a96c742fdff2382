"""Importing customer files from a workbook: choose, map columns, preview, import
(``import_dialog.ImportDialog`` with the customer file's fields and an "already in the
database" tab)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,  # noqa: F401 — the dialog's message boxes, as tests reach them
    QPushButton,
    QSplitter,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.i18n import N_, _
from kac_desktop.io import customer_import as parsing
from kac_desktop.services import customer_import as import_service
from kac_desktop.services.customer_import import ImportPreview

from .import_dialog import ImportDialog
from .table_models import TextTableModel


class CustomerImportDialog(ImportDialog):
    FIELDS = parsing.FIELDS
    read_tidy = import_service.READ_TIDY
    run_service_import = staticmethod(import_service.run_import)
    MAPPING_KEY = "import/customers/mapping"
    SIZE = (1100, 720)
    TITLE = N_("Import customer files from Excel")
    TEMPLATE_NAME = N_("customer import template")
    IMPORTING = N_("Importing customers…")

    def preview_import(self, db, actor, path, **options) -> ImportPreview:
        """The service's preview, with the user who keeps the rows that name no manager."""
        # runs on the worker thread: the choice was read on the window's (``_manager_chosen``)
        login = getattr(self, "_default_login", None)
        return import_service.preview_import(db, actor, path, manager_login=login, **options)

    def _manager_choice(self) -> QWidget:
        """Who keeps the rows without an account manager: the importer himself (a manager,
        a supervisor) or the manager chosen here; the city center must choose (never the
        administrator silently)."""
        from kac_desktop.services import users as user_service

        self.default_manager = QComboBox()
        self.default_manager.setObjectName("defaultManager")
        if not self.actor.is_admin:
            # his own by default; a supervisor may name one of his managers
            self.default_manager.addItem(self.actor.display_name, None)
            self.default_manager.setEnabled(self.actor.role == "supervisor")
        if self.actor.is_admin:
            self.default_manager.addItem(_("(rows without one are rejected)"), None)
        if self.actor.role != "manager":
            for m in user_service.list_managers(self.db, self.actor):
                if m.role == "manager":
                    self.default_manager.addItem(f"{m.display_name}（{m.branch_name}）", m.login)
        self._default_login = None
        self.default_manager.currentIndexChanged.connect(self._manager_chosen)
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel(_("Rows without an account manager are kept by")))
        row.addWidget(self.default_manager, 1)
        return box

    def _manager_chosen(self, *_args) -> None:
        self._default_login = self.default_manager.currentData()
        self._mapping_edited()

    def write_template(self, path: str) -> None:
        parsing.write_template(path)

    def _extra_tabs(self) -> list[TextTableModel]:
        self.existing_model = TextTableModel()
        return [self.existing_model]

    def _build_middle(self) -> QWidget:
        # 31 fields: a table of field and column that scrolls, beside the preview
        self.mapping_table = QTableWidget(len(self.FIELDS), 2)
        self.mapping_table.setHorizontalHeaderLabels([_("Field"), _("Column in the workbook")])
        self.mapping_table.verticalHeader().setVisible(False)
        self.mapping_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.mapping_table.horizontalHeader().setStretchLastSection(True)
        for row, field in enumerate(self.FIELDS):
            label = _(field.label) + (" *" if field.required else "")
            self.mapping_table.setCellWidget(row, 0, QLabel(" " + label))
            self.mapping_table.setCellWidget(row, 1, self.combos[field.key])
        load_mapping = QPushButton(_("Load mapping…"))
        save_mapping = QPushButton(_("Save mapping…"))
        load_mapping.clicked.connect(self.load_mapping)
        save_mapping.clicked.connect(self.save_mapping)
        mapping_buttons = QHBoxLayout()
        mapping_buttons.addWidget(load_mapping)
        mapping_buttons.addWidget(save_mapping)
        mapping_buttons.addStretch()
        mapping_buttons.addWidget(self.recheck)
        mapping_box = QWidget()
        mapping_layout = QVBoxLayout(mapping_box)
        mapping_layout.setContentsMargins(0, 0, 0, 0)
        mapping_layout.addWidget(self._manager_choice())
        mapping_layout.addWidget(QLabel(_("Column mapping (recognised headers are filled in)")))
        mapping_layout.addWidget(self.mapping_table)
        mapping_layout.addLayout(mapping_buttons)

        preview_box = QWidget()
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.setContentsMargins(0, 0, 0, 0)
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
        return splitter

    def _show_rows(self, preview: ImportPreview) -> str:
        columns = preview.columns()
        self.rows_model.set_rows(
            [_("Row")] + [label for _key, label in columns],
            [[number, *values] for number, values in preview.sample(200)],
        )
        self.existing_model.set_rows(
            [_("Row"), _("Customer name"), _("Kept by")],
            [[e.row_number, e.name, e.manager_name] for e in preview.existing],
        )
        return _(
            "{total} rows read: {valid} ready to import, {rejected} rejected, "
            "{existing} already in the database."
        ).format(
            total=preview.total_rows,
            valid=len(preview.rows),
            rejected=len(preview.rejected_rows),
            existing=len(preview.existing),
        )

    def _tab_titles(self, preview: ImportPreview | None) -> None:
        super()._tab_titles(preview)
        existing = len(preview.existing) if preview is not None else 0
        self.tabs.setTabText(2, _("Already in the database ({count})").format(count=existing))
