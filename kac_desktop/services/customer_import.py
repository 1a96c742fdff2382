"""Importing customer files from an Excel workbook: preview first, then one transaction.

``preview_import`` reads and checks everything and writes nothing: rows to import, rows
rejected (with row number, column and reason), and rows already in the database.
``run_import`` then stores the rows through the same code as the editor's save
(``customers.save_in_session``), all of them in one transaction: either the whole import is
kept or nothing is (a rejected row without ``skip_invalid``, a cancel, any error).

Against the database (docs/DOMAIN.md §2, no double development):

* a row whose credit code is already stored is reported as *existing* (kept by whom) and
  not imported again: importing the same workbook twice changes nothing;
* a row whose normalised name is already stored is rejected, naming the manager who keeps
  that file.  The one exception is the same customer re-imported: same name, no
  contradicting credit code, and the same account manager; it counts as existing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import inspect as inspect_state
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from kac_desktop.db import Database, raw_sql
from kac_desktop.i18n import _
from kac_desktop.io import customer_import as parsing
from kac_desktop.io.customer_import import FIELDS_BY_KEY, ImportRow, Rejection
from kac_desktop.io.mapping import choose_columns
from kac_desktop.io.rejections import SHOWN
from kac_desktop.io.rejections import summary as rejection_summary
from kac_desktop.io.workbook import Table, WorkbookError, read_table, require_rows
from kac_desktop.models import Branch, Customer, User, utcnow
from kac_desktop.progress import NullProgress, Progress, check
from kac_desktop.rules import vocab
from kac_desktop.rules.clock import business_today
from kac_desktop.rules.names import normalise_name

from . import audit
from .bulk import cyclic_gc_paused
from .changes import ChangeSet, Kind
from .context import Actor
from .customers import save_in_session
from .errors import NotFound, PermissionDenied, ServiceError

PROGRESS_EVERY = 200


class ExistingRow(NamedTuple):
    """A row of the workbook whose customer is already in the database."""

    row_number: int
    name: str  # the name the database keeps
    manager_name: str


@dataclass
class ImportPreview:
    path: Path
    headers: list[str]
    mapping: dict[str, int]  # field key → column index
    rows: list[ImportRow]  # to import
    rejections: list[Rejection]
    existing: list[ExistingRow]
    total_rows: int  # non-blank rows in the sheet
    today: date
    sheet_name: str = ""
    manager_names: dict[str, str] = field(default_factory=dict)  # user id → name

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({r.row_number for r in self.rejections})

    def columns(self) -> list[tuple[str, str]]:
        """(field key, translated label) of the mapped fields, in the sheet's order."""
        keys = sorted(self.mapping, key=lambda key: self.mapping[key])
        return [(key, _(FIELDS_BY_KEY[key].label)) for key in keys if key in FIELDS_BY_KEY]

    def sample(self, n: int = 20) -> list[tuple[int, list[str]]]:
        """The first ``n`` rows to import as the preview table shows them: (row number,
        one text per column of ``columns()``)."""
        keys = [key for key, _label in self.columns()]
        return [
            (
                row.row_number,
                [
                    parsing.display_value(
                        key, row.data, self.manager_names.get(row.data.manager_id or "", "")
                    )
                    for key in keys
                ],
            )
            for row in self.rows[:n]
        ]


