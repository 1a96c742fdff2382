"""Everything that speaks to the database below the models: the engine and its SQLite
pragmas (``engine``), where the schema stands (``schema``), opening with an upgrade
(``opening``), file-level work on SQLite databases — the one atomic copy, restore into a
live file, read-only checks, change detection (``files``) — and the raw SQL helpers for bulk
reads and writes (``raw_sql``).  This is the only package that imports ``sqlite3``.

Importing it imports neither SQLAlchemy nor Alembic: the start opens a database at the
head with sqlite3 alone.
"""

from __future__ import annotations

from .engine import BUSY_TIMEOUT_MS, Database, connect_sqlite, make_engine
from .files import (
    DataVersion,
    FileDatabaseError,
    FileError,
    FileOrOSError,
    connect_read_only,
    copy_database,
    copy_into,
    make_private_file,
    network_warning,
    remove_stale_parts,
)
from .opening import open_database
from .problems import (
    ConcurrentChange,
    DamagedDatabase,
    DatabaseBusy,
    DatabaseProblem,
    DiskFull,
    EncryptedElsewhere,
    ForeignDatabase,
    LockedDatabase,
    NewerDatabase,
    ReadOnlyDatabase,
    ServerUnavailable,
    StorageFailure,
    VanishedDatabase,
    classify,
)
from .schema import MIGRATIONS, alembic_config, head_revision, known_revisions

# the name this copy had before it became the one atomic copy
backup_sqlite = copy_database

__all__ = [
    "BUSY_TIMEOUT_MS",
    "MIGRATIONS",
    "ConcurrentChange",
    "DamagedDatabase",
    "EncryptedElsewhere",
    "DatabaseBusy",
    "DiskFull",
    "ReadOnlyDatabase",
    "ServerUnavailable",
    "StorageFailure",
    "VanishedDatabase",
    "classify",
    "DataVersion",
    "Database",
    "DatabaseProblem",
    "FileDatabaseError",
    "FileError",
    "FileOrOSError",
    "ForeignDatabase",
    "LockedDatabase",
    "NewerDatabase",
    "alembic_config",
    "backup_sqlite",
    "connect_read_only",
    "connect_sqlite",
    "copy_database",
    "copy_into",
    "make_private_file",
    "head_revision",
    "known_revisions",
    "make_engine",
    "network_warning",
    "open_database",
    "remove_stale_parts",
]
