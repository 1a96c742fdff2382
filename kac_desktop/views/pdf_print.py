"""Printing a PDF as it is: the pages of the file drawn onto the printer, for the print
preview and for the print alike, so that what the supervisor signs is the document that is
filed and sent (docs/DOMAIN.md §6).

PySide6-Essentials has QtPrintSupport but not QtPdf; the pages are rendered by PDFium
(``pypdfium2``) into images at the printer's resolution (at most ``MAX_DPI``) and painted
page by page, each scaled to fit the printable area without distortion.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, Qt
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrinter

from kac_desktop.i18n import _

MAX_DPI = 300  # a laser printer's; more only costs memory (an A4 page at 300 dpi is 35 MB)


class PdfPrintError(Exception):
    """The PDF cannot be read; ``message`` is in the user's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _open(path: str | Path):
    """The PDF at ``path`` opened with PDFium; PdfPrintError in words when it cannot be."""
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as exc:
        raise PdfPrintError(
            _("The PDF {name} cannot be read: {error}").format(name=Path(path).name, error=exc)
        ) from exc


def page_count(path: str | Path) -> int:
    document = _open(path)
    try:
        return len(document)
    finally:
        document.close()


def page_images(path: str | Path, dpi: float) -> Iterator[QImage]:
    """The pages of the PDF at ``path`` as images of ``dpi`` dots per inch."""
    document = _open(path)
    try:
        for index in range(len(document)):
            page = document[index]
            try:
                bitmap = page.render(
                    scale=dpi / 72, rev_byteorder=True, prefer_bgrx=True, optimize_mode="print"
                )
                image = QImage(
                    bitmap.buffer,
                    bitmap.width,
                    bitmap.height,
                    bitmap.stride,
                    QImage.Format.Format_RGBX8888,
                ).copy()  # the bitmap's memory goes with it
                bitmap.close()
            finally:
                page.close()
            yield image
    finally:
        document.close()


def prepare_printer(printer: QPrinter, title: str) -> None:
    """A4 portrait without margins of its own: the PDF's pages carry theirs."""
    printer.setDocName(title)
    printer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(0, 0, 0, 0),
        )
    )
    printer.setFullPage(True)


def print_pdf(
    path: str | Path, printer: QPrinter, *, on_page: Callable[[int], None] | None = None
) -> int:
    """Paint every page of the PDF onto ``printer`` (a real printer or a preview's) and
    return how many were painted; ``on_page(n)`` after each."""
    dpi = min(float(printer.resolution()), MAX_DPI)
    painter = QPainter()
    if not painter.begin(printer):
        raise PdfPrintError(_("The printer cannot be used; check that it is ready."))
    count = 0
    try:
        for image in page_images(path, dpi):
            if count:
                printer.newPage()
            area = QRectF(printer.pageRect(QPrinter.Unit.DevicePixel))
            size = image.size().toSizeF().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRectF(
                area.x() + (area.width() - size.width()) / 2,
                area.y() + (area.height() - size.height()) / 2,
                size.width(),
                size.height(),
            )
            painter.drawImage(target, image)
            count += 1
            if on_page is not None:
                on_page(count)
    finally:
        painter.end()
    return count
