"""The deadline board (限时服务): every request with its warning state in colour and in words,
most urgent first, moving by itself as time passes.

The model keeps the times of every row of the current query in memory (a few numbers a
request) and fetches the display columns a page at a time; a row's texts are made once, and
its state and time left once per clock reading.  A timer tick takes the time from the clock,
recomputes the rows on screen and emits dataChanged only for those whose state or time left
changed; under a state filter it also recomputes the few requests whose state could have
changed since the last tick (their moments are known in advance).  The status bar's counts
come from the due times kept in order (services.requests.DueTimes).  So a tick costs no SQL
and no pass over the requests, whatever the size of the board.  The clock is injectable, so
a test advances a fake one and watches the states change.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.i18n import N_, _
from kac_desktop.rules import vocab
from kac_desktop.rules.clock import now as utcnow
from kac_desktop.rules.deadlines import LOCAL_TZ, first_response_hours, rule_label
from kac_desktop.rules.service_states import (
    URGENCY_RANK,
    WARNING_STATES,
    Due,
    Thresholds,
    next_due,
    state_moments,
    time_left_text,
)
from kac_desktop.services import requests as request_service
from kac_desktop.services import users as user_service
from kac_desktop.services.changes import ChangeSet, Kind
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database
from kac_desktop.services.requests import (
    DueCounts,
    DueTimes,
    RequestQuery,
    RequestRow,
    RequestTiming,
)

from .colours import current_colours, text_style
from .paged_model import IdRole, StateRole
from .table_models import Column, ColumnTableModel, EmptyHint, house_table

PAGE_SIZE = 64  # rows fetched at once: two screens (256 cost 10 ms before the first paint)
TICK_MS = 30_000

Clock = Callable[[], datetime]


COLUMNS: tuple[Column, ...] = (
    Column("state", N_("Warning"), 90),
    Column("left", N_("Time left"), 190),
    Column("customer", N_("Customer"), 230),
    Column("type", N_("Type"), 100),
    Column("status", N_("Status"), 70),
    Column("deadline", N_("Deadline"), 180),  # room for （暂定）
    Column("rule", N_("Deadline rule"), 240),
    Column("received", N_("Received"), 130),
    Column("manager", N_("Account manager"), 80),
    Column("description", N_("Description"), 300),
)
COLUMN_INDEX = {c.key: i for i, c in enumerate(COLUMNS)}
STATE_COLUMN = COLUMN_INDEX["state"]
LEFT_COLUMN = COLUMN_INDEX["left"]


def local_text(moment: datetime | None) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


class _Cells:
    """What one request shows: the texts of its row (built once, when its page is fetched)
    and those that move with the clock (built again only when the clock has moved)."""

    __slots__ = ("texts", "at", "state", "left")

    def __init__(self) -> None:
        self.texts: list[str] | None = None
        self.at: datetime | None = None
        self.state = ""
        self.left = ""


class RequestBoardModel(ColumnTableModel):
    """Rows: the requests of the query, filtered by warning state and sorted by urgency when
    the query runs; the states of the rows on screen are recomputed at every ``tick``.

    Not a PagedTableModel: its order follows the clock (computed states), so it orders its
    requests' timings in memory; their texts are fetched a page at a time."""

    countChanged = Signal(int)

    def __init__(
        self,
        query_timings: Callable[[RequestQuery], list[RequestTiming]],
        fetch_rows: Callable[[list[str]], list[RequestRow]],
        clock: Clock = utcnow,
        thresholds: Thresholds | None = None,
        parent=None,
    ) -> None:
        super().__init__([c.title for c in COLUMNS], parent)
        self._query_timings = query_timings
        self._fetch_rows = fetch_rows
        self._clock = clock
        self.thresholds = thresholds or Thresholds()
        self._query = RequestQuery()
        self._state: str | None = None
        # every request of the query, in deadline order, with what is due next and its state
        # at ``_states_at``; ``_order`` holds the indices of the rows shown, in board order
        self._all: list[RequestTiming] = []
        self._due: list[Due] = []
        self._states: list[str] = []
        self._order: list[int] = []
        self._cells: list[_Cells | None] = []
        self._rows: dict[str, RequestRow] = {}
        # with a state filter: the moments at which a request's state may change, in order
        self._moments: list[float] = []
        self._moment_rows: list[int] = []
        self.now = clock()
        self._states_at = self.now
        self._looks = _Looks()

    def _current_looks(self) -> _Looks:
        """The brushes of the scheme in use (made again when the scheme changes)."""
        if self._looks.scheme != current_colours().name:
            self._looks = _Looks()
        return self._looks

    # -- the query
    @property
    def query(self) -> RequestQuery:
        return self._query

    @property
    def state_filter(self) -> str | None:
        return self._state

    def unresolved_dues(self) -> list[datetime]:
        """What is due next of every unresolved request of the query (whatever the state
        filter)."""
        return [d.at for t, d in zip(self._all, self._due, strict=True) if t.resolved_at is None]

    def set_query(self, query: RequestQuery, state: str | None = None) -> None:
        self.beginResetModel()
        self._query = query
        self._state = state
        self.now = self._clock()
        self._all = self._query_timings(query)
        self._due = [
            next_due(t.deadline_at, t.first_response_due_at, t.first_response_at) for t in self._all
        ]
        self._states = [self._state_at(i, self.now) for i in range(len(self._all))]
        self._states_at = self.now
        self._cells = [None] * len(self._all)
        self._rows.clear()
        self._moments, self._moment_rows = self._state_moments() if state else ([], [])
        self._order = self._arranged()
        self.endResetModel()
        self.countChanged.emit(len(self._order))

    def reload(self) -> None:
        self.set_query(self._query, self._state)

    def _arranged(self) -> list[int]:
        states, due = self._states, self._due
        shown = range(len(self._all))
        if self._state:
            shown = [i for i in shown if states[i] == self._state]  # type: ignore[assignment]
        return sorted(shown, key=lambda i: (URGENCY_RANK[states[i]], due[i].at))

    def _state_at(self, i: int, now: datetime) -> str:
        return request_service.state_of(self._all[i], now, self.thresholds)

    def state_of(self, timing: RequestTiming) -> str:
        return request_service.state_of(timing, self.now, self.thresholds)

    def _state_moments(self) -> tuple[list[float], list[int]]:
        """When each unresolved request may change state (``state_moments`` of
        rules/service_states.py), as POSIX seconds in order, with the index of the request:
        a tick under a state filter then recomputes only the requests whose moment it
        passed."""
        limits = self.thresholds
        found: list[tuple[float, int]] = []
        for i, t in enumerate(self._all):
            if t.resolved_at is not None:
                continue  # done on time or late: for good
            for moment in state_moments(t.received_at, self._due[i].at, limits):
                found.append((moment.timestamp(), i))
        found.sort()
        return [m for m, _i in found], [i for _m, i in found]

    def _advance_states(self) -> bool:
        """Bring the states of every request to ``now``; True when one changed."""
        before = self._states_at.timestamp()
        now = self.now.timestamp()
        if now < before:  # the clock went back: recompute all
            changed = range(len(self._all))
        else:
            # a second's margin either side: the moments are floats, the rules exact
            lo = bisect_left(self._moments, before - 1.0)
            hi = bisect_right(self._moments, now + 1.0)
            changed = set(self._moment_rows[lo:hi])  # type: ignore[assignment]
        moved = False
        for i in changed:
            state = self._state_at(i, self.now)
            if state != self._states[i]:
                self._states[i] = state
                moved = True
        self._states_at = self.now
        return moved

    def tick(self, first: int = 0, last: int | None = None) -> None:
        """Take the time again and repaint the rows ``first``..``last`` (the rows on screen)
        whose state or time left changed.  With a state filter, rows whose state left it
        leave the board (and rows that entered it join)."""
        self.now = self._clock()
        if self._state and self._advance_states():
            arranged = self._arranged()
            if arranged != self._order:
                self.beginResetModel()
                self._order = arranged
                self.endResetModel()
                self.countChanged.emit(len(self._order))
                return
        if not self._order:
            return
        last = len(self._order) - 1 if last is None else min(last, len(self._order) - 1)
        run_start: int | None = None
        for row in range(max(0, first), last + 2):
            changed = False
            if row <= last:
                cells = self._cells[self._order[row]]
                if cells is None or cells.at is None:
                    changed = True
                else:
                    before = (cells.state, cells.left)
                    self._live(self._order[row])
                    changed = (cells.state, cells.left) != before
            if changed and run_start is None:
                run_start = row
            elif not changed and run_start is not None:
                self._emit_changed(run_start, row - 1)
                run_start = None

    def _emit_changed(self, first: int, last: int) -> None:
        self.dataChanged.emit(
            self.index(first, STATE_COLUMN),
            self.index(last, LEFT_COLUMN),
            [
                Qt.ItemDataRole.DisplayRole,
                Qt.ItemDataRole.ForegroundRole,
                Qt.ItemDataRole.BackgroundRole,
                Qt.ItemDataRole.FontRole,
                Qt.ItemDataRole.ToolTipRole,
                StateRole,
            ],
        )

    def id_at(self, row: int) -> str | None:
        return self._all[self._order[row]].id if 0 <= row < len(self._order) else None

    def row_of(self, request_id: str) -> int:
        for row, i in enumerate(self._order):
            if self._all[i].id == request_id:
                return row
        return -1

    def timing_at(self, row: int) -> RequestTiming | None:
        return self._all[self._order[row]] if 0 <= row < len(self._order) else None

    def row_data(self, row: int) -> RequestRow | None:
        timing = self.timing_at(row)
        if timing is None:
            return None
        cached = self._rows.get(timing.id)
        if cached is None:
            start = row - row % PAGE_SIZE
            page = [self._all[i].id for i in self._order[start : start + PAGE_SIZE]]
            for fetched in self._fetch_rows(page):
                self._rows[fetched.id] = fetched
            cached = self._rows.get(timing.id)
        return cached

    # -- the texts
    def _live(self, i: int) -> _Cells:
        """The request's cells with its state and time left at ``now``."""
        cells = self._cells[i]
        if cells is None:
            cells = self._cells[i] = _Cells()
        if cells.at != self.now:
            t, due = self._all[i], self._due[i]
            cells.state = self._state_at(i, self.now)
            if t.resolved_at is not None:
                cells.left = time_left_text(t.deadline_at, self.now, t.resolved_at)
            else:
                cells.left = time_left_text(due.at, self.now, None, due.first_response)
            cells.at = self.now
        return cells

    def _texts(self, row: int, cells: _Cells) -> list[str] | None:
        if cells.texts is None:
            data = self.row_data(row)
            if data is None:
                return None
            cells.texts = [_row_text(c.key, data) for c in COLUMNS]
        return cells.texts

    # -- Qt
    def row_total(self) -> int:
        return len(self._order)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ):
        row = index.row()
        if not 0 <= row < len(self._order) or not index.isValid():
            return None
        i = self._order[row]
        if role == IdRole:
            return self._all[i].id
        if role not in _ROLES:
            return None  # the view asks for a dozen roles a cell; most have no answer
        column = index.column()
        cells = self._live(i)
        state = cells.state
        if role == Qt.ItemDataRole.DisplayRole:
            if column == STATE_COLUMN:
                return _(WARNING_STATES[state])
            if column == LEFT_COLUMN:
                return cells.left
            texts = self._texts(row, cells)
            return texts[column] if texts is not None else None
        if role == StateRole:
            return state
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._current_looks().foreground(column, state)
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._current_looks().background[state] if column == STATE_COLUMN else None
        if role == Qt.ItemDataRole.FontRole:
            return self._looks.bold if column <= LEFT_COLUMN and state in _BOLD else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _CENTRED if column == STATE_COLUMN else None
        # the tooltip
        key = COLUMNS[column].key
        if key not in ("state", "left", "deadline", "rule", "description"):
            return None
        data = self.row_data(row)
        if data is None:
            return None
        if key == "description":
            return data.description
        return self.reason(self._all[i], data, state)

    def reason(self, t: RequestTiming, row: RequestRow, state: str) -> str:
        """Why the request is in its state: the rule, the deadline and the time left."""
        due = next_due(t.deadline_at, t.first_response_due_at, t.first_response_at)
        if t.resolved_at is not None:
            left = time_left_text(t.deadline_at, self.now, t.resolved_at)
        else:
            left = time_left_text(due.at, self.now, None, due.first_response)
        text = _("{state}: received {received}, due {deadline} ({rule}); {left}").format(
            state=_(WARNING_STATES[state]),
            received=local_text(row.received_at),
            deadline=local_text(row.deadline_at),
            rule=_rule_text(row),
            left=left or _("done on time"),
        )
        if row.first_response_due_at is not None:
            text += "\n" + _("First response due {time}").format(
                time=local_text(row.first_response_due_at)
            )
        if row.deadline_provisional:
            text += "\n" + _(
                "The holiday schedule of the deadline's year has not been entered: the "
                "deadline counts weekends only and is recomputed when the schedule is saved."
            )
        return text


