"""What the visits page lists beside the quota: follow-ups due, branch meetings against the
twice-a-year rule, customers without contact for a while, and the month calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import (
    Select,
    func,
    select,
)
from sqlalchemy.orm import aliased

from kac_desktop.db import Database
from kac_desktop.i18n import _
from kac_desktop.models import (
    Branch,
    Customer,
    Revenue,
    User,
    Visit,
)
from kac_desktop.rules import quota as rules
from kac_desktop.rules import vocab
from kac_desktop.rules.quota import (
    MeetingStatus,
    Month,
)
from kac_desktop.rules.visits import MEETING

from . import settings as settings_service
from .context import Actor
from .customers import scope_customers
from .visits import _today, scope_visits

# ------------------------------------------------------------------ follow-ups


@dataclass(frozen=True)
class FollowUp:
    visit_id: str
    customer_id: str | None
    customer: str
    next_step: str
    due: date
    days_overdue: int
    manager: str


def _follow_up_statement(actor: Actor, today: date) -> Select:
    stmt = select(Visit.id).where(
        Visit.next_step_date.is_not(None),
        Visit.next_step_date <= today,
        Visit.next_step_done.is_(False),
    )
    if actor.role == "manager":
        # his own follow-ups: the next steps he wrote down
        return stmt.where(Visit.manager_id == actor.user_id)
    return scope_visits(stmt, actor)


def count_follow_ups(db: Database, actor: Actor, now: datetime | None = None) -> int:
    """Next steps due today or overdue and not done: the status bar's 待办跟进 N."""
    stmt = _follow_up_statement(actor, _today(now))
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def follow_ups(db: Database, actor: Actor, now: datetime | None = None) -> list[FollowUp]:
    today = _today(now)
    ids = _follow_up_statement(actor, today)
    manager = aliased(User)
    stmt = (
        select(
            Visit.id,
            Visit.customer_id,
            Customer.name,
            Visit.next_step,
            Visit.next_step_date,
            manager.display_name,
        )
        .outerjoin(Customer, Customer.id == Visit.customer_id)
        .join(manager, manager.id == Visit.manager_id)
        .where(Visit.id.in_(ids))
        .order_by(Visit.next_step_date, Customer.name_sort)
    )
    with db.session() as session:
        found = []
        for vid, cid, cname, step, due, mname in session.execute(stmt):
            if due is not None:  # the statement asks for a date; the column may be empty
                days = (today - due).days
                found.append(
                    FollowUp(vid, cid, cname or _("Branch meeting"), step, due, days, mname)
                )
        return found


# ------------------------------------------------------------------ branch meetings


@dataclass(frozen=True)
class MeetingRow:
    branch_id: str
    branch: str
    status: MeetingStatus
    last_meeting: date | None


def meeting_report(
    db: Database, actor: Actor, year: int | None = None, now: datetime | None = None
) -> list[MeetingRow]:
    """Key-customer meetings (座谈会) held per sub-branch in ``year`` against the rule."""
    today = _today(now)
    year = year or today.year
    start = rules.local_midnight(date(year, 1, 1))
    end = rules.local_midnight(date(year + 1, 1, 1))
    with db.session() as session:
        per_year = int(settings_service.load(session).get("meetings.per_year", 2) or 0)
        branches = select(Branch.id, Branch.name).order_by(Branch.name)
        if actor.is_admin:
            branches = branches.where(Branch.level == "sub")
        else:
            branches = branches.where(Branch.id == actor.branch_id)
        held = {
            bid: (n, last)
            for bid, n, last in session.execute(
                select(Visit.branch_id, func.count(), func.max(Visit.visited_at))
                .where(Visit.mode == MEETING, Visit.visited_at >= start, Visit.visited_at < end)
                .group_by(Visit.branch_id)
            )
        }
        rows = []
        for bid, name in session.execute(branches):
            n, last = held.get(bid, (0, None))
            rows.append(
                MeetingRow(
                    bid,
                    name,
                    rules.meeting_status(n, year, per_year, today),
                    rules.local_date(last.replace(tzinfo=UTC)) if last else None,
                )
            )
        return rows


# ------------------------------------------------------------------ inactivity


@dataclass(frozen=True)
class InactiveRow:
    customer_id: str
    name: str
    tier: str
    manager: str
    last_visit: date | None
    last_revenue_month: int | None
    last_contact: date | None
    days: int | None  # None: never in touch and no file date


