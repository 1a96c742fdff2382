"""Writing and applying packages (docs/SYNC.md).

What a PC sends a peer is every travelling row whose value differs from the peer's
*shadow* (the row as the peer is known to have it): so a package carries every change not
yet acknowledged, and a lost package costs nothing — the next one carries it again.  A
package applied updates the shadow with what it brought; an acknowledgement (the highest
package number the peer applied) updates it with what that package of ours carried, kept
in the outbox until then.  The shadow is also the base of the three-way merge of a row
changed on both sides (rules/sync_merge.py).

Applying a package is one transaction: a kill leaves the database as it was or with all of
it.  Everything here is SQLAlchemy Core over the session's connection, nothing of SQLite's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kac_desktop import keystore
from kac_desktop.db import Database
from kac_desktop.i18n import N_, _
from kac_desktop.io import sync_package as fmt
from kac_desktop.models import (
    AuditHead,
    AuditRecord,
    Branch,
    Contact,
    Customer,
    CustomerSearch,
    ServiceRequest,
    SyncConflict,
    SyncForeignAudit,
    SyncLog,
    SyncOutbox,
    SyncPeer,
    SyncSelf,
    SyncShadow,
    User,
    new_id,
    utcnow,
)
from kac_desktop.models.sealing import setting_mac, user_mac
from kac_desktop.progress import NullProgress, Progress, check
from kac_desktop.rules.search_keys import search_text
from kac_desktop.rules.sync_merge import merge

from .. import audit
from ..changes import ChangeSet, Kind
from ..context import Actor
from ..errors import PermissionDenied, ServiceError
from . import nodes
from .tables import (
    AUDIT,
    BOOKKEEPING,
    BOTH,
    BY_NAME,
    SPECS,
    Spec,
    branch_family,
    decode_row,
    digest,
    encode_row,
    encode_value,
    project,
    rows,
    rows_by_key,
    scope_condition,
    sent_by_branch,
)

CONFLICT_LINE = "_conflict"
TABLE_LABELS = {
    "branches": N_("units"),
    "product_lines": N_("product lines"),
    "settings": N_("settings"),
    "holiday_years": N_("calendar years"),
    "holiday_entries": N_("calendar dates"),
    "users": N_("users"),
    "customers": N_("customers"),
    "contacts": N_("contacts"),
    "visits": N_("visits"),
    "service_requests": N_("service requests"),
    "request_status_changes": N_("request steps"),
    "revenues": N_("revenue months"),
    "tier_assessments": N_("tier assessments"),
    "marketing_projects": N_("marketing projects"),
}
META_LINE = "_meta"


def _now() -> datetime:
    return utcnow().replace(microsecond=0)


# ---------------------------------------------------------------- what is waiting


@dataclass(frozen=True)
class Change:
    spec: Spec
    key: str
    data: dict[str, Any] | None  # None: the row is gone
    digest: str


def _shadow(connection: Connection, peer_id: str, table: str) -> dict[str, str]:
    return dict(
        connection.execute(
            select(SyncShadow.record_id, SyncShadow.digest).where(
                SyncShadow.peer_id == peer_id, SyncShadow.tbl == table
            )
        ).all()
    )


def _scope_of(connection: Connection, me: SyncSelf, peer: SyncPeer) -> set[str]:
    branch = peer.branch_id if me.role == nodes.CENTER else me.branch_id
    return branch_family(connection, branch or "")


def pending_changes(connection: Connection, me: SyncSelf, peer: SyncPeer) -> Iterator[Change]:
    """Every row the peer does not have as this PC has it now."""
    center = me.role == nodes.CENTER
    branches = _scope_of(connection, me, peer)
    for spec in SPECS:
        if not center and spec.direction != BOTH:
            continue
        shadow = _shadow(connection, peer.node_id, spec.name)
        seen: set[str] = set()
        for row in rows(connection, spec, scope_condition(spec, branches)):
            data = encode_row(spec, row)
            if center:
                data = project(spec, data, branches)
            elif not sent_by_branch(spec, data, branches):
                continue
            key = str(data[spec.key])
            seen.add(key)
            value = digest(data)
            if shadow.get(key) != value:
                yield Change(spec, key, data, value)
        left = [key for key in shadow if key not in seen]
        found = rows_by_key(connection, spec, left)
        for key in left:
            if key in found:
                data = project(spec, found[key], branches) if center else found[key]
                if not center and not sent_by_branch(spec, data, branches):
                    continue
                value = digest(data)
                if value != shadow[key]:
                    # it left the branch's scope (a transfer): its last state still goes
                    yield Change(spec, key, data, value)
            elif shadow[key] != "gone":
                yield Change(spec, key, None, "gone")


def _audit_lines(connection: Connection, peer: SyncPeer) -> tuple[list[dict], int]:
    origin = connection.scalar(select(AuditHead.database_id).where(AuditHead.id == 1)) or ""
    lines = []
    upto = peer.audit_acked
    for rec in connection.execute(
        select(AuditRecord.__table__)
        .where(AuditRecord.seq > peer.audit_acked)
        .order_by(AuditRecord.seq)
    ).mappings():
        data = encode_row(_AUDIT_SPEC, rec)
        data.pop("user_id", None)  # a user of this PC's: the login name travels
        lines.append({"t": AUDIT, "o": origin, "d": data})
        upto = rec["seq"]
    return lines, upto


_AUDIT_SPEC = Spec(AUDIT, AuditRecord.__table__, "up", key="seq")  # type: ignore[arg-type]


# ---------------------------------------------------------------- writing a package


@dataclass
class ExportResult:
    path: Path
    kind: str
    seq: int
    recipient: str
    counts: dict[str, int] = field(default_factory=dict)
    setup_code: str | None = None
    fingerprint: str = ""

    @property
    def records(self) -> int:
        return sum(v for k, v in self.counts.items() if k != AUDIT)


def _check_may_exchange(actor: Actor) -> None:
    if not actor.is_supervisor:
        raise PermissionDenied(
            _("Only supervisors and administrators exchange packages with the branches.")
        )


def _outbox_and_log(
    session: Session,
    peer: SyncPeer,
    seq: int,
    kind: str,
    changes: list[Change],
    counts: dict[str, int],
    audit_upto: int,
    target: Path,
    actor: Actor | None,
) -> None:
    connection = session.connection()
    if changes:
        connection.execute(
            insert(SyncOutbox),
            [
                {
                    "peer_id": peer.node_id,
                    "seq": seq,
                    "tbl": c.spec.name,
                    "record_id": c.key,
                    "digest": c.digest,
                    "data": c.data,
                }
                for c in changes
            ],
        )
    session.add(
        SyncLog(
            at=_now(),
            peer_id=peer.node_id,
            direction="out",
            seq=seq,
            kind=kind,
            audit_upto=audit_upto,
            counts=counts,
            file=str(target),
            by_login=actor.login if actor else "",
        )
    )
    peer.sent_seq = seq
    peer.last_sent_at = _now()


def _count(changes: list[Change]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for c in changes:
        counts[c.spec.name] = counts.get(c.spec.name, 0) + 1
    return counts


def export_for_branch(
    db: Database,
    actor: Actor,
    branch: str,
    target: Path,
    progress: Progress = NullProgress(),
    *,
    new_setup: bool = False,
) -> ExportResult:
    """At the center: the package for a branch PC — a starting package (everything in the
    branch's scope, the center's public keys, a new set-up code) while the branch has no
    registered keys, else the center's answer (its acknowledgement and every change in the
    branch's scope the branch has not acknowledged)."""
    target = Path(target)
    check(progress, 0.0, _("Collecting the changes…"))
    with db.session() as session, session.begin():
        _check_may_exchange(actor)
        me = nodes.center_node(session)
        unit = nodes.find_branch(session, branch)
        if unit.level == "city":
            raise ServiceError(
                _("{name} is the city center itself; choose a county or sub-branch.").format(
                    name=unit.name
                )
            )
        peer = nodes.branch_peer(session, unit.id)
        if peer is not None and peer.status == nodes.PENDING and not new_setup:
            raise ServiceError(
                _(
                    "{branch} was given its starting package and has not sent its first "
                    "package yet: import that first. If the starting package was lost, write "
                    "a new one (--new-setup); the first one's code then no longer works."
                ).format(branch=unit.name)
            )
        setup = peer is None or peer.status != nodes.ACTIVE or new_setup
        if peer is None:
            peer = SyncPeer(node_id=unit.id, role=nodes.BRANCH, branch_id=unit.id, name=unit.name)
            session.add(peer)
            session.flush()
        if setup:
            _reset_peer(session, peer)
        connection = session.connection()
        changes = list(pending_changes(connection, me, peer))
        check(progress, 0.5, _("Writing the package…"))
        seq = peer.sent_seq + 1
        counts = _count(changes)
        keys = nodes.own_keys(me.node_id)
        header = fmt.Header(
            kind=fmt.SETUP if setup else fmt.EXCHANGE,
            sender=me.node_id,
            recipient=unit.id,
            seq=seq,
            ack=peer.received_seq,
            created_at=_now().isoformat(),
            sender_keys=keys.public,
            sender_name=_center_name(session),
            recipient_name=unit.name,
            counts=counts,
        )
        lines = [{"t": c.spec.name, "k": c.key, "d": c.data} for c in changes]
        code = None
        if setup:
            code = fmt.new_setup_code()
            salt = keystore_salt()
            secret = fmt.setup_key(code, salt)
            keystore.put_secret(nodes.setup_name("center", unit.id), secret)
            meta = {
                "t": META_LINE,
                "branch_id": unit.id,
                "branch_name": unit.name,
                "center_id": me.node_id,
                "center_name": header.sender_name,
                "center_keys": {"sign": keys.public.sign, "box": keys.public.box},
            }
            data = fmt.seal_package(
                header, [meta, *lines], keys.sign_private, setup=secret, setup_salt=salt
            )
        else:
            data = fmt.seal_package(header, lines, keys.sign_private, recipient_box=peer.box_public)
        _outbox_and_log(session, peer, seq, header.kind, changes, counts, 0, target, actor)
        audit.record(
            session,
            actor,
            "sync.export",
            "branch",
            unit.id,
            _("Data-exchange package {seq} for {branch}: {count} records").format(
                seq=seq, branch=unit.name, count=len(changes)
            ),
            {"seq": seq, "kind": header.kind, "counts": counts, "file": target.name},
        )
    # written once the numbers are committed: a package number is never given twice
    fmt.write_package(target, data)
    check(progress, 1.0, _("Package written."))
    return ExportResult(
        target, header.kind, seq, unit.name, counts, code, keys.public.fingerprint()
    )


