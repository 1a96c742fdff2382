"""Settings: the interface language (kept in QSettings) and where the data lives."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kac_desktop import __version__
from kac_desktop.i18n import _
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database

from .colours import current_colours

LANGUAGE_KEY = "ui/language"


class SettingsPage(QWidget):
    changed = Signal(object)  # a Change: the working-day calendar saved

    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.language = QComboBox()
        self.language.setObjectName("language")
        self.language.addItem(_("Follow the system"), "system")
        self.language.addItem("简体中文", "zh_CN")
        self.language.addItem("English", "en")
        current = QSettings().value(LANGUAGE_KEY, "system")
        index = self.language.findData(current)
        self.language.setCurrentIndex(max(index, 0))
        self.language.currentIndexChanged.connect(self._language_changed)
        self.notice = QLabel()
        self.notice.setStyleSheet(f"color: {current_colours().accent};")

        general = QGroupBox(_("Interface"))
        form = QFormLayout(general)
        form.addRow(_("Language"), self.language)
        form.addRow("", self.notice)

        about = QGroupBox(_("About"))
        info = QFormLayout(about)
        where = db.where
        path = QLabel(where)
        path.setTextInteractionFlags(path.textInteractionFlags() | path.textInteractionFlags())
        info.addRow(_("Database"), path)
        info.addRow(_("Version"), QLabel(__version__))

        main = QWidget()
        layout = QVBoxLayout(main)
        layout.addWidget(general)
        from .product_lines import ProductLinesBox  # 收入与积分: factors and growth rates

        layout.addWidget(ProductLinesBox(db, actor))
        layout.addWidget(about)
        layout.addStretch()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("settingsTabs")
        self.tabs.addTab(main, _("General"))
        # the working-day calendar: the center's administrators keep it, everyone reads it
        from .calendar_settings import CalendarSettings

        self.calendar = CalendarSettings(db, actor)
        self.calendar.changed.connect(self.changed)
        self.tabs.addTab(self.calendar, _("Working-day calendar"))
        from .business_settings import BusinessSettingsTab

        self.business = BusinessSettingsTab(db)
        self.tabs.addTab(self.business, _("Business rules"))
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.tabs)

    def _language_changed(self) -> None:
        QSettings().setValue(LANGUAGE_KEY, self.language.currentData())
        self.notice.setText(_("The new language applies the next time the application starts."))
