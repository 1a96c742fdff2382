"""Append-only audit records, chained by hash (docs/DOMAIN.md §7)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from kac_desktop.db import Database
from kac_desktop.i18n import N_, _
from kac_desktop.models import AuditRecord, User, new_id, utcnow

from .context import Actor
from .errors import PermissionDenied
from .roles import may_view_audit as may_view  # noqa: F401 - the service's API


def _digest(
    prev_hash: str,
    record_id: str,
    at: datetime,
    user: str,
    action: str,
    entity: str,
    entity_id: str | None,
    summary: str,
    details: object,
) -> str:
    payload = json.dumps(
        [
            prev_hash,
            record_id,
            at.isoformat(),
            user,
            action,
            entity,
            entity_id or "",
            summary,
            details,
        ],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str = "",
    entity_id: str | None = None,
    summary: str = "",
    details: object = None,
) -> None:
    """Add one audit record inside the caller's transaction."""
    prev = session.execute(
        select(AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
    ).scalar()
    at = utcnow().replace(microsecond=0)
    record_id = new_id()
    login = actor.login if actor else ""
    details = details if details is not None else {}
    session.add(
        AuditRecord(
            id=record_id,
            at=at,
            user_id=actor.user_id if actor else None,
            user_login=login,
            action=action,
            entity=entity,
            entity_id=entity_id,
            summary=summary,
            details=details,
            prev_hash=prev or "",
            hash=_digest(
                prev or "", record_id, at, login, action, entity, entity_id, summary, details
            ),
        )
    )


def verify_chain(session: Session) -> list[int]:
    """Sequence numbers of records whose content or link no longer matches its hash."""
    broken: list[int] = []
    prev = ""
    for rec in session.scalars(select(AuditRecord).order_by(AuditRecord.seq)):
        expected = _digest(
            prev,
            rec.id,
            rec.at,
            rec.user_login,
            rec.action,
            rec.entity,
            rec.entity_id,
            rec.summary,
            rec.details,
        )
        if rec.prev_hash != prev or rec.hash != expected:
            broken.append(rec.seq)
        prev = rec.hash
    return broken


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
    return datetime.combine(day, time()).astimezone().astimezone(UTC)


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
            stmt = stmt.where(AuditRecord.action.startswith(q.action))
        else:
            stmt = stmt.where(AuditRecord.action == q.action)
    if q.since:
        stmt = stmt.where(AuditRecord.at >= _local_midnight_utc(q.since))
    if q.until:
        stmt = stmt.where(AuditRecord.at < _local_midnight_utc(q.until + timedelta(days=1)))
    if q.text.strip():
        pattern = (
            "%" + q.text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        stmt = stmt.where(
            or_(
                AuditRecord.summary.like(pattern, escape="\\"),
                cast(AuditRecord.details, String).like(pattern, escape="\\"),
                AuditRecord.user_login.like(pattern, escape="\\"),
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

    @property
    def intact(self) -> bool:
        return not self.broken

    def describe(self) -> str:
        if self.intact:
            return _("Audit chain intact ({count} records).").format(count=f"{self.records:,}")
        shown = ", ".join(str(s) for s in self.broken[:20])
        more = "…" if len(self.broken) > 20 else ""
        return _(
            "The audit log was changed outside the application: {count} records do not match "
            "their hashes (numbers {seqs}{more})."
        ).format(count=len(self.broken), seqs=shown, more=more)


def check_chain(db: Database, actor: Actor) -> ChainReport:
    """Verify the whole chain (every record, whoever may read it) for a supervisor or the
    administrator."""
    if not may_view(actor):
        raise PermissionDenied(_("Only supervisors and administrators may read the audit log."))
    with db.session() as session:
        broken = verify_chain(session)
        count = session.scalar(select(func.count()).select_from(AuditRecord)) or 0
    return ChainReport(count, broken)


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
)


def action_label(action: str) -> str:
    for code, label in ACTION_FAMILIES:
        if action == code:
            return _(label)
    for code, label in ACTION_FAMILIES:
        if code.endswith(".") and action.startswith(code):
            return _(label)
    return action