def inactive_customers(
    db: Database,
    actor: Actor,
    *,
    days: int | None = None,
    manager_id: str | None = None,
    now: datetime | None = None,
) -> list[InactiveRow]:
    """Customers with no visit (of any mode) and no revenue for ``days`` days (the setting
    ``inactivity.days``, default 30), longest silence first.  A customer never visited and
    without revenue counts from the day its file was made."""
    today = _today(now)
    with db.session() as session:
        if days is None:
            days = int(settings_service.load(session).get("inactivity.days", 30) or 30)
        last_visit = (
            select(Visit.customer_id, func.max(Visit.visited_at).label("at"))
            .where(Visit.customer_id.is_not(None))
            .group_by(Visit.customer_id)
            .subquery()
        )
        last_revenue = (
            select(Revenue.customer_id, func.max(Revenue.month).label("month"))
            .where(Revenue.amount > 0)
            .group_by(Revenue.customer_id)
            .subquery()
        )
        manager = aliased(User)
        stmt = (
            select(
                Customer.id,
                Customer.name,
                Customer.tier,
                manager.display_name,
                last_visit.c.at,
                last_revenue.c.month,
                Customer.registered_on,
            )
            .join(manager, manager.id == Customer.manager_id)
            .outerjoin(last_visit, last_visit.c.customer_id == Customer.id)
            .outerjoin(last_revenue, last_revenue.c.customer_id == Customer.id)
            .where(Customer.archived.is_(False))
        )
        stmt = scope_customers(stmt, actor)
        if manager_id:
            stmt = stmt.where(Customer.manager_id == manager_id)
        rows = []
        for cid, name, tier, mname, at, month, registered in session.execute(stmt):
            visit_day = rules.local_date(at.replace(tzinfo=UTC)) if at else None
            last = rules.last_contact_day(visit_day, month, registered)
            if rules.is_inactive(last, today, days):
                rows.append(
                    InactiveRow(
                        cid,
                        name,
                        tier,
                        mname,
                        visit_day,
                        month,
                        last,
                        rules.days_since(last, today),
                    )
                )
    rows.sort(key=lambda r: (-(r.days if r.days is not None else 10**6), r.name))
    return rows


# ------------------------------------------------------------------ the calendar


@dataclass(frozen=True)
class CalendarEntry:
    day: date
    kind: str  # "visit" (done) or "next_step" (planned)
    visit_id: str
    customer_id: str | None
    customer: str
    text: str
    at: time | None
    done: bool


def calendar_entries(
    db: Database, actor: Actor, month: Month, manager_id: str | None = None
) -> list[CalendarEntry]:
    """Visits done and next steps planned in ``month`` (a manager's own; a supervisor may
    pick any manager of his branch, or none for the whole branch)."""
    if actor.role == "manager":
        manager_id = actor.user_id
    start, end = rules.month_bounds(month)
    entries: list[CalendarEntry] = []
    with db.session() as session:
        base = select(
            Visit.id,
            Visit.customer_id,
            Customer.name,
            Visit.visited_at,
            Visit.mode,
            Visit.next_step,
            Visit.next_step_date,
            Visit.next_step_done,
        ).outerjoin(Customer, Customer.id == Visit.customer_id)
        base = scope_visits(base, actor)
        if manager_id:
            base = base.where(Visit.manager_id == manager_id)
        for vid, cid, cname, at, mode, _step, _d, _done in session.execute(
            base.where(Visit.visited_at >= start, Visit.visited_at < end)
        ):
            local = at.astimezone(rules.LOCAL_TZ)
            entries.append(
                CalendarEntry(
                    local.date(),
                    "visit",
                    vid,
                    cid,
                    cname or _("Branch meeting"),
                    vocab.label(vocab.VISIT_MODES, mode),
                    local.time(),
                    True,
                )
            )
        for vid, cid, cname, _at, _mode, step, due, done in session.execute(
            base.where(
                Visit.next_step_date >= month.first_day, Visit.next_step_date <= month.last_day
            )
        ):
            if due is None:  # the range above leaves out an empty date
                continue
            entries.append(
                CalendarEntry(
                    due, "next_step", vid, cid, cname or _("Branch meeting"), step, None, done
                )
            )
    entries.sort(key=lambda e: (e.day, e.kind != "visit", e.at or time(23, 59), e.customer))
    return entries
