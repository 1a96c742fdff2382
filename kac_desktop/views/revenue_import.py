"""Importing monthly revenue from a workbook: choose, map columns, preview, import
(``import_dialog.ImportDialog`` with the five revenue columns)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,  # noqa: F401 — the dialog's message boxes, as tests reach them
    QVBoxLayout,
)

from kac_desktop.i18n import N_, _
from kac_desktop.io import revenue_import as parsing
from kac_desktop.services import revenue_import as import_service
from kac_desktop.services.revenue_import import RevenuePreview

from .import_dialog import ImportDialog


class RevenueImportDialog(ImportDialog):
    FIELDS = parsing.FIELDS
    preview_import = staticmethod(import_service.preview_import)
    read_tidy = import_service.READ_TIDY
    run_service_import = staticmethod(import_service.run_import)
    MAPPING_KEY = "import/revenue/mapping"
    TITLE = N_("Import revenue from Excel")
    TEMPLATE_NAME = N_("revenue import template")
    IMPORTING = N_("Importing revenue…")
    NOTE = N_(
        "Importing a month again replaces that month's figures of the customers in the "
        "file. Nothing is written until you press Import; an import is all or nothing."
    )

    def write_template(self, path: str) -> None:
        import_service.write_template(path, self.db)

    def _build_middle(self) -> QHBoxLayout:
        # five fields: a form beside the preview
        mapping_box = QGroupBox(_("Column mapping (recognised headers are filled in)"))
        form = QFormLayout(mapping_box)
        for f in self.FIELDS:
            form.addRow(_(f.label) + (" *" if f.required else ""), self.combos[f.key])
        form.addRow(QLabel(_("The customer: by credit code, or by name when it is unambiguous.")))
        form.addRow(self.recheck)

        middle = QHBoxLayout()
        middle.addWidget(mapping_box)
        right = QVBoxLayout()
        right.addWidget(self.summary)
        right.addWidget(self.tabs, 1)
        right.addWidget(self.save_rejections_button)
        middle.addLayout(right, 1)
        return middle

    def _show_rows(self, preview: RevenuePreview) -> str:
        self.rows_model.set_rows(
            [_("Row"), _("Customer name"), _("Month"), _("Product line"), _("Revenue")],
            preview.sample(200),
        )
        return preview.describe()
