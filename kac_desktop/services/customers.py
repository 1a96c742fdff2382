"""Customer files (客户档案): read one, save it with the no-double-development check, archive,
transfer.  The list of customers is ``services.customer_list``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy import inspect as inspect_state
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from kac_desktop.db import ConcurrentChange, Database, raw_sql
from kac_desktop.i18n import _
from kac_desktop.models import (
    Branch,
    Contact,
    Customer,
    CustomerSearch,
    TierAssessment,
    User,
    new_id,
    utcnow,
)
from kac_desktop.rules.clock import LOCAL_TZ, business_today
from kac_desktop.rules.completeness import Completeness, completeness
from kac_desktop.rules.credit_code import normalise_credit_code
from kac_desktop.rules.customer import ContactData, CustomerData, FieldError
from kac_desktop.rules.names import normalise_name
from kac_desktop.rules.search_keys import name_sort_key, search_text
from kac_desktop.rules.tiers import DEFAULT_CLASS_FOR_TIER, visit_class
from kac_desktop.rules.validation import validate_customer

from . import audit
from . import settings as settings_service
from .changes import ChangeSet, Kind
from .context import Actor
from .errors import (
    DuplicateCustomer,
    DuplicateInfo,
    NotFound,
    PermissionDenied,
    StaleRecord,
    ValidationFailed,
)
from .list_types import CustomerQuery, CustomerRow, export_value  # noqa: F401 - the service's API

# ---------------------------------------------------------------- reading one file


@dataclass(frozen=True)
class CustomerRecord:
    id: str
    version: int
    data: CustomerData
    manager_name: str
    branch_name: str
    completeness: Completeness
    visit_class: int
    suggested_tier: str | None
    suggested_year: int | None
    suggested_points: int | None
    tier_confirmed_by: str
    tier_confirmed_at: datetime | None
    archived: bool
    created_at: datetime
    updated_at: datetime
    updated_by: str


_SCALAR_FIELDS = [f.name for f in dataclasses.fields(CustomerData) if f.name != "contacts"]
_CONTACT_FIELDS = [f.name for f in dataclasses.fields(ContactData) if f.name != "id"]


def scope_customers(stmt: Select, actor: Actor) -> Select:
    """Managers see their own customers, supervisors their branch, the city center all."""
    if actor.role == "manager":
        return stmt.where(Customer.manager_id == actor.user_id)
    if actor.role == "supervisor":
        return stmt.where(Customer.branch_id == actor.branch_id)
    return stmt


def may_touch(actor: Actor, customer: Customer) -> bool:
    if actor.is_admin:
        return True
    if actor.role == "supervisor":
        return customer.branch_id == actor.branch_id
    return customer.manager_id == actor.user_id


def _user_name(session: Session, user_id: str | None) -> str:
    if not user_id:
        return ""
    return session.scalar(select(User.display_name).where(User.id == user_id)) or ""


def _to_data(customer: Customer) -> CustomerData:
    values = {name: getattr(customer, name) for name in _SCALAR_FIELDS}
    values["credit_code"] = customer.credit_code or ""
    values["product_lines"] = list(customer.product_lines or [])
    values["express_kinds"] = list(customer.express_kinds or [])
    values["contacts"] = [
        ContactData(id=c.id, **{name: getattr(c, name) for name in _CONTACT_FIELDS})
        for c in customer.contacts
    ]
    return CustomerData(**values)


def _class_mapping(session: Session) -> dict[str, int]:
    # the one setting, not all of them: the list reads it for every page
    mapping = settings_service.value(session, "visit_class.by_tier")
    return dict(mapping) if isinstance(mapping, dict) else dict(DEFAULT_CLASS_FOR_TIER)


def visit_class_mapping(db: Database) -> dict[str, int]:
    """The visit class of each tier as the administrator set it (``visit_class.by_tier``):
    what the editor shows for a tier chosen but not saved yet, as the list and the quota
    reckon it."""
    with db.session() as session:
        return _class_mapping(session)


def get_customer(db: Database, actor: Actor, customer_id: str) -> CustomerRecord:
    with db.session() as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise NotFound(_("This customer file no longer exists."))
        if not may_touch(actor, customer):
            raise PermissionDenied(_("You may not open the files of another manager's customers."))
        data = _to_data(customer)
        assessment = session.scalars(
            select(TierAssessment)
            .where(TierAssessment.customer_id == customer_id)
            .order_by(TierAssessment.year.desc())
            .limit(1)
        ).first()
        return CustomerRecord(
            id=customer.id,
            version=customer.version,
            data=data,
            manager_name=_user_name(session, customer.manager_id),
            branch_name=session.scalar(select(Branch.name).where(Branch.id == customer.branch_id))
            or "",
            completeness=completeness(data),
            visit_class=visit_class(
                customer.tier, customer.visit_class_override, _class_mapping(session)
            ),
            suggested_tier=assessment.suggested_tier if assessment else None,
            suggested_year=assessment.year if assessment else None,
            suggested_points=assessment.points if assessment else None,
            tier_confirmed_by=_user_name(session, customer.tier_confirmed_by),
            tier_confirmed_at=customer.tier_confirmed_at,
            archived=customer.archived,
            created_at=customer.created_at,
            updated_at=customer.updated_at,
            updated_by=_user_name(session, customer.updated_by),
        )


# ---------------------------------------------------------------- saving


def clean(data: CustomerData) -> CustomerData:
    """Trim text and normalise the credit code the way the user meant it."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(CustomerData):
        value = getattr(data, f.name)
        if isinstance(value, str):
            value = value.strip()
        values[f.name] = value
    values["credit_code"] = normalise_credit_code(data.credit_code or "")
    values["contacts"] = [
        dataclasses.replace(
            c,
            **{k: getattr(c, k).strip() for k in _CONTACT_FIELDS if isinstance(getattr(c, k), str)},
        )
        for c in data.contacts
    ]
    return CustomerData(**values)