@dataclass
class ImportResult:
    imported: int
    rejected: list[Rejection]
    existing: int
    ok: bool
    ids: tuple[str, ...] = ()
    existing_rows: list[ExistingRow] = field(default_factory=list)
    valid_rows: int = 0  # rows that were ready to import
    file_name: str = ""
    rejections_file: str = ""  # where the whole list of rejected rows was written

    @property
    def changes(self) -> ChangeSet:
        """The new files (and their contacts, which no page lists on their own)."""
        return ChangeSet.of(Kind.CUSTOMER, self.ids, created=True)

    def describe(self) -> str:
        """A summary for the user, one line per rejected problem and existing customer."""
        lines: list[str] = []
        rows = len({r.row_number for r in self.rejected})
        if not self.ok:
            lines.append(
                _(
                    "Nothing was imported: {rows} rows of {file} have problems (listed below). "
                    "Correct them in the workbook and import it again, or import only the valid "
                    "rows ({valid}) with --skip-invalid (“Import valid rows only” in the window)."
                ).format(rows=rows, file=self.file_name, valid=self.valid_rows)
            )
        else:
            lines.append(
                _("Customers imported from {file}: {count}.").format(
                    file=self.file_name, count=self.imported
                )
            )
        if self.existing_rows:
            lines.append(
                _("Already in the database, not imported again: {count}.").format(
                    count=len(self.existing_rows)
                )
            )
            for row in self.existing_rows[:SHOWN]:
                lines.append(
                    "  "
                    + _("Row {row}: {name}, kept by {manager}.").format(
                        row=row.row_number, name=row.name, manager=row.manager_name
                    )
                )
            if len(self.existing_rows) > SHOWN:
                lines.append(
                    "  "
                    + _("… and {more} more.").format(more=f"{len(self.existing_rows) - SHOWN:,}")
                )
        if self.rejected:
            if self.ok:
                lines.append(_("Rows not imported because of problems: {rows}.").format(rows=rows))
            lines += rejection_summary(
                self.rejected, describe_rejection, whole_list=self.rejections_file
            )
        return "\n".join(lines)


def describe_rejection(r: Rejection) -> str:
    if r.column:
        return _("Row {row}, column “{column}”: {reason}").format(
            row=r.row_number, column=r.column, reason=r.reason
        )
    return _("Row {row}: {reason}").format(row=r.row_number, reason=r.reason)


# ---------------------------------------------------------------- account managers


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


