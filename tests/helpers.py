"""Helpers the tests of several folders share (fixtures are in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from alembic import command

from kac_desktop.db import alembic_config, make_engine

# The customer list's sort keys, one a column, as the service tests sort by them (they stay
# Qt-free) and as the view tests check the list's columns against them.
LIST_SORT_KEYS = [
    "name",
    "credit_code",
    "kind",
    "tier",
    "visit_class",
    "industry",
    "area",
    "branch",
    "manager",
    "contact",
    "phone",
    "completeness",
]


def database_at(path: Path, revision: str) -> Path:
    """A SQLite database file at ``path`` migrated only up to ``revision``, as an older
    version of kac_desktop left it."""
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
    finally:
        engine.dispose()
    return path
