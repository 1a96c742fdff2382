"""What the migrations do on PostgreSQL only, so that a server's database answers exactly as
a SQLite file does (docs/POSTGRESQL.md).

* **Text compares by code point.**  SQLite orders and compares text by its bytes (UTF-8:
  code point order), as Python does.  A server orders by the collation its database was
  made with (en_US.UTF-8, zh_CN.UTF-8, …): pinyin sort keys, names with digits and
  punctuation, the list's keyset pages would come in another order.  Every character column
  is therefore ``COLLATE "C"`` (code point order, whatever the server's locale).  Migration
  0011 sets it on the columns of 0001-0009, and the migration environment (env.py) sets it
  after every upgrade on the columns a later revision adds, so no revision can forget it.
"""

from __future__ import annotations

from typing import Any

_CHARACTER_COLUMNS = """
SELECT c.table_name, c.column_name, c.data_type, c.character_maximum_length
FROM information_schema.columns c
JOIN information_schema.tables t
  ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.table_schema = current_schema()
  AND t.table_type = 'BASE TABLE'
  AND c.data_type IN ('character varying', 'text', 'character')
  AND c.table_name <> 'alembic_version'
  AND c.collation_name IS DISTINCT FROM 'C'
ORDER BY c.table_name, c.ordinal_position
"""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def columns_not_in_code_point_order(bind: Any) -> list[tuple[str, str]]:
    """(table, column) of every character column not ``COLLATE "C"``."""
    return [(row[0], row[1]) for row in bind.exec_driver_sql(_CHARACTER_COLUMNS)]


def use_code_point_order(bind: Any) -> int:
    """Make every character column of the schema ``COLLATE "C"``; how many were changed.
    Nothing on another database.  The indexes on them are rebuilt by PostgreSQL."""
    if bind.dialect.name != "postgresql":
        return 0
    rows = bind.exec_driver_sql(_CHARACTER_COLUMNS).all()
    by_table: dict[str, list[str]] = {}
    for table, column, data_type, length in rows:
        kind = {
            "character varying": f"varchar({length})" if length else "varchar",
            "character": f"char({length})" if length else "char",
        }.get(data_type, "text")
        by_table.setdefault(table, []).append(
            f'ALTER COLUMN {_quoted(column)} TYPE {kind} COLLATE "C"'
        )
    for table, changes in by_table.items():
        bind.exec_driver_sql(f"ALTER TABLE {_quoted(table)} " + ", ".join(changes))
    return len(rows)
