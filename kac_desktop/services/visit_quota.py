"""The monthly visit quota (走访频次) as the visits page and the report read it: each
customer's visits of a month against the quota of its visit class (with the class changes
during the month), rolled up to compliance per manager and per branch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from kac_desktop.db import Database
from kac_desktop.models import (
    AuditRecord,
    Branch,
    Customer,
    CustomerSearch,
    User,
    Visit,
    utcnow,
)
from kac_desktop.rules import quota as rules
from kac_desktop.rules.clock import UTC_OFFSET
from kac_desktop.rules.quota import (
    ClassChange,
    Compliance,
    Month,
    QuotaStatus,
)
from kac_desktop.rules.search_keys import normalise_query

from .bulk import cyclic_gc_paused
from .context import Actor
from .customer_list import like_pattern
from .customers import scope_customers
from .visits import _today, quota_settings

# ------------------------------------------------------------------ the quota


class QuotaRow(NamedTuple):
    """One customer due in the month.  A named tuple: a big branch makes 17,000 at once,
    and a frozen dataclass costs three times as much to build."""

    customer_id: str
    name: str
    name_sort: str
    tier: str
    visit_class: int
    manager_id: str
    manager: str
    status: QuotaStatus


@dataclass(frozen=True)
class ManagerCompliance:
    manager_id: str
    manager: str
    branch: str
    compliance: Compliance


@dataclass(frozen=True)
class BranchCompliance:
    branch: str
    compliance: Compliance


@dataclass(frozen=True)
class QuotaReport:
    month: Month
    today: date
    days_left: int
    rows: list[QuotaRow]
    by_manager: list[ManagerCompliance]
    by_branch: list[BranchCompliance]
    total: Compliance
    counting_modes: tuple[str, ...]
    per_class: dict[int, int]


_QUOTA_STATE_ORDER: dict[str, int] = {rules.BEHIND: 0, rules.ON_TRACK: 1, rules.MET: 2}
# How the quota list sorts, by column key: what the rules computed for each row (the state,
# what is missing) is no column of any table, so the service orders the report's rows.
QUOTA_SORTS: dict[str, Any] = {
    "name": lambda r: r.name_sort,
    "manager": lambda r: r.manager,
    "visit_class": lambda r: r.visit_class,
    "required": lambda r: r.status.required,
    "done": lambda r: r.status.done,
    "progress": lambda r: r.status.fraction,
    "state": lambda r: (_QUOTA_STATE_ORDER[r.status.state], -r.status.missing),
}


@dataclass(frozen=True)
class QuotaFilter:
    """What the quota list shows of a report: only the customers behind, those a search
    finds (name, pinyin, initials, credit code, contact, phone: the customer list's search),
    in the order of one of ``QUOTA_SORTS`` (by state ascending: the report's own order)."""

    behind_only: bool = False
    search: str = ""
    sort: str = "state"
    descending: bool = False


def quota_rows(
    db: Database, actor: Actor, rows: list[QuotaRow], shown: QuotaFilter = QuotaFilter()
) -> list[QuotaRow]:
    """The ``rows`` of a quota report that ``shown`` keeps, in its order.  The search asks
    the customers' search texts in SQL (one LIKE over the actor's customers)."""
    needle = normalise_query(shown.search)
    found: set[str] | None = None
    if needle and rows:
        with db.session() as session:
            stmt = scope_customers(
                select(CustomerSearch.customer_id)
                .join(Customer, Customer.id == CustomerSearch.customer_id)
                .where(CustomerSearch.text.like(like_pattern(needle), escape="\\")),
                actor,
            )
            found = set(session.scalars(stmt))
    return arrange_quota_rows(rows, shown, found)


def arrange_quota_rows(
    rows: list[QuotaRow], shown: QuotaFilter, found: set[str] | None = None
) -> list[QuotaRow]:
    """``rows`` (in the report's order) filtered and sorted as ``shown`` says; ``found``:
    the customers the search found (None: no search)."""
    if shown.behind_only:
        rows = [r for r in rows if r.status.state == rules.BEHIND]
    if found is not None:
        rows = [r for r in rows if r.customer_id in found]
    if shown.sort == "state" and not shown.descending:
        return list(rows)  # the report's order: behind first, the most missing first, by name
    key = QUOTA_SORTS.get(shown.sort, QUOTA_SORTS["state"])
    return sorted(rows, key=lambda r: (key(r), r.name_sort), reverse=shown.descending)


def quota_sort_key(row: QuotaRow, sort: str) -> Any:
    """The value ``row`` sorts by under ``sort`` (one of ``QUOTA_SORTS``)."""
    return QUOTA_SORTS[sort](row)


def class_changes(
    session: Session, customer_ids: Select, since: datetime
) -> dict[str, list[ClassChange]]:
    """Tier and override changes made at or after ``since``, from the audit records, so that
    a closed month keeps the class that was in force at its end (rules.quota).  The quota
    report and the monthly report both read them here."""
    found: dict[str, list[ClassChange]] = defaultdict(list)
    stmt = select(AuditRecord.entity_id, AuditRecord.at, AuditRecord.details).where(
        AuditRecord.action == "customer.update",
        AuditRecord.at >= since,
        AuditRecord.entity_id.in_(customer_ids),
    )
    for entity_id, at, details in session.execute(stmt):
        if entity_id is None or not isinstance(details, dict):
            continue
        for field in ("tier", "visit_class_override"):
            pair = details.get(field)
            if isinstance(pair, list) and len(pair) == 2:
                found[entity_id].append(ClassChange(at, field, pair[0]))
    return found


# The local month of a visit as SQLite computes it from the stored UTC text, the business
# zone being UTC+8 all year (rules.clock.UTC_OFFSET): the expression of
# ix_visits_month_customer (migration 0004), which SQLite uses only for this very text.  The fraction of a second is cut off first: SQLite's
# date functions round to the millisecond, which would put 23:59:59.9996 into next month.
MONTH_KEY_SQL = "strftime('%Y-%m', substr(visits.visited_at, 1, 19), '+8 hours')"
_UTC8 = UTC_OFFSET


def _month_condition(session: Session, month: Month) -> ColumnElement[bool]:
    """The visits of ``month``: by the indexed month key on SQLite (a month's visits by
    customer, one index range), by the time range elsewhere; the same visits either way."""
    start, end = rules.month_bounds(month)
    local_start = start.astimezone(rules.LOCAL_TZ)
    local_end = end.astimezone(rules.LOCAL_TZ)
    if (
        session.get_bind().dialect.name == "sqlite"
        and local_start.utcoffset() == _UTC8
        and local_end.utcoffset() == _UTC8
    ):
        return literal_column(MONTH_KEY_SQL) == str(month)
    return and_(Visit.visited_at >= start, Visit.visited_at < end)


def _times(c: Compliance, n: int) -> Compliance:
    """The compliance of ``n`` customers with the same status as the one of ``c``."""
    return Compliance(c.due * n, c.met * n, c.behind * n, c.required * n, c.done * n)


def _compliance_sum(parts: Iterable[Compliance]) -> Compliance:
    """Compliance of several groups together: each figure is a count, so they add up."""
    due = met = behind = required = done = 0
    for c in parts:
        due += c.due
        met += c.met
        behind += c.behind
        required += c.required
        done += c.done
    return Compliance(due, met, behind, required, done)


def quota_report(
    db: Database,
    actor: Actor,
    month: Month | None = None,
    manager_id: str | None = None,
    *,
    now: datetime | None = None,
) -> QuotaReport:
    """The month's quota for every customer due (docs/DOMAIN.md §3) as far as the actor sees:
    one query for the customers, one grouped count of the counting visits, and (for a
    month already over) one read of the later tier changes."""
    today = _today(now)
    month = month or Month.of(today)
    if actor.role == "manager":
        manager_id = actor.user_id
    _start, end = rules.month_bounds(month)
    # 17,000 rows and no garbage cycles: the cyclic collector would walk the heap for them
    # again and again (a quarter of the time of a big branch's report)
    with cyclic_gc_paused(), db.session() as session:
        settings = quota_settings(session)
        due = and_(
            Customer.registered_on <= month.last_day,  # on file (登记日期) by the month's end
            or_(Customer.archived.is_(False), Customer.archived_at >= end),
        )
        scoped_ids = scope_customers(select(Customer.id).where(due), actor)
        if manager_id:
            scoped_ids = scoped_ids.where(Customer.manager_id == manager_id)
        # the names of managers and branches are looked up once each, not joined per row
        customers_stmt = scope_customers(
            select(
                Customer.id,
                Customer.name,
                Customer.name_sort,
                Customer.tier,
                Customer.visit_class_override,
                Customer.manager_id,
                Customer.branch_id,
            ).where(due),
            actor,
        )
        if manager_id:
            customers_stmt = customers_stmt.where(Customer.manager_id == manager_id)
        # by name here, in C: below, a stable sort by state alone gives the page's order
        customers_stmt = customers_stmt.order_by(Customer.name_sort, Customer.id)
        counts_stmt = (
            select(Visit.customer_id, func.count())
            .where(
                _month_condition(session, month),
                Visit.mode.in_(settings.counting_modes),
                Visit.customer_id.in_(scoped_ids),
            )
            .group_by(Visit.customer_id)
        )
        connection = session.connection()  # Core: no entity loading for plain columns
        done = dict(connection.execute(counts_stmt).all())
        changes = class_changes(session, scoped_ids, end) if end <= (now or utcnow()) else {}
        # the names of the users and the branches, one short read (ids are UUIDs), rather
        # than two lookups a customer
        names = {
            key: name
            for key, name in connection.execute(
                union_all(select(User.id, User.display_name), select(Branch.id, Branch.name))
            ).all()
        }
        # 17,000 customers for a big branch, but a handful of distinct classifications and
        # of (required, done) pairs: each is worked out once, one status object per pair,
        # shared.  The rows go to one list per rank (state, then what is missing), in name
        # order as they come.
        order = {rules.BEHIND: 0, rules.ON_TRACK: 1, rules.MET: 2}
        ranks: dict[tuple[int, int], list[QuotaRow]] = defaultdict(list)
        quotas: dict[tuple[str, int | None], tuple[int, int]] = {}  # → (class, required)
        statuses: dict[tuple[int, int], tuple[QuotaStatus, list[QuotaRow]]] = {}
        branch_of: dict[str, str] = {}  # manager → the branch of his customers
        per_manager: dict[str, dict[tuple[int, int], int]] = defaultdict(dict)  # → rows a pair
        # read a few thousand at a time: rows one by one cost a call each, all at once
        # keep 17,000 row objects alive for the garbage collector to walk
        for part in connection.execute(customers_stmt).partitions(2000):
            for cid, name, name_sort, tier, override, mid, bid in part:
                later = changes.get(cid) if changes else None
                if later:
                    cls = rules.class_for_month(tier, override, later, month, settings)
                    required = settings.required(cls)
                else:
                    quota = quotas.get((tier, override))
                    if quota is None:
                        cls = settings.class_of(tier, override)
                        quota = quotas[tier, override] = (cls, settings.required(cls))
                    cls, required = quota
                if required <= 0:
                    continue
                key = (required, done.get(cid, 0))
                found = statuses.get(key)
                if found is None:
                    status = rules.quota_status(*key, month, today)
                    rank = ranks[order[status.state], -status.missing]
                    found = statuses[key] = (status, rank)
                found[1].append(
                    QuotaRow(cid, name, name_sort, tier, cls, mid, names.get(mid, ""), found[0])
                )
                pairs = per_manager[mid]
                pairs[key] = pairs.get(key, 0) + 1
                branch_of[mid] = bid
        # SQLite sorts text by code point, as Python does; another database may collate
        by_name = session.get_bind().dialect.name == "sqlite"
    # behind first, then by what is missing, then by name
    rows: list[QuotaRow] = []
    for _rank, group in sorted(ranks.items()):
        if not by_name:
            group.sort(key=lambda r: (r.name_sort, r.customer_id))
        rows.extend(group)
    by_manager = sorted(
        (
            ManagerCompliance(
                mid,
                names.get(mid, ""),
                names.get(branch_of[mid], ""),
                _compliance_sum(
                    _times(rules.compliance((statuses[key][0],)), n) for key, n in pairs.items()
                ),
            )
            for mid, pairs in per_manager.items()
        ),
        key=lambda m: (m.branch, m.manager),
    )
    per_branch: dict[str, list[Compliance]] = defaultdict(list)
    for m in by_manager:
        per_branch[m.branch].append(m.compliance)
    return QuotaReport(
        month,
        today,
        rules.days_left(month, today),
        rows,
        by_manager,
        [BranchCompliance(b, _compliance_sum(c)) for b, c in sorted(per_branch.items())],
        _compliance_sum(m.compliance for m in by_manager),
        settings.counting_modes,
        dict(settings.per_class),
    )