class _Managers:
    """The users a row may name as its account manager, loaded once."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.actor = actor
        self.users: list[tuple[User, str]] = [
            (user, branch or "")
            for user, branch in session.execute(
                select(User, Branch.name)
                .outerjoin(Branch, User.branch_id == Branch.id)
                .where(User.active.is_(True))
            )
        ]
        self.names = {user.id: user.display_name for user, _b in self.users}
        # rows without a manager are the importer's own when his role keeps customers (a
        # manager, a supervisor); the city center's are nobody's until it says whose —
        # never the administrator's silently
        self.default: tuple[str, str | None] | None = (
            None if actor.is_admin else (actor.user_id, actor.branch_id)
        )

    def may_assign(self, user: User) -> bool:
        if self.actor.is_admin:
            return True
        if self.actor.role == "supervisor":
            return user.branch_id == self.actor.branch_id
        return user.id == self.actor.user_id

    def set_default(self, login: str) -> None:
        found = [(u, b) for u, b in self.users if u.login.lower() == login.strip().lower()]
        if not found:
            raise NotFound(_("There is no user with the login name {login}.").format(login=login))
        user, branch = found[0]
        if not self.may_assign(user):
            raise PermissionDenied(self._refusal(user, branch))
        self.default = (user.id, user.branch_id)

    def _refusal(self, user: User, branch: str) -> str:
        if self.actor.role == "manager":
            return _("You may import customers only for yourself, not for {name}.").format(
                name=user.display_name
            )
        return _("You may not assign customers to {name} of {branch}.").format(
            name=user.display_name, branch=branch or "-"
        )

    def resolve(self, text: str) -> tuple[str, str | None] | None:
        if not text.strip():
            if self.default is None:
                raise ValueError(
                    _(
                        "This row names no account manager. Fill in the column 客户经理, or "
                        "choose who keeps the rows without one (on the command line: "
                        "--manager LOGIN)."
                    )
                )
            return self.default
        wanted = _fold(text)
        found = [(u, b) for u, b in self.users if _fold(u.login) == wanted]
        if not found:
            found = [(u, b) for u, b in self.users if _fold(u.display_name) == wanted]
        if not found:
            return None
        allowed = [(u, b) for u, b in found if self.may_assign(u)]
        if len(allowed) > 1:
            raise ValueError(
                _("Several users are called “{name}”; write the login name instead.").format(
                    name=text.strip()
                )
            )
        if not allowed:
            raise ValueError(self._refusal(*found[0]))
        user = allowed[0][0]
        return user.id, user.branch_id


# ---------------------------------------------------------------- the database check


@dataclass(frozen=True)
class _Kept:
    name: str
    credit_code: str
    manager_id: str
    manager_name: str
    branch_name: str


def _known_customers(session: Session, since=None) -> tuple[dict[str, _Kept], dict[str, _Kept]]:
    """Every stored file (archived too: it still keeps its customer) by credit code and by
    normalised name, in one query; with ``since``, only the files saved (created or
    changed) from that moment on."""
    by_code: dict[str, _Kept] = {}
    by_name: dict[str, _Kept] = {}
    stmt = (
        select(
            Customer.credit_code,
            Customer.name_key,
            Customer.name,
            Customer.manager_id,
            User.display_name,
            Branch.name,
        )
        .join(User, Customer.manager_id == User.id)
        .join(Branch, Customer.branch_id == Branch.id)
    )
    if since is not None:
        stmt = stmt.where(Customer.updated_at >= since)
    for code, key, name, manager_id, manager, branch in session.execute(stmt):
        kept = _Kept(name, code or "", manager_id, manager, branch)
        if code:
            by_code.setdefault(code, kept)
        if key:
            by_name.setdefault(key, kept)
    return by_code, by_name


def _against_database(
    row: ImportRow,
    name_key: str,
    known: tuple[dict[str, _Kept], dict[str, _Kept]],
    name_header: str,
) -> ExistingRow | Rejection | None:
    by_code, by_name = known
    data = row.data
    if data.credit_code and data.credit_code in by_code:
        kept = by_code[data.credit_code]
        return ExistingRow(row.row_number, kept.name, kept.manager_name)
    kept_by_name = by_name.get(name_key)
    if kept_by_name is None:
        return None
    codes_agree = not data.credit_code or not kept_by_name.credit_code
    if codes_agree and kept_by_name.manager_id == data.manager_id:
        return ExistingRow(row.row_number, kept_by_name.name, kept_by_name.manager_name)
    return Rejection(
        row.row_number,
        name_header,
        _(
            "A customer with the same name, “{name}”, is already kept by {manager} ({branch}). "
            "A customer may not be developed twice; ask your supervisor to transfer the file "
            "if it should be yours."
        ).format(
            name=kept_by_name.name,
            manager=kept_by_name.manager_name,
            branch=kept_by_name.branch_name,
        ),
    )


def _remember(
    known: tuple[dict[str, _Kept], dict[str, _Kept]], row: ImportRow, name_key: str
) -> None:
    kept = _Kept(row.data.name, row.data.credit_code, row.data.manager_id or "", "", "")
    if row.data.credit_code:
        known[0].setdefault(row.data.credit_code, kept)
    known[1].setdefault(name_key, kept)


# ---------------------------------------------------------------- preview and import


READ_TIDY = True  # how preview_import reads the workbook (read_table)


def preview_import(
    db: Database,
    actor: Actor,
    path: str | Path,
    *,
    mapping: dict[str, int] | None = None,
    mapping_file: str | None = None,
    columns: Mapping[str, str] | None = None,
    manager_login: str | None = None,
    registered_on: date | None = None,
    today: date | None = None,
    progress: Progress | None = None,
    table: Table | None = None,
) -> ImportPreview:
    """Read and check the workbook at ``path``; nothing is written.

    ``mapping`` (field key → column index) wins over ``columns`` (field key → header, as
    ``--column`` names them), then ``mapping_file`` (saved by
    ``io.customer_import.save_mapping``), then what the headers mean (``io.mapping.recognise``;
    several columns claiming one field are refused, never guessed between).  Rows
    without an account manager go to ``manager_login``'s user, or else to the actor (a manager
    or supervisor); the city center's rows without one are rejected, asking whose.  Rows
    without a registration date (登记日期) get ``registered_on``, or else the day of the import.

    Raises ServiceError (the file cannot be read, no column holds the customer name),
    NotFound or PermissionDenied (``manager_login``), or ``Cancelled`` through ``progress``.
    ``table``: the workbook as ``read_table(path, tidy=READ_TIDY)`` read it already (the
    import window reads it once for its columns and its preview).
    """
    today = today or business_today()
    path = Path(path)
    if registered_on is not None and registered_on > today:
        raise ServiceError(
            _("The registration date {date} is in the future.").format(
                date=registered_on.isoformat()
            )
        )
    try:
        if table is None:
            table = read_table(path, tidy=READ_TIDY)
        require_rows(table, path.name)  # a header alone: refused, nothing recorded
        if mapping is None:
            saved = parsing.load_mapping(mapping_file) if mapping_file else None
            mapping = choose_columns(table.headers, parsing.FIELDS, named=columns, saved=saved)
        with db.session() as session:
            managers = _Managers(session, actor)
            if manager_login:
                managers.set_default(manager_login)
            parsed = parsing.parse(
                table, mapping, today=today, resolve_manager=managers.resolve, progress=progress
            )
            known = _known_customers(session)
    except WorkbookError as exc:
        raise ServiceError(exc.message) from exc

    name_header = table.headers[mapping["name"]]
    tier_header = table.headers[mapping["tier"]] if "tier" in mapping else ""
    rows: list[ImportRow] = []
    rejections = list(parsed.rejections)
    existing: list[ExistingRow] = []
    for row in parsed.rows:
        if row.data.registered_on is None:
            row.data.registered_on = registered_on or today
        if not actor.is_supervisor and row.data.tier != "ordinary":
            # as in the editor: a manager's new file starts as ordinary (save_in_session
            # refuses it too; here the user learns it at the preview, with the column)
            rejections.append(
                Rejection(
                    row.row_number,
                    tier_header,
                    _(
                        "Only a supervisor confirms a customer's tier. Leave this cell empty or write "
                        "“{ordinary}”, and ask your supervisor to confirm the tier later."
                    ).format(ordinary=vocab.label(vocab.TIERS, "ordinary")),
                )
            )
            continue
        verdict = _against_database(row, normalise_name(row.data.name), known, name_header)
        if verdict is None:
            rows.append(row)
        elif isinstance(verdict, ExistingRow):
            existing.append(verdict)
        else:
            rejections.append(verdict)
    rejections.sort(key=lambda r: r.row_number)
    return ImportPreview(
        path=path,
        headers=table.headers,
        mapping=dict(mapping),
        rows=rows,
        rejections=rejections,
        existing=existing,
        total_rows=parsed.total_rows,
        today=today,
        sheet_name=table.sheet_name,
        manager_names=managers.names,
    )


class _Abort(Exception):
    pass


def run_import(
    db: Database,
    actor: Actor,
    preview: ImportPreview,
    *,
    skip_invalid: bool,
    progress: Progress | None = None,
) -> ImportResult:
    """Store the previewed rows in one transaction.

    With rejected rows and ``skip_invalid`` false nothing is written and the result is not
    ``ok``.  The rows are checked against the database again inside the transaction (files
    saved since the preview count too).  ``progress`` is checked every 200 rows; a cancel
    raises ``Cancelled`` and, like any other error, leaves the database as it was.
    """
    progress = progress or NullProgress()
    name = preview.path.name
    rejected = list(preview.rejections)
    if rejected and not skip_invalid:
        return ImportResult(
            0,
            rejected,
            len(preview.existing),
            False,
            (),
            list(preview.existing),
            len(preview.rows),
            name,
        )

    for attempt in range(ATTEMPTS):
        try:
            return _store(db, actor, preview, skip_invalid, progress, last=attempt == ATTEMPTS - 1)
        except _SavedMeanwhile:
            continue  # another user saved a file this import would double: check again
    raise AssertionError("the last attempt holds the lock from the start")


ATTEMPTS = 3


class _SavedMeanwhile(Exception):
    pass


def take_write_lock(session: Session) -> None:
    """Begin the write now (a statement that changes nothing takes the write lock): what
    the session reads from here on is what is committed, and nobody writes in between.
    On a server, the audit head's row lock, which every writer takes (raw_sql)."""
    if session.get_bind().dialect.name != "sqlite":
        raw_sql.lock_for_writing(session.connection())
        return
    session.execute(text("UPDATE alembic_version SET version_num = version_num WHERE 1 = 0"))


