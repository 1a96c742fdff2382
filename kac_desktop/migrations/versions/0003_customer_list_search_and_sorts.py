"""customer list at 100,000 customers: short searches through the trigram index, sorts by index

* Every search text now ends with the part separator (rules/search_keys.py), so every
  occurrence of a two-character string in it begins a trigram: "rows holding 林涛" is "rows
  holding a trigram that starts with 林涛", and the trigram index's vocabulary lists those
  trigrams in order (``customer_search_vocab``, an fts5vocab table: a range lookup, not a scan).
  The vocabulary's document counts also bound how many rows a search can match, so the service
  chooses between walking the list in display order and looking the matches up
  (services/customer_list.py).
* One index per sortable column, ``(archived, column, name_sort, id)``, so the first page of a
  list sorted by any of them is an index walk that stops after the page instead of a sort of
  every customer.  The tier sorts by its rank (an expression index on the same expression the
  service orders by).  The branch and manager columns show names kept in other tables:
  ``(branch_id | manager_id, archived, name_sort, id)`` lets the service walk each branch's
  (manager's) customers by name, the branches (managers) taken in name order.  The visit
  class (a setting maps tiers to classes) still sorts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FTS_TABLE = "customer_search_fts"
VOCAB_TABLE = "customer_search_vocab"
SEPARATOR = "\x1f"  # rules/search_keys.SEPARATOR, copied: a migration does not change
# the tier's rank, as services/customer_list.TIER_RANK_SQL
TIER_RANK_SQL = (
    "CASE tier WHEN 'diamond' THEN 1 WHEN 'platinum' THEN 2 WHEN 'gold' THEN 3 "
    "WHEN 'vip' THEN 4 WHEN 'ordinary' THEN 5 ELSE 9 END"
)
SORTED_COLUMNS = (
    "credit_code",
    "kind",
    "industry",
    "area",
    "primary_contact",
    "primary_phone",
    "completeness",
)


def upgrade() -> None:
    bind = op.get_bind()
    # terminate every stored search text (the FTS triggers of 0002 follow the update)
    bind.execute(
        sa.text(
            "UPDATE customer_search SET text = text || :sep "
            "WHERE text <> '' AND substr(text, length(text), 1) <> :sep"
        ),
        {"sep": SEPARATOR},
    )
    for column in SORTED_COLUMNS:
        op.create_index(
            f"ix_customers_list_{column}", "customers", ["archived", column, "name_sort", "id"]
        )
    # the branch and manager sorts walk each branch's (manager's) customers by name; the
    # older (manager_id, archived) index is a prefix of the new one
    op.drop_index("ix_customers_manager_archived", "customers")
    for column in ("manager_id", "branch_id"):
        op.create_index(
            f"ix_customers_list_{column}", "customers", [column, "archived", "name_sort", "id"]
        )
    # PostgreSQL takes an expression in an index only in parentheses; SQLite's index
    # keeps the text it was made with (unchanged since this revision was released)
    rank = TIER_RANK_SQL if bind.dialect.name == "sqlite" else f"({TIER_RANK_SQL})"
    op.create_index(
        "ix_customers_list_tier", "customers", ["archived", sa.text(rank), "name_sort", "id"]
    )
    if bind.dialect.name == "sqlite":
        has_fts = bind.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (FTS_TABLE,)
        ).first()
        if has_fts:
            bind.exec_driver_sql(
                f"CREATE VIRTUAL TABLE {VOCAB_TABLE} USING fts5vocab({FTS_TABLE}, row)"
            )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql(f"DROP TABLE IF EXISTS {VOCAB_TABLE}")
    op.drop_index("ix_customers_list_tier", "customers")
    for column in ("manager_id", "branch_id"):
        op.drop_index(f"ix_customers_list_{column}", "customers")
    op.create_index("ix_customers_manager_archived", "customers", ["manager_id", "archived"])
    for column in SORTED_COLUMNS:
        op.drop_index(f"ix_customers_list_{column}", "customers")
    bind.execute(
        sa.text(
            "UPDATE customer_search SET text = substr(text, 1, length(text) - 1) "
            "WHERE substr(text, length(text), 1) = :sep"
        ),
        {"sep": SEPARATOR},
    )
