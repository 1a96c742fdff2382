"""The visits and service pages' cases (issue "Speed at scale"): the quota page of the biggest
branch for one month, and the deadline board (限时服务) — opening it and one tick of its
timer — each as the window shows it (a shown 1360×820 main window, offscreen)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from kac_desktop.db import cipher

from .cases_customers import _app, _repaint
from .suite import Context, case

TICKS = 20
TICK = timedelta(seconds=30)  # views.request_board.TICK_MS


@dataclass(frozen=True)
class Facts:
    supervisor: str  # login of the supervisor of the branch with the most customers
    branch_customers: int
    data_end: date  # local date of the last visit: the data's "today"
    board_now: datetime  # the board's clock: the last request received


def _facts(ctx: Context) -> Facts:
    def find() -> Facts:
        from kac_desktop.rules.quota import local_date

        connection = cipher.connect(f"file:{ctx.db_path}?mode=ro", uri=True)
        try:
            branch_id, customers = connection.execute(
                "SELECT branch_id, count(*) FROM customers WHERE NOT archived "
                "GROUP BY branch_id ORDER BY count(*) DESC LIMIT 1"
            ).fetchone()
            login = connection.execute(
                "SELECT login FROM users WHERE role = 'supervisor' AND branch_id = ? "
                "ORDER BY login LIMIT 1",
                (branch_id,),
            ).fetchone()
            last_visit = connection.execute("SELECT max(visited_at) FROM visits").fetchone()[0]
            last_request = connection.execute(
                "SELECT max(received_at) FROM service_requests"
            ).fetchone()[0]
        finally:
            connection.close()

        def moment(text: str | None) -> datetime:
            if not text:
                return datetime.now(UTC).replace(microsecond=0)
            return datetime.fromisoformat(text).replace(tzinfo=UTC)

        return Facts(
            supervisor=login[0] if login else "admin",
            branch_customers=customers,
            data_end=local_date(moment(last_visit)),
            board_now=moment(last_request),
        )

    return ctx.once("visit facts", find)


def _last_complete_month(end: date):
    from kac_desktop.rules.quota import Month

    month = Month.of(end)
    return month if end == month.last_day else month.previous()


def _window(ctx: Context, key: str):
    def make():
        from PySide6.QtWidgets import QMainWindow

        _app()
        window = QMainWindow()
        window.resize(1360, 820)
        window.show()
        return window

    return ctx.once(key, make)


def _database(ctx: Context):
    def make():
        from kac_desktop.db import open_database

        return open_database(ctx.db_path)

    return ctx.once("visits database", make)


def _clear(window) -> None:
    """Delete the window's page now, so that its deletion is not timed with the next one
    (and the pages of earlier samples do not pile up for the garbage collector)."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    old = window.takeCentralWidget()
    if old is not None:
        timer = getattr(old, "timer", None)
        if timer is not None:
            timer.stop()
        old.deleteLater()
        # outside a running event loop processEvents() leaves deferred deletions alone
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QApplication.processEvents()


# ---------------------------------------------------------------- the quota page


def _quota_setup(ctx: Context):
    def make():
        from kac_desktop.services.users import actor_for

        db = _database(ctx)
        facts = _facts(ctx)
        actor = actor_for(db, facts.supervisor)
        month = _last_complete_month(facts.data_end)
        ctx.notes.append(
            f"quota: {actor.branch_name} ({facts.branch_customers:,} customers) as "
            f"{facts.supervisor}, {month}"
        )
        return db, actor, month, facts.data_end

    return ctx.once("quota setup", make)


def _quota_page(ctx: Context) -> float:
    """Build the quota page for the last complete month and paint it."""
    from kac_desktop.views.quota_page import QuotaPage

    db, actor, month, today = _quota_setup(ctx)
    window = _window(ctx, "quota window")
    _clear(window)
    started = time.perf_counter()
    page = QuotaPage(db, actor, today=today, month=month)
    window.setCentralWidget(page)
    _repaint(page.table)
    return time.perf_counter() - started


def _quota_month(ctx: Context) -> list[float]:
    """Switch the built page between the last complete month and the one before."""
    from kac_desktop.views.quota_page import QuotaPage

    db, actor, month, today = _quota_setup(ctx)
    window = _window(ctx, "quota window")
    page = window.centralWidget()
    if not isinstance(page, QuotaPage):
        _clear(window)
        page = QuotaPage(db, actor, today=today, month=month)
        window.setCentralWidget(page)
        _repaint(page.table)
    times = []
    for wanted in (month.previous(), month, month.previous(), month):
        index = page.month_index(wanted)
        started = time.perf_counter()
        page.month.setCurrentIndex(index)
        _repaint(page.table)
        times.append(time.perf_counter() - started)
    return times


# ---------------------------------------------------------------- the deadline board


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _board_setup(ctx: Context):
    def make():
        from kac_desktop.services.users import actor_for

        db = _database(ctx)
        return db, actor_for(db, "admin"), _Clock(_facts(ctx).board_now)

    return ctx.once("board setup", make)


def _board_open(ctx: Context) -> float:
    """Build the 限时服务 page as the admin (the whole city) and paint it."""
    from kac_desktop.views.request_board import RequestBoardPage

    db, actor, clock = _board_setup(ctx)
    window = _window(ctx, "board window")
    _clear(window)
    started = time.perf_counter()
    page = RequestBoardPage(db, actor, clock)
    window.setCentralWidget(page)
    _repaint(page.table)
    elapsed = time.perf_counter() - started
    page.timer.stop()  # the tick case drives the ticks
    return elapsed


def _board_rows(page) -> list[int]:
    """The first row of each open warning state on the board: the ticks are measured there
    in turn, since at the top (requests overdue by days) a tick changes nothing."""
    from kac_desktop.rules.service_states import OPEN_STATES
    from kac_desktop.views.request_board import StateRole

    model = page.model
    firsts: dict[str, int] = {}
    for row in range(model.rowCount()):
        state = model.data(model.index(row, 0), StateRole)
        firsts.setdefault(state, row)
    return [firsts[s] for s in OPEN_STATES if s in firsts] or [0]


def _board_tick(ctx: Context) -> list[float]:
    """What the board's timer does every 30 s, the clock advanced 30 s: the tick, then the
    event loop's turn in which Qt repaints what the tick changed — at the first row of each
    open warning state in turn (scrolled there and painted before the clock moves)."""
    from PySide6.QtWidgets import QAbstractItemView, QApplication

    from kac_desktop.views.request_board import RequestBoardPage

    db, actor, clock = _board_setup(ctx)
    window = _window(ctx, "board window")
    page = window.centralWidget()
    if not isinstance(page, RequestBoardPage):
        _clear(window)
        page = RequestBoardPage(db, actor, clock)
        page.timer.stop()
        window.setCentralWidget(page)
        _repaint(page.table)
    rows = _board_rows(page)
    times = []
    for i in range(TICKS):
        index = page.model.index(rows[i % len(rows)], 0)
        page.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtTop)
        _repaint(page.table)
        clock.now += TICK
        started = time.perf_counter()
        page.tick()
        QApplication.processEvents()
        times.append(time.perf_counter() - started)
    return times


case("quota_page", target="≤ 200 ms", repeat=5)(_quota_page)
case("quota_month", target="≤ 200 ms (the month switched on a built page)", repeat=3)(_quota_month)
case("board_open", target="≤ 150 ms", repeat=5)(_board_open)
case("board_tick", target="≤ 5 ms", repeat=3)(_board_tick)
