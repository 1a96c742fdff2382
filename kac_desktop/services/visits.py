"""Visits (走访与定期联系, DOMAIN.md §3): log, edit and remove visits with permissions and
audit; the SQL behind the visit list, the monthly quota, follow-ups, branch meetings,
inactivity and the calendar.

Who may do what (as for customer files): a manager logs visits to his own customers and
edits or removes only his own visits of them; a supervisor sees, logs and corrects the
visits of his branch; the city center all.  Every change leaves an audit record.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
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
from sqlalchemy.orm import Session, aliased

from kac_desktop.db import Database
from kac_desktop.i18n import _
from kac_desktop.models import (
    AuditRecord,
    Branch,
    Contact,
    Customer,
    CustomerSearch,
    Revenue,
    User,
    Visit,
    utcnow,
)
from kac_desktop.rules import quota as rules
from kac_desktop.rules import vocab
from kac_desktop.rules.quota import (
    ClassChange,
    Compliance,
    MeetingStatus,
    Month,
    QuotaSettings,
    QuotaStatus,
)
from kac_desktop.rules.search_keys import normalise_query
from kac_desktop.rules.visits import MEETING, VisitData, clean_visit, validate_visit

from . import audit
from . import customers as customer_list
from . import settings as settings_service
from .bulk import cyclic_gc_paused
from .changes import ChangeSet, Kind
from .context import Actor
from .customers import like_pattern, scope_customers
from .errors import NotFound, PermissionDenied, ServiceError, StaleRecord, ValidationFailed
from .list_types import CustomerQuery

KIND = "visit"


def quota_settings(session: Session) -> QuotaSettings:
    return QuotaSettings.from_settings(settings_service.load(session))


def _today(now: datetime | None) -> date:
    return rules.local_date(now or utcnow())


# ------------------------------------------------------------------ permissions


def scope_visits(stmt: Select, actor: Actor) -> Select:
    """Managers see their own visits and the visits of their customers, supervisors their
    branch's, the city center all.  ``stmt`` must have Visit in its FROM."""
    if actor.role == "manager":
        own_customers = select(Customer.id).where(Customer.manager_id == actor.user_id)
        return stmt.where(
            or_(Visit.manager_id == actor.user_id, Visit.customer_id.in_(own_customers))
        )
    if actor.role == "supervisor":
        return stmt.where(Visit.branch_id == actor.branch_id)
    return stmt


def _may_change(actor: Actor, visit: Visit, customer: Customer | None) -> bool:
    if actor.is_admin:
        return True
    if actor.role == "supervisor":
        return visit.branch_id == actor.branch_id
    return visit.manager_id == actor.user_id and (
        customer is None or customer.manager_id == actor.user_id
    )


def _check_customer(actor: Actor, customer: Customer | None) -> None:
    if customer is None:
        raise NotFound(_("This customer file no longer exists."))
    if customer.archived:
        raise ServiceError(
            _(
                "{name} is archived. Restore the file from the archive before logging a "
                "visit to it."
            ).format(name=customer.name)
        )
    if actor.is_admin:
        return
    if actor.role == "supervisor" and customer.branch_id == actor.branch_id:
        return
    if customer.manager_id != actor.user_id:
        raise PermissionDenied(
            _(
                "You may log visits only to your own customers; {name} is kept by another manager."
            ).format(name=customer.name)
        )


# ------------------------------------------------------------------ one visit


@dataclass(frozen=True)
class VisitRecord:
    id: str
    version: int
    data: VisitData
    customer_name: str
    contact_name: str
    manager_name: str
    branch_name: str
    next_step_done: bool
    updated_at: datetime
    may_change: bool


def _data_of(visit: Visit) -> VisitData:
    return VisitData(
        customer_id=visit.customer_id,
        contact_id=visit.contact_id,
        visited_at=visit.visited_at,
        mode=visit.mode,
        purpose=visit.purpose,
        summary=visit.summary,
        needs=visit.needs,
        next_step=visit.next_step,
        next_step_date=visit.next_step_date,
        satisfaction=visit.satisfaction,
        manager_id=visit.manager_id,
        branch_id=visit.branch_id,
    )