def keystore_salt() -> bytes:
    import os

    return os.urandom(16)


def _center_name(session: Session) -> str:
    return (
        session.scalar(select(Branch.name).where(Branch.level == "city").order_by(Branch.name))
        or ""
    )


def _reset_peer(session: Session, peer: SyncPeer) -> None:
    """A branch PC set up (again): it starts empty, with keys it will make itself."""
    connection = session.connection()
    for table in (SyncShadow, SyncOutbox):
        connection.execute(delete(table).where(table.peer_id == peer.node_id))
    peer.status = nodes.PENDING
    peer.sign_public = ""
    peer.box_public = ""
    peer.sent_seq = 0
    peer.received_seq = 0
    peer.acked_seq = 0
    peer.audit_acked = 0
    peer.revoked_at = None


def export_to_center(
    db: Database, actor: Actor, target: Path, progress: Progress = NullProgress()
) -> ExportResult:
    """At a branch PC: every change the center has not acknowledged, this PC's audit
    records it has not had, and the conflicts this PC found (the center settles them)."""
    target = Path(target)
    check(progress, 0.0, _("Collecting the changes…"))
    with db.session() as session, session.begin():
        me = nodes.this_node(session)
        if me is None:
            raise ServiceError(
                _(
                    "This database does not take part in the data exchange. At the city "
                    "center, name the branch with --for; a branch PC is set up by importing "
                    "its starting package into a new database."
                )
            )
        if me.role == nodes.CENTER:
            raise ServiceError(
                _("This is the center's database: name the branch the package is for (--for).")
            )
        peer = nodes.the_center(session)
        connection = session.connection()
        changes = list(pending_changes(connection, me, peer))
        audit_lines, audit_upto = _audit_lines(connection, peer)
        seq = peer.sent_seq + 1
        proposals = _proposals(session, peer, seq)
        check(progress, 0.5, _("Writing the package…"))
        counts = _count(changes)
        if audit_lines:
            counts[AUDIT] = len(audit_lines)
        if proposals:
            counts["conflicts"] = len(proposals)
        keys = nodes.own_keys(me.node_id)
        secret = keystore.get_secret(nodes.setup_name("branch", me.node_id))
        header = fmt.Header(
            kind=fmt.EXCHANGE,
            sender=me.node_id,
            recipient=peer.node_id,
            seq=seq,
            ack=peer.received_seq,
            created_at=_now().isoformat(),
            sender_keys=keys.public,
            sender_name=_branch_name(session, me.branch_id),
            recipient_name=peer.name,
            key_proof=fmt.key_proof(secret, keys.public) if secret else "",
            counts=counts,
        )
        lines = [{"t": c.spec.name, "k": c.key, "d": c.data} for c in changes]
        data = fmt.seal_package(
            header,
            [*lines, *audit_lines, *proposals],
            keys.sign_private,
            recipient_box=peer.box_public,
        )
        _outbox_and_log(session, peer, seq, header.kind, changes, counts, audit_upto, target, actor)
        audit.record(
            session,
            actor,
            "sync.export",
            "branch",
            me.branch_id,
            _("Data-exchange package {seq} for the center: {count} records").format(
                seq=seq, count=len(changes)
            ),
            {"seq": seq, "counts": counts, "file": target.name},
        )
    fmt.write_package(target, data)
    check(progress, 1.0, _("Package written."))
    return ExportResult(target, header.kind, seq, peer.name, counts, None, "")


