"""Small helpers that both the workbooks of io/ and the report files of reports/ use:
how wide text shows in a spreadsheet column, the one way a worksheet is made (text stays
text: never a formula), and writing a file beside its target and moving it into place, so
that a failure never leaves half a file.

Neutral ground below those two independent siblings: no Qt, no database, no messages of
its own (each caller words its errors).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable
from pathlib import Path

from kac_desktop.temporary_files import remove_stale_temporaries, temporary_beside

MAX_WIDTH = 60

# Text a spreadsheet program would take as a formula (or as the start of one: "+1+cmd|...",
# "-2+...", "@SUM(...)", and a tab or carriage return before any of them).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def display_width(text: str) -> int:
    """Columns ``text`` takes in a spreadsheet: wide (CJK) characters count 2."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def text_sheet(workbook, title: str):
    """A new sheet of the write-only openpyxl ``workbook``, through which every row the
    application writes passes: a text value (given plain or in a cell) that starts like a
    formula is stored as a string cell (data type ``s``), never as a formula.  Every workbook
    the application writes makes its sheets here, so no customer name, contact or note
    typed as ``=HYPERLINK(...)`` runs when the file is opened."""
    from openpyxl.cell import Cell, WriteOnlyCell

    sheet = workbook.create_sheet(title)
    append = sheet.append

    def append_text_as_text(row) -> None:
        out = []
        for value in row:
            if value.__class__ is str:
                if value.startswith(FORMULA_PREFIXES):
                    cell = WriteOnlyCell(sheet, value)
                    cell.data_type = "s"
                    value = cell
            elif value.__class__ is Cell and value.data_type == "f":
                value.data_type = "s"
            out.append(value)
        append(out)

    sheet.append = append_text_as_text
    return sheet


def write_replacing(
    path: Path, write: Callable[[Path], None], failed: Callable[[OSError], Exception]
) -> None:
    """Call ``write`` with a temporary path beside ``path``, then move that file onto
    ``path`` (replacing a file there).  On an OSError the temporary file is removed and
    ``failed(error)`` is raised from it."""
    remove_stale_temporaries(path)
    temporary = temporary_beside(path)
    try:
        write(temporary)
        # an export holds customer data: readable by the user alone, whatever the umask
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise failed(exc) from exc


__all__ = [
    "FORMULA_PREFIXES",
    "MAX_WIDTH",
    "display_width",
    "remove_stale_temporaries",
    "text_sheet",
    "write_replacing",
]