_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.TextAlignmentRole,
        StateRole,
    }
)
_BOLD = frozenset({"overdue", "urgent"})
_CENTRED = int(Qt.AlignmentFlag.AlignCenter)
_DONE = frozenset({"done_on_time", "done_late"})


class _Looks:
    """The brushes and the font of the warning states, made once (docs/DOMAIN.md §4: never colour
    alone — the state column says it in words)."""

    def __init__(self, scheme=None) -> None:
        scheme = scheme or current_colours()
        self.scheme = scheme.name
        states = scheme.service
        self.text = {s: QBrush(QColor(fg)) for s, (fg, _bg) in states.items()}
        self.background = {s: QBrush(QColor(bg)) for s, (_fg, bg) in states.items()}
        # the time left of an overdue request: the danger colour on the table, not white
        self.left = dict(self.text, overdue=QBrush(QColor(scheme.danger)))
        self.done = QBrush(QColor(scheme.muted))
        self.bold = QFont()
        self.bold.setBold(True)

    def foreground(self, column: int, state: str) -> QBrush | None:
        if column == STATE_COLUMN:
            return self.text[state]
        if column == LEFT_COLUMN:
            return self.left[state]
        return self.done if state in _DONE else None


def _rule_text(row: RequestRow) -> str:
    return rule_label(
        row.deadline_rule,
        first_response_hours(row.received_at, row.first_response_due_at),
        row.deadline_provisional,
    )