def _insert_made(session: Session) -> None:
    """Write the files made in the session (its new objects) as one executemany insert per
    table instead of the unit of work's object-by-object flush.  What remains under the
    write lock is SQLite's own work: the customers' indexes and the search index (about
    1 ms a file on a busy machine).  The objects leave the session (they are written)."""
    made = list(session.new)
    for customer in made:
        if isinstance(customer, Customer):
            for contact in customer.contacts:
                contact.customer_id = customer.id
    tables = {table: index for index, table in enumerate(Customer.metadata.sorted_tables)}
    groups: dict[tuple, list[dict]] = {}
    for obj in made:
        mapper = inspect_state(obj).mapper
        values = {}
        for prop in mapper.column_attrs:
            if prop.key in obj.__dict__:
                values[prop.columns[0].name] = obj.__dict__[prop.key]
        groups.setdefault((mapper.local_table, tuple(sorted(values))), []).append(values)
    session.expunge_all()
    connection = session.connection()
    for (table, _keys), rows in sorted(groups.items(), key=lambda item: tables[item[0][0]]):
        connection.execute(table.insert(), rows)


def _saved_since(session: Session, moment) -> tuple[dict[str, _Kept], dict[str, _Kept]]:
    """The files saved (created or changed) since ``moment``, as ``_known_customers``."""
    return _known_customers(session, since=moment)


