"""Small helpers that both the workbooks of io/ and the report files of reports/ use:
how wide text shows in a spreadsheet column, and writing a file beside its target and
moving it into place, so that a failure never leaves half a file.

Neutral ground below those two independent siblings: no Qt, no database, no messages of
its own (each caller words its errors).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable
from pathlib import Path

MAX_WIDTH = 60


def display_width(text: str) -> int:
    """Columns ``text`` takes in a spreadsheet: wide (CJK) characters count 2."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def write_replacing(
    path: Path, write: Callable[[Path], None], failed: Callable[[OSError], Exception]
) -> None:
    """Call ``write`` with a temporary path beside ``path``, then move that file onto
    ``path`` (replacing a file there).  On an OSError the temporary file is removed and
    ``failed(error)`` is raised from it."""
    remove_stale_temporaries(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise failed(exc) from exc


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process writes one file at a time under a name
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, ValueError, OverflowError):
        return True  # someone else's process, or a platform that cannot tell: leave it
    return True


def remove_stale_temporaries(path: Path) -> None:
    """Remove the temporary files of earlier writes of ``path`` whose process is gone
    (killed half-way): a write still running in another process keeps its file."""
    prefix = f".{path.name}."
    try:
        candidates = list(path.parent.glob(f".{glob_escape(path.name)}.*.tmp"))
    except OSError:
        return
    for candidate in candidates:
        pid_text = candidate.name[len(prefix) : -len(".tmp")]
        if pid_text.isdigit() and not _alive(int(pid_text)):
            try:
                candidate.unlink()
            except OSError:
                pass


def glob_escape(text: str) -> str:
    import glob

    return glob.escape(text)


__all__ = ["MAX_WIDTH", "display_width", "remove_stale_temporaries", "write_replacing"]
