"""Where a database's schema stands: the migrations' head, the revisions this version knows,
and the revision a database is at.  Read without Alembic where a plain reading suffices
(importing Alembic costs about 0.3 s of a start that only needs to know "at the head")."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import Connection

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _alembic_script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    from kac_desktop.migrations import head_of, revision_graph

    graph = revision_graph()
    head = head_of(graph) if graph is not None else None
    if head is None:  # what the cheap reading cannot tell (several heads), Alembic can
        head = _alembic_script().get_current_head()
    return head or ""


def known_revisions() -> set[str]:
    """Every schema revision this version of kac_desktop knows."""
    from kac_desktop.migrations import revision_graph

    graph = revision_graph()
    if graph is None:
        return {rev.revision for rev in _alembic_script().walk_revisions()}
    return set(graph)


_TABLES_SQL = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite~_%' ESCAPE '~'"
)


def schema_state(connection: Any) -> tuple[str | None, bool]:
    """The revision the database is at (None before the first migration) and whether it
    holds tables other than Alembic's: what Alembic's MigrationContext would say, in two
    small queries and without importing Alembic.  ``connection``: SQLAlchemy's; on SQLite
    the reading of ``sqlite_schema_state``, on its driver connection."""
    if connection.dialect.name == "sqlite":
        return sqlite_schema_state(connection.connection.driver_connection)
    from sqlalchemy import inspect, text

    tables = set(inspect(connection).get_table_names())
    current = None
    if "alembic_version" in tables:
        versions = sorted(
            connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        )
        current = ",".join(versions) or None
    return current, bool(tables - {"alembic_version"})


def sqlite_schema_state(connection: sqlite3.Connection) -> tuple[str | None, bool]:
    """``schema_state`` of a SQLite database, through the standard library's sqlite3 (the
    start's check before SQLAlchemy is imported, and the engine's own on SQLite)."""
    tables = {name for (name,) in connection.execute(_TABLES_SQL)}
    current = None
    if "alembic_version" in tables:
        versions = sorted(
            v for (v,) in connection.execute("SELECT version_num FROM alembic_version")
        )
        current = ",".join(versions) or None
    return current, bool(tables - {"alembic_version"})
