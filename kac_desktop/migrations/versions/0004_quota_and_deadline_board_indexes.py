"""quota page and deadline board at 100,000 customers: a month's visits by customer, the open
requests' times in one index range

* ``ix_visits_month_customer`` (SQLite only): the visits of a local month by customer and
  mode.  The quota counts a branch's visits of one month; by ``(customer_id, visited_at)``
  each customer costs a seek into his whole history, and at 2,000,000 visits the 17,000
  customers of a big branch touch most of that index (330 ms); keyed by the month first, the
  seeks stay inside one month's entries and the index covers the count (36 ms, CPU).
  The key is the month of the local date, Asia/Shanghai (UTC+8 all year since 1991, no
  daylight saving), from the stored UTC text cut to the second (SQLite's date functions
  round to the millisecond: 23:59:59.9996 would fall into the next month).
  services/visits.MONTH_KEY_SQL is the same text, which SQLite needs to match the index; the
  service counts by the time range on another database (where this migration does nothing).
* ``ix_customers_quota``: the same count reads the customers due (created before the month
  ended, not archived before it) of a branch, and the page their names, classes and managers
  in name order: 17,000 rows spread over the whole customers table, one page read each, then
  sorted.  The index holds what the quota reads, a branch's customers together by name:
  the count about 40 % faster, the customers 45 → 26 ms (CPU, measured side by side).
* ``ix_requests_board``: the board reads every open request's times (a few thousand of
  200,000 requests) by status, in deadline order; with the times in the index that is one
  index range instead of a row lookup per request.  It begins with the columns of
  ``ix_requests_open`` (status, deadline_at), which it replaces.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# services/visits.MONTH_KEY_SQL, copied: a migration does not change
MONTH_KEY_SQL = "strftime('%Y-%m', substr(visited_at, 1, 19), '+8 hours')"
QUOTA_COLUMNS = [
    "branch_id",
    "name_sort",
    "id",
    "archived",
    "created_at",
    "archived_at",
    "manager_id",
    "tier",
    "visit_class_override",
    "name",
]
BOARD_COLUMNS = [
    "status",
    "deadline_at",
    "id",
    "received_at",
    "first_response_due_at",
    "first_response_at",
    "resolved_at",
    "customer_id",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(
            "ix_visits_month_customer",
            "visits",
            [sa.text(MONTH_KEY_SQL), "customer_id", "mode", "visited_at"],
        )
    op.create_index("ix_customers_quota", "customers", QUOTA_COLUMNS)
    op.create_index("ix_requests_board", "service_requests", BOARD_COLUMNS)
    op.drop_index("ix_requests_open", "service_requests")


def downgrade() -> None:
    op.create_index("ix_requests_open", "service_requests", ["status", "deadline_at"])
    op.drop_index("ix_requests_board", "service_requests")
    op.drop_index("ix_customers_quota", "customers")
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_visits_month_customer", "visits")
