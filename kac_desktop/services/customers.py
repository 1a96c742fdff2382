"""Customer files (客户档案): read, save with the no-double-development check, archive,
transfer, and the SQL behind the customer list."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, func, literal_column, or_, select, text
from sqlalchemy import inspect as inspect_state
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from kac_desktop.db import ConcurrentChange, Database
from kac_desktop.i18n import N_, _
from kac_desktop.io.workbook import WorkbookError, write_table
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
from kac_desktop.progress import Cancelled, NullProgress, Progress, check
from kac_desktop.rules import vocab
from kac_desktop.rules.completeness import Completeness, completeness
from kac_desktop.rules.credit_code import normalise_credit_code
from kac_desktop.rules.customer import ContactData, CustomerData, FieldError
from kac_desktop.rules.names import normalise_name
from kac_desktop.rules.search_keys import name_sort_key, normalise_query, search_text
from kac_desktop.rules.tiers import DEFAULT_CLASS_FOR_TIER, visit_class
from kac_desktop.rules.validation import validate_customer

from . import audit, raw_sql
from . import settings as settings_service
from .context import Actor, Change
from .errors import (
    DuplicateCustomer,
    DuplicateInfo,
    NotFound,
    PermissionDenied,
    ServiceError,
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
    rows = session.execute(stmt.limit(5)).all()
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
) -> Change:
    """Create (``customer_id`` None) or update a customer file.

    Raises ValidationFailed, DuplicateCustomer, PermissionDenied, StaleRecord or NotFound and
    then writes nothing.
    """
    try:
        with db.session() as session, session.begin():
            saved_id, created = save_in_session(
                session, actor, data, customer_id, expected_version, today=today
            )
            return Change("customer", (saved_id,), created=created)
    except (StaleDataError, ConcurrentChange) as exc:
        # a save of the same file at the same moment won: refused exactly like a save
        # that came later, naming who saved first
        if customer_id is None:
            raise
        raise stale_record(db, customer_id) from exc


def stale_record(db: Database, customer_id: str) -> StaleRecord | NotFound:
    """The refusal of a save that lost to another one: who saved the file, and when."""
    with db.session() as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            return NotFound(_("This customer file no longer exists."))
        return StaleRecord(
            _user_name(session, customer.updated_by),
            customer.updated_at.astimezone().strftime("%Y-%m-%d %H:%M"),
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
    today = today or date.today()
    data = clean(data)
    if not data.manager_id:
        data.manager_id = actor.user_id
    manager = session.get(User, data.manager_id)
    if not data.branch_id and manager is not None:
        data.branch_id = manager.branch_id
    errors = validate_customer(data, today)
    if manager is None:
        errors.append(FieldError("manager_id", _("Choose the account manager.")))
    elif manager.branch_id != data.branch_id:
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
        current = None if customer_id is None else session.get(Customer, customer_id)
        tier_before = current.tier if current else "ordinary"
        override_before = current.visit_class_override if current else None
        if data.tier != tier_before or data.visit_class_override != override_before:
            raise PermissionDenied(
                _(
                    "Only a supervisor confirms a customer's tier or sets its visit class; "
                    "leave them as they are and ask your supervisor."
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
                customer.updated_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            )
        if customer.manager_id != data.manager_id and not actor.is_supervisor:
            raise PermissionDenied(_("Only a supervisor may transfer a customer."))
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
    if "tier" in changes:
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


def set_archived(db: Database, actor: Actor, customer_id: str, archived: bool = True) -> Change:
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
            return Change("customer", (customer_id,))
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
        return Change("customer", (customer_id,))


def transfer_customer(db: Database, actor: Actor, customer_id: str, manager_id: str) -> Change:
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
        return Change("customer", (customer_id,))


# ---------------------------------------------------------------- the list


# the tier's rank as the list sorts it, written out so that it is the very expression of the
# index ix_customers_list_tier (migration 0003): SQLite uses an expression index only for the
# same expression, and bound parameters would make it another one
TIER_RANK_SQL = (
    "CASE customers.tier WHEN 'diamond' THEN 1 WHEN 'platinum' THEN 2 WHEN 'gold' THEN 3 "
    "WHEN 'vip' THEN 4 WHEN 'ordinary' THEN 5 ELSE 9 END"
)


def _visit_class_expr(mapping: dict[str, int]):
    by_tier = case(mapping, value=Customer.tier, else_=3)
    return func.coalesce(Customer.visit_class_override, by_tier)


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with % _ and \\ taken literally
    (use with ``escape="\\"``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# The list at 100,000 customers (benchmarks/cases_customers.py, FACTS.md "Lists"):
#
# * the first page comes from one LIMIT query, the full ordered list of keys (and the count)
#   apart (``list_keys``, on a worker thread in the view) — unless the first query already
#   found every match;
# * the keys are the customers' integer rowids, not the 36-character ids: a tenth of the
#   memory and of the time to read 100,000 of them;
# * every sortable column has an index ``(archived, column, name_sort, id)`` (migrations
#   0001, 0003): the first page of a sorted list is an index walk that stops after the page.
#   The branch and manager columns sort by a name in another table: their first page walks
#   the branches (managers) in name order and each one's customers by index;
# * a search asks the trigram index's vocabulary (migration 0003) how many customers the term
#   can match at most.  Few: the matches are looked up by the index (FTS5 MATCH; a
#   two-character term matches the trigrams that start with it) and only they are sorted —
#   every key at once, so the count too.  Many: the list is walked in display order, each
#   row checked, until the page is full: a common term fills it within a few hundred rows.
#   Without the index (not SQLite, or older than 3.34) LIKE scans the search table.

FTS_TABLE = "customer_search_fts"
VOCAB_TABLE = "customer_search_vocab"
FIRST_PAGE = 100
# at most this many possible matches are looked up and sorted rather than walked to
LOOKUP_LIMIT = 4_000
# a walk that has not filled the page after this many rows looks the matches up instead
_WALK_LIMIT = 20_000
_tables_by_engine: dict[tuple[int, str], bool] = {}


def _has_table(session: Session, name: str) -> bool:
    bind = session.get_bind()
    known = _tables_by_engine.get((id(bind), name))
    if known is None:
        known = bind.dialect.name == "sqlite" and bool(
            session.execute(
                text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
                {"name": name},
            ).first()
        )
        _tables_by_engine[(id(bind), name)] = known
    return known


def search_index_available(session: Session) -> bool:
    """Whether this database has the trigram index of migration 0002 (SQLite only)."""
    return _has_table(session, FTS_TABLE)


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _after(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


@dataclass(frozen=True)
class _Lookup:
    """How the trigram index finds a term: the FTS5 query, and at most how many customers
    it can match (``None``: the index cannot answer it)."""

    match: str | None
    bound: int | None


def _lookup(session: Session, needle: str) -> _Lookup:
    if len(needle) < 2 or not _has_table(session, VOCAB_TABLE):
        return _Lookup(None, None)
    if len(needle) == 2:
        # every occurrence starts a trigram (search texts end with the separator)
        rows = session.execute(
            text(f"SELECT term, doc FROM {VOCAB_TABLE} WHERE term >= :lo AND term < :hi"),
            {"lo": needle, "hi": _after(needle)},
        ).all()
        if not rows:
            return _Lookup(None, 0)
        return _Lookup(" OR ".join(_fts_phrase(r.term) for r in rows), sum(r.doc for r in rows))
    grams = {needle[i : i + 3] for i in range(len(needle) - 2)}
    docs = dict(
        session.execute(
            text(f"SELECT term, doc FROM {VOCAB_TABLE} WHERE term IN :terms").bindparams(
                bindparam("terms", expanding=True)
            ),
            {"terms": sorted(grams)},
        ).all()
    )
    if len(docs) < len(grams):
        return _Lookup(None, 0)  # a trigram no customer has
    return _Lookup(_fts_phrase(needle), min(docs.values()))


def indexed_matches(session: Session, needle: str, limit: int) -> list[int] | None:
    """The list keys of every customer (any scope, archived too) whose search text holds
    ``needle``, found by the trigram index — or None when the index cannot answer it or it
    may match more than ``limit`` customers (services/list_cache.py)."""
    found = _lookup(session, needle)
    if found.bound is None or found.bound > limit:
        return None
    if found.match is None:
        return []
    return list(
        session.scalars(
            text(
                f"SELECT c.rowid FROM {FTS_TABLE} f "
                "JOIN customer_search s ON s.rowid = f.rowid "
                "JOIN customers c ON c.id = s.customer_id "
                f"WHERE {FTS_TABLE} MATCH :phrase"
            ),
            {"phrase": found.match},
        )
    )


def _search_condition(session: Session, needle: str, *, walking: bool = False):
    """Customers whose search text holds ``needle`` (already folded)."""
    if not walking:
        found = _lookup(session, needle)
        if found.bound == 0:
            return literal_column("0") == 1
        match = found.match
        if match is None and len(needle) >= 3 and search_index_available(session):
            match = _fts_phrase(needle)
        if match is not None:
            matched = text(
                f"SELECT s.customer_id FROM {FTS_TABLE} f "
                "JOIN customer_search s ON s.rowid = f.rowid "
                f"WHERE {FTS_TABLE} MATCH :phrase"
            ).bindparams(phrase=match)
            return Customer.id.in_(matched.columns(CustomerSearch.customer_id))
    like = CustomerSearch.text.like(like_pattern(needle), escape="\\")
    if walking:
        # checked row by row while an index walk in the display order runs
        return (
            select(CustomerSearch.customer_id)
            .where(CustomerSearch.customer_id == Customer.id, like)
            .exists()
        )
    # one scan of the narrow search table, then only the matches are sorted
    return Customer.id.in_(select(CustomerSearch.customer_id).where(like))


# sorts by a name kept in another table: (that table, the customer's key to it, the name)
_GROUPED_SORTS = {
    "branch": (Branch, "branch_id", "name"),
    "manager": (User, "manager_id", "display_name"),
}


def _list_statement(
    session: Session,
    actor: Actor,
    q: CustomerQuery,
    *columns: Any,
    search: bool = True,
    walking: bool = False,
) -> Select:
    """SELECT ``column`` for the customers ``q`` shows, in display order."""
    mapping = _class_mapping(session)
    vclass = _visit_class_expr(mapping)
    manager = aliased(User)
    sort_columns: dict[str, Any] = {
        "name": Customer.name_sort,
        "credit_code": Customer.credit_code,
        "kind": Customer.kind,
        "tier": literal_column(TIER_RANK_SQL),
        "visit_class": vclass,
        "industry": Customer.industry,
        "area": Customer.area,
        "branch": Branch.name,
        "manager": manager.display_name,
        "contact": Customer.primary_contact,
        "phone": Customer.primary_phone,
        "completeness": Customer.completeness,
        "updated_at": Customer.updated_at,
    }
    stmt = select(*columns).select_from(Customer)
    if q.sort == "branch":
        stmt = stmt.join(Branch, Branch.id == Customer.branch_id)
    elif q.sort == "manager":
        stmt = stmt.join(manager, manager.id == Customer.manager_id)
    stmt = scope_customers(stmt, actor)
    conditions = []
    if q.archived is not None:
        conditions.append(Customer.archived.is_(q.archived))
    for col, value in (
        (Customer.tier, q.tier),
        (Customer.kind, q.kind),
        (Customer.industry, q.industry),
        (Customer.area, q.area),
        (Customer.branch_id, q.branch_id),
        (Customer.manager_id, q.manager_id),
    ):
        if value:
            conditions.append(col == value)
    if q.visit_class:
        conditions.append(vclass == q.visit_class)
    needle = normalise_query(q.search)
    if needle and search:
        conditions.append(_search_condition(session, needle, walking=walking))
    if conditions:
        stmt = stmt.where(and_(*conditions))
    # the last keys follow the direction too, so that one index serves both
    tie = (
        (Customer.name_sort.desc(), Customer.id.desc())
        if q.descending
        else (Customer.name_sort.asc(), Customer.id.asc())
    )
    if q.sort == "name" or q.sort not in sort_columns:
        return stmt.order_by(*tie)
    key = sort_columns[q.sort]
    return stmt.order_by(key.desc() if q.descending else key.asc(), *tie)


def _ids_statement(session: Session, actor: Actor, q: CustomerQuery) -> Select:
    return _list_statement(session, actor, q, Customer.id)


def query_ids(db: Database, actor: Actor, q: CustomerQuery) -> list[str]:
    """The ids of the customers the query shows, in display order."""
    with db.session() as session:
        return list(session.scalars(_ids_statement(session, actor, q)))


_ROWID = literal_column("customers.rowid")


def list_keys(
    db: Database, actor: Actor, q: CustomerQuery, cancelled: Callable[[], bool] | None = None
) -> list[int]:
    """The list's keys (customer rowids) for ``q`` in display order: the whole list, for its
    count and its scrolling.  The view runs it off the UI thread; ``cancelled`` (checked
    while SQLite works) ends it early with ``Cancelled`` once a newer query supersedes it."""
    with db.session() as session:
        stmt = _list_statement(session, actor, q, _ROWID)
        if cancelled is None:
            return list(session.scalars(stmt))
        with _interruptible(session, cancelled):
            return list(session.scalars(stmt))


def search_texts_statement(session: Session, actor: Actor) -> Select:
    """(key, search text) of each customer of ``actor``'s default list, in its order
    (services/list_cache.py)."""
    return _list_statement(session, actor, CustomerQuery(), _ROWID, CustomerSearch.text).join(
        CustomerSearch, CustomerSearch.customer_id == Customer.id
    )


PROGRESS_STEPS = 20_000  # SQLite steps between two looks at ``cancelled`` (well under 1 ms)


@contextmanager
def _interruptible(session: Session, cancelled: Callable[[], bool]):
    if cancelled():
        raise Cancelled()
    raw = raw_sql.driver_connection(session.connection())
    handler = getattr(raw, "set_progress_handler", None)
    if handler is None:  # not sqlite3: runs to the end
        yield
        return
    handler(lambda: 1 if cancelled() else 0, PROGRESS_STEPS)
    try:
        yield
    except OperationalError as exc:
        if cancelled():
            raise Cancelled() from exc
        raise
    finally:
        handler(None, 0)


@dataclass(frozen=True)
class ListPage:
    """The start of a list: its keys (every key when ``complete``), and the rows of the
    first of them, in that order."""

    keys: list[int]
    rows: list[CustomerRow]
    complete: bool


def first_page(db: Database, actor: Actor, q: CustomerQuery, size: int = FIRST_PAGE) -> ListPage:
    """The first ``size`` rows of the list, fast at any size (see "the list" above)."""
    with db.session() as session:
        needle = normalise_query(q.search)
        keys: list[int] | None = None
        complete = False
        if needle:
            found = _lookup(session, needle)
            if found.bound is not None and found.bound <= LOOKUP_LIMIT:
                keys, complete = (
                    list(session.scalars(_list_statement(session, actor, q, _ROWID))),
                    True,
                )
            elif q.sort not in _GROUPED_SORTS:
                keys = _walk(session, actor, q, size)
        elif q.sort in _GROUPED_SORTS or q.sort == "visit_class":
            keys = _grouped_first(session, actor, q, size)
        if keys is None:
            keys = list(session.scalars(_list_statement(session, actor, q, _ROWID).limit(size + 1)))
        if not complete:
            complete = len(keys) <= size
            keys = keys[:size]
        shown = keys[:size]
        rows = _rows_by_key(session, actor, shown)
        if len(rows) != len(shown):  # one vanished meanwhile: fetched again when shown
            rows = []
    return ListPage(keys, rows, complete)


def _walk(session: Session, actor: Actor, q: CustomerQuery, size: int) -> list[int] | None:
    """The first ``size + 1`` matches of a common term, by walking the list in display order
    (an index walk checking each row); None when ``_WALK_LIMIT`` rows did not fill it."""
    window = (
        _list_statement(
            session, actor, q, _ROWID.label("k"), Customer.id.label("cid"), search=False
        )
        .limit(_WALK_LIMIT)
        .subquery()
    )
    like = CustomerSearch.text.like(like_pattern(normalise_query(q.search)), escape="\\")
    # no ORDER BY outside: SQLite runs the window as a co-routine in its order and stops at
    # the page's last match (the tests check the order against the plain query)
    probe = (
        select(window.c.k)
        .where(
            select(CustomerSearch.customer_id)
            .where(CustomerSearch.customer_id == window.c.cid, like)
            .exists()
        )
        .limit(size + 1)
    )
    keys = list(session.scalars(probe))
    return keys if len(keys) > size else None


def _grouped_first(session: Session, actor: Actor, q: CustomerQuery, size: int) -> list[int]:
    """The first ``size + 1`` keys of a list sorted by branch or manager name or by visit
    class: the groups in that order (branches or managers by name, classes by number), each
    one's customers by name through an index, until the page is full."""
    groups: list[Any]
    if q.sort == "visit_class":
        # few values; the class is computed (a setting maps tiers to classes) so it has no
        # index, but each class's customers are found walking the name order
        mapping = _class_mapping(session)
        vclass = _visit_class_expr(mapping)
        values = sorted(set(vocab.VISIT_CLASSES) | set(mapping.values()) | {3})
        groups = [vclass == value for value in values]
    else:
        table, key, label = _GROUPED_SORTS[q.sort]
        names = session.execute(
            select(table.id, getattr(table, label)).order_by(getattr(table, label), table.id)
        ).all()
        by_label: dict[str, list[str]] = {}
        for row_id, name in names:
            by_label.setdefault(name or "", []).append(row_id)
        groups = [getattr(Customer, key).in_(ids) for ids in by_label.values()]
    if q.descending:
        groups.reverse()
    by_name = dataclasses.replace(q, sort="name")
    keys: list[int] = []
    for condition in groups:
        stmt = (
            _list_statement(session, actor, by_name, _ROWID)
            .where(condition)
            .limit(size + 1 - len(keys))
        )
        keys.extend(session.scalars(stmt))
        if len(keys) > size:
            break
    return keys


