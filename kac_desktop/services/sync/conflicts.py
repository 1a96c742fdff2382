"""The conflicts of the exchange and how a supervisor settles them; the customers kept twice
by two branches; revoking a branch's keys; what is waiting and when each side last heard
from the other."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kac_desktop import keystore
from kac_desktop.db import Database
from kac_desktop.i18n import N_, _
from kac_desktop.models import Branch, Customer, SyncConflict, SyncLog, SyncPeer, utcnow

from .. import audit
from ..changes import ChangeSet, Kind
from ..context import Actor
from ..errors import NotFound, PermissionDenied, ServiceError
from . import nodes
from .exchange import pending_changes
from .tables import BY_NAME, decode_row, rows_by_key

MINE = "mine"
THEIRS = "theirs"


def field_label(table: str, name: str) -> str:
    """A field's name as the customer editor shows it (the column name elsewhere)."""
    if table == "customers":
        from kac_desktop.io.customer_import import FIELDS_BY_KEY

        found = FIELDS_BY_KEY.get(name)
        if found is not None:
            return _(found.label)
    return name


def describe_counts(counts: dict[str, int]) -> str:
    """A log entry's counts in words: 新增 7, 客户 65 …"""
    from .exchange import TABLE_LABELS

    words = {
        "new": N_("new"),
        "changed": N_("changed"),
        "same": N_("already had"),
        "conflicts": N_("conflicts"),
        "refused": N_("refused"),
        "removed": N_("removed"),
        "audit": N_("audit records"),
        "audit_records": N_("audit records"),
        **TABLE_LABELS,
    }
    return ", ".join(f"{_(words[k]) if k in words else k} {v}" for k, v in counts.items() if v)


@dataclass(frozen=True)
class ConflictRow:
    id: str
    peer: str
    table: str
    record_id: str
    record: str  # the record's name for a person (the customer's name)
    field: str
    field_label: str
    mine: Any
    theirs: Any
    mine_by: str
    mine_at: datetime | None
    theirs_by: str
    theirs_at: datetime | None
    settled: bool
    kept: str


def _record_name(session: Session, table: str, record_id: str) -> str:
    if table == "customers":
        return session.scalar(select(Customer.name).where(Customer.id == record_id)) or record_id
    spec = BY_NAME.get(table)
    if spec is not None and "customer_id" in spec.table.c:
        customer = session.scalar(
            select(Customer.name).where(
                Customer.id
                == select(spec.table.c.customer_id)
                .where(spec.table.c[spec.key] == record_id)
                .scalar_subquery()
            )
        )
        if customer:
            return customer
    return record_id


def list_conflicts(db: Database, actor: Actor, *, settled: bool = False) -> list[ConflictRow]:
    """The open conflicts (with ``settled`` also those settled), oldest first."""
    if not actor.is_supervisor:
        raise PermissionDenied(_("Only supervisors and administrators settle conflicts."))
    with db.session() as session:
        stmt = select(SyncConflict).order_by(SyncConflict.created_at, SyncConflict.id)
        if not settled:
            stmt = stmt.where(SyncConflict.kept == "")
        names = dict(session.execute(select(SyncPeer.node_id, SyncPeer.name)).all())
        return [
            ConflictRow(
                c.id,
                names.get(c.peer_id, c.peer_id),
                c.tbl,
                c.record_id,
                _record_name(session, c.tbl, c.record_id),
                c.field,
                field_label(c.tbl, c.field),
                c.mine,
                c.theirs,
                c.mine_by,
                c.mine_at,
                c.theirs_by,
                c.theirs_at,
                bool(c.kept),
                c.kept,
            )
            for c in session.scalars(stmt)
        ]


