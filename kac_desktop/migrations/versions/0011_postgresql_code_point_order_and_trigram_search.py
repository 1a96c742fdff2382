"""PostgreSQL: text in code point order, and the customer search through a trigram index

Nothing on SQLite: a SQLite database made by an earlier release is at this revision
exactly as it was at the one before.

* Every character column ``COLLATE "C"`` (migrations/postgresql.py says why): the server
  orders and compares text as SQLite does, whatever locale its database was made with.
* ``ix_customer_search_text_trgm``: a GIN index of pg_trgm's trigrams over
  ``customer_search.text``, which answers the search's ``text LIKE '%…%'`` without reading
  every row (the SQLite file has its FTS5 trigram index of 0002 for the same).  pg_trgm is
  a trusted extension since PostgreSQL 13: the database's owner may create it.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

from kac_desktop.migrations.postgresql import use_code_point_order

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TRIGRAM_INDEX = "ix_customer_search_text_trgm"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    use_code_point_order(bind)
    bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    bind.exec_driver_sql(
        f"CREATE INDEX {TRIGRAM_INDEX} ON customer_search USING gin (text gin_trgm_ops)"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # the extension stays: other databases' objects of this schema may use it; the columns
    # keep code point order, which every earlier revision also reads correctly
    bind.exec_driver_sql(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
