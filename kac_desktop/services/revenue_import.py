"""Importing monthly revenue from the finance system's workbook: preview, then one
transaction (the customer import's preview/run split and all-or-nothing rule).

Replace, never add twice: for every customer and month the file holds, the file's figures
*are* that month — a line already stored with another amount is updated, a line stored but
absent from the file is removed, an identical line is left alone (its version stays).  So
importing the same workbook again changes nothing, and a corrected export replaces the
month.  Customers and months the file does not hold are not touched.  With
``skip_invalid``, a customer's month whose every row was rejected is not touched either.

The preview compares the file with the stored rows and keeps that plan; the import
carries it out when nothing was written since (the newest audit record is still the
preview's: every change of revenue leaves one, docs/DOMAIN.md §7).  Otherwise it compares
again, under the write lock, and refuses when the counts the user was shown no longer
hold (``StalePreview``).

Speed (120,000 rows, benchmarks/cases_import.py): the workbook is read by python-calamine
without tidying every cell; customers, months and lines are resolved through dicts keyed
by the raw cells; the stored rows are read once, one query per range of months, on the
DBAPI connection; rows are deleted and updated by rowid in table order and inserted with
executemany; the year's points, target and suggestion are recomputed in SQL
(``services.assessments``); one audit record sums the import up.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from pathlib import Path

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from kac_desktop.db import Database, raw_sql
from kac_desktop.i18n import _, gettext_in
from kac_desktop.io import revenue_import as parsing
from kac_desktop.io.mapping import Rejection, choose_columns
from kac_desktop.io.rejections import summary as rejection_summary
from kac_desktop.io.workbook import Table, WorkbookError, read_table, require_rows
from kac_desktop.models import AuditRecord, Customer, ProductLine, new_id, utcnow
from kac_desktop.progress import NullProgress, Progress, check
from kac_desktop.rules import points as rules
from kac_desktop.rules import vocab
from kac_desktop.rules.clock import business_today
from kac_desktop.rules.names import normalise_name

from . import assessments, audit
from . import revenue as revenue_service
from .bulk import cyclic_gc_paused
from .changes import ChangeSet, Kind
from .context import Actor
from .customer_import import describe_rejection
from .errors import ServiceError

__all__ = [
    "RevenueImportResult",
    "RevenuePreview",
    "StalePreview",
    "describe_rejection",
    "preview_import",
    "run_import",
]

# finance systems' own words for the product lines
LINE_ALIASES = {
    "letters": ("函件", "信函", "函件业务"),
    "express": ("速递", "快递", "物流", "速递物流", "EMS", "包裹", "快包"),
    "newspapers": ("报刊", "报刊发行", "发行"),
    "philately": ("集邮",),
    "finance": ("代理金融", "金融", "邮政金融"),
    "agency": ("代理", "代理业务", "代收代缴"),
    "ecommerce": ("电商", "电子商务", "邮乐"),
}


@dataclass
class RevenuePreview:
    path: Path
    headers: list[str]
    mapping: dict[str, int]
    rows: list[parsing.RevenueRow]
    rejections: list[Rejection]
    total_rows: int
    sheet_name: str = ""
    customer_names: dict[str, str] = field(default_factory=dict)
    line_names: dict[str, str] = field(default_factory=dict)
    new: int = 0  # rows not stored yet
    changed: int = 0  # stored with another amount
    unchanged: int = 0
    removed: int = 0  # stored lines of the file's customer-months that the file leaves out
    today: date = field(default_factory=date.today)
    # what the import writes, as compared by the preview (run_import checks it still holds)
    plan: _Plan | None = field(default=None, repr=False, compare=False)

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({r.row_number for r in self.rejections})

    @property
    def months(self) -> list[int]:
        return sorted({r.month for r in self.rows})

    @property
    def customers(self) -> int:
        return len({r.customer_id for r in self.rows})

    def sample(self, n: int = 200) -> list[list[object]]:
        """The first ``n`` rows as the preview shows them."""
        return [
            [
                r.row_number,
                self.customer_names.get(r.customer_id, ""),
                f"{r.month // 100}-{r.month % 100:02d}",
                self.line_names.get(r.product_line, r.product_line),
                f"{r.amount:,.2f}",
            ]
            for r in self.rows[:n]
        ]

    def describe(self) -> str:
        months = "、".join(f"{m // 100}-{m % 100:02d}" for m in self.months[:6])
        if len(self.months) > 6:
            months += "…"
        return _(
            "{total} rows read: {valid} ready ({customers} customers, months {months}), "
            "{rejected} rejected. Against the database: {new} new, {changed} changed, "
            "{unchanged} unchanged, {removed} removed."
        ).format(
            total=self.total_rows,
            valid=len(self.rows),
            customers=self.customers,
            months=months or "-",
            rejected=len(self.rejected_rows),
            new=self.new,
            changed=self.changed,
            unchanged=self.unchanged,
            removed=self.removed,
        )


@dataclass
class RevenueImportResult:
    ok: bool
    rejected: list[Rejection]
    valid_rows: int
    file_name: str
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    customer_ids: tuple[str, ...] = ()
    assessments: int = 0
    rejections_file: str = ""  # where the whole list of rejected rows was written

    @property
    def changes(self) -> ChangeSet:
        """The customers whose revenue (and so points and suggested tier) changed."""
        return ChangeSet.of(Kind.REVENUE, self.customer_ids)

    def describe(self) -> str:
        lines: list[str] = []
        rows = len({r.row_number for r in self.rejected})
        if not self.ok:
            lines.append(
                _(
                    "No revenue was imported: {rows} rows of {file} have problems (listed "
                    "below). Correct them in the workbook and import it again, or import only "
                    "the valid rows ({valid}) with --skip-invalid (“Import valid rows only” in "
                    "the window)."
                ).format(rows=rows, file=self.file_name, valid=self.valid_rows)
            )
        else:
            lines.append(
                _(
                    "Revenue imported from {file}: {new} new, {changed} changed, {unchanged} "
                    "unchanged, {removed} removed; points and tier suggestions of {customers} "
                    "customers brought up to date."
                ).format(
                    file=self.file_name,
                    new=self.new,
                    changed=self.changed,
                    unchanged=self.unchanged,
                    removed=self.removed,
                    customers=len(self.customer_ids),
                )
            )
            if rows:
                lines.append(_("Rows not imported because of problems: {rows}.").format(rows=rows))
        lines += rejection_summary(
            self.rejected, describe_rejection, whole_list=self.rejections_file
        )
        return "\n".join(lines)


# ---------------------------------------------------------------- lookups


def _fold(text: str) -> str:
    return parsing.line_key(text)


def line_spellings(session: Session) -> tuple[dict[str, str], dict[str, str]]:
    """(every accepted spelling → code, code → name shown) of the product lines."""
    spellings: dict[str, str] = {}
    names: dict[str, str] = {}
    for code, name in session.execute(
        select(ProductLine.code, ProductLine.name).order_by(ProductLine.sort_order)
    ):
        names[code] = name
        english = vocab.PRODUCT_LINES.get(code, code)
        for text in (
            code,
            name,
            english,
            gettext_in("zh_CN", english),
            *LINE_ALIASES.get(code, ()),
        ):
            spellings.setdefault(_fold(text), code)
    # the DB's own names win over a vocabulary label shared with another line (金融)
    for code, name in names.items():
        spellings[_fold(name)] = code
    return spellings, names


class _Customers:
    """Every customer file by credit code and by normalised name, loaded once."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.actor = actor
        self.by_code: dict[str, tuple] = {}
        self.by_name: dict[str, list[tuple]] = {}
        self.names: dict[str, str] = {}
        stmt = select(
            Customer.id,
            Customer.credit_code,
            Customer.name_key,
            Customer.name,
            Customer.manager_id,
            Customer.branch_id,
        )
        for row in session.execute(stmt):
            cid, code, key, name = row[0], row[1], row[2], row[3]
            self.names[cid] = name
            if code:
                self.by_code[code] = tuple(row)
            if key:
                self.by_name.setdefault(key, []).append(tuple(row))

    def _allowed(self, row: tuple) -> bool:
        if self.actor.is_admin:
            return True
        if self.actor.role == "supervisor":
            return row[5] == self.actor.branch_id
        return row[4] == self.actor.user_id

    def resolve(self, code: str, name: str) -> str:
        if code:
            row = self.by_code.get(code)
            if row is None:
                raise ValueError(
                    _("No customer file has the credit code {code}.").format(code=code)
                )
        else:
            if not name:
                raise ValueError(_("The customer is missing: give the credit code or the name."))
            found = self.by_name.get(normalise_name(unicodedata.normalize("NFKC", name)), [])
            if not found:
                raise ValueError(
                    _(
                        "No customer file is called “{name}”. Give the credit code, or add the "
                        "customer first."
                    ).format(name=name)
                )
            if len(found) > 1:
                raise ValueError(
                    _("Several customer files are called “{name}”; give the credit code.").format(
                        name=name
                    )
                )
            row = found[0]
        if not self._allowed(row):
            raise ValueError(
                _(
                    "“{name}” is kept by another manager or branch; you may not import its revenue."
                ).format(name=row[3])
            )
        return row[0]