def _row_statement(session: Session, actor: Actor) -> Select:
    mapping = _class_mapping(session)
    manager = aliased(User)
    stmt = (
        select(
            Customer.id,
            Customer.name,
            Customer.credit_code,
            Customer.kind,
            Customer.tier,
            _visit_class_expr(mapping),
            Customer.industry,
            Customer.area,
            Branch.name,
            manager.display_name,
            Customer.primary_contact,
            Customer.primary_phone,
            Customer.completeness,
            Customer.archived,
            Customer.updated_at,
        )
        .join(Branch, Branch.id == Customer.branch_id)
        .join(manager, manager.id == Customer.manager_id)
    )
    return scope_customers(stmt, actor)


# built once per actor and visit-class mapping: building the statement cost more than
# running it (a page of the list is fetched on every keystroke)
_row_statements: dict[tuple, Select] = {}


def _rows_statement(session: Session, actor: Actor) -> Select:
    mapping = _class_mapping(session)
    key = (actor, tuple(sorted(mapping.items())))
    stmt = _row_statements.get(key)
    if stmt is None:
        if len(_row_statements) > 64:
            _row_statements.clear()
        stmt = (
            _row_statement(session, actor)
            .add_columns(_ROWID)
            .where(_ROWID.in_(bindparam("keys", expanding=True)))
        )
        _row_statements[key] = stmt
    return stmt