def _jsonable(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _audit_values(data: VisitData) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in dataclasses.asdict(data).items()}


def get_visit(db: Database, actor: Actor, visit_id: str) -> VisitRecord:
    with db.session() as session:
        visit = session.get(Visit, visit_id)
        if visit is None:
            raise NotFound(_("This visit no longer exists."))
        customer = session.get(Customer, visit.customer_id) if visit.customer_id else None
        visible = session.scalar(scope_visits(select(Visit.id).where(Visit.id == visit_id), actor))
        if visible is None:
            raise PermissionDenied(_("You may not open the visits of another manager."))
        contact = session.get(Contact, visit.contact_id) if visit.contact_id else None
        manager = session.get(User, visit.manager_id)
        branch = session.get(Branch, visit.branch_id)
        return VisitRecord(
            id=visit.id,
            version=visit.version,
            data=_data_of(visit),
            customer_name=customer.name if customer else "",
            contact_name=contact.name if contact else "",
            manager_name=manager.display_name if manager else "",
            branch_name=branch.name if branch else "",
            next_step_done=visit.next_step_done,
            updated_at=visit.updated_at,
            may_change=_may_change(actor, visit, customer),
        )


def _prepare(
    session: Session, actor: Actor, data: VisitData, now: datetime
) -> tuple[VisitData, Customer | None]:
    """Clean and check ``data``; raises with nothing written."""
    data = clean_visit(data)
    errors = validate_visit(data, now)
    if errors:
        raise ValidationFailed(errors)
    customer = None
    if data.customer_id:
        customer = session.get(Customer, data.customer_id)
        _check_customer(actor, customer)
        assert customer is not None
        data.branch_id = customer.branch_id
    else:
        data.branch_id = data.branch_id or actor.branch_id
        if not data.branch_id:
            raise ServiceError(_("Choose the branch that held the meeting."))
        if not actor.is_admin and data.branch_id != actor.branch_id:
            raise PermissionDenied(_("You may log meetings of your own branch only."))
    if data.contact_id:
        owner = session.scalar(select(Contact.customer_id).where(Contact.id == data.contact_id))
        if owner is None or owner != data.customer_id:
            from kac_desktop.rules.customer import FieldError

            raise ValidationFailed(
                [FieldError("contact_id", _("The contact met is not a contact of this customer."))]
            )
    return data, customer


def log_visit(
    db: Database, actor: Actor, data: VisitData, now: datetime | None = None
) -> ChangeSet:
    """Log one visit by ``actor``.  Raises ValidationFailed, PermissionDenied, NotFound or
    ServiceError (archived customer) with nothing written."""
    now = now or utcnow()
    with db.session() as session, session.begin():
        data, customer = _prepare(session, actor, data, now)
        visit = Visit(
            customer_id=data.customer_id,
            branch_id=data.branch_id,
            manager_id=actor.user_id,
            contact_id=data.contact_id,
            visited_at=data.visited_at,
            mode=data.mode,
            purpose=data.purpose,
            summary=data.summary,
            needs=data.needs,
            next_step=data.next_step,
            next_step_date=data.next_step_date,
            next_step_done=False,
            satisfaction=data.satisfaction,
            updated_by=actor.user_id,
        )
        session.add(visit)
        session.flush()
        data.manager_id = actor.user_id
        audit.record(
            session,
            actor,
            "visit.create",
            KIND,
            visit.id,
            _visit_summary(customer, data),
            _audit_values(data),
        )
        # the customer's row shows its last visit and its quota
        return ChangeSet.of(Kind.VISIT, (visit.id,), created=True) | ChangeSet.of(
            Kind.CUSTOMER, (customer.id if customer else None,)
        )


