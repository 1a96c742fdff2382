"""the customer's registration date (登记日期)

``customers.registered_on`` is the day a customer came on the branch's files: the monthly
report, the visit quota and the inactivity alert count a customer from it, not from the
moment its row was made (``created_at``), so that a branch importing its existing customers
today still reports the months before.  Existing files get the Beijing date of their
``created_at``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ALTER TABLE … ADD COLUMN with a constant default (SQLite adds it without
    # rewriting the table), then every existing row gets its own date
    op.add_column(
        "customers",
        sa.Column(
            "registered_on", sa.Date(), nullable=False, server_default=sa.text("'1970-01-01'")
        ),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # created_at is stored as UTC text 'YYYY-MM-DD HH:MM:SS[.ffffff]'; Beijing is UTC+8
        # all year (no daylight saving)
        op.execute("UPDATE customers SET registered_on = date(created_at, '+8 hours')")
    else:
        op.execute(
            "UPDATE customers SET registered_on = "
            "CAST((created_at AT TIME ZONE 'UTC') AT TIME ZONE 'Asia/Shanghai' AS DATE)"
        )
    # the quota's covering index (0004) holds what the quota filters by: now the
    # registration date instead of created_at
    op.drop_index("ix_customers_quota", table_name="customers")
    op.create_index("ix_customers_quota", "customers", _quota_columns("registered_on"))


def downgrade() -> None:
    op.drop_index("ix_customers_quota", table_name="customers")
    op.create_index("ix_customers_quota", "customers", _quota_columns("created_at"))
    op.drop_column("customers", "registered_on")  # SQLite 3.35+ drops in place


def _quota_columns(since: str) -> list[str]:
    return [
        "branch_id",
        "name_sort",
        "id",
        "archived",
        since,
        "archived_at",
        "manager_id",
        "tier",
        "visit_class_override",
        "name",
    ]
