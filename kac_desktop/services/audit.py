"""Append-only audit records, chained by hash (DOMAIN.md §7)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kac_desktop.models import AuditRecord, new_id, utcnow

from .context import Actor


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