def _branch_name(session: Session, branch_id: str | None) -> str:
    return session.scalar(select(Branch.name).where(Branch.id == branch_id)) or ""


def _proposals(session: Session, peer: SyncPeer, seq: int) -> list[dict]:
    """The conflicts a branch PC found, for the center's list (until it acknowledges)."""
    lines = []
    for conflict in session.scalars(
        select(SyncConflict).where(SyncConflict.peer_id == peer.node_id, SyncConflict.kept == "")
    ):
        if conflict.sent_in is None:
            conflict.sent_in = seq
        lines.append(
            {
                "t": CONFLICT_LINE,
                "d": {
                    "id": conflict.id,
                    "tbl": conflict.tbl,
                    "record_id": conflict.record_id,
                    "field": conflict.field,
                    "base": conflict.base,
                    "value": conflict.mine,
                    "by": conflict.mine_by,
                    "at": conflict.mine_at.isoformat() if conflict.mine_at else None,
                },
            }
        )
    return lines


# ---------------------------------------------------------------- applying a package


@dataclass
class ImportResult:
    kind: str
    sender: str
    seq: int
    already_had: bool = False
    new: int = 0
    changed: int = 0
    same: int = 0
    removed: int = 0
    conflicts: int = 0
    refused: int = 0
    audit: int = 0
    audit_breaks: int = 0
    duplicates: list[tuple[str, str, str]] = field(default_factory=list)
    preview: bool = False
    customers_touched: set[str] = field(default_factory=set)
    setup_secret: bytes = field(default=b"", repr=False)
    # per table: outcome → count
    tables: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def changes(self) -> ChangeSet:
        """What the open pages reload after an import that wrote something."""
        if self.preview or self.already_had or not (self.new or self.changed or self.removed):
            return ChangeSet()
        return ChangeSet.whole(
            Kind.CUSTOMER, Kind.CONTACT, Kind.VISIT, Kind.REQUEST, Kind.REVENUE, Kind.USER
        )

    def _detail(self, outcome: str) -> str:
        parts = [
            f"{_(TABLE_LABELS.get(name, name))} {counts[outcome]}"
            for name, counts in self.tables.items()
            if counts.get(outcome)
        ]
        return " (" + ", ".join(parts) + ")" if parts else ""

    def summary(self) -> str:
        if self.already_had:
            return _(
                "Package {seq} from {sender} was already applied: nothing new (already had)."
            ).format(seq=self.seq, sender=self.sender)
        head = (
            _("Package {seq} from {sender} would bring:")
            if self.preview
            else _("Package {seq} from {sender} applied:")
        ).format(seq=self.seq, sender=self.sender)
        lines = [
            head,
            _("  new: {n}").format(n=self.new) + self._detail("new"),
            _("  changed: {n}").format(n=self.changed) + self._detail("changed"),
            _("  already had: {n}").format(n=self.same),
            _("  conflicts: {n}").format(n=self.conflicts),
        ]
        if self.removed:
            lines.append(_("  removed: {n}").format(n=self.removed))
        if self.refused:
            lines.append(
                _("  refused (outside the branch's customers): {n}").format(n=self.refused)
            )
        if self.audit:
            lines.append(_("  audit records of the sender: {n}").format(n=self.audit))
        if self.audit_breaks:
            lines.append(
                _(
                    "  Warning: {n} audit records of the sender do not follow its chain: its "
                    "audit log was changed."
                ).format(n=self.audit_breaks)
            )
        for first, second, reason in self.duplicates:
            lines.append(
                _("  The same customer is kept twice: {first} / {second} ({reason})").format(
                    first=first, second=second, reason=reason
                )
            )
        return "\n".join(lines)


