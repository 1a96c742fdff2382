"""The visits page (走访): the visit list, the monthly quota, follow-ups due, inactive
customers and the calendar, with the branch meetings (座谈会) against the twice-a-year rule
above them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.i18n import N_, _
from kac_desktop.rules import vocab
from kac_desktop.rules.quota import LOCAL_TZ
from kac_desktop.services import users as user_service
from kac_desktop.services import visit_agenda
from kac_desktop.services import visits as visit_service
from kac_desktop.services.changes import ChangeSet, Kind
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database
from kac_desktop.services.visit_agenda import FollowUp, InactiveRow
from kac_desktop.services.visits import VisitQuery, VisitRow

from . import operations
from .paged_model import IdRole, PagedTableModel  # noqa: F401 - IdRole re-exported
from .quota_page import QuotaPage
from .table_models import Column, ColumnTableModel, EmptyHint, house_table
from .visit_calendar import VisitCalendarPage
from .visit_dialog import open_visit_dialog

# ------------------------------------------------------------------ the visit list


VISIT_COLUMNS: tuple[Column, ...] = (
    Column("visited_at", N_("Date and time"), 130),
    Column("customer", N_("Customer"), 240),
    Column("contact", N_("Contact met"), 80),
    Column("mode", N_("Mode"), 80),
    Column("purpose", N_("Purpose"), 90),
    Column("summary", N_("Summary"), 300),
    Column("next_step", N_("Next step"), 200),
    Column("satisfaction", N_("Satisfaction"), 60),
    Column("manager", N_("Account manager"), 80),
)


def visit_cell(row: VisitRow, key: str) -> str:
    if key == "visited_at":
        return row.visited_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    if key == "mode":
        return vocab.label(vocab.VISIT_MODES, row.mode)
    if key == "purpose":
        return vocab.label(vocab.VISIT_PURPOSES, row.purpose)
    if key == "next_step":
        if not row.next_step:
            return ""
        when = row.next_step_date.strftime("%m-%d") if row.next_step_date else ""
        done = _("(done)") if row.next_step_done else ""
        return " ".join(p for p in (when, row.next_step, done) if p)
    if key == "satisfaction":
        return "" if row.satisfaction is None else str(row.satisfaction)
    return str(getattr(row, key) or "")


class VisitTableModel(PagedTableModel):
    """The paged list model (views/paged_model.py) over the visit query, keyed by visit
    id; it sorts by date and time (the order an index serves), either way."""

    def __init__(
        self,
        query_ids: Callable[[VisitQuery], list[str]],
        fetch_rows: Callable[[list[str]], list[VisitRow]],
        parent=None,
    ) -> None:
        super().__init__(VISIT_COLUMNS, VisitQuery(), parent)
        self._query_ids = query_ids
        self._fetch_rows = fetch_rows

    def query_keys(self, query: VisitQuery) -> list[str]:
        return self._query_ids(query)

    def fetch_rows(self, keys: list) -> list[VisitRow]:
        return self._fetch_rows(keys)

    def ids_of_customers(self, customer_ids) -> list[str]:
        """The visits shown (fetched so far) of the customers ``customer_ids``."""
        wanted = set(customer_ids)
        return [r.id for r in self._rows.values() if r.customer_id in wanted]

    def refresh_keys(self, keys) -> None:
        """As the base, except that a visit whose date (its place in the order) or whose
        customer, manager or kind (whether the query holds it) changed runs the whole query
        again."""
        keys = list(keys)
        held = {self._keys[row]: data for row, data in self._rows.items()}
        wanted = [k for k in keys if k in held]
        if not wanted:
            return
        fetched = {r.id: r for r in self.fetch_rows(wanted)}
        for key in wanted:
            old, new = held[key], fetched.get(key)
            if new is not None and (old.visited_at, old.customer_id, old.manager, old.mode) != (
                new.visited_at,
                new.customer_id,
                new.manager,
                new.mode,
            ):
                self.reload()
                return
        super().refresh_keys(wanted)

    def cell(self, row: VisitRow, column: int, role: int):
        key = VISIT_COLUMNS[column].key
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return visit_cell(row, key)
        if role == Qt.ItemDataRole.ForegroundRole and key == "mode" and row.mode == "meeting":
            return QBrush(QColor("#5b3fb5"))
        return None

    def sorted_query(self, query: VisitQuery, column: int, descending: bool):
        if VISIT_COLUMNS[column].key != "visited_at":
            return None
        return replace(query, descending=descending)


# ------------------------------------------------------------------ small lists


class RowsModel(ColumnTableModel):
    """A read-only table over a short list of dataclass rows (follow-ups, inactive
    customers): ``columns`` are (title, cell function, colour function or None).  Not
    paged: the service computes these lists whole (grouped queries), rows and all."""

    number_rows = False

    def __init__(
        self,
        columns: Sequence[tuple[str, Callable[[Any], str], Callable[[Any], str | None] | None]],
        id_of: Callable[[Any], str],
        parent=None,
    ) -> None:
        super().__init__([title for title, _cell, _colour in columns], parent)
        self._columns = list(columns)
        self._id_of = id_of
        self._rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Any:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_total(self) -> int:
        return len(self._rows)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if not index.isValid():
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
        _title, cell, colour = self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell(row)
        if role == IdRole:
            return self._id_of(row)
        if role == Qt.ItemDataRole.ForegroundRole and colour is not None:
            value = colour(row)
            return QBrush(QColor(value)) if value else None
        return None


def _overdue_text(f: FollowUp) -> str:
    if f.days_overdue <= 0:
        return _("due today")
    return _("{days} days overdue").format(days=f.days_overdue)


FOLLOW_UP_COLUMNS = (
    (N_("Due"), lambda f: f.due.strftime("%Y-%m-%d"), None),
    (
        N_("State"),
        _overdue_text,
        lambda f: "#c62828" if f.days_overdue > 0 else "#b35c00",
    ),
    (N_("Customer"), lambda f: f.customer, None),
    (N_("Next step"), lambda f: f.next_step, None),
    (N_("Account manager"), lambda f: f.manager, None),
)


def _date(d: date | None) -> str:
    return d.strftime("%Y-%m-%d") if d else "—"


def _month_text(month: int | None) -> str:
    return f"{month // 100}-{month % 100:02d}" if month else "—"


INACTIVE_COLUMNS = (
    (N_("Customer"), lambda r: r.name, None),
    (N_("Tier"), lambda r: vocab.label(vocab.TIERS, r.tier), None),
    (N_("Account manager"), lambda r: r.manager, None),
    (N_("Last visit"), lambda r: _date(r.last_visit), None),
    (N_("Last month with revenue"), lambda r: _month_text(r.last_revenue_month), None),
    (
        N_("Days without contact"),
        lambda r: _("never") if r.days is None else _("{days} days").format(days=r.days),
        lambda r: "#c62828" if r.days is None or r.days >= 60 else "#b35c00",
    ),
)


# ------------------------------------------------------------------ the page


class VisitsPage(QWidget):
    openCustomer = Signal(str)
    changed = Signal(object)  # the ChangeSet of an operation made here
    followUpsChanged = Signal(int)

    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor

        self.meetings = QLabel()
        self.meetings.setObjectName("meetingStatus")
        self.meetings.setWordWrap(True)
        self.meetings.setTextFormat(Qt.TextFormat.RichText)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._visit_list(), _("Visits"))
        # the quota is built when its tab is first shown: for the city center it is the
        # month of every customer, too much to compute for a page that opens on the list
        self._quota: QuotaPage | None = None
        self._quota_tab = QWidget()
        QVBoxLayout(self._quota_tab).setContentsMargins(0, 0, 0, 0)
        self.tabs.addTab(self._quota_tab, _("Quota"))
        self.tabs.addTab(self._follow_ups(), _("Follow-ups"))
        self.tabs.addTab(self._inactive(), _("Inactive customers"))
        self.calendar = VisitCalendarPage(db, actor)
        self.calendar.openVisit.connect(self.open_visit)
        self.calendar.openCustomer.connect(self.openCustomer)
        self.tabs.addTab(self.calendar, _("Calendar"))

        layout = QVBoxLayout(self)
        layout.addWidget(self.meetings)
        layout.addWidget(self.tabs, 1)
        QShortcut(QKeySequence("Ctrl+N"), self, activated=lambda: self.log_visit())
        self.refresh_meetings()
        self.refresh_follow_ups()
        self.inactive_loaded = False
        self.tabs.currentChanged.connect(self._tab_changed)

    # -- the visit list tab
    def _visit_list(self) -> QWidget:
        page = QWidget()
        self.model = VisitTableModel(
            lambda q: visit_service.query_visit_ids(self.db, self.actor, q),
            lambda ids: visit_service.fetch_visit_rows(self.db, self.actor, ids),
            self,
        )
        self.search = QLineEdit()
        self.search.setObjectName("visitSearch")
        self.search.setPlaceholderText(_("Search: customer name, pinyin or initials, summary"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(280)
        self.manager = QComboBox()
        if self.actor.role == "manager":
            self.manager.addItem(_("All managers"), None)
            self.manager.setVisible(False)
        else:
            self.manager.addItem(_("All managers"), None)
            for m in user_service.list_managers(self.db, self.actor):
                self.manager.addItem(f"{m.display_name}（{m.branch_name}）", m.id)
        self.mode = QComboBox()
        self.mode.addItem(_("All modes"), None)
        for code in vocab.VISIT_MODES:
            self.mode.addItem(vocab.label(vocab.VISIT_MODES, code), code)
        self.count = QLabel()
        new_button = QPushButton(_("Log a visit…"))
        new_button.setObjectName("logVisit")
        new_button.setToolTip(_("Log a visit (Ctrl+N)"))
        edit_button = QPushButton(_("Open…"))
        file_button = QPushButton(_("Customer file…"))
        new_button.clicked.connect(lambda: self.log_visit())
        edit_button.clicked.connect(self._open_current)
        file_button.clicked.connect(self._open_current_customer)
        self.visit_table = house_table(
            self.model, "visitTable", widths=[c.width for c in VISIT_COLUMNS], row_height=26
        )
        self.visit_table.setSortingEnabled(True)
        self.visit_table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        self.visit_table.doubleClicked.connect(lambda _i: self._open_current())
        self.empty_hint = EmptyHint(
            self.visit_table,
            lambda: _(
                "No visit to show. Press “Log a visit…” after meeting or calling a customer, "
                "or clear the search and the filters."
            ),
        )
        top = QHBoxLayout()
        for w in (self.search, self.manager, self.mode, self.count):
            top.addWidget(w)
        top.addStretch()
        for b in (new_button, edit_button, file_button):
            top.addWidget(b)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.visit_table, 1)
        self.search.textChanged.connect(self._query_changed)
        self.manager.currentIndexChanged.connect(self._query_changed)
        self.mode.currentIndexChanged.connect(self._query_changed)
        self.model.countChanged.connect(
            lambda n: self.count.setText(_("{count} visits").format(count=f"{n:,}"))
        )
        self._query_changed()
        return page

    def _query_changed(self, *_args) -> None:
        self.model.set_query(
            VisitQuery(
                search=self.search.text(),
                manager_id=self.manager.currentData(),
                mode=self.mode.currentData(),
                descending=self.model.query.descending,
            )
        )

    def _open_current(self) -> None:
        vid = self.model.id_at(self.visit_table.currentIndex().row())
        if vid:
            self.open_visit(vid)

    def _open_current_customer(self) -> None:
        row = self.model.row_data(self.visit_table.currentIndex().row())
        if row is not None and row.customer_id:
            self.openCustomer.emit(row.customer_id)

    # -- follow-ups tab
    def _follow_ups(self) -> QWidget:
        page = QWidget()
        self.follow_model = RowsModel(FOLLOW_UP_COLUMNS, lambda f: f.visit_id, self)
        self.follow_table = house_table(
            self.follow_model, "followUpTable", widths=(90, 110, 260, 320), row_height=26
        )
        self.follow_table.doubleClicked.connect(lambda _i: self._open_follow_up())
        self.follow_count = QLabel()
        done = QPushButton(_("Mark done"))
        done.setObjectName("markDone")
        done.clicked.connect(self._mark_follow_up_done)
        open_visit = QPushButton(_("Open visit…"))
        open_visit.clicked.connect(self._open_follow_up)
        log = QPushButton(_("Log the follow-up visit…"))
        log.clicked.connect(self._log_follow_up)
        top = QHBoxLayout()
        top.addWidget(self.follow_count)
        top.addStretch()
        for b in (log, open_visit, done):
            top.addWidget(b)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.follow_table, 1)
        return page

    def refresh_follow_ups(self) -> int:
        rows = visit_agenda.follow_ups(self.db, self.actor)
        self.follow_model.set_rows(rows)
        overdue = sum(1 for f in rows if f.days_overdue > 0)
        self.follow_count.setText(
            _("{count} next steps due today or overdue ({overdue} overdue)").format(
                count=len(rows), overdue=overdue
            )
        )
        self.followUpsChanged.emit(len(rows))
        return len(rows)

    def _current_follow_up(self) -> FollowUp | None:
        return self.follow_model.row_at(self.follow_table.currentIndex().row())

    def _open_follow_up(self) -> None:
        f = self._current_follow_up()
        if f is not None:
            self.open_visit(f.visit_id)

    def _log_follow_up(self) -> None:
        f = self._current_follow_up()
        if f is not None:
            self.log_visit(f.customer_id)

    def _mark_follow_up_done(self) -> None:
        f = self._current_follow_up()
        if f is None:
            return
        change = operations.run(
            self,
            lambda: visit_service.set_next_step_done(self.db, self.actor, f.visit_id),
            title=_("Mark done"),
        )
        if change is not None:
            self._after_change(change)

    # -- inactivity tab
    def _inactive(self) -> QWidget:
        page = QWidget()
        self.inactive_model = RowsModel(INACTIVE_COLUMNS, lambda r: r.customer_id, self)
        self.inactive_table = house_table(
            self.inactive_model, "inactiveTable", widths=(280, 60, 90, 100, 120), row_height=26
        )
        self.inactive_table.doubleClicked.connect(lambda _i: self._open_inactive_customer())
        self.inactive_count = QLabel()
        log = QPushButton(_("Log a visit…"))
        log.clicked.connect(self._log_inactive)
        open_file = QPushButton(_("Customer file…"))
        open_file.clicked.connect(self._open_inactive_customer)
        top = QHBoxLayout()
        top.addWidget(self.inactive_count)
        top.addStretch()
        top.addWidget(log)
        top.addWidget(open_file)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.inactive_table, 1)
        return page

    def refresh_inactive(self) -> None:
        rows: list[InactiveRow] = visit_agenda.inactive_customers(self.db, self.actor)
        self.inactive_model.set_rows(rows)
        from kac_desktop.services import settings as settings_service

        days = settings_service.get(self.db).get("inactivity.days", 30)
        self.inactive_count.setText(
            _(
                "{count} customers without a visit or business for {days} days or more; "
                "plan a visit and report the reason."
            ).format(count=f"{len(rows):,}", days=days)
        )
        self.inactive_loaded = True

    def _current_inactive(self) -> InactiveRow | None:
        return self.inactive_model.row_at(self.inactive_table.currentIndex().row())

    def _log_inactive(self) -> None:
        r = self._current_inactive()
        if r is not None:
            self.log_visit(r.customer_id)

    def _open_inactive_customer(self) -> None:
        r = self._current_inactive()
        if r is not None:
            self.openCustomer.emit(r.customer_id)

    @property
    def quota(self) -> QuotaPage:
        """The quota tab's page, built on first use."""
        if self._quota is None:
            self._quota = QuotaPage(self.db, self.actor)
            self._quota.openCustomer.connect(self.openCustomer)
            self._quota.logVisit.connect(lambda cid: self.log_visit(cid or None))
            self._quota_tab.layout().addWidget(self._quota)
        return self._quota

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self._quota_tab:
            self.quota  # noqa: B018 - built when first shown
        if self.tabs.widget(index) is self.inactive_table.parentWidget() and not (
            self.inactive_loaded
        ):
            self.refresh_inactive()

    # -- meetings
    def refresh_meetings(self) -> None:
        rows = visit_agenda.meeting_report(self.db, self.actor)
        behind = [r for r in rows if r.status.behind]
        if not rows:
            self.meetings.setText("")
            return
        if len(rows) == 1:
            r = rows[0]
            text = _("Key-customer meetings this year: {held} held of {required} a year").format(
                held=r.status.held, required=r.status.required
            )
            if r.last_meeting:
                text += _(" (last on {day})").format(day=r.last_meeting.strftime("%Y-%m-%d"))
        else:
            text = _("Key-customer meetings this year: {ok} of {all} branches on schedule").format(
                ok=len(rows) - len(behind), all=len(rows)
            )
        if behind:
            names = "、".join(r.branch for r in behind)
            warning = _(
                "▲ Behind the rule: {branches}. Log the meeting as a visit of the mode "
                "Customer meeting."
            ).format(branches=names)
            self.meetings.setText(
                f'<span>{text}</span>　<span style="color:#c62828; font-weight:bold">'
                f"{warning}</span>"
            )
        else:
            ok = _("On schedule")
            self.meetings.setText(f'<span>{text}</span>　<span style="color:#2e7d32">✔ {ok}</span>')

    # -- actions
    def log_visit(self, customer_id: str | None = None):
        return open_visit_dialog(
            self, self.db, self.actor, self._after_change, customer_id=customer_id
        )

    def open_visit(self, visit_id: str):
        return open_visit_dialog(self, self.db, self.actor, self._after_change, visit_id=visit_id)

    def _after_change(self, change: ChangeSet) -> None:
        # the change was spread to every page (this one too) by the operation runner
        self.changed.emit(change)

    def apply_changes(self, changes: ChangeSet) -> None:
        """Refresh from what one operation changed: the visit list refetches the visits
        named (the whole query when visits came or went), follow-ups, meetings and the
        calendar follow visits, the quota tab follows visits, tiers and customer files."""
        if changes.touches(Kind.VISIT):
            if changes.rows_only(Kind.VISIT):
                self.model.refresh_keys(changes.ids(Kind.VISIT))
            else:
                self.model.reload()
            self.refresh_follow_ups()
            self.refresh_meetings()
            self.calendar.apply_changes(changes)
        elif changes.touches(Kind.USER):  # a manager's name, on any of his visits
            self.model.reload()
        elif changes.touches(Kind.CUSTOMER):  # a customer's name on its visits
            self.model.refresh_keys(self.model.ids_of_customers(changes.ids(Kind.CUSTOMER)))
        if self._quota is not None:
            self._quota.apply_changes(changes)
        if self.inactive_loaded and changes.touches(Kind.VISIT, Kind.CUSTOMER, Kind.REVENUE):
            self.refresh_inactive()
