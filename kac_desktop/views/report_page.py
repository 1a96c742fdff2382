"""The monthly report page (大客户用邮月报表, docs/DOMAIN.md §6): pick a month (and, at the city
center, a branch or all of them), see the summary, make the workbook and the PDF behind a
cancellable progress dialog, open them, preview and print.

The figures come from ``services.monthly_report`` — the same object the two files are
written from, so the screen shows what the files say.  Printing: the preview and the print
draw the pages of the PDF that was made (``views.pdf_print``), every page with its charts and
"第 x 页 共 y 页", so what is printed and signed is what is filed; the files are made first
when they have not been.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices, QTextDocument
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.i18n import _
from kac_desktop.reports.html import summary_html
from kac_desktop.reports.model import MonthlyReport
from kac_desktop.reports.tables import local
from kac_desktop.rules.clock import business_today
from kac_desktop.rules.quota import Month
from kac_desktop.services import monthly_report as report_service
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database

from . import operations


def recent_months(today: date, count: int = 24) -> list[Month]:
    months = [Month.of(today)]
    while len(months) < count:
        months.append(months[-1].previous())
    return months


def default_names(report: MonthlyReport) -> tuple[str, str]:
    stem = _("Key-customer postal usage monthly report") + f"_{report.title_branch}_{report.month}"
    stem = "".join("_" if ch in '\\/:*?"<>|' else ch for ch in stem)
    return stem + ".xlsx", stem + ".pdf"


class ReportPage(QWidget):
    filesMade = Signal(str, str)

    def __init__(self, db: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.actor = db, actor
        self.report: MonthlyReport | None = None
        self.xlsx_path: str | None = None
        self.pdf_path: str | None = None

        self.month = QComboBox()
        self.month.setObjectName("reportMonth")
        today = business_today()
        for m in recent_months(today):
            self.month.addItem(_("{year}-{month}").format(year=m.year, month=m.month), m)
        self.month.setCurrentIndex(1)  # last month: the one a report is usually made for
        self.branch = QComboBox()
        self.branch.setObjectName("reportBranch")
        if actor.is_admin:
            self.branch.addItem(_("All branches (city-center summary)"), None)
            for branch_id, name in report_service.branch_choices(db, actor):
                self.branch.addItem(name, branch_id)
        else:
            scope = actor.branch_name if actor.role == "supervisor" else actor.display_name
            self.branch.addItem(scope or "—", None)
            self.branch.setEnabled(False)

        self.show_button = QPushButton(_("Show"))
        self.make_button = QPushButton(_("Make Excel and PDF…"))
        self.make_button.setObjectName("makeReport")
        self.open_xlsx_button = QPushButton(_("Open workbook"))
        self.open_pdf_button = QPushButton(_("Open PDF"))
        self.preview_button = QPushButton(_("Print preview…"))
        self.print_button = QPushButton(_("Print…"))
        for button in (
            self.open_xlsx_button,
            self.open_pdf_button,
            self.preview_button,
            self.print_button,
        ):
            button.setEnabled(False)
        self.status = QLabel(_("Choose a month and press Show, or make the files directly."))
        self.status.setWordWrap(True)
        self.view = QTextBrowser()
        self.view.setObjectName("reportSummary")
        self.view.setOpenLinks(False)

        top = QHBoxLayout()
        top.addWidget(QLabel(_("Month")))
        top.addWidget(self.month)
        top.addWidget(QLabel(_("Branch")))
        top.addWidget(self.branch, 1)
        top.addWidget(self.show_button)
        top.addWidget(self.make_button)
        files = QHBoxLayout()
        for button in (
            self.open_xlsx_button,
            self.open_pdf_button,
            self.preview_button,
            self.print_button,
        ):
            files.addWidget(button)
        files.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(files)
        layout.addWidget(self.status)
        layout.addWidget(self.view, 1)

        self.show_button.clicked.connect(self.show_report)
        self.make_button.clicked.connect(lambda: self.make_files())
        self.open_xlsx_button.clicked.connect(lambda: self._open(self.xlsx_path))
        self.open_pdf_button.clicked.connect(lambda: self._open(self.pdf_path))
        self.preview_button.clicked.connect(self.print_preview)
        self.print_button.clicked.connect(self.print_summary)
        self.month.currentIndexChanged.connect(self._forget)
        self.branch.currentIndexChanged.connect(self._forget)

    # ------------------------------------------------------------------ state
    def selected_month(self) -> Month:
        return self.month.currentData()

    def selected_branch(self) -> str | None:
        return self.branch.currentData() if self.actor.is_admin else None

    def _forget(self) -> None:
        self.xlsx_path = self.pdf_path = None
        self.open_xlsx_button.setEnabled(False)
        self.open_pdf_button.setEnabled(False)

    def _show(self, report: MonthlyReport) -> None:
        self.report = report
        self.view.setHtml(summary_html(report))
        self.preview_button.setEnabled(True)
        self.print_button.setEnabled(True)

    # ------------------------------------------------------------------ actions
    def show_report(self) -> MonthlyReport | None:
        month, branch = self.selected_month(), self.selected_branch()
        report = operations.run_long(
            self,
            _("Computing the monthly report…"),
            lambda progress: report_service.build_report(
                self.db, self.actor, month, branch, progress
            ),
            title=_("Monthly report"),
        )
        if report is None:
            return None
        self._show(report)
        self.status.setText(
            _("{customers} customers; figures as at {as_of}.").format(
                customers=f"{report.summary.customers:,}",
                as_of=local(report.as_of).strftime("%Y-%m-%d %H:%M"),
            )
        )
        return report

    def make_files(self, folder: str | None = None) -> bool:
        """Make the workbook and the PDF; ``folder`` skips the file dialog (tests)."""
        month, branch = self.selected_month(), self.selected_branch()
        if folder is None:
            probe = self.report if self.report and self.report.month == str(month) else None
            xlsx_name = (
                default_names(probe)[0]
                if probe
                else _("Key-customer postal usage monthly report") + f"_{month}.xlsx"
            )
            path, _filter = QFileDialog.getSaveFileName(
                self,
                _("Save the monthly report"),
                xlsx_name,
                _("Excel workbook (*.xlsx)"),
            )
            if not path:
                return False
            if not path.lower().endswith(".xlsx"):
                path += ".xlsx"
            xlsx = Path(path)
            pdf = xlsx.with_suffix(".pdf")
        else:
            xlsx = pdf = None
        made = operations.run_long(
            self,
            _("Making the monthly report…"),
            lambda progress: self._make(month, branch, folder, xlsx, pdf, progress),
            title=_("Monthly report"),
            cancelled=lambda: self.status.setText(_("Cancelled; no file was made.")),
        )
        if made is None:
            return False
        self._show(made.report)
        self.xlsx_path, self.pdf_path = made.xlsx, made.pdf
        self.open_xlsx_button.setEnabled(True)
        self.open_pdf_button.setEnabled(True)
        self.status.setText(
            _("Made {xlsx} and {pdf}.").format(
                xlsx=os.path.basename(made.xlsx or ""), pdf=os.path.basename(made.pdf or "")
            )
        )
        self.filesMade.emit(made.xlsx or "", made.pdf or "")
        return True

    def _make(self, month, branch, folder, xlsx, pdf, progress):
        if folder is not None:
            report = report_service.build_report(self.db, self.actor, month, branch, progress)
            names = default_names(report)
            return report_service.make_files(
                self.db,
                self.actor,
                month,
                branch_id=branch,
                xlsx=Path(folder) / names[0],
                pdf=Path(folder) / names[1],
                progress=progress,
                report=report,
            )
        return report_service.make_files(
            self.db, self.actor, month, branch_id=branch, xlsx=xlsx, pdf=pdf, progress=progress
        )

    def _open(self, path: str | None) -> None:
        if path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(path))

    def document(self) -> QTextDocument:
        doc = QTextDocument()
        doc.setHtml(summary_html(self.report) if self.report else "")
        return doc

    def _pdf_to_print(self) -> str | None:
        """The PDF of the month and branch chosen, made first when it has not been."""
        # choosing another month or branch forgets the files (``_forget``)
        if self.pdf_path is None or self.report is None:
            self.status.setText(_("The PDF is made first: what is printed is what is filed."))
            if not self.make_files():
                return None
        return self.pdf_path

    def _paint(self, printer, path: str) -> None:
        from .pdf_print import PdfPrintError, print_pdf

        try:
            print_pdf(path, printer)
        except PdfPrintError as exc:
            QMessageBox.warning(self, _("Print"), exc.message)

    def print_preview(self, dialog_shown: Callable[[Any], None] | None = None) -> None:
        """The pages of the PDF as they will print; ``dialog_shown`` (tests, screenshots)
        receives the dialog instead of it being run."""
        from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

        from .pdf_print import prepare_printer

        path = self._pdf_to_print()
        if path is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        prepare_printer(printer, Path(path).stem)
        dialog = QPrintPreviewDialog(printer, self)
        dialog.setWindowTitle(_("Print preview: {name}").format(name=Path(path).name))
        dialog.paintRequested.connect(lambda p: self._paint(p, path))
        if dialog_shown is not None:
            self._preview_printer = printer  # the dialog paints on it after this returns
            dialog_shown(dialog)
            return
        dialog.exec()

    def print_summary(self) -> None:
        """Print the PDF that is filed (every page), after the system's print dialog."""
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        from .pdf_print import prepare_printer

        path = self._pdf_to_print()
        if path is None or self.report is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        prepare_printer(printer, Path(path).stem)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            self._paint(printer, path)
            report_service.record_print(self.db, self.actor, self.report)