class _Preview(Exception):
    """Raised to roll a preview back."""


def import_package(
    db: Database,
    actor: Actor | None,
    path: Path,
    *,
    code: str | None = None,
    preview: bool = False,
    progress: Progress = NullProgress(),
) -> ImportResult:
    """Apply the package at ``path`` (or, with ``preview``, say what it would do and write
    nothing).  A starting package goes into an empty database with its set-up code and no
    one signed in; every other package needs a signed-in user.  PackageError (with nothing
    written) for a package that is not for this PC, from an unknown or revoked sender,
    altered, cut or of a wrong code."""
    sealed = fmt.read_package(Path(path))
    check(progress, 0.05, _("Checking the package…"))
    result: ImportResult | None = None
    try:
        with db.session() as session, session.begin():
            session.info["kac_sync_import"] = True
            if sealed.header.kind == fmt.SETUP:
                result = _apply_setup(session, sealed, code, preview, progress)
            else:
                if actor is None:
                    raise ServiceError(_("Sign in to import a package."))
                result = _apply_exchange(session, actor, sealed, preview, progress)
            if preview:
                raise _Preview()
    except _Preview:
        pass
    except IntegrityError as exc:
        raise fmt.PackageError(
            _(
                "The package refers to records this database does not have (it was written "
                "for another state of this PC). Nothing was imported; ask for a new package."
            )
        ) from exc
    assert result is not None
    result.preview = preview
    if not preview and sealed.header.kind == fmt.SETUP:
        me_id = sealed.header.recipient
        keystore.put_secret(nodes.setup_name("branch", me_id), result.setup_secret)
    check(progress, 1.0, _("Package applied."))
    return result


def _apply_setup(
    session: Session, sealed: fmt.Sealed, code: str | None, preview: bool, progress: Progress
) -> ImportResult:
    header = sealed.header
    if nodes.this_node(session) is not None or session.scalar(
        select(func.count()).select_from(User)
    ):
        raise fmt.PackageError(
            _(
                "This is a starting package: it sets up a new branch PC and goes into a new, "
                "empty database (for example kac-desktop sync import FILE --db NEW.db). This "
                "database already holds data; nothing was imported."
            )
        )
    if not code:
        raise fmt.PackageError(
            _("A starting package opens with the set-up code the center gave you (--code).")
        )
    import base64

    try:
        salt = base64.b64decode(header.salt)
    except ValueError as exc:
        raise fmt.PackageError(
            _("The package's contents cannot be read. Nothing was imported.")
        ) from exc
    secret = fmt.setup_key(code, salt)
    sealed.verify(header.sender_keys.sign)
    lines = sealed.open(setup=secret)
    meta = lines[0] if lines and lines[0].get("t") == META_LINE else None
    if meta is None or meta.get("center_keys", {}).get("sign") != header.sender_keys.sign:
        raise fmt.PackageError(_("The package's contents cannot be read. Nothing was imported."))
    branch_id = str(meta["branch_id"])
    if branch_id != header.recipient:
        raise fmt.PackageError(_("The package's contents cannot be read. Nothing was imported."))
    keys = nodes.make_keys(branch_id).public if not preview else header.sender_keys
    me = SyncSelf(
        id=1,
        node_id=branch_id,
        role=nodes.BRANCH,
        branch_id=branch_id,
        sign_public=keys.sign,
        box_public=keys.box,
    )
    peer = SyncPeer(
        node_id=header.sender,
        role=nodes.CENTER,
        branch_id=None,
        name=str(meta.get("center_name", "")),
        sign_public=header.sender_keys.sign,
        box_public=header.sender_keys.box,
        status=nodes.ACTIVE,
    )
    session.add_all([me, peer])
    session.flush()
    result = ImportResult(header.kind, header.sender_name or peer.name, header.seq)
    result.setup_secret = secret
    _apply_lines(session, me, peer, lines[1:], result, progress)
    _finish(session, None, peer, header, result, sealed)
    return result


def _apply_exchange(
    session: Session, actor: Actor, sealed: fmt.Sealed, preview: bool, progress: Progress
) -> ImportResult:
    header = sealed.header
    me = nodes.this_node(session)
    if me is None:
        raise fmt.PackageError(
            _(
                "This database does not take part in the data exchange yet: a branch PC is "
                "set up from its starting package, and the center writes one for each branch "
                "first. Nothing was imported."
            )
        )
    if header.recipient != me.node_id:
        raise fmt.PackageError(
            _("This package is for {recipient}, not for this PC. Nothing was imported.").format(
                recipient=header.recipient_name or header.recipient
            )
        )
    if me.role == nodes.CENTER:
        _check_may_exchange(actor)
    peer = session.get(SyncPeer, header.sender)
    if peer is None:
        raise fmt.PackageError(
            _(
                "The package comes from {sender}, a PC this database does not know. Nothing "
                "was imported."
            ).format(sender=header.sender_name or header.sender)
        )
    if peer.status == nodes.REVOKED:
        raise fmt.PackageError(
            _(
                "The keys of {sender} were revoked at the center: its packages are refused. "
                "Set the branch up again with a new starting package. Nothing was imported."
            ).format(sender=peer.name or header.sender)
        )
    if peer.status == nodes.PENDING:
        secret = keystore.get_secret(nodes.setup_name("center", peer.node_id))
        if secret is None or not fmt.proof_holds(secret, header.sender_keys, header.key_proof):
            raise fmt.PackageError(
                _(
                    "The package names {sender}, but it was not written by the PC set up with "
                    "the center's starting package for it. Nothing was imported."
                ).format(sender=peer.name or header.sender)
            )
        sealed.verify(header.sender_keys.sign)
        peer.sign_public = header.sender_keys.sign
        peer.box_public = header.sender_keys.box
        peer.status = nodes.ACTIVE
    else:
        sealed.verify(peer.sign_public)
    result = ImportResult(header.kind, header.sender_name or peer.name, header.seq)
    if header.seq <= peer.received_seq:
        result.already_had = True
        raise _AlreadyHad(result)
    lines = sealed.open(box_private=nodes.own_keys(me.node_id).box_private)
    _take_ack(session, me, peer, header.ack)
    _apply_lines(session, me, peer, lines, result, progress)
    _finish(session, actor, peer, header, result, sealed)
    return result