def _row_text(key: str, row: RequestRow) -> str:
    """The text of a column that does not move with the clock."""
    if key == "customer":
        return row.customer
    if key == "type":
        return vocab.label(vocab.REQUEST_TYPES, row.type)
    if key == "status":
        return vocab.label(vocab.REQUEST_STATUSES, row.status)
    if key == "deadline":
        if row.deadline_provisional:
            return local_text(row.deadline_at) + " " + _("(provisional)")
        return local_text(row.deadline_at)
    if key == "rule":
        return _rule_text(row)
    if key == "received":
        return local_text(row.received_at)
    if key == "manager":
        return row.manager
    if key == "description":
        return row.description.replace("\n", " ")
    return ""  # state and time left: computed at every tick


class _Filter(QComboBox):
    def __init__(self, any_text: str | None, items: list[tuple[object, str]], parent=None):
        super().__init__(parent)
        if any_text is not None:
            self.addItem(any_text, None)
        for code, text in items:
            self.addItem(text, code)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

    def value(self):
        return self.currentData()

    def set_value(self, code) -> None:
        i = self.findData(code)
        if i >= 0:
            self.setCurrentIndex(i)


SCOPE_LABELS = {
    "unresolved": N_("Not yet resolved"),
    "unclosed": N_("Not closed"),
    "all": N_("All, closed too"),
}