def _visit_summary(customer: Customer | None, data: VisitData) -> str:
    when = data.visited_at.astimezone(rules.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    who = customer.name if customer else _("Branch meeting")
    return f"{who} {when} {vocab.label(vocab.VISIT_MODES, data.mode)}"


def _load_for_change(
    session: Session, actor: Actor, visit_id: str, expected_version: int | None
) -> tuple[Visit, Customer | None]:
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise NotFound(_("This visit no longer exists."))
    customer = session.get(Customer, visit.customer_id) if visit.customer_id else None
    if not _may_change(actor, visit, customer):
        raise PermissionDenied(_("You may change or remove only your own visits."))
    if expected_version is not None and visit.version != expected_version:
        who = session.scalar(select(User.display_name).where(User.id == visit.updated_by)) or ""
        raise StaleRecord(
            who, visit.updated_at.astimezone(rules.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
        )
    return visit, customer


def update_visit(
    db: Database,
    actor: Actor,
    visit_id: str,
    data: VisitData,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> ChangeSet:
    """Correct a visit; the audit record keeps what it said before."""
    now = now or utcnow()
    with db.session() as session, session.begin():
        visit, _old_customer = _load_for_change(session, actor, visit_id, expected_version)
        data, customer = _prepare(session, actor, data, now)
        before = _data_of(visit)
        changes: dict[str, Any] = {}
        for name in (
            "customer_id",
            "contact_id",
            "visited_at",
            "mode",
            "purpose",
            "summary",
            "needs",
            "next_step",
            "next_step_date",
            "satisfaction",
            "branch_id",
        ):
            old, new = getattr(before, name), getattr(data, name)
            if old != new:
                changes[name] = [_jsonable(old), _jsonable(new)]
                setattr(visit, name, new)
        if not changes:
            return ChangeSet.of(Kind.VISIT, (visit_id,))
        if "next_step" in changes or "next_step_date" in changes:
            visit.next_step_done = False
        visit.updated_by = actor.user_id
        visit.updated_at = utcnow()
        audit.record(
            session, actor, "visit.update", KIND, visit_id, _visit_summary(customer, data), changes
        )
        return ChangeSet.of(Kind.VISIT, (visit_id,)) | ChangeSet.of(
            Kind.CUSTOMER, (before.customer_id, data.customer_id)
        )


def remove_visit(
    db: Database, actor: Actor, visit_id: str, expected_version: int | None = None
) -> ChangeSet:
    """Remove a visit logged by mistake; the audit record keeps all it said."""
    with db.session() as session, session.begin():
        visit, customer = _load_for_change(session, actor, visit_id, expected_version)
        data = _data_of(visit)
        audit.record(
            session,
            actor,
            "visit.remove",
            KIND,
            visit_id,
            _visit_summary(customer, data),
            _audit_values(data),
        )
        session.delete(visit)
        return ChangeSet.of(Kind.VISIT, (visit_id,), removed=True) | ChangeSet.of(
            Kind.CUSTOMER, (customer.id if customer else None,)
        )


def set_next_step_done(db: Database, actor: Actor, visit_id: str, done: bool = True) -> ChangeSet:
    """Tick a follow-up off (or back on)."""
    with db.session() as session, session.begin():
        visit, customer = _load_for_change(session, actor, visit_id, None)
        if visit.next_step_done == done:
            return ChangeSet.of(Kind.VISIT, (visit_id,))
        visit.next_step_done = done
        visit.updated_by = actor.user_id
        audit.record(
            session,
            actor,
            "visit.follow_up_done" if done else "visit.follow_up_open",
            KIND,
            visit_id,
            visit.next_step,
        )
        return ChangeSet.of(Kind.VISIT, (visit_id,))


# ------------------------------------------------------------------ choices for the dialog


@dataclass(frozen=True)
class CustomerChoice:
    id: str
    name: str
    manager_name: str
    own: bool


@dataclass(frozen=True)
class ContactChoice:
    id: str
    name: str
    role: str


def customer_choices(
    db: Database, actor: Actor, search: str = "", limit: int = 50
) -> list[CustomerChoice]:
    """Customers the actor may log a visit to, matching ``search`` (name, pinyin, initials,
    contact…), his own first, then by name; archived files are left out.

    Read through the customer list's first page (services/customers.py "the list": the
    trigram index, the walk in name order): at 100,000 customers a look-up takes a few ms
    where a scan of every search text took 70-340 ms."""
    own = _choices(db, actor, CustomerQuery(search=search, manager_id=actor.user_id), limit)
    choices = [CustomerChoice(row.id, row.name, row.manager, True) for row in own]
    if len(choices) < limit and actor.role != "manager":  # a manager sees only his own
        mine = {c.id for c in choices}
        others = _choices(db, actor, CustomerQuery(search=search), limit + len(choices))
        choices += [
            CustomerChoice(row.id, row.name, row.manager, False)
            for row in others
            if row.id not in mine
        ][: limit - len(choices)]
    return choices


def _choices(db: Database, actor: Actor, query: CustomerQuery, limit: int) -> list:
    page = customer_list.first_page(db, actor, query, limit)
    shown = page.keys[:limit]
    if len(page.rows) == len(shown):
        return page.rows
    return customer_list.fetch_rows_by_key(db, actor, shown)  # one changed meanwhile


def customer_choice(db: Database, actor: Actor, customer_id: str) -> CustomerChoice | None:
    with db.session() as session:
        manager = aliased(User)
        stmt = scope_customers(
            select(Customer.id, Customer.name, manager.display_name, Customer.manager_id)
            .join(manager, manager.id == Customer.manager_id)
            .where(Customer.id == customer_id),
            actor,
        )
        row = session.execute(stmt).first()
        if row is None:
            return None
        return CustomerChoice(row[0], row[1], row[2], row[3] == actor.user_id)


def contacts_of(
    db: Database, actor: Actor, customer_id: str
) -> tuple[list[ContactChoice], str | None]:
    """The customer's contacts, and the one met at the last visit (the dialog's default)."""
    with db.session() as session:
        visible = session.scalar(
            scope_customers(select(Customer.id).where(Customer.id == customer_id), actor)
        )
        if visible is None:
            return [], None
        contacts = [
            ContactChoice(c.id, c.name, c.role)
            for c in session.scalars(
                select(Contact)
                .where(Contact.customer_id == customer_id)
                .order_by(Contact.created_at)
            )
        ]
        last = session.scalar(
            select(Visit.contact_id)
            .where(Visit.customer_id == customer_id, Visit.contact_id.is_not(None))
            .order_by(Visit.visited_at.desc())
            .limit(1)
        )
        if last is None and contacts:
            key = next((c for c in contacts if c.role == "key_person"), contacts[0])
            last = key.id
        return contacts, last


# ------------------------------------------------------------------ the visit list


@dataclass(frozen=True)
class VisitQuery:
    search: str = ""
    manager_id: str | None = None
    customer_id: str | None = None
    mode: str | None = None
    purpose: str | None = None
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    descending: bool = True


@dataclass(frozen=True)
class VisitRow:
    id: str
    visited_at: datetime
    customer_id: str | None
    customer: str
    contact: str
    mode: str
    purpose: str
    summary: str
    next_step: str
    next_step_date: date | None
    next_step_done: bool
    satisfaction: int | None
    manager: str


def _visit_ids_statement(actor: Actor, q: VisitQuery) -> Select:
    stmt = scope_visits(select(Visit.id), actor)
    if q.manager_id:
        stmt = stmt.where(Visit.manager_id == q.manager_id)
    if q.customer_id:
        stmt = stmt.where(Visit.customer_id == q.customer_id)
    if q.mode:
        stmt = stmt.where(Visit.mode == q.mode)
    if q.purpose:
        stmt = stmt.where(Visit.purpose == q.purpose)
    if q.date_from:
        stmt = stmt.where(Visit.visited_at >= rules.local_midnight(q.date_from))
    if q.date_to:
        stmt = stmt.where(Visit.visited_at < rules.local_midnight(q.date_to + timedelta(days=1)))
    needle = normalise_query(q.search)
    if needle:
        stmt = stmt.where(
            or_(
                Visit.customer_id.in_(
                    select(CustomerSearch.customer_id).where(
                        CustomerSearch.text.like(like_pattern(needle), escape="\\")
                    )
                ),
                Visit.summary.like(like_pattern(q.search.strip()), escape="\\"),
            )
        )
    order = Visit.visited_at.desc() if q.descending else Visit.visited_at.asc()
    return stmt.order_by(order, Visit.id)


def query_visit_ids(db: Database, actor: Actor, q: VisitQuery) -> list[str]:
    with db.session() as session:
        return list(session.scalars(_visit_ids_statement(actor, q)))


def fetch_visit_rows(db: Database, actor: Actor, ids: list[str]) -> list[VisitRow]:
    if not ids:
        return []
    with db.session() as session:
        manager = aliased(User)
        stmt = (
            select(
                Visit.id,
                Visit.visited_at,
                Visit.customer_id,
                Customer.name,
                Contact.name,
                Visit.mode,
                Visit.purpose,
                Visit.summary,
                Visit.next_step,
                Visit.next_step_date,
                Visit.next_step_done,
                Visit.satisfaction,
                manager.display_name,
            )
            .outerjoin(Customer, Customer.id == Visit.customer_id)
            .outerjoin(Contact, Contact.id == Visit.contact_id)
            .join(manager, manager.id == Visit.manager_id)
            .where(Visit.id.in_(ids))
        )
        stmt = scope_visits(stmt, actor)
        by_id = {}
        for row in session.execute(stmt):
            values = list(row)
            values[3] = values[3] or _("Branch meeting")
            values[4] = values[4] or ""
            by_id[row[0]] = VisitRow(*values)
    return [by_id[i] for i in ids if i in by_id]


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
        if not isinstance(details, dict):
            continue
        for field in ("tier", "visit_class_override"):
            pair = details.get(field)
            if isinstance(pair, list) and len(pair) == 2:
                found[entity_id].append(ClassChange(at, field, pair[0]))
    return found


# The local month of a visit as SQLite computes it from the stored UTC text, Asia/Shanghai
# being UTC+8 all year: the expression of ix_visits_month_customer (migration 0004), which
# SQLite uses only for this very text.  The fraction of a second is cut off first: SQLite's
# date functions round to the millisecond, which would put 23:59:59.9996 into next month.
MONTH_KEY_SQL = "strftime('%Y-%m', substr(visits.visited_at, 1, 19), '+8 hours')"
_UTC8 = timedelta(hours=8)


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
    """The month's quota for every customer due (DOMAIN.md §3) as far as the actor sees:
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
            Customer.created_at < end,
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
        return [
            FollowUp(vid, cid, cname or _("Branch meeting"), step, due, (today - due).days, mname)
            for vid, cid, cname, step, due, mname in session.execute(stmt)
        ]


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
                    rules.local_date(last.replace(tzinfo=rules.UTC)) if last else None,
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
                Customer.created_at,
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
        for cid, name, tier, mname, at, month, created in session.execute(stmt):
            visit_day = rules.local_date(at.replace(tzinfo=rules.UTC)) if at else None
            last = rules.last_contact_day(visit_day, month, rules.local_date(created))
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
            entries.append(
                CalendarEntry(
                    due, "next_step", vid, cid, cname or _("Branch meeting"), step, None, done
                )
            )
    entries.sort(key=lambda e: (e.day, e.kind != "visit", e.at or time(23, 59), e.customer))
    return entries