def find_duplicate(
    session: Session, data: CustomerData, exclude_id: str | None = None
) -> DuplicateInfo | None:
    """The file that already keeps this customer: same credit code first, then same name."""
    conditions = []
    if data.credit_code:
        conditions.append(Customer.credit_code == data.credit_code)
    key = normalise_name(data.name)
    if key:
        conditions.append(Customer.name_key == key)
    if not conditions:
        return None
    stmt = (
        select(Customer, User.display_name, Branch.name)
        .join(User, Customer.manager_id == User.id)
        .join(Branch, Customer.branch_id == Branch.id)
        .where(or_(*conditions))
    )
    if exclude_id:
        stmt = stmt.where(Customer.id != exclude_id)
    rows = list(session.execute(stmt.limit(5)).all())
    if not rows:
        return None
    rows.sort(key=lambda r: r[0].credit_code != data.credit_code or not data.credit_code)
    customer, manager, branch = rows[0]
    return DuplicateInfo(
        customer.id,
        customer.name,
        customer.credit_code or "",
        manager,
        branch,
        bool(data.credit_code) and customer.credit_code == data.credit_code,
    )


def primary_contact(contacts: list[ContactData]) -> ContactData | None:
    """The contact the list shows: the first key person, else leader, else contact."""
    if not contacts:
        return None
    for role in ("key_person", "leader", "contact"):
        for c in contacts:
            if c.role == role:
                return c
    return contacts[0]


def search_row_text(data: CustomerData) -> str:
    """The customer_search text of a (cleaned) file."""
    extra = [data.credit_code]
    for c in data.contacts:
        extra.extend([c.name, c.phone, c.mobile])
    return search_text(data.name, *[e for e in extra if e])


