"""The main window: navigation on the left, pages on the right, status bar below."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings, QSize, Qt, QTimer
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
from kac_desktop.services import visits as visit_service
from kac_desktop.services.context import Actor, Change

from .admin_pages import AdminPages
from .customer_editor import CustomerEditor
from .customer_list import CustomerListPage
from .report_page import ReportPage
from .request_board import RequestBoardPage, show_startup_notice, style_due_label
from .revenue_page import RevenuePage
from .settings_page import SettingsPage
from .visits_page import VisitsPage


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
        self.requests = RequestBoardPage(db, actor)
        # Pages over big tables (a million visits, years of revenue) are built when first
        # shown, so the window opens on the customer list without waiting for them.
        self._lazy: dict[str, tuple[int, Callable[[], QWidget]]] = {}
        self._built: dict[str, QWidget] = {}
        self._add_page(_("Customer files"), self.customers)
        self._add_lazy_page(_("Visits"), "visits", self._make_visits)
        self._add_page(_("Time-limited service"), self.requests)
        self._add_lazy_page(_("Revenue and points"), "revenue", self._make_revenue)
        self.report_page = ReportPage(db, actor)
        self._add_page(_("Reports"), self.report_page)
        self.admin = AdminPages(self)  # users, audit log, backups: by role
        self._add_page(_("Settings"), self.settings_page)
        self.nav.currentRowChanged.connect(self._show_page)
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
        self.due_label = QLabel()
        self.due_label.setObjectName("dueCount")
        self.follow_up_label = QLabel()
        self.follow_up_label.setObjectName("followUpCount")
        for label in (
            self.user_label,
            self.branch_label,
            self.count_label,
            self.due_label,
            self.follow_up_label,
        ):
            bar.addWidget(label)
        self._show_follow_ups(visit_service.count_follow_ups(db, actor))
        bar.addPermanentWidget(self.db_label)
        self.customers.countChanged.connect(self._show_count)
        self._show_count(self.customers.model.rowCount())
        self.requests.countsChanged.connect(lambda *n: style_due_label(self.due_label, *n))
        counts = self.requests.counts
        style_due_label(self.due_label, counts.overdue, counts.due_today)
        QTimer.singleShot(0, self, self.show_due_notice)
        self._restore_state()

    visits = property(lambda self: self._page("visits"))
    revenue = property(lambda self: self._page("revenue"))

    def _make_visits(self) -> QWidget:
        page = VisitsPage(self.db, self.actor)
        page.openCustomer.connect(self.open_customer)
        page.changed.connect(self.customers.apply_change)
        page.followUpsChanged.connect(self._show_follow_ups)
        self._show_follow_ups(page.follow_model.rowCount())
        return page

    def _make_revenue(self) -> QWidget:
        page = RevenuePage(self.db, self.actor)  # 收入与积分
        page.open_customer = self.open_customer
        page.changed.connect(self.customers.apply_change)
        return page

    def _add_lazy_page(self, title: str, name: str, make: Callable[[], QWidget]) -> None:
        self._lazy[name] = (self.pages.count(), make)
        self._add_page(title, QWidget())

    def _page(self, name: str) -> QWidget:
        """The page ``name``, built (in place of its placeholder) on first use."""
        page = self._built.get(name)
        if page is None:
            index, make = self._lazy[name]
            page = make()
            placeholder = self.pages.widget(index)
            was_current = self.pages.currentIndex() == index
            self.pages.insertWidget(index, page)
            self.pages.removeWidget(placeholder)
            placeholder.deleteLater()
            if was_current:
                self.pages.setCurrentIndex(index)
            self._built[name] = page
        return page

    def _show_page(self, index: int) -> None:
        for name, (position, _make) in self._lazy.items():
            if position == index:
                self._page(name)
        self.pages.setCurrentIndex(index)

    def _add_page(self, title: str, widget) -> None:
        self.pages.addWidget(widget)
        item = QListWidgetItem(title)
        item.setSizeHint(QSize(150, 42))
        self.nav.addItem(item)

    def _show_follow_ups(self, n: int) -> None:
        self.follow_up_label.setText(_("Follow-ups due {count}").format(count=n))
        self.follow_up_label.setStyleSheet("color: #c62828; font-weight: bold;" if n else "")

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
        self.requests.apply_change(change)
        for page in self._built.values():
            page.apply_change(change)
        if "visits" not in self._built and change.kind == "visit":
            self._show_follow_ups(visit_service.count_follow_ups(self.db, self.actor))

    def show_due_notice(self):
        """The start-up notice: overdue and due-today requests, non-modal."""
        return show_startup_notice(
            self, self.requests, lambda: self.nav.setCurrentRow(self.pages.indexOf(self.requests))
        )

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