class _AlreadyHad(Exception):
    def __init__(self, result: ImportResult) -> None:
        super().__init__("already had")
        self.result = result


def _take_ack(session: Session, me: SyncSelf, peer: SyncPeer, ack: int) -> None:
    """The peer applied our package ``ack``: it has what that package carried."""
    if ack <= peer.acked_seq:
        return
    connection = session.connection()
    sent = connection.execute(
        select(SyncOutbox.tbl, SyncOutbox.record_id, SyncOutbox.digest, SyncOutbox.data).where(
            SyncOutbox.peer_id == peer.node_id, SyncOutbox.seq == ack
        )
    ).all()
    _put_shadow(connection, peer.node_id, [(r.tbl, r.record_id, r.digest, r.data) for r in sent])
    connection.execute(
        delete(SyncOutbox).where(SyncOutbox.peer_id == peer.node_id, SyncOutbox.seq <= ack)
    )
    upto = session.scalar(
        select(SyncLog.audit_upto).where(
            SyncLog.peer_id == peer.node_id, SyncLog.direction == "out", SyncLog.seq == ack
        )
    )
    if upto:
        peer.audit_acked = max(peer.audit_acked, upto)
    peer.acked_seq = ack
    if me.role == nodes.BRANCH:
        # the center has the conflicts this PC found: they are its to settle now
        connection.execute(
            update(SyncConflict)
            .where(
                SyncConflict.peer_id == peer.node_id,
                SyncConflict.kept == "",
                SyncConflict.sent_in <= ack,
            )
            .values(kept="center", settled_at=_now())
        )


def _put_shadow(
    connection: Connection, peer_id: str, entries: list[tuple[str, str, str, Any]]
) -> None:
    if not entries:
        return
    for start in range(0, len(entries), 500):
        chunk = entries[start : start + 500]
        by_table: dict[str, list[str]] = {}
        for tbl, key, _d, _data in chunk:
            by_table.setdefault(tbl, []).append(key)
        for tbl, keys in by_table.items():
            connection.execute(
                delete(SyncShadow).where(
                    SyncShadow.peer_id == peer_id,
                    SyncShadow.tbl == tbl,
                    SyncShadow.record_id.in_(keys),
                )
            )
        connection.execute(
            insert(SyncShadow),
            [
                {
                    "peer_id": peer_id,
                    "tbl": tbl,
                    "record_id": key,
                    "digest": value,
                    "data": data if data is not None else {},
                }
                for tbl, key, value, data in chunk
            ],
        )


def _finish(
    session: Session,
    actor: Actor | None,
    peer: SyncPeer,
    header: fmt.Header,
    result: ImportResult,
    sealed: fmt.Sealed,
) -> None:
    peer.received_seq = header.seq
    peer.last_heard_at = _now()
    counts = {
        "new": result.new,
        "changed": result.changed,
        "same": result.same,
        "conflicts": result.conflicts,
        "refused": result.refused,
        "removed": result.removed,
        "audit": result.audit,
    }
    session.add(
        SyncLog(
            at=_now(),
            peer_id=peer.node_id,
            direction="in",
            seq=header.seq,
            kind=header.kind,
            counts=counts,
            by_login=actor.login if actor else "",
        )
    )
    audit.record(
        session,
        actor,
        "sync.import",
        "branch",
        peer.branch_id,
        _("Data-exchange package {seq} from {sender} applied").format(
            seq=header.seq, sender=result.sender
        ),
        {"seq": header.seq, "kind": header.kind, "counts": counts},
    )


# ---------------------------------------------------------------- one record


# tables written a row at a time: sealed rows, and the units (a row names its parent)
_ONE_BY_ONE = ("users", "settings", "branches")


