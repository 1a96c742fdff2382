"""The monthly report (DOMAIN.md §6): its data model and its two renderings, the workbook
(openpyxl) and the PDF (ReportLab).  Below services/: no database, no Qt."""

from __future__ import annotations

from .model import MonthlyReport


class ReportWriteError(Exception):
    """A report file that cannot be written, with a message for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def write_xlsx(report: MonthlyReport, path, progress=None) -> None:
    from .xlsx import write_xlsx as write

    write(report, path, progress)


def write_pdf(report: MonthlyReport, path, progress=None) -> None:
    from .pdf import write_pdf as write

    write(report, path, progress)


__all__ = ["MonthlyReport", "ReportWriteError", "write_pdf", "write_xlsx"]