def settle(db: Database, actor: Actor, conflict_id: str, keep: str) -> ChangeSet:
    """Keep this PC's value (``mine``) or the other side's (``theirs``); the record then
    travels with the kept value at the next exchange."""
    if keep not in (MINE, THEIRS):
        raise ServiceError(_("Keep either mine or theirs."))
    if not actor.is_supervisor:
        raise PermissionDenied(_("Only supervisors and administrators settle conflicts."))
    with db.session() as session, session.begin():
        me = nodes.this_node(session)
        if me is not None and me.role == nodes.BRANCH:
            raise ServiceError(
                _(
                    "Conflicts are settled at the city center: this PC sends the ones it "
                    "found with its next package."
                )
            )
        conflict = session.get(SyncConflict, conflict_id)
        if conflict is None:
            found = session.scalars(
                select(SyncConflict).where(SyncConflict.id.startswith(conflict_id))
            ).all()
            conflict = found[0] if len(found) == 1 else None
        if conflict is None:
            raise NotFound(_("There is no conflict {id}.").format(id=conflict_id))
        if conflict.kept:
            raise ServiceError(_("This conflict was settled already."))
        spec = BY_NAME[conflict.tbl]
        connection = session.connection()
        current = rows_by_key(connection, spec, [conflict.record_id]).get(conflict.record_id)
        if current is None:
            raise NotFound(_("The record of this conflict no longer exists."))
        now = utcnow().replace(microsecond=0)
        values: dict[str, Any] = {}
        if keep == THEIRS:
            values = decode_row(spec, {conflict.field: conflict.theirs})
        # the decision is a change of the record: it travels with its own version
        if "version" in spec.table.c and spec.name != "users":
            values["version"] = int(current.get("version") or 0) + 1
            values["updated_at"] = now
            values["updated_by"] = actor.user_id
        if values:
            connection.execute(
                update(spec.table)
                .where(spec.table.c[spec.key] == conflict.record_id)
                .values(**values)
            )
        conflict.kept = keep
        conflict.settled_at = now
        conflict.settled_by = actor.login
        kept_value = conflict.theirs if keep == THEIRS else conflict.mine
        audit.record(
            session,
            actor,
            "sync.settle",
            spec.name.rstrip("s"),
            conflict.record_id,
            _("Conflict of {field} settled: kept {value}").format(
                field=field_label(conflict.tbl, conflict.field), value=kept_value
            ),
            {
                "field": conflict.field,
                "mine": conflict.mine,
                "theirs": conflict.theirs,
                "kept": keep,
            },
        )
    kind = Kind.CUSTOMER if conflict.tbl == "customers" else Kind.DATABASE
    return (
        ChangeSet.of(kind, [conflict.record_id]) if kind == Kind.CUSTOMER else ChangeSet.whole(kind)
    )


# ---------------------------------------------------------------- kept twice


def duplicates_among(session: Session, ids: Iterable[str]) -> list[tuple[str, str, str]]:
    """Pairs of customers of different branches that are the same (credit code or
    normalised name), one of them among ``ids``: (name, other name, reason)."""
    wanted = list(ids)
    found: list[tuple[str, str, str]] = []
    seen: set[frozenset[str]] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        mine = session.execute(
            select(
                Customer.id,
                Customer.name,
                Customer.credit_code,
                Customer.name_key,
                Customer.branch_id,
            ).where(Customer.id.in_(chunk))
        ).all()
        for row in mine:
            conditions = [Customer.name_key == row.name_key]
            if row.credit_code:
                conditions.append(Customer.credit_code == row.credit_code)
            for other in session.execute(
                select(Customer.id, Customer.name, Customer.credit_code, Customer.branch_id).where(
                    Customer.id != row.id,
                    Customer.archived.is_(False),
                    Customer.branch_id != row.branch_id,
                    conditions[0] if len(conditions) == 1 else (conditions[0] | conditions[1]),
                )
            ):
                pair = frozenset((row.id, other.id))
                if pair in seen:
                    continue
                seen.add(pair)
                reason = (
                    _("the same unified social credit code")
                    if row.credit_code and row.credit_code == other.credit_code
                    else _("the same name")
                )
                found.append(
                    (
                        _with_branch(session, row.name, row.branch_id),
                        _with_branch(session, other.name, other.branch_id),
                        reason,
                    )
                )
    return found


def _with_branch(session: Session, name: str, branch_id: str) -> str:
    branch = session.scalar(select(Branch.name).where(Branch.id == branch_id)) or ""
    return f"{name}（{branch}）" if branch else name


def duplicates(db: Database, actor: Actor) -> list[tuple[str, str, str]]:
    """Every customer kept by two branches (the no-double-development rule)."""
    if not actor.is_supervisor:
        raise PermissionDenied(_("Only supervisors and administrators see the whole center."))
    with db.session() as session:
        ids = list(session.scalars(select(Customer.id).where(Customer.archived.is_(False))))
        return duplicates_among(session, ids)


