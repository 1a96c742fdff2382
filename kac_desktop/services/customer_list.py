"""The customer list (客户档案 list): the SQL behind it — scope, filters, sorts, search by
name, pinyin, initials and phone (the trigram index where it helps), pages of rows by key —
and its export to Excel.  One file's reading and saving are ``services.customers``."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased

from kac_desktop.db import Database, raw_sql
from kac_desktop.i18n import N_, _
from kac_desktop.io.workbook import WorkbookError, write_table
from kac_desktop.models import (
    Branch,
    Customer,
    CustomerSearch,
    User,
)
from kac_desktop.progress import Cancelled, NullProgress, Progress, check
from kac_desktop.rules import vocab
from kac_desktop.rules.search_keys import normalise_query

from . import audit
from .context import Actor
from .customers import _class_mapping, _jsonable, scope_customers
from .errors import (
    ServiceError,
)
from .list_types import CustomerQuery, CustomerRow, export_value  # noqa: F401 - the service's API

visit_class_setting = _class_mapping  # the search cache reads it with its snapshot

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


# The list at 100,000 customers (measured by benchmarks/cases_customers.py):
#
# * the first page comes from one LIMIT query, the full ordered list of keys (and the count)
#   apart (``list_keys``, on a worker thread in the view) — unless the first query already
#   found every match;
# * the keys are the customers' ids (the primary key, a UUID): a key any database has, so the
#   list reads the same on SQLite and on a server database; the name-order indexes end with
#   the id, so the ordered keys come from the index alone;
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
    docs: dict[str, int] = dict(
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


def indexed_matches(session: Session, needle: str, limit: int) -> list[str] | None:
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
                f"SELECT s.customer_id FROM {FTS_TABLE} f "
                "JOIN customer_search s ON s.rowid = f.rowid "
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
_GROUPED_SORTS: dict[str, tuple[type[Branch] | type[User], str, str]] = {
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
    conditions: list[ColumnElement[bool]] = []
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


# the list's key: the primary key, which every database has (no SQLite rowid)
_KEY = Customer.id


def list_keys(
    db: Database, actor: Actor, q: CustomerQuery, cancelled: Callable[[], bool] | None = None
) -> list[str]:
    """The list's keys (customer ids) for ``q`` in display order: the whole list, for its
    count and its scrolling.  The view runs it off the UI thread; ``cancelled`` (checked
    while SQLite works) ends it early with ``Cancelled`` once a newer query supersedes it."""
    with db.session() as session:
        stmt = _list_statement(session, actor, q, _KEY)
        if cancelled is None:
            return list(session.scalars(stmt))
        with _interruptible(session, cancelled):
            return list(session.scalars(stmt))


def search_texts_statement(session: Session, actor: Actor) -> Select:
    """(key, search text) of each customer of ``actor``'s default list, in its order
    (services/list_cache.py)."""
    return _list_statement(session, actor, CustomerQuery(), _KEY, CustomerSearch.text).join(
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

    keys: list[str]
    rows: list[CustomerRow]
    complete: bool


def first_page(db: Database, actor: Actor, q: CustomerQuery, size: int = FIRST_PAGE) -> ListPage:
    """The first ``size`` rows of the list, fast at any size (see "the list" above)."""
    with db.session() as session:
        needle = normalise_query(q.search)
        keys: list[str] | None = None
        complete = False
        if needle:
            found = _lookup(session, needle)
            if found.bound is not None and found.bound <= LOOKUP_LIMIT:
                keys, complete = (
                    list(session.scalars(_list_statement(session, actor, q, _KEY))),
                    True,
                )
            elif q.sort not in _GROUPED_SORTS:
                keys = _walk(session, actor, q, size)
        elif q.sort in _GROUPED_SORTS or q.sort == "visit_class":
            keys = _grouped_first(session, actor, q, size)
        if keys is None:
            keys = list(session.scalars(_list_statement(session, actor, q, _KEY).limit(size + 1)))
        if not complete:
            complete = len(keys) <= size
            keys = keys[:size]
        shown = keys[:size]
        rows = _rows_by_key(session, actor, shown)
        if len(rows) != len(shown):  # one vanished meanwhile: fetched again when shown
            rows = []
    return ListPage(keys, rows, complete)


def _walk(session: Session, actor: Actor, q: CustomerQuery, size: int) -> list[str] | None:
    """The first ``size + 1`` matches of a common term, by walking the list in display order
    (an index walk checking each row); None when ``_WALK_LIMIT`` rows did not fill it, and
    on a database other than SQLite, whose plans keep no order without an ORDER BY (the
    plain query with its LIMIT answers there, through the trigram index of migration 0011)."""
    if session.get_bind().dialect.name != "sqlite":
        return None
    window = (
        _list_statement(session, actor, q, _KEY.label("k"), search=False)
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
            .where(CustomerSearch.customer_id == window.c.k, like)
            .exists()
        )
        .limit(size + 1)
    )
    keys = list(session.scalars(probe))
    return keys if len(keys) > size else None


def _grouped_first(session: Session, actor: Actor, q: CustomerQuery, size: int) -> list[str]:
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
    keys: list[str] = []
    for condition in groups:
        stmt = (
            _list_statement(session, actor, by_name, _KEY)
            .where(condition)
            .limit(size + 1 - len(keys))
        )
        keys.extend(session.scalars(stmt))
        if len(keys) > size:
            break
    return keys


def _row_statement(session: Session, actor: Actor, mapping: dict[str, int] | None = None) -> Select:
    mapping = _class_mapping(session) if mapping is None else mapping
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


def _rows_statement(
    session: Session, actor: Actor, mapping: dict[str, int] | None = None
) -> Select:
    mapping = _class_mapping(session) if mapping is None else mapping
    key = (actor, tuple(sorted(mapping.items())))
    stmt = _row_statements.get(key)
    if stmt is None:
        if len(_row_statements) > 64:
            _row_statements.clear()
        stmt = _row_statement(session, actor, mapping).where(
            _KEY.in_(bindparam("keys", expanding=True))
        )
        _row_statements[key] = stmt
    return stmt


def _rows_by_key(
    session: Session, actor: Actor, keys: list[str], mapping: dict[str, int] | None = None
) -> list[CustomerRow]:
    if not keys:
        return []
    stmt = _rows_statement(session, actor, mapping)
    # Core, not the ORM: plain columns, no entities (a page is fetched on every keystroke)
    by_key = {
        row[0]: CustomerRow(row[0], row[1], row[2] or "", *row[3:])
        for row in session.connection().execute(stmt, {"keys": list(keys)})
    }
    return [by_key[k] for k in keys if k in by_key]


def fetch_rows_by_key(
    db: Database, actor: Actor, keys: list[str], *, class_mapping: dict[str, int] | None = None
) -> list[CustomerRow]:
    """The list rows for ``keys`` (customer ids, from ``list_keys``/``first_page``), in that
    order, less any that vanished or are not the actor's.  ``class_mapping``: the tier ->
    visit class setting when the caller holds it as it is now (the search cache reads it
    with its snapshot), saving a read of it."""
    with db.session() as session:
        return _rows_by_key(session, actor, keys, class_mapping)


def fetch_rows(db: Database, actor: Actor, ids: list[str]) -> list[CustomerRow]:
    """The list rows for ``ids`` (a page of the list), in the order asked for."""
    return fetch_rows_by_key(db, actor, ids)


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
