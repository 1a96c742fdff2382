"""Append-only audit records, chained by hash (docs/DOMAIN.md §7)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import CursorResult, Select, String, and_, cast, event, func, or_, select, update
from sqlalchemy.orm import Session

from kac_desktop import keystore
from kac_desktop.db import Database
from kac_desktop.i18n import N_, _
from kac_desktop.keystore import Head
from kac_desktop.models import AuditHead, AuditRecord, User, new_id, utcnow
from kac_desktop.models.sealing import record_digest
from kac_desktop.progress import Progress, check
from kac_desktop.rules.clock import local_midnight

from .context import Actor
from .errors import PermissionDenied
from .matching import contains_text, starts_with_text
from .roles import may_view_audit as may_view  # noqa: F401 - the service's API

_PENDING_HEAD = "kac_audit_head"
TAIL = 50  # the newest records checked at each sign-in (the whole chain: check_chain)


def _normal_details(details: object) -> object:
    """``details`` as the JSON column gives it back (what the hash is computed over)."""
    return json.loads(json.dumps(details if details is not None else {}, default=str))


def _take_number(session: Session) -> tuple[int, str, str]:
    """The next record number, the newest record's hash and the database's id.

    The UPDATE comes first: it takes the write lock (SQLite) or the row lock (PostgreSQL)
    before anything is read, so a second writer waits here until the first has committed
    and then reads the record the first one wrote."""
    taken: CursorResult = session.execute(  # type: ignore[assignment]
        update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1)
    )
    if not taken.rowcount:
        # a database made before the head existed and not migrated (only in tests that
        # build tables from the models): start the head after the newest record
        last = session.execute(
            select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
        ).first()
        session.add(
            AuditHead(
                id=1,
                database_id=new_id(),
                seq=(last.seq if last else 0) + 1,
                hash=last.hash if last else "",
            )
        )
        session.flush()
    head = session.execute(
        select(AuditHead.seq, AuditHead.hash, AuditHead.database_id).where(AuditHead.id == 1)
    ).one()
    return head.seq, head.hash, head.database_id


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str = "",
    entity_id: str | None = None,
    summary: str = "",
    details: object = None,
) -> None:
    """Add one audit record inside the caller's transaction (whose commit then also keeps
    the chain's new head in the key store)."""
    seq, prev, database_id = _take_number(session)
    at = utcnow().replace(microsecond=0)
    record_id = new_id()
    login = actor.login if actor else ""
    details = _normal_details(details)
    digest = record_digest(
        prev, seq, record_id, at, login, action, entity, entity_id, summary, details
    )
    session.add(
        AuditRecord(
            seq=seq,
            id=record_id,
            at=at,
            user_id=actor.user_id if actor else None,
            user_login=login,
            action=action,
            entity=entity,
            entity_id=entity_id,
            summary=summary,
            details=details,
            prev_hash=prev,
            hash=digest,
        )
    )
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=digest))
    if _continues(session, seq, prev, database_id):
        session.info[_PENDING_HEAD] = Head(database_id, seq, digest)
    else:
        # the log was cut or rewritten before this record: the head kept outside stays
        # where it was, so the gap keeps showing however many records follow
        session.info.pop(_PENDING_HEAD, None)


def _continues(session: Session, seq: int, prev: str, database_id: str) -> bool:
    """Whether the record about to be written extends the chain the key store last saw:
    its predecessor is the newest record there is, and the last head seen is still there."""
    newest = session.scalar(
        select(AuditRecord.hash)
        .where(AuditRecord.seq < seq)
        .order_by(AuditRecord.seq.desc())
        .limit(1)
    )
    if (newest or "") != prev:
        return False
    known = keystore.saved_head(database_id)
    return known is None or (known.seq < seq and reaches(session, known))


@event.listens_for(Session, "after_commit")
def _keep_head(session: Session) -> None:
    head = session.info.pop(_PENDING_HEAD, None)
    if head is not None:
        try:
            keystore.save_head(head)
        except OSError:
            pass  # the head in the database still holds; the next record tries again


@event.listens_for(Session, "after_rollback")
def _drop_head(session: Session) -> None:
    session.info.pop(_PENDING_HEAD, None)


def current_head(session: Session) -> Head | None:
    row = session.execute(
        select(AuditHead.database_id, AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)
    ).first()
    return Head(row.database_id, row.seq, row.hash) if row else None


# records between two progress reports (and looks at the cancel) of the chain check
_CHAIN_STEP = 1000


