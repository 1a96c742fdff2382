"""the data exchange between branch PCs and the city center (docs/SYNC.md)

``sync_self`` names this database's node, ``sync_peers`` the PCs it exchanges packages
with (their public keys, the package numbers both ways), ``sync_shadow`` each record as
a peer is known to have it (the base of the next merge), ``sync_outbox`` what went out in
packages not yet acknowledged, ``sync_conflicts`` the fields changed on both sides,
``sync_log`` every package written or applied and ``sync_foreign_audit`` the audit records
of the branch PCs' chains.  Only new tables: nothing of the existing data changes.

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kac_desktop.models.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UTC = kac_desktop.models.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "sync_self",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("branch_id", sa.String(length=36), nullable=True),
        sa.Column("sign_public", sa.Text(), nullable=False),
        sa.Column("box_public", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_self")),
    )
    op.create_table(
        "sync_peers",
        sa.Column("node_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("branch_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sign_public", sa.Text(), nullable=False),
        sa.Column("box_public", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("sent_seq", sa.Integer(), nullable=False),
        sa.Column("received_seq", sa.Integer(), nullable=False),
        sa.Column("acked_seq", sa.Integer(), nullable=False),
        sa.Column("audit_acked", sa.Integer(), nullable=False),
        sa.Column("last_sent_at", UTC(), nullable=True),
        sa.Column("last_heard_at", UTC(), nullable=True),
        sa.Column("revoked_at", UTC(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("node_id", name=op.f("pk_sync_peers")),
    )
    op.create_index(op.f("ix_sync_peers_branch_id"), "sync_peers", ["branch_id"], unique=False)
    op.create_table(
        "sync_shadow",
        sa.Column("peer_id", sa.String(length=36), nullable=False),
        sa.Column("tbl", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("peer_id", "tbl", "record_id", name=op.f("pk_sync_shadow")),
    )
    op.create_table(
        "sync_outbox",
        sa.Column("peer_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("tbl", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("peer_id", "seq", "tbl", "record_id", name=op.f("pk_sync_outbox")),
    )
    op.create_table(
        "sync_conflicts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("peer_id", sa.String(length=36), nullable=False),
        sa.Column("tbl", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("base", sa.JSON(), nullable=True),
        sa.Column("mine", sa.JSON(), nullable=True),
        sa.Column("theirs", sa.JSON(), nullable=True),
        sa.Column("mine_by", sa.String(length=50), nullable=False),
        sa.Column("mine_at", UTC(), nullable=True),
        sa.Column("theirs_by", sa.String(length=50), nullable=False),
        sa.Column("theirs_at", UTC(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("settled_at", UTC(), nullable=True),
        sa.Column("settled_by", sa.String(length=50), nullable=False),
        sa.Column("kept", sa.String(length=10), nullable=False),
        sa.Column("sent_in", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflicts")),
    )
    op.create_index(
        "ix_sync_conflicts_record", "sync_conflicts", ["tbl", "record_id"], unique=False
    )
    op.create_table(
        "sync_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("peer_id", sa.String(length=36), nullable=False),
        sa.Column("direction", sa.String(length=5), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("audit_upto", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("by_login", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_log")),
    )
    op.create_index(op.f("ix_sync_log_peer_id"), "sync_log", ["peer_id"], unique=False)
    op.create_table(
        "sync_foreign_audit",
        sa.Column("origin", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("user_login", sa.String(length=50), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("entity", sa.String(length=30), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("linked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("origin", "seq", name=op.f("pk_sync_foreign_audit")),
    )


def downgrade() -> None:
    op.drop_table("sync_foreign_audit")
    op.drop_index(op.f("ix_sync_log_peer_id"), table_name="sync_log")
    op.drop_table("sync_log")
    op.drop_index("ix_sync_conflicts_record", table_name="sync_conflicts")
    op.drop_table("sync_conflicts")
    op.drop_table("sync_outbox")
    op.drop_table("sync_shadow")
    op.drop_index(op.f("ix_sync_peers_branch_id"), table_name="sync_peers")
    op.drop_table("sync_peers")
    op.drop_table("sync_self")
