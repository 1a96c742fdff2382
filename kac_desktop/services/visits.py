"""Visits (走访与定期联系): log, edit and remove visits with permissions and audit, the
customer choices of the visit dialog, and the SQL behind the visit list.  The monthly quota
is ``services.visit_quota``; follow-ups, branch meetings, inactivity and the calendar are
``services.visit_agenda``.

Who may do what (as for customer files): a manager logs visits to his own customers and
edits or removes only his own visits of them; a supervisor sees, logs and corrects the
visits of his branch; the city center all.  Every change leaves an audit record.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Select,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from kac_desktop.db import Database
from kac_desktop.i18n import _
from kac_desktop.models import (
    Branch,
    Contact,
    Customer,
    CustomerSearch,
    User,
    Visit,
    utcnow,
)
from kac_desktop.rules import quota as rules
from kac_desktop.rules import vocab
from kac_desktop.rules.clock import local_text
from kac_desktop.rules.quota import (
    QuotaSettings,
)
from kac_desktop.rules.search_keys import normalise_query
from kac_desktop.rules.visits import VisitData, clean_visit, validate_visit

from . import audit, customer_list
from . import settings as settings_service
from .changes import ChangeSet, Kind
from .context import Actor
from .customer_list import like_pattern
from .customers import scope_customers
from .errors import NotFound, PermissionDenied, ServiceError, StaleRecord, ValidationFailed
from .list_types import CustomerQuery
from .matching import contains_text

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
    when = local_text(data.visited_at)
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

    Read through the customer list's first page (services/customer_list.py: the
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
                contains_text(Visit.summary, q.search.strip()),
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
        by_id: dict[str, VisitRow] = {}
        for row in session.execute(stmt):
            values = list(row)
            values[3] = values[3] or _("Branch meeting")
            values[4] = values[4] or ""
            by_id[row[0]] = VisitRow(*values)
    return [by_id[i] for i in ids if i in by_id]
