"""Temporary files written beside their target and moved onto it: one name for them, and
the cleanup of what a process killed half-way left.

A temporary file is named ``.{target}.{pid}.{thread}.tmp``: hidden, beside its target (so
the move is a rename on one file system), and carrying the writer's process id, so a later
start can tell a leftover of a dead process (removed) from a write still running in another
process (left alone).  Names with the process id alone (``.{target}.{pid}.tmp``) are what
earlier releases wrote; they are recognised too.

The lowest layer: no database, no Qt, no messages of its own.
"""

from __future__ import annotations

import glob
import os
import re
import threading
from pathlib import Path

SUFFIX = ".tmp"

# the writer's process id (and thread) at the end of the name, before ".tmp"
_OWNER = re.compile(r"\.(\d+)(?:\.(\d+))?\.tmp$")


def temporary_beside(path: Path) -> Path:
    """The temporary file this process and thread write before it becomes ``path``."""
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}{SUFFIX}")


def write_replacing(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it (created with
    ``mode``), flushed to disk and moved into place: a cut write leaves the old file or
    none, never half a file under the name."""
    temporary = temporary_beside(path)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process writes a file under one name at a time
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, ValueError, OverflowError):
        return True  # someone else's process, or a platform that cannot tell: leave it
    return True


def _owner(name: str, target: str | None) -> int | None:
    """The process id in a temporary file's name (None: not one of ours).  With ``target``
    the name must be that file's temporary; without, any hidden ``.tmp`` with an id."""
    if target is not None:
        prefix = f".{target}."
        if not name.startswith(prefix) or not name.endswith(SUFFIX):
            return None
        parts = name[len(prefix) : -len(SUFFIX)].split(".")
        if not 1 <= len(parts) <= 2 or not all(p.isdigit() for p in parts):
            return None
        return int(parts[0])
    if not name.startswith("."):
        return None
    match = _OWNER.search(name)
    if match is None:
        return None
    # ".x.1234.5678.tmp" is (pid 1234, thread 5678); ".x.1234.tmp" (an earlier release) is pid 1234
    return int(match.group(1))


def _remove(candidates: list[Path], target: str | None) -> list[Path]:
    removed = []
    for candidate in candidates:
        pid = _owner(candidate.name, target)
        if pid is None or _alive(pid):
            continue
        try:
            candidate.unlink()
            removed.append(candidate)
        except OSError:
            pass
    return removed


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the temporary files of earlier writes of ``path`` whose process is gone."""
    try:
        candidates = list(path.parent.glob(f".{glob.escape(path.name)}.*{SUFFIX}"))
    except OSError:
        return []
    return _remove(candidates, path.name)


def remove_stale_temporaries_in(folder: Path) -> list[Path]:
    """Remove every temporary file in ``folder`` whose writing process is gone (what a
    killed backup, key or report write left there)."""
    try:
        candidates = list(Path(folder).glob(f".*{SUFFIX}"))
    except OSError:
        return []
    return _remove(candidates, None)


__all__ = [
    "remove_stale_temporaries",
    "remove_stale_temporaries_in",
    "temporary_beside",
    "write_replacing",
]
