"""The data exchange between branch PCs and the city center (docs/SYNC.md): packages
written and applied (``exchange``), the conflicts and their settling, revoking a branch's
keys and where things stand (``conflicts``), what travels (``tables``), who is who
(``nodes``)."""

from __future__ import annotations

from kac_desktop.io.sync_package import PackageError

from .conflicts import (
    MINE,
    THEIRS,
    ConflictRow,
    PeerStatus,
    SyncStatus,
    duplicates,
    list_conflicts,
    revoke,
    settle,
    status,
)
from .exchange import ExportResult, ImportResult, export_for_branch, export_to_center, run_import

__all__ = [
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
