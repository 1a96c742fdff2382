"""The PostgreSQL half of the tests: one test database on a real server, migrated once per
session, emptied before each test that uses it.

``KAC_TEST_PG_URL`` (or ``--pg-url``) names the database, e.g.
``postgresql://kac:kac@localhost/kac_test``; the role must own it and may create databases
(the migration tests start from empty ones).  Without it the PostgreSQL variants are left
out and the run's last line says so; under ``CI=true`` a missing server fails the run.

Emptying the tables is measured faster than the alternatives (a database of 17 tables, on
the 2-core CI machine): ``DELETE`` from every table ≈ 10 ms, ``TRUNCATE`` of all of them
≈ 270 ms (it makes and syncs new files), ``CREATE DATABASE … TEMPLATE`` ≈ 180 ms plus the
drop, migrating a new one ≈ 1.5 s.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field

ENV = "KAC_TEST_PG_URL"


def configured_url(config) -> str:
    return (config.getoption("--pg-url") or os.environ.get(ENV) or "").strip()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def driver_url(url: str) -> str:
    """The URL psycopg itself takes (SQLAlchemy's ``+psycopg`` taken away)."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else url


def sqlalchemy_url(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return "postgresql+psycopg://" + rest if scheme in ("postgres", "postgresql") else url


def with_database(url: str, name: str) -> str:
    """``url`` naming the database ``name`` on the same server."""
    head, _slash, tail = url.rpartition("/")
    query = ""
    if "?" in tail:
        tail, query = tail.split("?", 1)
        query = "?" + query
    return f"{head}/{name}{query}"


def database_name(url: str) -> str:
    tail = url.rpartition("/")[2]
    return tail.split("?", 1)[0]


@dataclass
class Server:
    """The session's test database: migrated once, its migration-made rows kept to put back."""

    url: str  # SQLAlchemy's, +psycopg
    seed: dict[str, list[tuple]] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)  # in the order they are emptied
    databases_made: int = 0

    def connect(self, database: str | None = None):
        import psycopg

        url = driver_url(self.url if database is None else with_database(self.url, database))
        return psycopg.connect(url, autocommit=True, connect_timeout=5)

    def prepare(self) -> None:
        """An empty public schema, migrated to the head; what the migrations wrote kept.
        Everything in the database is dropped first: a database whose name does not say
        "test" is refused, so that a mistyped variable cannot empty a real one."""
        if "test" not in database_name(self.url).lower():
            raise RuntimeError(
                f"{ENV} must name a test database (its name containing 'test'): the tests "
                "drop everything in it"
            )
        import psycopg

        from kac_desktop.db import open_database
        from kac_desktop.models import Base

        with self.connect() as connection:
            try:
                with connection.transaction():
                    connection.execute("DROP SCHEMA IF EXISTS public CASCADE")
                    connection.execute("CREATE SCHEMA public")
            except psycopg.errors.InsufficientPrivilege:
                # PostgreSQL 13-14: the public schema is the superuser's; what the role
                # made in it is its own
                connection.execute("DROP OWNED BY CURRENT_USER")
        database = open_database(self.url)
        database.dispose()
        with self.connect() as connection:
            present = {
                name
                for (name,) in connection.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            } - {"alembic_version"}
            # children before parents: no foreign key is broken on the way
            ordered = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name in present]
            self.tables = ordered + sorted(present - set(ordered))
            for table in self.tables:
                rows = connection.execute(f'SELECT * FROM "{table}"').fetchall()
                if rows:
                    self.seed[table] = rows

    def reset(self) -> None:
        """Every table as the migrations left it, under a new database identity (a PC keeps
        the head of each database's audit chain by that identity: keystore.py)."""
        with self.connect() as connection, connection.transaction():
            connection.execute("SET LOCAL lock_timeout = '10s'")
            for table in self.tables:
                connection.execute(f'DELETE FROM "{table}"')
            for table in reversed(self.tables):
                rows = self.seed.get(table)
                if rows:
                    marks = ", ".join(["%s"] * len(rows[0]))
                    with connection.cursor() as cursor:
                        cursor.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)
            connection.execute("UPDATE audit_head SET database_id = %s", (str(uuid.uuid4()),))

    def empty_database(self) -> str:
        """A new empty database on the server (for a migration test); its SQLAlchemy URL."""
        self.databases_made += 1
        name = f"{database_name(self.url)}_m{os.getpid()}_{self.databases_made}"
        with self.connect() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return with_database(self.url, name)

    def drop_database(self, url: str) -> None:
        name = database_name(url)
        with self.connect() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
