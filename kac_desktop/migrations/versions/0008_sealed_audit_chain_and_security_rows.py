"""a keyed audit chain with its head, and a keyed checksum on every security row

* ``audit_head``: one row that numbers the audit records (the number only grows, so it is
  never given twice) and names the newest; every writer updates it first, which takes the
  write lock before the newest record is read, so concurrent writers cannot fork the chain.
* ``users.row_mac`` and ``settings.row_mac``: an HMAC of the columns that decide access.
* The existing chain was hashed with plain SHA-256, which anyone can recompute.  It is
  checked as it stands, then sealed again under this PC's key (HMAC-SHA256), and a record
  says so, with the numbers of any records that already did not match before.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

from kac_desktop.i18n import _
from kac_desktop.models.base import UTCDateTime, new_id, utcnow
from kac_desktop.models.sealing import record_digest, setting_mac, user_mac

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_audit = sa.table(
    "audit_records",
    sa.column("seq", sa.Integer),
    sa.column("id", sa.String),
    sa.column("at", UTCDateTime()),
    sa.column("user_id", sa.String),
    sa.column("user_login", sa.String),
    sa.column("action", sa.String),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("summary", sa.Text),
    sa.column("details", sa.JSON),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)
_users = sa.table(
    "users",
    sa.column("id", sa.String),
    sa.column("login", sa.String),
    sa.column("role", sa.String),
    sa.column("branch_id", sa.String),
    sa.column("password_hash", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("failed_logins", sa.Integer),
    sa.column("locked_until", UTCDateTime()),
    sa.column("row_mac", sa.String),
)
_settings = sa.table(
    "settings", sa.column("key", sa.String), sa.column("value", sa.JSON), sa.column("row_mac")
)
_head = sa.table(
    "audit_head",
    sa.column("id", sa.Integer),
    sa.column("database_id", sa.String),
    sa.column("seq", sa.Integer),
    sa.column("hash", sa.String),
)


def _old_digest(prev, rec) -> str:
    """The unkeyed hash of revisions 0001-0005."""
    payload = json.dumps(
        [
            prev,
            rec.id,
            rec.at.isoformat(),
            rec.user_login,
            rec.action,
            rec.entity,
            rec.entity_id or "",
            rec.summary,
            rec.details,
        ],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("row_mac", sa.String(64), nullable=False, server_default=""))
    with op.batch_alter_table("settings") as batch:
        batch.add_column(sa.Column("row_mac", sa.String(64), nullable=False, server_default=""))
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("database_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(_users)).mappings().all():
        bind.execute(_users.update().where(_users.c.id == row["id"]).values(row_mac=user_mac(dict(row))))
    for row in bind.execute(sa.select(_settings)).mappings().all():
        bind.execute(
            _settings.update().where(_settings.c.key == row["key"]).values(row_mac=setting_mac(dict(row)))
        )

    # the old chain, checked as it stands, then sealed again under the key
    broken: list[int] = []
    prev_old = prev_new = ""
    last_seq = 0
    count = 0
    for rec in bind.execute(sa.select(_audit).order_by(_audit.c.seq)).all():
        if rec.prev_hash != prev_old or rec.hash != _old_digest(prev_old, rec):
            broken.append(rec.seq)
        prev_old = rec.hash
        new = record_digest(
            prev_new,
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
        bind.execute(
            _audit.update().where(_audit.c.seq == rec.seq).values(prev_hash=prev_new, hash=new)
        )
        prev_new, last_seq = new, rec.seq
        count += 1
    if count:
        at = utcnow().replace(microsecond=0)
        record_id = new_id()
        last_seq += 1
        summary = _(
            "Audit log sealed with this PC's key ({count} records; {broken} did not match "
            "their hashes before)"
        ).format(count=count, broken=len(broken))
        details = {"records": count, "broken_before": broken[:1000]}
        new = record_digest(
            prev_new, last_seq, record_id, at, "", "audit.reseal", "audit", None, summary, details
        )
        bind.execute(
            _audit.insert().values(
                seq=last_seq,
                id=record_id,
                at=at,
                user_id=None,
                user_login="",
                action="audit.reseal",
                entity="audit",
                entity_id=None,
                summary=summary,
                details=details,
                prev_hash=prev_new,
                hash=new,
            )
        )
        prev_new = new
    bind.execute(_head.insert().values(id=1, database_id=new_id(), seq=last_seq, hash=prev_new))


def downgrade() -> None:
    op.drop_table("audit_head")
    # a plain DROP COLUMN (SQLite 3.35+): copying the users table, as a batch operation
    # would, is refused by the foreign keys that point at it
    op.drop_column("settings", "row_mac")
    op.drop_column("users", "row_mac")