class RequestBoardPage(QWidget):
    """The 限时服务 page: filters, the board, the banner that counts what is late."""

    countsChanged = Signal(int, int)  # overdue, due today
    changed = Signal(object)  # the ChangeSet of a registration or status step made here

    def __init__(self, db: Database, actor: Actor, clock: Clock = utcnow, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.clock = clock
        limits = request_service.thresholds(db)
        self.model = RequestBoardModel(
            lambda q: request_service.query_timings(db, actor, q),
            lambda ids: request_service.fetch_rows(db, actor, ids),
            clock,
            limits,
            self,
        )
        self._due_times = DueTimes([])
        self.counts = DueCounts(0, 0)

        self.banner = QLabel()
        self.banner.setObjectName("overdueBanner")
        self.banner.setWordWrap(True)
        scheme = current_colours()
        self.banner.setStyleSheet(
            f"QLabel {{ background: {scheme.banner_background}; color: {scheme.banner_text};"
            " padding: 8px 12px; font-weight: bold; border-radius: 4px; }"
        )
        self.banner.setVisible(False)

        self.scope = _Filter(None, [(k, _(v)) for k, v in SCOPE_LABELS.items()])
        self.state = _Filter(_("All states"), [(k, _(v)) for k, v in WARNING_STATES.items()])
        self.type = _Filter(
            _("All types"), [(c, vocab.label(vocab.REQUEST_TYPES, c)) for c in vocab.REQUEST_TYPES]
        )
        managers = user_service.list_managers(db, actor)
        self.manager = _Filter(_("All managers"), [(m.id, m.display_name) for m in managers])
        self.manager.setVisible(actor.role != "manager")
        self.customer = QLineEdit()
        self.customer.setObjectName("customerFilter")
        self.customer.setPlaceholderText(_("Customer: name, pinyin or initials"))
        self.customer.setClearButtonEnabled(True)
        self.customer.setMinimumWidth(220)
        self.count = QLabel()
        self.count.setObjectName("requestCount")
        self.new_button = QPushButton(_("Register a request…"))
        self.new_button.setObjectName("registerRequest")
        self.open_button = QPushButton(_("Handle…"))
        self.open_button.setObjectName("handleRequest")
        self.new_button.clicked.connect(lambda: self.register_request())
        self.open_button.clicked.connect(self._open_current)

        self.table = house_table(
            self.model, "requestBoard", widths=[c.width for c in COLUMNS], row_height=26
        )
        self.table.doubleClicked.connect(
            lambda index: self.open_request(self.model.id_at(index.row()))
        )
        self.empty_hint = EmptyHint(
            self.table,
            lambda: _(
                "No service request to show. Press “Register a request…” when a customer "
                "calls, or change the filters above."
            ),
        )
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self._open_current)

        top = QHBoxLayout()
        for widget in (self.scope, self.state, self.type, self.manager):
            top.addWidget(widget)
            widget.currentIndexChanged.connect(self._query_changed)
        top.addWidget(self.customer)
        top.addWidget(self.count)
        top.addStretch()
        top.addWidget(self.new_button)
        top.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self._query_changed)
        self.customer.textChanged.connect(self._search_timer.start)
        self.model.countChanged.connect(self._show_count)

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        self._query_changed()
        self._load_open()

    # -- queries
    def current_query(self) -> RequestQuery:
        return RequestQuery(
            scope=self.scope.value() or "unresolved",
            type=self.type.value(),
            manager_id=self.manager.value(),
            customer_search=self.customer.text().strip(),
        )

    def _query_changed(self, *_args) -> None:
        selected = self.model.id_at(self.table.currentIndex().row())
        state = self.state.value()
        query = self.current_query()
        if state in ("done_on_time", "done_late") and query.scope == "unresolved":
            query = replace(query, scope="unclosed")
        self.model.set_query(query, state)
        self._select(selected)

    def _select(self, request_id: str | None) -> None:
        if not request_id:
            return
        row = self.model.row_of(request_id)
        if row >= 0:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))

    def _load_open(self) -> None:
        """The due times of every unresolved request the actor sees, for the counts: those
        the board shows when no filter is set (as it opens), else one more query."""
        everything = RequestQuery(scope="unresolved")
        if self.model.query == everything:
            self._due_times = DueTimes(self.model.unresolved_dues())
        else:
            timings = request_service.query_timings(self.db, self.actor, everything)
            self._due_times = DueTimes.of(timings)
        self._update_counts()

    def _update_counts(self) -> None:
        counts = self._due_times.counts(self.model.now)
        if counts != self.counts:
            self.counts = counts
            self.countsChanged.emit(counts.overdue, counts.due_today)
        if counts.overdue:
            self.banner.setText(
                _(
                    "{overdue} requests are overdue and {today} more are due today. "
                    "Choose “Overdue” under the states to see them; point at a row to see why."
                ).format(overdue=counts.overdue, today=counts.due_today)
            )
        self.banner.setVisible(counts.overdue > 0)

    def _show_count(self, n: int) -> None:
        self.count.setText(_("{count} requests").format(count=f"{n:,}"))

    # -- time passing
    def visible_rows(self) -> tuple[int, int]:
        first = self.table.rowAt(0)
        if first < 0:
            return 0, -1
        last = self.table.rowAt(self.table.viewport().height() - 1)
        return first, last if last >= 0 else self.model.rowCount() - 1

    def tick(self) -> None:
        first, last = self.visible_rows()
        selected = self.model.id_at(self.table.currentIndex().row())
        before = self.model.rowCount()
        self.model.tick(first, last)
        if self.model.rowCount() != before:
            self._select(selected)
        self._update_counts()

    # -- actions
    def apply_changes(self, changes: ChangeSet) -> None:
        """A request's step moves it on the board (its state, its order by urgency), so a
        request change runs the board's query again; so does a customer's or a manager's
        name, which the board shows, and a calendar saved (it recomputes the provisional
        deadlines of open requests)."""
        if not changes.touches(Kind.REQUEST, Kind.CUSTOMER, Kind.USER, Kind.SETTING):
            return
        new = sorted(changes.new(Kind.REQUEST))
        selected = new[0] if new else self.model.id_at(self.table.currentIndex().row())
        self.model.reload()
        self._load_open()
        self._select(selected)

    def _open_current(self) -> None:
        self.open_request(self.model.id_at(self.table.currentIndex().row()))

    def open_request(self, request_id: str | None):
        if not request_id:
            return None
        from .request_dialog import RequestDialog

        dialog = RequestDialog(self.db, self.actor, request_id, self.clock, self)
        dialog.saved.connect(self._saved)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def register_request(self, customer_id: str | None = None):
        from .request_dialog import RegisterRequestDialog

        dialog = RegisterRequestDialog(self.db, self.actor, self.clock, customer_id, self)
        dialog.saved.connect(self._saved)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _saved(self, change: ChangeSet) -> None:
        # the operation runner has spread it to every open page, this one too
        self.changed.emit(change)


