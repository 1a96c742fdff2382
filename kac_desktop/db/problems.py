"""Why a database cannot be opened, as exceptions that carry a message for the user."""

from __future__ import annotations

from pathlib import Path

from kac_desktop.i18n import _


class DatabaseProblem(Exception):
    """A database that cannot be opened, with a message for the user."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class DamagedDatabase(DatabaseProblem):
    pass


class LockedDatabase(DatabaseProblem):
    pass


class ForeignDatabase(DatabaseProblem):
    pass


class NewerDatabase(DatabaseProblem):
    pass


def classify(error: Exception, path: Path | None) -> DatabaseProblem:
    """The user's reading of a driver error met while opening: locked, or else damaged."""
    text = str(error).lower()
    where = str(path) if path else ""
    if "locked" in text or "busy" in text:
        return LockedDatabase(
            _(
                "The database {path} is in use by another program and stays locked. "
                "Close the other program and try again."
            ).format(path=where),
            path,
        )
    return DamagedDatabase(
        _(
            "The file {path} is damaged or is not a kac_desktop database. "
            "Open the latest good backup instead."
        ).format(path=where),
        path,
    )
