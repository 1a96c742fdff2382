"""Importing monthly revenue from the finance system's workbook: preview, then one
transaction (the customer import's preview/run split and all-or-nothing rule).

Replace, never add twice: for every customer and month the file holds, the file's figures
*are* that month — a line already stored with another amount is updated, a line stored but
absent from the file is removed, an identical line is left alone (its version stays).  So
importing the same workbook again changes nothing, and a corrected export replaces the
month.  Customers and months the file does not hold are not touched.  With
``skip_invalid``, a customer's month whose every row was rejected is not touched either.

Speed (120,000 rows): customers are resolved through dicts loaded once, the stored rows of
the file's months are read once through the ``(month, customer_id, amount)`` index, and the
differences are written with Core executemany; the year's points, target and suggestion are
then recomputed in SQL for the customers in the file.
"""

from __future__ import annotations

import os
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.orm import Session

from kac_desktop.db import Database
from kac_desktop.i18n import _, gettext_in
from kac_desktop.io import revenue_import as parsing
from kac_desktop.io.customer_import import Rejection
from kac_desktop.io.workbook import WorkbookError, read_table
from kac_desktop.models import Customer, ProductLine, Revenue, new_id, utcnow
from kac_desktop.progress import NullProgress, Progress, check
from kac_desktop.rules import points as rules
from kac_desktop.rules import vocab
from kac_desktop.rules.names import normalise_name

from . import audit
from . import revenue as revenue_service
from .context import Actor, Change
from .customer_import import cyclic_gc_paused, describe_rejection
from .errors import ServiceError

__all__ = ["RevenueImportResult", "RevenuePreview", "describe_rejection", "preview_import"]

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

    def change(self) -> Change:
        return Change("revenue", self.customer_ids)

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
        for r in self.rejected:
            lines.append("  " + describe_rejection(r))
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


# ---------------------------------------------------------------- preview


def _stored(
    session: Session, rows: list[parsing.RevenueRow]
) -> dict[tuple[str, int, str], tuple[str, int]]:
    """The stored rows of the customers and months in ``rows``: (customer, month, line) →
    (id, amount in fen)."""
    months = sorted({r.month for r in rows})
    customers = {r.customer_id for r in rows}
    stored: dict[tuple[str, int, str], tuple[str, int]] = {}
    if not months:
        return stored
    table = Revenue.__table__
    # amounts in fen as integers: exact, and no Decimal conversion of 100,000s of rows
    stmt = select(
        table.c.id,
        table.c.customer_id,
        table.c.month,
        table.c.product_line,
        cast(func.round(table.c.amount * 100), BigInteger),
    ).where(table.c.month.in_(months))
    for rid, cid, month, line, fen in session.connection().execute(stmt).all():
        if cid in customers:
            stored[(cid, month, line)] = (rid, fen)
    return stored


@dataclass
class _Diff:
    new: list[parsing.RevenueRow]
    changed: list[tuple[str, parsing.RevenueRow]]
    unchanged: int
    removed: list[str]


def _diff(rows: list[parsing.RevenueRow], stored: dict) -> _Diff:
    pairs = {(r.customer_id, r.month) for r in rows}
    new: list[parsing.RevenueRow] = []
    changed: list[tuple[str, parsing.RevenueRow]] = []
    unchanged = 0
    in_file: set[tuple[str, int, str]] = set()
    for row in rows:
        key = (row.customer_id, row.month, row.product_line)
        in_file.add(key)
        found = stored.get(key)
        if found is None:
            new.append(row)
        elif found[1] != int(row.amount * 100):
            changed.append((found[0], row))
        else:
            unchanged += 1
    removed = [rid for key, (rid, _a) in stored.items() if key not in in_file and key[:2] in pairs]
    return _Diff(new, changed, unchanged, removed)


