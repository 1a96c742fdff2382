"""The database as the window and the command line see it: a handle to pass to every
service (``Database``), opening one at start-up (created or upgraded, with a copy kept
before an upgrade), the problems that can stop it (each with a message for the user) and
the warning for a database on a network drive.

Views and commands import these names from here, never from ``kac_desktop.db``: they reach
data only through the services, and the handle stays opaque to them.
"""

from __future__ import annotations

from kac_desktop.db import (
    DamagedDatabase,
    Database,
    DatabaseProblem,
    ForeignDatabase,
    LockedDatabase,
    NewerDatabase,
    network_warning,
    open_database,
)

__all__ = [
    "DamagedDatabase",
    "Database",
    "DatabaseProblem",
    "ForeignDatabase",
    "LockedDatabase",
    "NewerDatabase",
    "network_warning",
    "open_database",
]
