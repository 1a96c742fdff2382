"""The main window: navigation on the left, pages on the right, status bar below."""

from __future__ import annotations

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from kac_desktop.db import Database
from kac_desktop.i18n import _
from kac_desktop.rules import vocab
from kac_desktop.services.context import Actor, Change

from .customer_editor import CustomerEditor
from .customer_list import CustomerListPage
from .settings_page import SettingsPage


class MainWindow(QMainWindow):
    def __init__(self, db: Database, actor: Actor) -> None:
        super().__init__()
        self.db = db
        self.actor = actor
        self.setWindowTitle(_("kac_desktop — key-account management"))
        self.resize(1360, 820)

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(150)
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setStyleSheet(
            "QListWidget { font-size: 15px; border: none; background: #f3f5f8; }"
            "QListWidget::item { padding: 10px 14px; }"
            "QListWidget::item:selected { background: #0b6e4f; color: white; }"
        )
        self.pages = QStackedWidget()

        self.customers = CustomerListPage(db, actor)
        self.customers.openCustomer.connect(self.open_customer)
        self.customers.newCustomer.connect(self.new_customer)
        self.customers.importRequested.connect(self.import_customers)
        self.settings_page = SettingsPage(db, actor)
        # Only pages that work are listed; visits, service, revenue and reports join as
        # their features land.
        self._add_page(_("Customer files"), self.customers)
        self._add_page(_("Settings"), self.settings_page)
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.nav.setCurrentRow(0)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        bar = self.statusBar()
        role = vocab.label(vocab.ROLES, actor.role)
        self.user_label = QLabel(
            _("User: {name} ({role})").format(name=actor.display_name, role=role)
        )
        self.branch_label = QLabel(_("Branch: {branch}").format(branch=actor.branch_name or "—"))
        where = str(db.path) if db.path else db.url
        self.db_label = QLabel(_("Database: {path}").format(path=where))
        self.db_label.setToolTip(where)
        self.count_label = QLabel()
        for label in (self.user_label, self.branch_label, self.count_label):
            bar.addWidget(label)
        bar.addPermanentWidget(self.db_label)
        self.customers.countChanged.connect(self._show_count)
        self._show_count(self.customers.model.rowCount())
        self._restore_state()

    def _add_page(self, title: str, widget) -> None:
        self.pages.addWidget(widget)
        item = QListWidgetItem(title)
        item.setSizeHint(QSize(150, 42))
        self.nav.addItem(item)

    def _show_count(self, n: int) -> None:
        self.count_label.setText(_("Customers shown: {count}").format(count=f"{n:,}"))

    # ------------------------------------------------------------------ actions
    def open_customer(self, customer_id: str | None) -> CustomerEditor:
        editor = CustomerEditor(self.db, self.actor, customer_id, self)
        editor.saved.connect(self.apply_change)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.show()
        return editor

    def new_customer(self) -> CustomerEditor:
        return self.open_customer(None)

    def import_customers(self) -> None:
        from .customer_import import CustomerImportDialog

        dialog = CustomerImportDialog(self.db, self.actor, self)
        dialog.imported.connect(self.apply_change)
        dialog.exec()

    def apply_change(self, change: Change) -> None:
        """Every open view refreshes from what one action changed."""
        self.customers.apply_change(change)

    # ------------------------------------------------------------------ window state
    def _restore_state(self) -> None:
        settings = QSettings()
        geometry = settings.value("main/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        header = settings.value("customers/header")
        if header is not None:
            self.customers.table.horizontalHeader().restoreState(header)

    def closeEvent(self, event) -> None:
        settings = QSettings()
        settings.setValue("main/geometry", self.saveGeometry())
        settings.setValue("customers/header", self.customers.table.horizontalHeader().saveState())
        super().closeEvent(event)
