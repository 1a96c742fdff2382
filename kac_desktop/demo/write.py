"""Bulk writing for the demonstration data: millions of rows inside the demo's transaction.

Decisions:

* On SQLite the rows go to the driver's ``executemany`` as tuples, on the session's own
  connection (so in the same transaction): SQLAlchemy's per-row parameter processing took
  more time than SQLite itself (measured: Core's executemany takes twice the driver's).
* The values are converted the way the columns' SQLAlchemy types would bind them (the
  type's own bind processor, column by column), so what the demo stores is exactly what a
  service would store; only the UTC timestamps take a faster path, memoised, because the
  demo's moments repeat (visits are on the quarter hour) and there are millions of them.
  ``tests/demo/test_demo_write.py`` compares the stored bytes with Core's.
* On SQLite the secondary indexes of the tables being filled are dropped for the load and
  built again at the end (``deferred_indexes``), in the same transaction: building an
  index from a million sorted entries costs a fraction of a million random insertions
  (a third less time for the visits, more as indexes are added).  SQLite's DDL is
  transactional, so a failure or a cancel rolls the indexes back with the rows; the
  statements come from the database's own schema, so what is built again is what the
  migrations made.  Uniqueness constraints are not dropped: they keep checking.
* Any other database (PostgreSQL at a city center) gets Core ``executemany`` with dicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Connection, FromClause, Table, insert

from kac_desktop.db.raw_sql import driver_connection, is_sqlite, utc_text
from kac_desktop.models.base import UTCDateTime

BATCH = 20_000


# the columns every tracked record starts with (models.base.Tracked), in table order
TRACKED_COLUMNS = ("id", "created_at", "updated_at", "updated_by", "version")


def _memo_utc_text() -> Callable[[datetime | None], str | None]:
    """``raw_sql.utc_text`` remembering its answers: the demo's moments repeat (a month's revenue
    rows share one stamp, visits fall on the quarter hour, a status step is also the
    request's update time)."""
    memo: dict[datetime | None, str | None] = {}
    get = memo.get

    def text(value: datetime | None) -> str | None:
        found = get(value, memo)
        if found is memo:
            found = memo[value] = utc_text(value)
            if len(memo) > 200_000:
                memo.clear()
        return found  # type: ignore[return-value]

    return text


def _converters(connection: Connection, table: FromClause, columns: Sequence[str]) -> list[Any]:
    dialect = connection.dialect
    result: list[Any] = []
    for name in columns:
        kind = table.c[name].type
        if isinstance(kind, UTCDateTime):
            result.append(_memo_utc_text())
            continue
        process = kind.dialect_impl(dialect).bind_processor(dialect)
        if process is None:
            result.append(None)
        else:
            # every bind processor of SQLAlchemy's types passes None through
            result.append(process)
    return result


class Writer:
    """Inserts rows of one table, in batches, inside the caller's transaction."""

    def __init__(self, connection: Connection, table: FromClause, columns: Sequence[str]) -> None:
        self.connection = connection
        self.table = table
        self.columns = list(columns)
        self.sqlite = connection.dialect.name == "sqlite"
        self.rows = 0
        if self.sqlite:
            self.converters = _converters(connection, table, self.columns)
            names = ", ".join(f'"{name}"' for name in self.columns)
            marks = ", ".join("?" for _name in self.columns)
            self.sql = f'INSERT INTO "{table.description}" ({names}) VALUES ({marks})'

    def tuples(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert ``rows``: tuples of Python values in the order of ``columns``."""
        for start in range(0, len(rows), BATCH):
            self._batch(rows[start : start + BATCH])
        self.rows += len(rows)

    def dicts(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert ``rows``: dicts holding (at least) every one of ``columns``."""
        pick = itemgetter(*self.columns)
        single = len(self.columns) == 1
        for start in range(0, len(rows), BATCH):
            batch = [pick(row) for row in rows[start : start + BATCH]]
            self._batch([(value,) for value in batch] if single else batch)
        self.rows += len(rows)

    def _batch(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if not self.sqlite:
            # a model's __table__ is typed FromClause; it is a Table
            table = cast(Table, self.table)
            self.connection.execute(
                insert(table), [dict(zip(self.columns, row, strict=True)) for row in rows]
            )
            return
        if any(self.converters):
            # column by column: one map() per column costs a fraction of a loop per value
            values: list[Iterable[Any]] = list(zip(*rows, strict=True))
            for index, convert in enumerate(self.converters):
                if convert is not None:
                    values[index] = map(convert, values[index])
            rows = list(zip(*values, strict=True))
        cursor = driver_connection(self.connection).cursor()
        try:
            cursor.executemany(self.sql, rows)
        finally:
            cursor.close()


def insert_dicts(connection: Connection, table: FromClause, rows: Sequence[dict[str, Any]]) -> int:
    """Insert Core-style dict rows (every row with the keys of the first)."""
    if not rows:
        return 0
    writer = Writer(connection, table, list(rows[0]))
    writer.dicts(rows)
    return writer.rows


@contextmanager
def deferred_indexes(connection: Connection, tables: Iterable[str]) -> Iterator[None]:
    """Without the secondary indexes of ``tables`` inside the block (SQLite, inside an open
    transaction; elsewhere nothing changes); they are built again when it ends normally,
    and an exception leaves them to the transaction's rollback."""
    driver = driver_connection(connection) if is_sqlite(connection) else None
    if driver is None or not getattr(driver, "in_transaction", False):
        # outside a transaction, DDL would commit at once: keep the indexes
        yield
        return
    names = sorted(set(tables))
    marks = ", ".join("?" for _name in names)
    cursor = driver.cursor()
    try:
        indexes = cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks}) ORDER BY name",
            names,
        ).fetchall()
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    finally:
        cursor.close()
    yield
    cursor = driver.cursor()
    try:
        for _name, sql in indexes:
            cursor.execute(sql)
    finally:
        cursor.close()
