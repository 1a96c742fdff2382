"""The settings tab 业务参数: every number the rules work with (services/settings.table), its
value in force beside its default, and who changed it when.  Read-only here: the working
days and the product lines are edited on their own tabs."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from kac_desktop.i18n import _
from kac_desktop.services import settings as settings_service
from kac_desktop.services.database import Database

from .table_models import TextTableModel, house_table


class BusinessSettingsTab(QWidget):
    def __init__(self, db: Database, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.model = TextTableModel()
        # meaning first: what a reader looks for; the key last, for the command line
        self.table = house_table(self.model, "businessSettings")
        note = QLabel(
            _(
                "The numbers the quota, the deadlines, the alerts and the sign-in work with. "
                "The command kac-desktop settings list prints the same list."
            )
        )
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table)
        self.reload()

    def reload(self) -> None:
        headers, rows = settings_service.table(self.db)
        order = [1, 2, 3, 4, 5, 0]
        self.model.set_rows([headers[i] for i in order], [[r[i] for i in order] for r in rows])
        # the mappings of tiers and classes are the longest values: room for them whole
        for column, width in enumerate((320, 230, 230, 70, 220)):
            self.table.setColumnWidth(column, width)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        # a change made on another tab (the working-day mode, the product lines) or on
        # another PC of the center's database: two small queries, when it is looked at
        self.reload()
        super().showEvent(event)