def _store(
    db: Database,
    actor: Actor,
    preview: ImportPreview,
    skip_invalid: bool,
    progress: Progress,
    *,
    last: bool,
) -> ImportResult:
    """One attempt at storing the rows.  The files are made in the session without writing
    (no autoflush), outside the write lock; the short final step takes the lock, checks
    the files other users saved meanwhile (``_SavedMeanwhile`` when one of them would be
    doubled: the caller tries again, and the ``last`` attempt takes the lock first) and
    writes everything with the audit record in one flush and commit."""
    name = preview.path.name
    rejected = list(preview.rejections)
    started = utcnow()
    total = len(preview.rows)
    name_header = preview.headers[preview.mapping["name"]]
    existing = list(preview.existing)
    late: list[Rejection] = []
    ids: list[str] = []
    keys: list[tuple[ImportRow, str]] = []
    message = _("Importing customers: {done} of {total}")
    check(progress, 0.0, message.format(done=0, total=total))
    try:
        with cyclic_gc_paused(), db.session() as session, session.begin(), session.no_autoflush:
            if last:
                take_write_lock(session)
            known = _known_customers(session)
            # held here so that the session's identity map keeps them: one query, not one
            # per row
            managers = list(
                session.scalars(
                    select(User).where(User.id.in_({row.data.manager_id for row in preview.rows}))
                )
            )
            for index, row in enumerate(preview.rows):
                if index and index % PROGRESS_EVERY == 0:
                    check(progress, index / total, message.format(done=index, total=total))
                name_key = normalise_name(row.data.name)
                verdict = _against_database(row, name_key, known, name_header)
                if isinstance(verdict, ExistingRow):
                    existing.append(verdict)
                    continue
                if isinstance(verdict, Rejection):
                    late.append(verdict)
                    continue
                try:
                    customer_id, _created = save_in_session(
                        session,
                        actor,
                        row.data,
                        today=preview.today,
                        record_audit=False,
                        check_duplicate=False,
                    )  # checked against `known` just above
                except ServiceError as exc:  # nothing of this row is in the session
                    late.append(Rejection(row.row_number, "", exc.message))
                    continue
                ids.append(customer_id)
                keys.append((row, name_key))
                _remember(known, row, name_key)
            del managers
            if late and not skip_invalid:
                raise _Abort
            check(progress, 1.0, message.format(done=total, total=total))
            if not last:
                take_write_lock(session)
                meanwhile = _saved_since(session, started)
                if meanwhile[0] or meanwhile[1]:
                    for row, name_key in keys:
                        if _against_database(row, name_key, meanwhile, name_header) is not None:
                            raise _SavedMeanwhile
            _insert_made(session)
            audit.record(
                session,
                actor,
                "import.customers",
                "customer",
                None,
                _("Customer import from {file}").format(file=name),
                {
                    "file": name,
                    "sheet": preview.sheet_name,
                    "imported": len(ids),
                    "rejected_rows": len({r.row_number for r in rejected + late}),
                    "existing": len(existing),
                    "skip_invalid": skip_invalid,
                },
            )
    except _Abort:
        rejected = sorted(rejected + late, key=lambda r: r.row_number)
        return ImportResult(
            0, rejected, len(existing), False, (), existing, total - len(late), name
        )
    rejected = sorted(rejected + late, key=lambda r: r.row_number)
    existing.sort(key=lambda e: e.row_number)
    return ImportResult(
        len(ids), rejected, len(existing), True, tuple(ids), existing, len(ids), name
    )
