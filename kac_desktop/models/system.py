"""Business settings and the audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class Setting(Base):
    """A business setting (quotas, deadlines, thresholds); defaults live in code, an
    administrator's change is stored here."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(36))
    # keyed checksum of key and value (models/sealing.py)
    row_mac: Mapped[str] = mapped_column(String(64), default="")


class AuditRecord(Base):
    """Who did what when.  Records are only appended; each carries the hash of its
    predecessor so that an edit made outside the application shows as a broken chain."""

    __tablename__ = "audit_records"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    user_login: Mapped[str] = mapped_column(String(50), default="")
    action: Mapped[str] = mapped_column(String(30), index=True)
    entity: Mapped[str] = mapped_column(String(30), default="")
    entity_id: Mapped[str | None] = mapped_column(String(36), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[object] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), default="")


class AuditHead(Base):
    """The one row that numbers the audit records and names the newest.

    Every writer of an audit record first updates this row, which takes the database's
    write lock (SQLite) or the row's lock (PostgreSQL) before the newest record is read:
    two writers can never chain to the same predecessor.  ``seq`` only grows, so a number
    is never given twice, even after records were deleted.  ``database_id`` names the
    database's chain in the key store, where its head is also kept."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    database_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64), default="")