def due_status_text(overdue: int, due_today: int) -> str:
    """The status bar's count: 超时 N 件 / 今日到期 N 件."""
    return _("Overdue: {overdue} / due today: {today}").format(overdue=overdue, today=due_today)


def style_due_label(label: QLabel, overdue: int, due_today: int) -> None:
    label.setText(due_status_text(overdue, due_today))
    label.setStyleSheet(text_style(current_colours().danger, bold=True) if overdue else "")


def show_startup_notice(parent: QWidget, page: RequestBoardPage, show_board: Callable[[], None]):
    """A non-modal notice when the window opens with overdue requests; None when none are."""
    from PySide6.QtWidgets import QMessageBox

    counts = page.counts
    if not counts.overdue:
        return None
    box = QMessageBox(parent)
    box.setObjectName("overdueNotice")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(_("Overdue service requests"))
    box.setText(
        _("{overdue} service requests are overdue and {today} are due today.").format(
            overdue=counts.overdue, today=counts.due_today
        )
    )
    show = box.addButton(_("Show the overdue requests"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(_("Later"), QMessageBox.ButtonRole.RejectRole)

    def clicked(button) -> None:
        if button is show:
            page.state.set_value("overdue")
            show_board()

    box.buttonClicked.connect(clicked)
    box.setModal(False)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
    return box