# ---------------------------------------------------------------- comparing


class StalePreview(ServiceError):
    """The stored revenue changed between the preview and the import."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "The revenue stored for the months of this workbook was changed after the "
                "preview (by another import or a correction), so the comparison shown is out "
                "of date. Nothing was imported: check the workbook again, then import it."
            )
        )


# the stored rows of one range of months: how the writes find each row (SQLite: its rowid,
# in table order; elsewhere its id), customer, month, line and amount in fen
# the import reads a few columns of 100,000s of rows: it takes them untidied (read_table)
READ_TIDY = False

_STORED_SQL = (
    "SELECT {ref}, customer_id, month, product_line, CAST(ROUND(amount * 100) AS BIGINT) "
    "FROM revenues WHERE month BETWEEN ? AND ?"
)
_FEW_CUSTOMERS = 2000  # up to this many, read their rows only (by the customer index)

_Key = tuple[str, int, str]  # customer id, month, product line code


@dataclass
class _Plan:
    """The writes that make the stored months equal to the file's."""

    token: tuple | None  # the newest audit record before the stored rows were read
    exact: bool  # the token proves the stored rows unchanged (SQLite)
    new: list[parsing.RevenueRow]
    changed: list[tuple[object, parsing.RevenueRow]]  # (the stored row's ref, the file's row)
    removed: list[tuple[object, _Key]]  # (ref, key)
    unchanged: int

    def counts(self) -> tuple[int, int, int, int]:
        return len(self.new), len(self.changed), self.unchanged, len(self.removed)