def derived_columns(data: CustomerData) -> dict[str, Any]:
    """The customer columns computed from a (cleaned) file rather than typed: the duplicate
    key, the sort key and the list's contact, phone and completeness.  The demo generator
    fills its rows with this too, so both write the same values."""
    primary = primary_contact(data.contacts)
    return {
        "name_key": normalise_name(data.name),
        "name_sort": name_sort_key(data.name),
        "primary_contact": primary.name if primary else "",
        "primary_phone": (primary.mobile or primary.phone) if primary else "",
        "completeness": completeness(data).percent,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _apply(session: Session, customer: Customer, data: CustomerData) -> dict[str, Any]:
    """Write ``data`` into ``customer`` and return the field-by-field changes for the audit."""
    changes: dict[str, Any] = {}
    # load the contacts first: the lazy load would flush the half-applied row
    existing = (
        {c.id: c for c in customer.contacts}
        if customer.id and inspect_state(customer).persistent
        else {}
    )
    for name in _SCALAR_FIELDS:
        new = getattr(data, name)
        if name in ("product_lines", "express_kinds"):
            new = list(new)
        old = getattr(customer, name)
        if name == "credit_code":
            old = old or ""  # stored as NULL when empty, so that it is not unique-checked
        if old != new:
            changes[name] = [_jsonable(old), _jsonable(new)]
            setattr(customer, name, new)
    customer.credit_code = data.credit_code or None
    # contacts: update by id, add new ones, remove the rest
    kept: list[Contact] = []
    for contact in data.contacts:
        row = existing.pop(contact.id, None) if contact.id else None
        if row is None:
            row = Contact(**{k: getattr(contact, k) for k in _CONTACT_FIELDS})
            changes.setdefault("contacts.added", []).append(contact.name)
        else:
            diff = {
                k: [_jsonable(getattr(row, k)), _jsonable(getattr(contact, k))]
                for k in _CONTACT_FIELDS
                if getattr(row, k) != getattr(contact, k)
            }
            if diff:
                changes.setdefault("contacts.changed", {})[contact.name] = diff
                for k in _CONTACT_FIELDS:
                    setattr(row, k, getattr(contact, k))
        kept.append(row)
    if existing:
        changes["contacts.removed"] = [c.name for c in existing.values()]
    customer.contacts = kept
    for name, value in derived_columns(data).items():
        setattr(customer, name, value)
    return changes


def save_customer(
    db: Database,
    actor: Actor,
    data: CustomerData,
    customer_id: str | None = None,
    expected_version: int | None = None,
    *,
    today: date | None = None,
) -> ChangeSet:
    """Create (``customer_id`` None) or update a customer file.

    Raises ValidationFailed, DuplicateCustomer, PermissionDenied, StaleRecord or NotFound and
    then writes nothing.
    """
    try:
        with db.session() as session, session.begin():
            before = set(_contact_ids(session, customer_id)) if customer_id else set()
            saved_id, created = save_in_session(
                session, actor, data, customer_id, expected_version, today=today
            )
            session.flush()
            after = set(_contact_ids(session, saved_id))
            # the contacts named: those kept or added (content may have changed), and gone
            return (
                ChangeSet.of(Kind.CUSTOMER, (saved_id,), created=created)
                | ChangeSet.of(Kind.CONTACT, after - before, created=True)
                | ChangeSet.of(Kind.CONTACT, before & after)
                | ChangeSet.of(Kind.CONTACT, before - after, removed=True)
            )
    except (StaleDataError, ConcurrentChange) as exc:
        # a save of the same file at the same moment won: refused exactly like a save
        # that came later, naming who saved first
        if customer_id is None:
            raise
        raise stale_record(db, customer_id) from exc


def _contact_ids(session: Session, customer_id: str) -> list[str]:
    return list(session.scalars(select(Contact.id).where(Contact.customer_id == customer_id)))


def stale_record(db: Database, customer_id: str) -> StaleRecord | NotFound:
    """The refusal of a save that lost to another one: who saved the file, and when."""
    with db.session() as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            return NotFound(_("This customer file no longer exists."))
        return StaleRecord(
            _user_name(session, customer.updated_by),
            customer.updated_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
        )


def save_in_session(
    session: Session,
    actor: Actor,
    data: CustomerData,
    customer_id: str | None = None,
    expected_version: int | None = None,
    *,
    today: date | None = None,
    record_audit: bool = True,
    check_duplicate: bool = True,
) -> tuple[str, bool]:
    """``save_customer`` inside the caller's open transaction: returns the customer's id
    and whether it was created.  Raises like ``save_customer``; a raise leaves the session
    as it was for this customer, so the caller decides whether to roll back everything.

    For the import, which saves thousands of files in one transaction: ``record_audit=False``
    leaves the audit to one record for all of them, and ``check_duplicate=False`` skips the
    per-file duplicate query when the caller has checked every file against the database in
    this transaction already.  A new file gets its id here and is not flushed, so the
    session can insert many files in batches.
    """
    today = today or business_today()
    data = clean(data)
    current = None if customer_id is None else session.get(Customer, customer_id)
    if data.registered_on is None:
        # a new file is on record from today; a caller that did not read the date keeps it
        data.registered_on = current.registered_on if current is not None else today
    if not data.manager_id and not actor.is_admin:
        data.manager_id = actor.user_id  # a manager's or supervisor's new file is his own
    # the city center names the manager (a file is never the administrator's silently)
    manager = session.get(User, data.manager_id) if data.manager_id else None
    if not data.branch_id and manager is not None:
        data.branch_id = manager.branch_id
    errors = validate_customer(data, today)
    if manager is None and data.manager_id:  # a blank one is reported by validate_customer
        errors.append(FieldError("manager_id", _("Choose the account manager.")))
    elif manager is not None and manager.branch_id != data.branch_id:
        errors.append(FieldError("manager_id", _("The account manager belongs to another branch.")))
    if errors:
        raise ValidationFailed(errors)
    if actor.role == "manager" and data.manager_id != actor.user_id:
        raise PermissionDenied(
            _(
                "An account manager keeps only his own customers; a supervisor assigns "
                "customers to other managers."
            )
        )
    if actor.role == "supervisor" and data.branch_id != actor.branch_id:
        raise PermissionDenied(_("A supervisor keeps the customers of his own branch only."))

    if not actor.is_supervisor:
        tier_before = current.tier if current else "ordinary"
        override_before = current.visit_class_override if current else None
        if data.tier != tier_before or data.visit_class_override != override_before:
            raise PermissionDenied(
                _(
                    "Only a supervisor confirms a customer's tier or sets its visit class; "
                    "leave them as they are and ask your supervisor."
                )
            )
        if current is not None and data.registered_on != current.registered_on:
            raise PermissionDenied(
                _(
                    "Only a supervisor changes the date a customer was registered; leave it "
                    "as it is and ask your supervisor."
                )
            )

    if customer_id is None:
        customer = Customer(id=new_id(), branch_id=data.branch_id, manager_id=data.manager_id)
        created = True
    else:
        found = session.get(Customer, customer_id)
        if found is None:
            raise NotFound(_("This customer file no longer exists."))
        customer = found
        created = False
        if not may_touch(actor, customer):
            raise PermissionDenied(
                _("You may not change the files of another manager's customers.")
            )
        if expected_version is not None and customer.version != expected_version:
            raise StaleRecord(
                _user_name(session, customer.updated_by),
                customer.updated_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
            )
        if customer.manager_id != data.manager_id and not actor.is_supervisor:
            raise PermissionDenied(_("Only a supervisor may transfer a customer."))
    if check_duplicate:
        # two managers filing the same new customer at the same moment: the writers take
        # turns before the check (SQLite's write lock, a server's audit-head row lock), so
        # the second one's check sees the first one's file (防止重复开发)
        raw_sql.lock_for_writing(session.connection())
    duplicate = find_duplicate(session, data, customer_id) if check_duplicate else None
    if duplicate is not None:
        raise DuplicateCustomer(duplicate)

    changes = _apply(session, customer, data)
    customer.updated_by = actor.user_id
    if changes and not created:
        # a change of contacts alone must still raise the file's version, or a copy opened
        # earlier would save over it without a conflict
        customer.updated_at = utcnow()
    if created:
        session.add(customer)
    if "tier" in changes and not created and actor.is_supervisor:
        # a supervisor's change of an existing file's tier confirms it; a new file's tier
        # (typed in the editor or read from a workbook) is only suggested
        customer.tier_confirmed_by = actor.user_id
        customer.tier_confirmed_at = utcnow()
    search = None if created else session.get(CustomerSearch, customer.id)
    if search is None:
        session.add(CustomerSearch(customer_id=customer.id, text=search_row_text(data)))
    else:
        search.text = search_row_text(data)
    if record_audit and (created or changes):
        audit.record(
            session,
            actor,
            "customer.create" if created else "customer.update",
            "customer",
            customer.id,
            data.name,
            changes,
        )
    return customer.id, created


def set_archived(db: Database, actor: Actor, customer_id: str, archived: bool = True) -> ChangeSet:
    """Archive instead of delete: the file and its history stay, it leaves the working list."""
    with db.session() as session, session.begin():
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise NotFound(_("This customer file no longer exists."))
        if not may_touch(actor, customer):
            raise PermissionDenied(
                _("You may not change the files of another manager's customers.")
            )
        if customer.archived == archived:
            return ChangeSet.of(Kind.CUSTOMER, (customer_id,))
        customer.archived = archived
        customer.archived_at = utcnow() if archived else None
        customer.updated_by = actor.user_id
        audit.record(
            session,
            actor,
            "customer.archive" if archived else "customer.restore",
            "customer",
            customer_id,
            customer.name,
        )
        return ChangeSet.of(Kind.CUSTOMER, (customer_id,))


def transfer_customer(db: Database, actor: Actor, customer_id: str, manager_id: str) -> ChangeSet:
    """A supervisor hands a customer to another manager (of his branch)."""
    if not actor.is_supervisor:
        raise PermissionDenied(_("Only a supervisor may transfer a customer."))
    with db.session() as session, session.begin():
        customer = session.get(Customer, customer_id)
        manager = session.get(User, manager_id)
        if customer is None or manager is None:
            raise NotFound(_("This customer file no longer exists."))
        if not may_touch(actor, customer) or (
            not actor.is_admin and manager.branch_id != actor.branch_id
        ):
            raise PermissionDenied(_("A supervisor keeps the customers of his own branch only."))
        before = _user_name(session, customer.manager_id)
        customer.manager_id = manager.id
        customer.branch_id = manager.branch_id or customer.branch_id
        customer.updated_by = actor.user_id
        audit.record(
            session,
            actor,
            "customer.transfer",
            "customer",
            customer_id,
            customer.name,
            {"manager": [before, manager.display_name]},
        )
        return ChangeSet.of(Kind.CUSTOMER, (customer_id,))
