"""customer search index: an FTS5 trigram index over customer_search (SQLite only)

The customer list's search is a substring search (``text LIKE '%q%'``, rules/search_keys.py).
At 100,000 customers a LIKE scan of customer_search costs 50–90 ms; the trigram index answers
a query of three or more characters in well under a millisecond (measured at 100,000).  It is an
external-content table over customer_search (no second copy of the text), kept in step by
triggers, so every writer (the editor, the import, the demo) keeps it without knowing.

* Only on SQLite 3.34 or newer (the trigram tokenizer); elsewhere (PostgreSQL for a city
  center) this migration does nothing and the service keeps using LIKE
  (services/customer_list.search_index_available).
* Queries of one or two characters are not answered by a trigram index (documented); the
  service uses LIKE for them.
* The index is keyed by customer_search's rowid.  VACUUM may renumber the rowids of a table
  without an INTEGER PRIMARY KEY: after a VACUUM run
  ``INSERT INTO customer_search_fts(customer_search_fts) VALUES('rebuild')``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

FTS_TABLE = "customer_search_fts"
MIN_SQLITE = (3, 34, 0)  # the trigram tokenizer


def _supported() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    version = bind.exec_driver_sql("SELECT sqlite_version()").scalar() or "0"
    parts = tuple(int(p) for p in version.split(".")[:3])
    if parts < MIN_SQLITE:
        return False
    try:
        bind.exec_driver_sql(
            "CREATE VIRTUAL TABLE temp.kac_probe USING fts5(t, tokenize='trigram')"
        )
        bind.exec_driver_sql("DROP TABLE temp.kac_probe")
    except Exception:  # FTS5 not compiled in
        return False
    return True


def upgrade() -> None:
    if not _supported():
        return
    run = op.get_bind().exec_driver_sql
    run(
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
        "text, content='customer_search', content_rowid='rowid', tokenize='trigram')"
    )
    run(
        f"CREATE TRIGGER customer_search_fts_ai AFTER INSERT ON customer_search BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.rowid, new.text); END"
    )
    run(
        f"CREATE TRIGGER customer_search_fts_ad AFTER DELETE ON customer_search BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) "
        f"VALUES ('delete', old.rowid, old.text); END"
    )
    run(
        f"CREATE TRIGGER customer_search_fts_au AFTER UPDATE ON customer_search BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) "
        f"VALUES ('delete', old.rowid, old.text); "
        f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.rowid, new.text); END"
    )
    run(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    run = op.get_bind().exec_driver_sql
    for name in ("customer_search_fts_ai", "customer_search_fts_ad", "customer_search_fts_au"):
        run(f"DROP TRIGGER IF EXISTS {name}")
    run(f"DROP TABLE IF EXISTS {FTS_TABLE}")
