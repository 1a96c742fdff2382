"""The main window: navigation on the left, pages on the right, status bar below.

It opens on the customer list and builds nothing else before that list has painted: every
other page is built when first shown (their modules are imported then too), and what the
status bar and the start-up notice need from the service board and the follow-ups is done
right after the first paint, one step per event-loop turn (``firstPainted``).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QWidget,
)

from kac_desktop.i18n import _
from kac_desktop.rules import vocab
from kac_desktop.services.changes import ChangeSet, Kind
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database

from . import jobs, operations
from .admin_pages import AdminPages
from .colours import current_colours, text_style
from .customer_list import CustomerListPage
from .screen_fit import FRAME_KNOWN_MS, keep_inside, restore_place, save_place

if TYPE_CHECKING:
    from .customer_editor import CustomerEditor

log = logging.getLogger("kac_desktop")

# the start-up work after the first paint waits no longer than this for a window that is
# not painted (started minimised, say)
PAINT_WAIT_MS = 2000
# the window's size where the screen has room for it (else it fits the screen)
PREFERRED_SIZE = QSize(1360, 820)


class MainWindow(QMainWindow):
    firstPainted = Signal()  # once, after the customer list has first been painted

    def __init__(self, db: Database, actor: Actor) -> None:
        super().__init__()
        # how views/app.run goes on when the window closes (a restore, a recovery)
        self.restart_requested = False
        self.restart_target: Path | None = None
        self._closed = False
        self.exit_code: int | None = None
        self.db = db
        self.actor = actor
        self.setWindowTitle(_("kac_desktop — key-account management"))

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(150)
        self.nav.setIconSize(QSize(20, 20))
        self._style_navigation()
        self.pages = QStackedWidget()

        self.customers = CustomerListPage(db, actor)
        self.customers.openCustomer.connect(self.open_customer)
        self.customers.newCustomer.connect(self.new_customer)
        self.customers.importRequested.connect(self.import_customers)
        self.customers.logVisit.connect(self.log_visit_for)
        self.customers.registerRequest.connect(self.register_request_for)
        # Every other page is built when first shown (the service board right after the
        # first paint), so the window opens on the customer list without waiting for them.
        self._lazy: dict[str, tuple[int, Callable[[], QWidget]]] = {}
        self._built: dict[str, QWidget] = {}
        self._add_page(_("Customer files"), self.customers)
        self._add_lazy_page(_("Visits"), "visits", self._make_visits)
        self._add_lazy_page(_("Time-limited service"), "requests", self._make_requests)
        self._add_lazy_page(_("Revenue and points"), "revenue", self._make_revenue)
        self._add_lazy_page(_("Reports"), "report", self._make_report)
        self.admin = AdminPages(self)  # users, audit log, backups: by role
        self._add_lazy_page(_("Settings"), "settings", self._make_settings)
        self.nav.currentRowChanged.connect(self._show_page)
        self.nav.setCurrentRow(0)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        # the pages scroll when the screen is smaller than a page needs (1366×768 at 150 %)
        self.page_scroll = QScrollArea()
        self.page_scroll.setObjectName("pageScroll")
        self.page_scroll.setWidgetResizable(True)
        self.page_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.page_scroll.setWidget(self.pages)
        layout.addWidget(self.page_scroll, 1)
        self.setCentralWidget(central)

        bar = self.statusBar()
        role = vocab.label(vocab.ROLES, actor.role)
        self.user_label = QLabel(
            _("User: {name} ({role})").format(name=actor.display_name, role=role)
        )
        self.branch_label = QLabel(_("Branch: {branch}").format(branch=actor.branch_name or "—"))
        where = db.where
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
        # the administrator's warning that the working-day calendar is about to end
        self.calendar_label = QLabel()
        self.calendar_label.setObjectName("calendarWarning")
        self.calendar_label.setVisible(False)
        bar.addPermanentWidget(self.calendar_label)
        bar.addPermanentWidget(self.db_label)
        # 退出登录: back to the sign-in dialog (another user at the same PC); Ctrl+Q quits
        self.sign_out_button = QPushButton(_("Sign out"))
        self.sign_out_button.setObjectName("signOut")
        self.sign_out_button.setFlat(True)
        self.sign_out_button.setToolTip(_("Sign out and show the sign-in window"))
        self.sign_out_button.clicked.connect(self.sign_out)
        bar.addPermanentWidget(self.sign_out_button)
        QShortcut(QKeySequence("Ctrl+Q"), self, activated=self.close)
        self.customers.countChanged.connect(self._show_count)
        self._show_count(self.customers.model.rowCount())
        self._restore_state()

        # after the first paint: the service board (the status bar's overdue and due-today
        # counts, the notice), then the follow-ups' count — one step per event-loop turn
        self._after_paint: deque[Callable[[], object]] = deque(
            [
                lambda: self.requests,
                self.show_due_notice,
                self.show_calendar_notice,
                self._count_follow_ups,
            ]
        )
        self._painted = False
        self.customers.table.viewport().installEventFilter(self)

    visits = property(lambda self: self._page("visits"))
    requests = property(lambda self: self._page("requests"))
    revenue = property(lambda self: self._page("revenue"))
    report_page = property(lambda self: self._page("report"))
    settings_page = property(lambda self: self._page("settings"))

    # ------------------------------------------------------------------ after the first paint
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self._painted:
            # the paint itself goes on; the start-up work waits for the next turn
            QTimer.singleShot(0, self, self._first_paint_done)
        return super().eventFilter(watched, event)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not getattr(self, "_placed", False):  # the frame is known once shown
            self._placed = True
            QTimer.singleShot(FRAME_KNOWN_MS, self, lambda: keep_inside(self))
        if not self._painted:  # shown but not painted (minimised): do not wait for ever
            QTimer.singleShot(PAINT_WAIT_MS, self, self._first_paint_done)

    def _first_paint_done(self) -> None:
        if self._painted:
            return
        self._painted = True
        self.customers.table.viewport().removeEventFilter(self)
        # the list's filters of branches and managers, and its search cache, come after the
        # first paint, before anything else
        self.customers.load_services()
        self.firstPainted.emit()
        QTimer.singleShot(0, self, self._next_start_step)

    def _next_start_step(self) -> None:
        if self._after_paint:
            self._after_paint.popleft()()
        if self._after_paint:
            QTimer.singleShot(0, self, self._next_start_step)

    def _count_follow_ups(self) -> None:
        """The status bar's 待办跟进 N from a worker thread: a count over every visit (a
        quarter of a second at a million visits) that the window need not wait for."""
        if "visits" in self._built:  # the page counts them itself
            return
        db, actor = self.db, self.actor

        def work(_progress) -> int:
            # imported here too: the first import of the visit service takes a while
            from kac_desktop.services import visit_agenda

            return visit_agenda.count_follow_ups(db, actor)

        def failed(_error: BaseException) -> None:  # the label stays; the page lists them
            log.error("counting the follow-ups", exc_info=_error)

        jobs.start(work, self._follow_ups_counted, failed, name="follow-up-count")

    def _follow_ups_counted(self, n: int) -> None:
        if "visits" not in self._built and not self._closed:  # else the page's own count is newer
            self._show_follow_ups(n)

    # ------------------------------------------------------------------ pages
    def _make_visits(self) -> QWidget:
        from .visits_page import VisitsPage

        page = VisitsPage(self.db, self.actor)
        page.openCustomer.connect(self.open_customer)
        page.followUpsChanged.connect(self._show_follow_ups)
        self._show_follow_ups(page.follow_model.rowCount())
        return page

    def _make_requests(self) -> QWidget:
        from .request_board import RequestBoardPage, style_due_label

        page = RequestBoardPage(self.db, self.actor)
        page.countsChanged.connect(lambda *n: style_due_label(self.due_label, *n))
        style_due_label(self.due_label, page.counts.overdue, page.counts.due_today)
        return page

    def _make_revenue(self) -> QWidget:
        from .revenue_page import RevenuePage

        page = RevenuePage(self.db, self.actor)  # 收入与积分
        page.open_customer = self.open_customer
        return page

    def _make_report(self) -> QWidget:
        from .report_page import ReportPage

        return ReportPage(self.db, self.actor)

    def _make_settings(self) -> QWidget:
        from .settings_page import SettingsPage

        page = SettingsPage(self.db, self.actor)
        page.changed.connect(self.broadcast_changes)
        page.changed.connect(lambda _changes: self.show_calendar_outlook())
        return page

    def _add_lazy_page(self, title: str, name: str, make: Callable[[], QWidget]) -> None:
        """A navigation entry whose page ``make`` builds when it is first shown or used."""
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
        # "customers shown" is the customer list's count: not a figure of the other pages
        if hasattr(self, "count_label"):  # the first page is shown before the status bar exists
            self.count_label.setVisible(self.pages.widget(index) is self.customers)

    def sign_out(self) -> None:
        """Close the window and ask for a sign-in again (app.run opens the same database)."""
        self.restart_requested = True
        self.restart_target = None
        self.close()

    def _add_page(self, title: str, widget) -> None:
        self.pages.addWidget(widget)
        item = QListWidgetItem(title)
        item.setSizeHint(QSize(150, 42))
        self.nav.addItem(item)

    def _show_follow_ups(self, n: int) -> None:
        self._follow_ups = n
        self.follow_up_label.setText(_("Follow-ups due {count}").format(count=n))
        self.follow_up_label.setStyleSheet(
            text_style(current_colours().danger, bold=True) if n else ""
        )

    def _style_navigation(self) -> None:
        """The navigation in the scheme in use: every entry's text in the scheme's text
        colour on its background (a fixed light background under a dark palette's light
        text made every entry but the selected one vanish)."""
        c = current_colours()
        self.nav.setStyleSheet(
            f"QListWidget {{ font-size: 15px; border: none; background: {c.nav_background};"
            f" color: {c.nav_text}; }}"
            f"QListWidget::item {{ padding: 10px 14px; color: {c.nav_text}; }}"
            f"QListWidget::item:hover {{ background: {c.nav_hover}; }}"
            f"QListWidget::item:selected {{ background: {c.nav_selected_background};"
            f" color: {c.nav_selected_text}; }}"
        )

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if not hasattr(self, "follow_up_label"):  # still being built
            return
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            # the system switched between light and dark: the colours drawn here follow
            self._style_navigation()
            self._show_follow_ups(getattr(self, "_follow_ups", 0))
            if "requests" in self._built:
                from .request_board import style_due_label

                page = self._built["requests"]
                style_due_label(self.due_label, page.counts.overdue, page.counts.due_today)

    def _show_count(self, n: int) -> None:
        self.count_label.setText(_("Customers shown: {count}").format(count=f"{n:,}"))

    # ------------------------------------------------------------------ actions
    def open_customer(self, customer_id: str | None) -> CustomerEditor:
        from .customer_editor import CustomerEditor

        editor = CustomerEditor(self.db, self.actor, customer_id, self)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.show()
        return editor

    def new_customer(self) -> CustomerEditor:
        return self.open_customer(None)

    def log_visit_for(self, customer_id: str):
        """记录走访… from the customer list's row menu (the change reaches every page
        through the operation runner)."""
        from .visit_dialog import open_visit_dialog

        return open_visit_dialog(
            self, self.db, self.actor, lambda _change: None, customer_id=customer_id
        )

    def register_request_for(self, customer_id: str):
        """登记工单… from the customer list's row menu."""
        return self.requests.register_request(customer_id)

    def import_customers(self) -> None:
        from .customer_import import CustomerImportDialog

        dialog = CustomerImportDialog(self.db, self.actor, self)
        dialog.exec()

    def open_pages(self) -> list[QWidget]:
        """Every page built so far (the others read what they show when first shown)."""
        return [self.customers, *self._built.values()]

    def broadcast_changes(self, changes: ChangeSet) -> None:
        """What one operation changed, to every open page (views/operations.py sends it
        here from wherever the operation ran: a page, an editor, a dialog)."""
        operations.apply_to(self.open_pages(), changes)
        if "visits" not in self._built and changes.touches(Kind.VISIT):
            self._count_follow_ups()

    apply_changes = broadcast_changes

    def show_due_notice(self):
        """The start-up notice: overdue and due-today requests, non-modal."""
        from .request_board import show_startup_notice

        return show_startup_notice(
            self, self.requests, lambda: self.nav.setCurrentRow(self.pages.indexOf(self.requests))
        )

    def show_calendar_outlook(self):
        """The status bar's warning (administrators) when the working-day calendar ends
        within 60 days or has ended; the outlook, or None."""
        from .calendar_notice import calendar_outlook, style_calendar_label

        outlook = calendar_outlook(self.db, self.actor)
        style_calendar_label(self.calendar_label, outlook)
        return outlook

    def show_calendar_notice(self):
        """At sign-in: the same warning as a non-modal notice, for administrators."""
        from .calendar_notice import show_calendar_notice

        outlook = self.show_calendar_outlook()
        return show_calendar_notice(self, outlook, self._open_calendar_settings)

    def _open_calendar_settings(self) -> None:
        page = self.settings_page
        self.nav.setCurrentRow(self.pages.indexOf(page))
        if page.calendar is not None:
            page.tabs.setCurrentWidget(page.calendar)

    # ------------------------------------------------------------------ window state
    def _restore_state(self) -> None:
        settings = QSettings()
        restore_place(self, "main", PREFERRED_SIZE)
        header = settings.value("customers/header")
        if header is not None:
            self.customers.table.horizontalHeader().restoreState(header)

    def closeEvent(self, event) -> None:
        self._closed = True
        settings = QSettings()
        save_place(self, "main")
        settings.setValue("customers/header", self.customers.table.horizontalHeader().saveState())
        super().closeEvent(event)