class _Applier:
    """Applies the lines of one package for one peer."""

    def __init__(self, session: Session, me: SyncSelf, peer: SyncPeer, result: ImportResult):
        self.session = session
        self.connection = session.connection()
        self.me = me
        self.peer = peer
        self.result = result
        self.center = me.role == nodes.CENTER
        self.branches = (
            branch_family(self.connection, peer.branch_id or "") if self.center else set()
        )
        self.shadow_updates: list[tuple[str, str, str, Any]] = []
        self.mine: dict[str, dict[str, Any]] = {}
        self.bases: dict[str, Any] = {}
        self.naturals: dict[tuple[Any, ...], str] = {}
        self.buffered: list[dict[str, Any]] = []
        self._customer_branch: dict[str, str] | None = None
        self._request_customer: dict[str, str] | None = None

    # -- scope at the center

    def _customer_in_scope(self, customer_id: Any) -> bool:
        if self._customer_branch is None:
            self._customer_branch = dict(
                self.connection.execute(select(Customer.id, Customer.branch_id)).all()
            )
        return self._customer_branch.get(str(customer_id)) in self.branches

    def _request_in_scope(self, request_id: Any) -> bool:
        if self._request_customer is None:
            self._request_customer = dict(
                self.connection.execute(select(ServiceRequest.id, ServiceRequest.customer_id)).all()
            )
        return self._customer_in_scope(self._request_customer.get(str(request_id)))

    def accepts(self, spec: Spec, data: dict[str, Any], mine: dict[str, Any] | None) -> bool:
        """At the center: whether a branch may send this row (its own unit's only)."""
        if not self.center:
            return True
        if spec.direction != BOTH:
            return False
        for row in (data, mine):
            if row is None:
                continue
            if spec.name in ("users", "customers") and row.get("branch_id") not in self.branches:
                return False
            if spec.name == "users" and row.get("role") == "admin":
                return False
            if spec.name == "visits" and not (
                row.get("branch_id") in self.branches
                or (row.get("customer_id") and self._customer_in_scope(row["customer_id"]))
            ):
                return False
            if spec.name == "request_status_changes" and not self._request_in_scope(
                row.get("request_id")
            ):
                return False
            if "customer_id" in row and spec.name not in ("visits",):
                if not self._customer_in_scope(row.get("customer_id")):
                    return False
        return True

    def note_customer(self, spec: Spec, data: dict[str, Any]) -> None:
        if spec.name == "customers":
            if self._customer_branch is not None:
                self._customer_branch[str(data["id"])] = str(data.get("branch_id"))
            self.result.customers_touched.add(str(data["id"]))
        elif spec.name == "contacts":
            self.result.customers_touched.add(str(data.get("customer_id")))
        elif spec.name == "service_requests" and self._request_customer is not None:
            self._request_customer[str(data["id"])] = str(data.get("customer_id"))

    # -- writing

    def _where(self, spec: Spec, key: str):
        return spec.table.c[spec.key] == key

    def insert_later(self, spec: Spec, data: dict[str, Any]) -> None:
        """A new row, written with the others of its table in one executemany (``flush``)."""
        if spec.name in _ONE_BY_ONE:
            self.insert(spec, data)
            return
        self.buffered.append(decode_row(spec, data))
        if len(self.buffered) >= 5000:
            self.flush(spec)

    def flush(self, spec: Spec) -> None:
        if self.buffered:
            self.connection.execute(insert(spec.table), self.buffered)
            self.buffered = []

    def insert(self, spec: Spec, data: dict[str, Any]) -> None:
        values = decode_row(spec, data)
        if spec.name == "users":
            values.update(failed_logins=0, version=1, updated_at=_now(), row_mac="")
        self.connection.execute(insert(spec.table).values(**values))
        self._reseal(spec, str(data[spec.key]))

    def replace(self, spec: Spec, key: str, data: dict[str, Any]) -> None:
        values = decode_row(spec, data)
        values.pop(spec.key, None)
        self.connection.execute(update(spec.table).where(self._where(spec, key)).values(**values))
        self._reseal(spec, key)

    def remove(self, spec: Spec, key: str) -> bool:
        try:
            with self.connection.begin_nested():
                self.connection.execute(delete(spec.table).where(self._where(spec, key)))
            return True
        except IntegrityError:
            return False  # still named by another record: kept

    def _reseal(self, spec: Spec, key: str) -> None:
        """Users and settings carry a checksum under this PC's key (models/sealing.py)."""
        if spec.name == "users":
            row = (
                self.connection.execute(select(User.__table__).where(User.id == key))
                .mappings()
                .one()
            )
            mac = user_mac(dict(row))
            self.connection.execute(update(User).where(User.id == key).values(row_mac=mac))
        elif spec.name == "settings":
            table = spec.table
            row = self.connection.execute(select(table).where(table.c.key == key)).mappings().one()
            mac = setting_mac(dict(row))
            self.connection.execute(update(table).where(table.c.key == key).values(row_mac=mac))

    def natural_twin(self, spec: Spec, data: dict[str, Any]) -> dict[str, Any] | None:
        """The row of this PC that is the same thing under another id (a revenue month
        entered on both sides, a product line of the same code)."""
        if not spec.natural:
            return None
        natural = tuple(data.get(name) for name in spec.natural)
        key = self.naturals.get(natural)
        if key is None:
            self.naturals[natural] = str(data[spec.key])
            return None
        return rows_by_key(self.connection, spec, [key]).get(key)

    # -- conflicts

    def conflict(
        self,
        spec: Spec,
        key: str,
        name: str,
        base: Any,
        mine: dict[str, Any],
        theirs: dict[str, Any],
        conflict_id: str | None = None,
    ) -> None:
        open_one = self.session.scalars(
            select(SyncConflict).where(
                SyncConflict.tbl == spec.name,
                SyncConflict.record_id == key,
                SyncConflict.field == name,
                SyncConflict.kept == "",
            )
        ).first()
        mine_at, theirs_at = _when(mine.get("updated_at")), _when(theirs.get("updated_at"))
        mine_by, theirs_by = (
            self._login(mine.get("updated_by")),
            self._login(theirs.get("updated_by")),
        )
        if open_one is not None:
            open_one.mine = mine.get(name)
            open_one.theirs = theirs.get(name)
            open_one.theirs_by = theirs_by
            open_one.theirs_at = theirs_at
        else:
            self.session.add(
                SyncConflict(
                    id=conflict_id or new_id(),
                    peer_id=self.peer.node_id,
                    tbl=spec.name,
                    record_id=key,
                    field=name,
                    base=base,
                    mine=mine.get(name),
                    theirs=theirs.get(name),
                    mine_by=mine_by,
                    mine_at=mine_at,
                    theirs_by=theirs_by,
                    theirs_at=theirs_at,
                    created_at=_now(),
                    settled_by="",
                    kept="",
                )
            )
            self.result.conflicts += 1
        self.session.flush()

    def _login(self, user_id: Any) -> str:
        if not user_id:
            return ""
        return self.session.scalar(select(User.login).where(User.id == str(user_id))) or str(
            user_id
        )

    # -- the record

    def count(self, spec: Spec, outcome: str) -> None:
        setattr(self.result, outcome, getattr(self.result, outcome) + 1)
        per_table = self.result.tables.setdefault(spec.name, {})
        per_table[outcome] = per_table.get(outcome, 0) + 1

    def preload(self, spec: Spec, keys: list[str]) -> None:
        """This PC's rows and their shadow for the keys of one table, read in batches."""
        self.mine = rows_by_key(self.connection, spec, keys)
        self.bases = {}
        self.naturals = {}
        if spec.natural and keys:
            columns = {c.name: c for c in spec.table.columns}
            for row in self.connection.execute(
                select(spec.table.c[spec.key], *[spec.table.c[n] for n in spec.natural])
            ):
                natural = tuple(
                    encode_value(columns[n], value)
                    for n, value in zip(spec.natural, row[1:], strict=True)
                )
                self.naturals[natural] = str(row[0])
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            for row in self.connection.execute(
                select(SyncShadow.record_id, SyncShadow.digest, SyncShadow.data).where(
                    SyncShadow.peer_id == self.peer.node_id,
                    SyncShadow.tbl == spec.name,
                    SyncShadow.record_id.in_(chunk),
                )
            ):
                if row.digest != "gone":
                    self.bases[row.record_id] = row.data

    def apply(self, spec: Spec, key: str, theirs: dict[str, Any] | None) -> None:
        mine = self.mine.get(key)
        base = self.bases.get(key)
        if theirs is not None and not self.accepts(spec, theirs, mine):
            self.count(spec, "refused")
            self.shadow_updates.append((spec.name, key, digest(theirs), theirs))
            return
        if theirs is None:
            self.shadow_updates.append((spec.name, key, "gone", None))
            if mine is None:
                self.count(spec, "same")
            elif base is not None and digest(mine) == digest(base) and self.remove(spec, key):
                self.count(spec, "removed")
            return
        self.shadow_updates.append((spec.name, key, digest(theirs), theirs))
        self.note_customer(spec, theirs)
        if mine is None:
            twin = self.natural_twin(spec, theirs)
            if twin is None:
                self.insert_later(spec, theirs)
                self.count(spec, "new")
                return
            self._twin(spec, key, twin, theirs)
            return
        if digest(mine) == digest(theirs):
            self.count(spec, "same")
            return
        if base is not None and digest(mine) == digest(base):
            self.replace(spec, key, theirs)
            self.count(spec, "changed")
            return
        if base is not None and digest(theirs) == digest(base):
            self.count(spec, "same")  # an older state of a row changed here since
            return
        self._merge(spec, key, base, mine, theirs)

    def _merge(
        self,
        spec: Spec,
        key: str,
        base: dict[str, Any] | None,
        mine: dict[str, Any],
        theirs: dict[str, Any],
    ) -> None:
        ignored = [*BOOKKEEPING, spec.key]
        outcome = merge(base, mine, theirs, ignored)
        record = dict(outcome.result)
        for name in outcome.conflicts:
            b = base.get(name) if base is not None else None
            if self.center:
                # the center's value stays in the record; the branch's waits in the list
                self.conflict(spec, key, name, b, mine, theirs)
            else:
                # the center's value is taken; this PC's goes to the center's list
                record[name] = theirs.get(name)
                self.conflict(spec, key, name, b, mine, theirs)
        if all(record.get(n) == theirs.get(n) for n in record if n not in BOOKKEEPING):
            record = dict(theirs)
        elif "version" in record:
            later = theirs if str(theirs.get("updated_at")) > str(mine.get("updated_at")) else mine
            record["version"] = (
                max(int(mine.get("version") or 0), int(theirs.get("version") or 0)) + 1
            )
            record["updated_at"] = later.get("updated_at")
            record["updated_by"] = later.get("updated_by")
        if record != mine:
            self.replace(spec, key, record)
            self.count(spec, "changed")
        else:
            self.count(spec, "same")

    def _twin(self, spec: Spec, key: str, twin: dict[str, Any], theirs: dict[str, Any]) -> None:
        """The same thing made on both sides under two ids."""
        twin_key = str(twin[spec.key])
        fields = [n for n in theirs if n not in (*BOOKKEEPING, spec.key)]
        differs = [n for n in fields if twin.get(n) != theirs.get(n)]
        if self.center:
            # the center's row stays; the branch's values wait in the list, and the branch
            # is told its row is gone (it takes the center's)
            for name in differs:
                self.conflict(spec, twin_key, name, None, twin, theirs)
            self.shadow_updates[-1] = (spec.name, key, digest(theirs), theirs)
            if not differs:
                self.count(spec, "same")
            return
        for name in differs:
            self.conflict(spec, key, name, None, twin, theirs)
        if self.remove(spec, twin_key):
            self.insert(spec, theirs)
            self.count(spec, "changed")
        else:
            self.count(spec, "refused")

    def foreign_audit(self, origin: str, data: dict[str, Any]) -> None:
        seq = int(data["seq"])
        known = self.connection.execute(
            select(SyncForeignAudit.hash).where(
                SyncForeignAudit.origin == origin, SyncForeignAudit.seq == seq
            )
        ).first()
        if known is not None:
            if known.hash != data.get("hash"):
                self.result.audit_breaks += 1
            return
        before = self.connection.scalar(
            select(SyncForeignAudit.hash).where(
                SyncForeignAudit.origin == origin, SyncForeignAudit.seq == seq - 1
            )
        )
        prev = data.get("prev_hash") or ""
        linked = (before == prev) if before is not None else (seq == 1 and prev == "")
        if not linked:
            self.result.audit_breaks += 1
        at = datetime.fromisoformat(str(data["at"]))
        self.connection.execute(
            insert(SyncForeignAudit).values(
                origin=origin,
                seq=seq,
                id=str(data.get("id")),
                at=at if at.tzinfo else at.replace(tzinfo=UTC),
                user_login=str(data.get("user_login") or ""),
                action=str(data.get("action") or ""),
                entity=str(data.get("entity") or ""),
                entity_id=data.get("entity_id"),
                summary=str(data.get("summary") or ""),
                details=data.get("details") or {},
                prev_hash=prev,
                hash=str(data.get("hash") or ""),
                linked=linked,
            )
        )
        self.result.audit += 1

    def proposal(self, data: dict[str, Any]) -> None:
        """A conflict a branch PC found: the center's value against the branch's."""
        spec = BY_NAME.get(str(data.get("tbl")))
        if spec is None or not self.center:
            return
        key = str(data.get("record_id"))
        name = str(data.get("field"))
        mine = rows_by_key(self.connection, spec, [key]).get(key)
        if mine is None or mine.get(name) == data.get("value"):
            return
        theirs = {**mine, name: data.get("value"), "updated_at": data.get("at"), "updated_by": None}
        if self.session.get(SyncConflict, str(data.get("id"))) is not None:
            return
        self.conflict(spec, key, name, data.get("base"), mine, theirs, str(data.get("id")))
        conflict = self.session.get(SyncConflict, str(data.get("id")))
        if conflict is not None:
            conflict.theirs_by = str(data.get("by") or "")

    def rebuild_search(self) -> None:
        touched = sorted(self.result.customers_touched)
        for start in range(0, len(touched), 500):
            chunk = touched[start : start + 500]
            names = dict(
                self.connection.execute(
                    select(Customer.id, Customer.name).where(Customer.id.in_(chunk))
                ).all()
            )
            codes = dict(
                self.connection.execute(
                    select(Customer.id, Customer.credit_code).where(Customer.id.in_(chunk))
                ).all()
            )
            extras: dict[str, list[str]] = {c: [] for c in names}
            for row in self.connection.execute(
                select(Contact.customer_id, Contact.name, Contact.phone, Contact.mobile)
                .where(Contact.customer_id.in_(chunk))
                .order_by(Contact.created_at)
            ):
                extras.setdefault(row.customer_id, []).extend([row.name, row.phone, row.mobile])
            self.connection.execute(
                delete(CustomerSearch).where(CustomerSearch.customer_id.in_(list(names)))
            )
            if names:
                self.connection.execute(
                    insert(CustomerSearch),
                    [
                        {
                            "customer_id": cid,
                            "text": search_text(
                                name,
                                *[e for e in [codes.get(cid) or "", *extras.get(cid, [])] if e],
                            ),
                        }
                        for cid, name in names.items()
                    ],
                )