def preview_import(
    db: Database,
    actor: Actor,
    path: str | os.PathLike[str],
    *,
    mapping: dict[str, int] | None = None,
    mapping_file: str | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> RevenuePreview:
    """Read and check the workbook at ``path``; nothing is written.  Raises ServiceError
    (unreadable file, a required column missing) or ``Cancelled`` through ``progress``."""
    today = today or date.today()
    progress = progress or NullProgress()
    path = Path(path)
    check(progress, 0.0, _("Reading the workbook…"))
    try:
        table = read_table(path)
        if mapping is None:
            if mapping_file:
                mapping = parsing.remembered(table.headers, parsing.load_mapping(mapping_file))
            else:
                mapping = parsing.guess(table.headers)
        check(progress, 0.3, _("Checking the rows…"))
        with db.session() as session:
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
            diff = _diff(parsed.rows, _stored(session, parsed.rows))
    except WorkbookError as exc:
        raise ServiceError(exc.message) from exc
    used = {r.customer_id for r in parsed.rows[:200]}
    progress.report(1.0)
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
        new=len(diff.new),
        changed=len(diff.changed),
        unchanged=diff.unchanged,
        removed=len(diff.removed),
        today=today,
    )


@contextmanager
def _big_cache(connection):
    """A page cache that holds the revenue indexes while the import works (as the demo
    builder does): the random look-ups by id take half the time.  This pooled connection
    gets its own size back afterwards."""
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
    ``ok``.  A cancel raises ``Cancelled`` and, like any error, leaves the database as it was.
    """
    progress = progress or NullProgress()
    name = preview.path.name
    rejected = list(preview.rejections)
    if rejected and not skip_invalid:
        return RevenueImportResult(False, rejected, len(preview.rows), name)
    rows = preview.rows
    customer_ids = tuple(sorted({r.customer_id for r in rows}))
    message = _("Importing revenue: {done} of {total}")
    total = len(rows)
    check(progress, 0.0, message.format(done=0, total=total))
    with cyclic_gc_paused():
        with db.session() as session, session.begin(), _big_cache(session.connection()):
            connection = session.connection()
            diff = _diff(rows, _stored(session, rows))
            check(progress, 0.1, message.format(done=0, total=total))
            now = utcnow()
            revenue_service.bulk_delete(connection, diff.removed)
            revenue_service.bulk_update_amounts(
                connection,
                [
                    {"b_id": rid, "b_amount": row.amount, "b_at": now, "b_by": actor.user_id}
                    for rid, row in diff.changed
                ],
            )
            table = revenue_service.REVENUE_LITE
            insert = revenue_service.dialect_insert(connection, table)
            insert = insert.on_conflict_do_update(
                index_elements=[table.c.customer_id, table.c.month, table.c.product_line],
                set_={
                    "amount": insert.excluded.amount,
                    "updated_at": insert.excluded.updated_at,
                    "updated_by": insert.excluded.updated_by,
                    "version": table.c.version + 1,
                },
            )
            batch = 20_000
            new = diff.new
            for start in range(0, len(new), batch):
                values: list[dict[str, Any]] = [
                    {
                        "id": new_id(),
                        "customer_id": r.customer_id,
                        "month": r.month,
                        "product_line": r.product_line,
                        "amount": r.amount,
                        "created_at": now,
                        "updated_at": now,
                        "updated_by": actor.user_id,
                        "version": 1,
                    }
                    for r in new[start : start + batch]
                ]
                connection.execute(insert, revenue_service.storage_rows(connection, values))
                done = start + len(values)
                check(
                    progress,
                    0.1 + 0.6 * done / max(1, len(new)),
                    message.format(done=done, total=total),
                )
            check(progress, 0.7, _("Bringing points and tier suggestions up to date…"))
            touched = bool(diff.new or diff.changed or diff.removed)
            assessments = 0
            if touched:
                years = revenue_service.affected_years(preview.months, preview.today)
                assessments = revenue_service.recompute_assessments(
                    session, years, customer_ids, today=preview.today
                )
            check(progress, 0.98, _("Bringing points and tier suggestions up to date…"))
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
                    "new": len(diff.new),
                    "changed": len(diff.changed),
                    "unchanged": diff.unchanged,
                    "removed": len(diff.removed),
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
        len(diff.new),
        len(diff.changed),
        diff.unchanged,
        len(diff.removed),
        customer_ids,
        assessments,
    )


def write_template(path: str | os.PathLike[str], db: Database, today: date | None = None) -> None:
    """A blank revenue workbook with the recognised headers and two example rows."""
    today = today or date.today()
    with db.session() as session:
        _spellings, names = line_spellings(session)
    try:
        parsing.write_template(str(path), list(names.values()), rules.month_of(today))
    except WorkbookError as exc:
        raise ServiceError(exc.message) from exc