def _token(connection: Connection) -> tuple | None:
    row = connection.execute(
        select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
    ).first()
    return tuple(row) if row is not None else None


def _month_ranges(months: set[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for month in sorted(months):
        if ranges and rules.add_months(ranges[-1][1], 1) == month:
            ranges[-1] = (ranges[-1][0], month)
        else:
            ranges.append((month, month))
    return ranges


def _stored(connection: Connection, rows: list[parsing.RevenueRow]) -> dict[_Key, tuple]:
    """The stored rows of the customers and months in ``rows``: (customer, month, line) →
    (ref, amount in fen)."""
    # the file's own str objects: the plan's look-ups then compare keys by identity
    customers = {r[1]: r[1] for r in rows}
    lines = {r[3]: r[3] for r in rows}
    sql = _STORED_SQL.format(ref="rowid" if raw_sql.is_sqlite(connection) else "id")
    ordered = sorted(customers) if len(customers) <= _FEW_CUSTOMERS else []
    found: list[tuple] = []
    for first, last in _month_ranges({r.month for r in rows}):
        if ordered:
            for start in range(0, len(ordered), 500):
                chunk = ordered[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                found += raw_sql.query(
                    connection,
                    sql + f" AND customer_id IN ({marks})",
                    (first, last, *chunk),
                )
        else:
            found += raw_sql.query(connection, sql, (first, last))
    stored: dict[_Key, tuple] = {}
    customer, line_code = customers.get, lines.get
    for ref, cid, month, line, fen in found:
        cid = customer(cid)
        if cid is not None:
            stored[(cid, month, line_code(line, line))] = (ref, fen)
    return stored


def _plan(
    rows: list[parsing.RevenueRow], stored: dict[_Key, tuple], token: tuple | None, exact: bool
) -> _Plan:
    new: list[parsing.RevenueRow] = []
    changed: list[tuple[object, parsing.RevenueRow]] = []
    take = stored.pop
    for row in rows:
        found = take(row[1:4], None)  # (customer_id, month, product_line)
        if found is None:
            new.append(row)
        elif found[1] != row[4]:  # fen
            changed.append((found[0], row))
    unchanged = len(rows) - len(new) - len(changed)
    removed: list[tuple[object, _Key]] = []
    if stored:  # stored lines the file leaves out: removed where the file has the month
        pairs = {row[1:3] for row in rows}
        removed = [(v[0], key) for key, v in stored.items() if key[:2] in pairs]
    return _Plan(token, exact, new, changed, removed, unchanged)


def _compare(connection: Connection, rows: list[parsing.RevenueRow]) -> _Plan:
    # the token first: a write committed in between makes it older than the rows read,
    # which the import notices, never the other way round
    token = _token(connection)
    return _plan(rows, _stored(connection, rows), token, raw_sql.is_sqlite(connection))


# ---------------------------------------------------------------- preview


def preview_import(
    db: Database,
    actor: Actor,
    path: str | os.PathLike[str],
    *,
    mapping: dict[str, int] | None = None,
    mapping_file: str | None = None,
    columns: Mapping[str, str] | None = None,
    today: date | None = None,
    progress: Progress | None = None,
    table: Table | None = None,
) -> RevenuePreview:
    """Read and check the workbook at ``path``; nothing is written.  Raises ServiceError
    (unreadable file, a required column missing) or ``Cancelled`` through ``progress``.
    ``table``: the workbook as ``read_table(path, tidy=READ_TIDY)`` read it already (the
    import window reads it once for its columns and its preview)."""
    today = today or business_today()
    progress = progress or NullProgress()
    path = Path(path)
    check(progress, 0.0, _("Reading the workbook…"))
    try:
        if table is None:
            table = read_table(path, tidy=READ_TIDY)
        require_rows(table, path.name)  # a header alone: refused, nothing recorded
        if mapping is None:
            # the columns named (--column), a saved mapping, then what the headers mean
            saved = parsing.load_mapping(mapping_file) if mapping_file else None
            mapping = choose_columns(table.headers, parsing.FIELDS, named=columns, saved=saved)
        check(progress, 0.3, _("Checking the rows…"))
        with cyclic_gc_paused(), db.session() as session:
            customers = _Customers(session, actor)
            spellings, names = line_spellings(session)
            parsed = parsing.parse(
                table,
                mapping,
                resolve_customer=customers.resolve,
                lines=spellings,
                latest_month=rules.month_of(today),
                allowed_lines="、".join(names.values()),
                progress=_Scaled(progress, 0.3, 0.8),
            )
            check(progress, 0.8, _("Comparing with the database…"))
            plan = _compare(session.connection(), parsed.rows)
    except WorkbookError as exc:
        raise ServiceError(exc.message) from exc
    used = {r.customer_id for r in parsed.rows[:200]}
    progress.report(1.0)
    new, changed, unchanged, removed = plan.counts()
    return RevenuePreview(
        path=path,
        headers=table.headers,
        mapping=dict(mapping),
        rows=parsed.rows,
        rejections=sorted(parsed.rejections, key=lambda r: r.row_number),
        total_rows=parsed.total_rows,
        sheet_name=table.sheet_name,
        customer_names={cid: customers.names[cid] for cid in used},
        line_names=names,
        new=new,
        changed=changed,
        unchanged=unchanged,
        removed=removed,
        today=today,
        plan=plan,
    )


@contextmanager
def _big_cache(connection):
    """A page cache that holds the revenue table and indexes while the import works (as
    the demo builder does): its writes reach every index in random order.  This pooled
    connection gets its own size back afterwards."""
    if connection.dialect.name != "sqlite":
        yield
        return
    size = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{256 * 1024}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(size)}")


class _Scaled:
    """A progress handle that maps 0…1 into ``low``…``high`` of another one."""

    def __init__(self, inner: Progress, low: float, high: float) -> None:
        self.inner, self.low, self.high = inner, low, high

    def report(self, fraction: float, message: str = "") -> None:
        self.inner.report(self.low + (self.high - self.low) * fraction, message)

    def cancelled(self) -> bool:
        return self.inner.cancelled()


# ---------------------------------------------------------------- import

_DELETE = "DELETE FROM revenues WHERE {where}"
_UPDATE = (
    "UPDATE revenues SET amount = ?, updated_at = ?, updated_by = ?, version = version + 1 "
    "WHERE {where}"
)
_INSERT = (
    "INSERT INTO revenues (id, customer_id, month, product_line, amount, created_at, "
    "updated_at, updated_by, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)"
)
_BATCH = 20_000


def _current_plan(connection: Connection, preview: RevenuePreview) -> _Plan:
    """The preview's plan when nothing was written since, else a new comparison that must
    come to the counts the preview showed."""
    raw_sql.lock_for_writing(connection)
    plan = preview.plan
    if plan is not None and plan.exact and _token(connection) == plan.token:
        return plan
    fresh = _compare(connection, preview.rows)
    if plan is not None and fresh.counts() != plan.counts():
        raise StalePreview()
    return fresh


def _write(
    connection: Connection, plan: _Plan, user_id: str, progress: Progress, total: int
) -> None:
    """Carry ``plan`` out.  SQLite finds the rows by rowid, in table order (a third of the
    time of finding them by id), and checks that each is still the customer's month and
    line; a row not found where the plan says, or found where it says none is, raises
    ``StalePreview``."""
    message = _("Importing revenue: {done} of {total}")
    if raw_sql.is_sqlite(connection):
        where = "rowid = ? AND customer_id = ? AND month = ? AND product_line = ?"

        def ref(stored: object, key: _Key) -> tuple:
            return (stored, *key)
    else:
        where = "id = ?"

        def ref(stored: object, key: _Key) -> tuple:
            return (stored,)

    stamp = raw_sql.stored_time(connection, utcnow())
    money = raw_sql.money_storage(connection)
    order = itemgetter(0)
    removed = sorted(plan.removed, key=order)
    changed = sorted(plan.changed, key=order)
    found = raw_sql.execute_many(
        connection, _DELETE.format(where=where), [ref(stored, key) for stored, key in removed]
    )
    done = 0
    for start in range(0, len(changed), _BATCH):
        batch = changed[start : start + _BATCH]
        found += raw_sql.execute_many(
            connection,
            _UPDATE.format(where=where),
            [(money(row[4]), stamp, user_id, *ref(stored, row[1:4])) for stored, row in batch],
        )
        done += len(batch)
        check(progress, 0.1 + 0.6 * done / total, message.format(done=done, total=total))
    if found != len(removed) + len(changed):
        raise StalePreview()
    inserted = sorted(plan.new, key=itemgetter(1, 2, 3))
    for start in range(0, len(inserted), _BATCH):
        rows = inserted[start : start + _BATCH]
        try:
            raw_sql.execute_many(
                connection,
                _INSERT,
                [(new_id(), *row[1:4], money(row[4]), stamp, stamp, user_id) for row in rows],
            )
        except connection.dialect.loaded_dbapi.IntegrityError:
            raise StalePreview() from None  # a line stored since, without a trace
        done += len(rows)
        check(progress, 0.1 + 0.6 * done / total, message.format(done=done, total=total))


def run_import(
    db: Database,
    actor: Actor,
    preview: RevenuePreview,
    *,
    skip_invalid: bool,
    progress: Progress | None = None,
) -> RevenueImportResult:
    """Store the previewed rows in one transaction (see the module text).

    With rejected rows and ``skip_invalid`` false nothing is written and the result is not
    ``ok``.  A cancel raises ``Cancelled``, stored revenue changed since the preview
    ``StalePreview``; like any error they leave the database as it was.
    """
    progress = progress or NullProgress()
    name = preview.path.name
    rejected = list(preview.rejections)
    if rejected and not skip_invalid:
        return RevenueImportResult(False, rejected, len(preview.rows), name)
    rows = preview.rows
    customer_ids = tuple(sorted({r.customer_id for r in rows}))
    total = max(1, len(rows))
    check(progress, 0.0, _("Importing revenue: {done} of {total}").format(done=0, total=total))
    with cyclic_gc_paused():
        with db.session() as session, session.begin(), _big_cache(session.connection()):
            connection = session.connection()
            plan = _current_plan(connection, preview)
            check(
                progress, 0.1, _("Importing revenue: {done} of {total}").format(done=0, total=total)
            )
            _write(connection, plan, actor.user_id, progress, total)
            check(progress, 0.7, _("Bringing points and tier suggestions up to date…"))
            assessed = 0
            if plan.new or plan.changed or plan.removed:
                years = revenue_service.affected_years(preview.months, preview.today)
                assessed = assessments.recompute(session, years, customer_ids, today=preview.today)
            check(progress, 0.98, _("Bringing points and tier suggestions up to date…"))
            new, changed, unchanged, removed = plan.counts()
            audit.record(
                session,
                actor,
                "import.revenue",
                "revenue",
                None,
                _("Revenue import from {file}").format(file=name),
                {
                    "file": name,
                    "sheet": preview.sheet_name,
                    "months": preview.months,
                    "customers": len(customer_ids),
                    "new": new,
                    "changed": changed,
                    "unchanged": unchanged,
                    "removed": removed,
                    "rejected_rows": len(preview.rejected_rows),
                    "skip_invalid": skip_invalid,
                },
            )
    progress.report(1.0)
    return RevenueImportResult(
        True,
        rejected,
        len(rows),
        name,
        new,
        changed,
        unchanged,
        removed,
        customer_ids,
        assessed,
    )


def write_template(path: str | os.PathLike[str], db: Database, today: date | None = None) -> None:
    """A blank revenue workbook with the recognised headers and two example rows."""
    today = today or business_today()
    with db.session() as session:
        _spellings, names = line_spellings(session)
    try:
        parsing.write_template(str(path), list(names.values()), rules.month_of(today))
    except WorkbookError as exc:
        raise ServiceError(exc.message) from exc
