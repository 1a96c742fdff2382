"""the working-day calendar the center keeps; provisional deadlines

``holiday_years`` and ``holiday_entries`` hold the years' holidays and adjusted working
days the center entered (they override the chinesecalendar package's years);
``service_requests.deadline_provisional`` marks a deadline counted with weekends only
because its year had no schedule yet (暂按周末计算), to be recomputed when it arrives.

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kac_desktop.models.base

revision = "0009"
down_revision = "0005"
branch_labels = None
depends_on = None


def _tracked() -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", kac_desktop.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", kac_desktop.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "holiday_years",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        *_tracked(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_years")),
        sa.UniqueConstraint("year", name=op.f("uq_holiday_years_year")),
    )
    op.create_table(
        "holiday_entries",
        sa.Column("year_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        *_tracked(),
        sa.ForeignKeyConstraint(
            ["year_id"],
            ["holiday_years.id"],
            name=op.f("fk_holiday_entries_year_id_holiday_years"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_entries")),
        sa.UniqueConstraint("year_id", "day", name=op.f("uq_holiday_entries_year_id_day")),
    )
    op.create_index(
        op.f("ix_holiday_entries_year_id"), "holiday_entries", ["year_id"], unique=False
    )
    # a plain ALTER TABLE … ADD COLUMN (not a batch copy): a city center's table holds
    # hundreds of thousands of requests, and SQLite adds a column with a constant default
    # without rewriting them
    op.add_column(
        "service_requests",
        sa.Column("deadline_provisional", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("service_requests", "deadline_provisional")  # SQLite 3.35+ drops in place
    op.drop_index(op.f("ix_holiday_entries_year_id"), table_name="holiday_entries")
    op.drop_table("holiday_entries")
    op.drop_table("holiday_years")