def _rows_by_key(session: Session, actor: Actor, keys: list[int]) -> list[CustomerRow]:
    if not keys:
        return []
    stmt = _rows_statement(session, actor)
    by_key = {
        row[-1]: CustomerRow(row[0], row[1], row[2] or "", *row[3:-1])
        for row in session.execute(stmt, {"keys": list(keys)})
    }
    return [by_key[k] for k in keys if k in by_key]


def fetch_rows_by_key(db: Database, actor: Actor, keys: list[int]) -> list[CustomerRow]:
    """The list rows for ``keys`` (from ``list_keys``/``first_page``), in that order."""
    with db.session() as session:
        return _rows_by_key(session, actor, keys)


def key_of(db: Database, customer_id: str) -> int | None:
    """The list key (rowid) of a customer id."""
    with db.session() as session:
        return session.scalar(select(_ROWID).where(Customer.id == customer_id))


def fetch_rows(db: Database, actor: Actor, ids: list[str]) -> list[CustomerRow]:
    """The list rows for ``ids`` (a page of the list), in the order asked for."""
    if not ids:
        return []
    with db.session() as session:
        stmt = _row_statement(session, actor).where(Customer.id.in_(ids))
        by_id = {
            row[0]: CustomerRow(row[0], row[1], row[2] or "", *row[3:])
            for row in session.execute(stmt)
        }
    return [by_id[i] for i in ids if i in by_id]


EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", N_("Customer name")),
    ("credit_code", N_("Credit code")),
    ("kind", N_("Kind")),
    ("tier", N_("Tier")),
    ("visit_class", N_("Visit class")),
    ("industry", N_("Industry")),
    ("area", N_("Area")),
    ("branch", N_("Branch")),
    ("manager", N_("Account manager")),
    ("contact", N_("Main contact")),
    ("phone", N_("Phone")),
    ("completeness", N_("File completeness")),
    ("archived", N_("Archived")),
    ("updated_at", N_("Last changed")),
)


def export_list(
    db: Database, actor: Actor, q: CustomerQuery, path: str, progress: Progress = NullProgress()
) -> int:
    """The list as shown (same filters, same order) to a workbook; audited.  Returns the
    number of customers written."""
    ids = query_ids(db, actor, q)
    rows: list[list[object]] = []
    for start in range(0, len(ids), 1000):
        check(progress, 0.8 * start / max(len(ids), 1), _("Reading customers…"))
        for row in fetch_rows(db, actor, ids[start : start + 1000]):
            rows.append([export_value(row, key) for key, _title in EXPORT_COLUMNS])
    check(progress, 0.8, _("Writing the workbook…"))
    headers = [_(title) for _key, title in EXPORT_COLUMNS]
    completeness_column = [k for k, _t in EXPORT_COLUMNS].index("completeness")
    try:
        write_table(
            path,
            headers,
            rows,
            title=_("Customer files"),
            number_formats={completeness_column: "0%"},
        )
    except WorkbookError as exc:
        raise ServiceError(exc.message) from exc
    with db.session() as session, session.begin():
        audit.record(
            session,
            actor,
            "customer.export",
            "customer",
            None,
            _("{count} customers exported to {file}").format(
                count=len(rows), file=os.path.basename(path)
            ),
            {"query": _jsonable(dataclasses.asdict(q)), "count": len(rows)},
        )
    progress.report(1.0)
    return len(rows)