def branch_choices(db: Database) -> list[str]:
    """The units a center writes packages for (every unit but the city center)."""
    with db.session() as session:
        return list(
            session.scalars(select(Branch.name).where(Branch.level != "city").order_by(Branch.name))
        )


# ---------------------------------------------------------------- revoking


def revoke(db: Database, actor: Actor, branch: str) -> str:
    """Refuse every package signed with the branch's keys from now on (a stolen PC, a lost
    key); the branch is set up again with a new starting package."""
    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator revokes a branch's keys."))
    with db.session() as session, session.begin():
        me = nodes.this_node(session)
        if me is None or me.role != nodes.CENTER:
            raise ServiceError(_("Keys are revoked at the city center's database."))
        unit = nodes.find_branch(session, branch)
        peer = nodes.branch_peer(session, unit.id)
        if peer is None:
            raise ServiceError(
                _("{branch} was never set up for the data exchange.").format(branch=unit.name)
            )
        peer.status = nodes.REVOKED
        peer.revoked_at = utcnow().replace(microsecond=0)
        audit.record(
            session,
            actor,
            "sync.revoke",
            "branch",
            unit.id,
            _("Keys of {branch} revoked").format(branch=unit.name),
            {"sign": peer.sign_public},
        )
    keystore.drop_secret(nodes.setup_name("center", unit.id))
    return unit.name


# ---------------------------------------------------------------- where things stand


def _counts(value: object) -> dict[str, int]:
    return {str(k): int(v) for k, v in value.items()} if isinstance(value, dict) else {}


@dataclass(frozen=True)
class PeerStatus:
    node_id: str
    name: str
    role: str
    status: str
    waiting: int  # records that would go in the next package
    sent_seq: int
    acked_seq: int
    received_seq: int
    last_sent_at: datetime | None
    last_heard_at: datetime | None
    open_conflicts: int


@dataclass(frozen=True)
class SyncStatus:
    role: str | None  # center | branch | None (not taking part)
    node_id: str
    peers: list[PeerStatus]
    open_conflicts: int
    log: list[tuple[datetime, str, str, int, str, dict]]  # at, direction, peer, seq, by, counts


def status(db: Database, actor: Actor) -> SyncStatus:
    with db.session() as session:
        me = nodes.this_node(session)
        open_total = (
            session.scalar(
                select(func.count()).select_from(SyncConflict).where(SyncConflict.kept == "")
            )
            or 0
        )
        if me is None:
            return SyncStatus(None, "", [], open_total, [])
        connection = session.connection()
        peers = []
        names = {}
        for peer in session.scalars(select(SyncPeer).order_by(SyncPeer.name)):
            names[peer.node_id] = peer.name
            waiting = 0
            if peer.status == nodes.ACTIVE:
                waiting = sum(1 for _c in pending_changes(connection, me, peer))
            conflicts = (
                session.scalar(
                    select(func.count())
                    .select_from(SyncConflict)
                    .where(SyncConflict.peer_id == peer.node_id, SyncConflict.kept == "")
                )
                or 0
            )
            peers.append(
                PeerStatus(
                    peer.node_id,
                    peer.name,
                    peer.role,
                    peer.status,
                    waiting,
                    peer.sent_seq,
                    peer.acked_seq,
                    peer.received_seq,
                    peer.last_sent_at,
                    peer.last_heard_at,
                    conflicts,
                )
            )
        log = [
            (
                r.at,
                r.direction,
                names.get(r.peer_id, r.peer_id),
                r.seq,
                r.by_login,
                _counts(r.counts),
            )
            for r in session.scalars(select(SyncLog).order_by(SyncLog.id.desc()).limit(50))
        ]
        return SyncStatus(me.role, me.node_id, peers, open_total, log)


__all__ = [
    "branch_choices",
    "describe_counts",
    "field_label",
    "MINE",
    "THEIRS",
    "ConflictRow",
    "PeerStatus",
    "SyncStatus",
    "duplicates",
    "duplicates_among",
    "list_conflicts",
    "revoke",
    "settle",
    "status",
]