def _when(text: Any) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _order(spec: Spec, lines: list[dict]) -> list[dict]:
    """Branches with their parents first (the table refers to itself)."""
    if spec.name != "branches":
        return lines
    done: set[str] = set()
    ordered: list[dict] = []
    pending = list(lines)
    while pending:
        rest = []
        for line in pending:
            parent = (line.get("d") or {}).get("parent_id")
            if (
                parent is None
                or parent in done
                or all((other.get("d") or {}).get("id") != parent for other in pending)
            ):
                ordered.append(line)
                done.add(str(line.get("k")))
            else:
                rest.append(line)
        if len(rest) == len(pending):
            ordered.extend(rest)
            break
        pending = rest
    return ordered


def _apply_lines(
    session: Session,
    me: SyncSelf,
    peer: SyncPeer,
    lines: list[dict],
    result: ImportResult,
    progress: Progress,
) -> None:
    applier = _Applier(session, me, peer, result)
    by_table: dict[str, list[dict]] = {}
    for line in lines:
        by_table.setdefault(str(line.get("t")), []).append(line)
    known = set(BY_NAME) | {AUDIT, CONFLICT_LINE, META_LINE}
    if set(by_table) - known:
        raise fmt.PackageError(_("The package's contents cannot be read. Nothing was imported."))
    total = max(1, len(lines))
    done = 0
    # rows that went away go before the rows that come, last table first
    for spec in reversed(SPECS):
        gone = [line for line in by_table.get(spec.name, []) if line.get("d") is None]
        applier.preload(spec, [str(line["k"]) for line in gone])
        for line in gone:
            applier.apply(spec, str(line["k"]), None)
        applier.flush(spec)
    for spec in SPECS:
        come = [line for line in by_table.get(spec.name, []) if line.get("d") is not None]
        applier.preload(spec, [str(line["k"]) for line in come])
        for line in _order(spec, come):
            applier.apply(spec, str(line["k"]), dict(line["d"]))
            done += 1
            if done % 2000 == 0:
                check(progress, 0.1 + 0.8 * done / total, _("Applying the package…"))
        applier.flush(spec)
    for line in sorted(by_table.get(AUDIT, []), key=lambda li: int(li["d"]["seq"])):
        if me.role == nodes.CENTER:
            applier.foreign_audit(str(line.get("o")), dict(line["d"]))
    for line in by_table.get(CONFLICT_LINE, []):
        applier.proposal(dict(line["d"]))
    _put_shadow(session.connection(), peer.node_id, applier.shadow_updates)
    applier.rebuild_search()
    if me.role == nodes.CENTER and result.customers_touched:
        from .conflicts import duplicates_among

        result.duplicates = duplicates_among(session, result.customers_touched)


def run_import(
    db: Database,
    actor: Actor | None,
    path: Path,
    *,
    code: str | None = None,
    preview: bool = False,
    progress: Progress = NullProgress(),
) -> ImportResult:
    """``import_package`` with a replayed package answered as "already had"."""
    try:
        result = import_package(db, actor, path, code=code, preview=preview, progress=progress)
    except _AlreadyHad as had:
        return had.result
    if not preview:
        _after_commit_cleanup(db)
    return result


def _after_commit_cleanup(db: Database) -> None:
    """A branch PC whose keys the center has registered forgets its set-up key."""
    with db.session() as session:
        me = nodes.this_node(session)
        if me is None or me.role != nodes.BRANCH:
            return
        peer = nodes.the_center(session)
        if peer.acked_seq >= 1:
            keystore.drop_secret(nodes.setup_name("branch", me.node_id))


__all__ = [
    "Change",
    "ExportResult",
    "ImportResult",
    "export_for_branch",
    "export_to_center",
    "pending_changes",
    "run_import",
]
