"""The database as the window and the command line see it: a handle to pass to every
service (``Database``), opening one at start-up (created or upgraded, with a copy kept
before an upgrade), the problems that can stop it (each with a message for the user) and
the warning for a database on a network drive.

Views and commands import these names from here, never from ``kac_desktop.db``: they reach
data only through the services, and the handle stays opaque to them.
"""

from __future__ import annotations

from pathlib import Path

from kac_desktop.db import (
    ConcurrentChange,
    DamagedDatabase,
    Database,
    DatabaseBusy,
    DatabaseProblem,
    ForeignDatabase,
    LockedDatabase,
    NewerDatabase,
    classify,
    network_warning,
    open_database,
)
from kac_desktop.db.schema import head_revision, schema_state


def schema_revisions(db: Database) -> tuple[str | None, str]:
    """The schema revision the database is at, and the one this release migrates to."""
    with db.engine.connect() as connection:
        current, _other_tables = schema_state(connection)
    return current, head_revision()


__all__ = [
    "ConcurrentChange",
    "DamagedDatabase",
    "DatabaseBusy",
    "Database",
    "DatabaseProblem",
    "ForeignDatabase",
    "LockedDatabase",
    "NewerDatabase",
    "network_warning",
    "open_database",
    "problem_of",
    "schema_revisions",
]


def problem_of(error: BaseException, path: Path | None = None) -> DatabaseProblem | None:
    """The database problem ``error`` is (a lock, a lost race, a full disk, …, with its
    message), or None when it is none: for the last resort of the window and the command
    line, which meet errors raised outside the engine's translation."""
    return classify(error, path)
