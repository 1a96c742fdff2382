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
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise failed(exc) from exc


__all__ = ["MAX_WIDTH", "display_width", "write_replacing"]