def _sealed(rec: AuditRecord, prev: str) -> bool:
    """Whether ``rec`` follows the hash ``prev`` and carries its own keyed hash."""
    expected = record_digest(
        prev,
        rec.seq,
        rec.id,
        rec.at,
        rec.user_login,
        rec.action,
        rec.entity,
        rec.entity_id,
        rec.summary,
        rec.details,
    )
    return rec.prev_hash == prev and keystore.same(rec.hash, expected)


def verify_chain(session: Session, progress: Progress | None = None) -> list[int]:
    """Sequence numbers of records whose content or link no longer matches its keyed hash.
    ``progress`` is reported every ``_CHAIN_STEP`` records; a cancel stops the reading (it
    writes nothing, so nothing is left half done)."""
    broken: list[int] = []
    prev = ""
    total = 0
    if progress is not None:
        total = session.scalar(select(func.count()).select_from(AuditRecord)) or 0
    for n, rec in enumerate(
        session.scalars(
            select(AuditRecord).order_by(AuditRecord.seq).execution_options(yield_per=2000)
        )
    ):
        if progress is not None and n % _CHAIN_STEP == 0:
            check(
                progress,
                n / total if total else 0.0,
                _("Checked {n} of {total} records…").format(n=f"{n:,}", total=f"{total:,}"),
            )
        if not _sealed(rec, prev):
            broken.append(rec.seq)
        prev = rec.hash
    return broken


def head_problems(session: Session, known: list[Head] | None = None) -> list[str]:
    """What the chain's head says against the records: newest records deleted, the head row
    edited, or a chain shorter than the one this PC (and each head in ``known``, e.g. a
    backup's) last saw."""
    problems: list[str] = []
    last = session.execute(
        select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
    ).first()
    last_seq, last_hash = (last.seq, last.hash) if last else (0, "")
    head = current_head(session)
    if head is None:
        problems.append(_("The head of the audit log is missing from the database."))
        return problems
    if head.seq != last_seq or head.hash != last_hash:
        if head.seq > last_seq:
            problems.append(
                _(
                    "The newest audit records were deleted: the log ends at number {last}, "
                    "but number {head} was written."
                ).format(last=last_seq, head=head.seq)
            )
        else:
            problems.append(
                _("The head of the audit log does not match its newest record ({seq}).").format(
                    seq=last_seq
                )
            )
    tail = list(session.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(TAIL)))[
        ::-1
    ]
    for index, rec in enumerate(tail):
        prev = rec.prev_hash if index == 0 else tail[index - 1].hash
        if not _sealed(rec, prev):
            problems.append(
                _(
                    "Audit record number {seq} does not match its hash: it was written or "
                    "changed outside the application."
                ).format(seq=rec.seq)
            )
            break
    heads = [h for h in [keystore.saved_head(head.database_id), *(known or [])] if h is not None]
    for seen in heads:
        if seen.database_id == head.database_id and not reaches(session, seen):
            problems.append(
                _(
                    "The audit log is shorter than it was: record number {seq} was seen on "
                    "this PC and is gone or changed now (the log ends at number {last})."
                ).format(seq=seen.seq, last=last_seq)
            )
            break
    return problems


def reaches(session: Session, seen: Head) -> bool:
    """Whether the chain still holds the record ``seen`` names, unchanged."""
    if seen.seq == 0:
        return True
    at = session.scalar(select(AuditRecord.hash).where(AuditRecord.seq == seen.seq))
    return at is not None and at == seen.hash


# ---------------------------------------------------------------- the viewer


@dataclass(frozen=True)
class AuditQuery:
    login: str = ""  # exact login name, or empty for everyone
    action: str = ""  # an action ("customer.update") or a family ("customer.")
    since: date | None = None  # local dates, inclusive
    until: date | None = None
    text: str = ""  # in the summary or the details


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: datetime
    login: str
    action: str
    entity: str
    entity_id: str | None
    summary: str
    details: object


def _local_midnight_utc(day: date) -> datetime:
    return local_midnight(day)  # the business day, not the computer's


def _scoped(stmt: Select, actor: Actor) -> Select:
    """A supervisor sees what the users of his branch did and what was done to them."""
    if not may_view(actor):
        raise PermissionDenied(_("Only supervisors and administrators may read the audit log."))
    if actor.is_admin:
        return stmt
    branch_users = select(User.id).where(User.branch_id == actor.branch_id)
    return stmt.where(
        or_(
            AuditRecord.user_id.in_(branch_users),
            and_(AuditRecord.entity == "user", AuditRecord.entity_id.in_(branch_users)),
        )
    )


