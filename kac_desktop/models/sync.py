"""The data exchange's own tables (docs/SYNC.md): this PC's identity, the PCs it exchanges
packages with, what each of them is known to have (the shadow: the base of the next
merge), what was sent and not yet acknowledged, the conflicts waiting for a supervisor,
the log of packages and the audit records other PCs sent.  None of them travels."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class SyncSelf(Base):
    """This database's node in the exchange (one row): the city center's or a branch PC's.
    Its private keys are in the key store (keystore.py), never here."""

    __tablename__ = "sync_self"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[str] = mapped_column(String(36))
    role: Mapped[str] = mapped_column(String(10))  # center | branch
    branch_id: Mapped[str | None] = mapped_column(String(36))
    sign_public: Mapped[str] = mapped_column(Text, default="")
    box_public: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SyncPeer(Base):
    """A PC this one exchanges packages with, its public keys and the numbers of the
    packages both ways."""

    __tablename__ = "sync_peers"

    node_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))
    branch_id: Mapped[str | None] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    sign_public: Mapped[str] = mapped_column(Text, default="")
    box_public: Mapped[str] = mapped_column(Text, default="")
    # pending (set-up package written, keys not yet received) | active | revoked
    status: Mapped[str] = mapped_column(String(10), default="pending")
    sent_seq: Mapped[int] = mapped_column(Integer, default=0)
    received_seq: Mapped[int] = mapped_column(Integer, default=0)
    acked_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_acked: Mapped[int] = mapped_column(Integer, default=0)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_heard_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SyncShadow(Base):
    """A record as the peer is known to have it: what it sent, or what it acknowledged."""

    __tablename__ = "sync_shadow"

    peer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tbl: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    digest: Mapped[str] = mapped_column(String(32))
    data: Mapped[object] = mapped_column(JSON)


class SyncOutbox(Base):
    """A record as it went out in a package not yet acknowledged (``data`` None: gone)."""

    __tablename__ = "sync_outbox"

    peer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    tbl: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    digest: Mapped[str] = mapped_column(String(32))
    data: Mapped[object | None] = mapped_column(JSON)


class SyncConflict(Base):
    """A field changed on both sides since their last exchange: both values, who and when,
    until a supervisor keeps one of them."""

    __tablename__ = "sync_conflicts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    peer_id: Mapped[str] = mapped_column(String(36))
    tbl: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(100))
    field: Mapped[str] = mapped_column(String(60))
    base: Mapped[object | None] = mapped_column(JSON)
    mine: Mapped[object | None] = mapped_column(JSON)
    theirs: Mapped[object | None] = mapped_column(JSON)
    mine_by: Mapped[str] = mapped_column(String(50), default="")
    mine_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    theirs_by: Mapped[str] = mapped_column(String(50), default="")
    theirs_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    settled_by: Mapped[str] = mapped_column(String(50), default="")
    kept: Mapped[str] = mapped_column(String(10), default="")  # mine | theirs | center
    # at a branch PC: the package that handed the conflict to the center
    sent_in: Mapped[int | None] = mapped_column(Integer)


Index("ix_sync_conflicts_record", SyncConflict.tbl, SyncConflict.record_id)


class SyncLog(Base):
    """One package written or applied: which, when, by whom, what it carried."""

    __tablename__ = "sync_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    peer_id: Mapped[str] = mapped_column(String(36), index=True)
    direction: Mapped[str] = mapped_column(String(5))  # out | in
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    audit_upto: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[object] = mapped_column(JSON, default=dict)
    file: Mapped[str] = mapped_column(Text, default="")
    by_login: Mapped[str] = mapped_column(String(50), default="")


class SyncForeignAudit(Base):
    """An audit record of another PC's chain, as its package carried it."""

    __tablename__ = "sync_foreign_audit"

    origin: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    user_login: Mapped[str] = mapped_column(String(50), default="")
    action: Mapped[str] = mapped_column(String(30))
    entity: Mapped[str] = mapped_column(String(30), default="")
    entity_id: Mapped[str | None] = mapped_column(String(36))
    summary: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[object] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), default="")
    # whether it follows the record before it in its origin's chain
    linked: Mapped[bool] = mapped_column(Boolean, default=True)
