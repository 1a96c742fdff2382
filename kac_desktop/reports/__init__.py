"""The monthly report (docs/DOMAIN.md §6): its data model and its two renderings, the workbook
(openpyxl) and the PDF (ReportLab).  Below services/: no database, no Qt."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from kac_desktop.i18n import _
from kac_desktop.sheets import write_replacing

from .model import MonthlyReport


class ReportWriteError(Exception):
    """A report file that cannot be written, with a message for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def target_path(path: str | os.PathLike[str]) -> Path:
    """``path`` for a report file; ReportWriteError when its folder does not exist."""
    path = Path(path)
    if not path.parent.is_dir():
        raise ReportWriteError(
            _("The file {name} cannot be written: the folder {folder} does not exist.").format(
                name=path.name, folder=path.parent
            )
        )
    return path


def save_replacing(path: Path, write: Callable[[Path], None]) -> None:
    """Have ``write`` write the file beside ``path`` and move it into place (replacing a file
    there; a failure leaves none and raises ReportWriteError)."""
    write_replacing(
        path,
        write,
        lambda exc: ReportWriteError(
            _(
                "The file {name} cannot be written: {error}. If it is open in another "
                "program, close it and try again."
            ).format(name=path.name, error=exc.strerror or exc)
        ),
    )


def write_xlsx(report: MonthlyReport, path, progress=None) -> None:
    from .xlsx import write_xlsx as write

    write(report, path, progress)


def write_pdf(report: MonthlyReport, path, progress=None) -> None:
    from .pdf import write_pdf as write

    write(report, path, progress)


__all__ = ["MonthlyReport", "ReportWriteError", "write_pdf", "write_xlsx"]