def query_seqs(db: Database, actor: Actor, q: AuditQuery) -> list[int]:
    """The sequence numbers of the records the query shows, newest first."""
    stmt = _scoped(select(AuditRecord.seq), actor)
    if q.login:
        stmt = stmt.where(AuditRecord.user_login == q.login)
    if q.action:
        if q.action.endswith("."):
            stmt = stmt.where(starts_with_text(AuditRecord.action, q.action))
        else:
            stmt = stmt.where(AuditRecord.action == q.action)
    if q.since:
        stmt = stmt.where(AuditRecord.at >= _local_midnight_utc(q.since))
    if q.until:
        stmt = stmt.where(AuditRecord.at < _local_midnight_utc(q.until + timedelta(days=1)))
    if q.text.strip():
        needle = q.text.strip()
        stmt = stmt.where(
            or_(
                contains_text(AuditRecord.summary, needle),
                contains_text(cast(AuditRecord.details, String), needle),
                contains_text(AuditRecord.user_login, needle),
            )
        )
    with db.session() as session:
        return list(session.scalars(stmt.order_by(AuditRecord.seq.desc())))


def fetch_records(db: Database, actor: Actor, seqs: list[int]) -> list[AuditRow]:
    if not seqs:
        return []
    with db.session() as session:
        stmt = _scoped(select(AuditRecord).where(AuditRecord.seq.in_(seqs)), actor)
        by_seq = {
            r.seq: AuditRow(
                r.seq, r.at, r.user_login, r.action, r.entity, r.entity_id, r.summary, r.details
            )
            for r in session.scalars(stmt)
        }
    return [by_seq[s] for s in seqs if s in by_seq]


def logins(db: Database, actor: Actor) -> list[str]:
    """The login names that occur in the records the actor may read (for the filter)."""
    stmt = _scoped(select(AuditRecord.user_login).distinct(), actor)
    with db.session() as session:
        return sorted(x for x in session.scalars(stmt) if x)


@dataclass(frozen=True)
class ChainReport:
    records: int
    broken: list[int]
    problems: list[str] = field(default_factory=list)  # the head's findings

    @property
    def intact(self) -> bool:
        return not self.broken and not self.problems

    def describe(self) -> str:
        if self.intact:
            return _("Audit chain intact ({count} records).").format(count=f"{self.records:,}")
        lines = []
        if self.broken and len(self.broken) == self.records:
            lines.append(
                _(
                    "No record of the audit log matches its hash: it was sealed with another "
                    "PC's key, or rewritten outside the application."
                )
            )
        elif self.broken:
            shown = ", ".join(str(s) for s in self.broken[:20])
            more = "…" if len(self.broken) > 20 else ""
            lines.append(
                _(
                    "The audit log was changed outside the application: {count} records do "
                    "not match their hashes (numbers {seqs}{more})."
                ).format(count=len(self.broken), seqs=shown, more=more)
            )
        lines.extend(self.problems)
        return "\n".join(lines)


def check_chain(db: Database, actor: Actor, progress: Progress | None = None) -> ChainReport:
    """Verify the whole chain (every record, whoever may read it) and its head for a
    supervisor or the administrator; ``progress`` as ``verify_chain``."""
    if not may_view(actor):
        raise PermissionDenied(_("Only supervisors and administrators may read the audit log."))
    from . import integrity  # which itself builds on this module

    with db.session() as session:
        broken = verify_chain(session, progress)
        count = session.scalar(select(func.count()).select_from(AuditRecord)) or 0
        problems = head_problems(session) + integrity.rows_message(integrity.outside_edits(session))
    return ChainReport(count, broken, problems)


ACTION_FAMILIES: tuple[tuple[str, str], ...] = (
    ("signin", N_("Sign-in")),
    ("signin.failed", N_("Failed sign-in")),
    ("customer.create", N_("Customer created")),
    ("customer.update", N_("Customer changed")),
    ("customer.archive", N_("Customer archived")),
    ("customer.transfer", N_("Customer transferred")),
    ("customer.restore", N_("Customer restored from the archive")),
    ("customer.tier", N_("Customer tier confirmed")),
    ("revenue.edit", N_("Revenue corrected")),
    ("import.", N_("Import")),
    ("customer.export", N_("Export")),
    ("visit.", N_("Visits")),
    ("request.", N_("Service requests")),
    ("report.", N_("Reports and prints")),
    ("user.", N_("User administration")),
    ("settings.", N_("Settings")),
    ("backup.", N_("Backup and restore")),
    ("setup", N_("First start")),
    ("demo.build", N_("Demonstration data")),
    ("audit.", N_("Audit log sealing")),
    ("sync.", N_("Data exchange")),
    ("security.", N_("Changes made outside the application")),
)


def action_label(action: str) -> str:
    for code, label in ACTION_FAMILIES:
        if action == code:
            return _(label)
    for code, label in ACTION_FAMILIES:
        if code.endswith(".") and action.startswith(code):
            return _(label)
    return action
