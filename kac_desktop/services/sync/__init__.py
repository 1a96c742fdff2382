"""The data exchange between branch PCs and the city center (docs/SYNC.md): packages
written and applied (``exchange``), the conflicts and their settling, revoking a branch's
keys and where things stand (``conflicts``), what travels (``tables``), who is who
(``nodes``)."""

from __future__ import annotations

from pathlib import Path

from kac_desktop.io.sync_package import SETUP, Header, PackageError, read_package

from .conflicts import (
    MINE,
    THEIRS,
    ConflictRow,
    PeerStatus,
    SyncStatus,
    branch_choices,
    describe_counts,
    duplicates,
    list_conflicts,
    revoke,
    settle,
    status,
)
from .exchange import ExportResult, ImportResult, export_for_branch, export_to_center, run_import


def peek(path: Path) -> Header:
    """What a package says of itself (sender, recipient, number, kind), unopened;
    PackageError for a file that is not one or was cut."""
    return read_package(Path(path)).header


def is_starting_package(path: Path) -> bool:
    return peek(path).kind == SETUP


__all__ = [
    "Header",
    "branch_choices",
    "describe_counts",
    "is_starting_package",
    "peek",
    "MINE",
    "THEIRS",
    "ConflictRow",
    "ExportResult",
    "ImportResult",
    "PackageError",
    "PeerStatus",
    "SyncStatus",
    "duplicates",
    "export_for_branch",
    "export_to_center",
    "list_conflicts",
    "revoke",
    "run_import",
    "settle",
    "status",
]
