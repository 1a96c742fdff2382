"""The monthly report as an Excel workbook: one sheet a section of docs/DOMAIN.md §6.

Written with openpyxl in write-only mode (measured: 1.9 s instead of 3.1 s for 10,000 rows
and a third of the memory); write-only sheets still take frozen panes, an auto filter, column
widths and per-cell number formats, which is all the report needs (no merged cells: the
title simply runs across the empty cells beside it).  Every sheet: the title and the unit /
month / time made in rows 1–2, the header of its first table frozen below them with a filter
over that table, a totals row, money as ¥#,##0.00 and rates as 0.0%.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING

from kac_desktop.i18n import _
from kac_desktop.progress import NullProgress, Progress, check
from kac_desktop.sheets import MAX_WIDTH, display_width, text_sheet

from . import save_replacing, target_path
from .model import MonthlyReport
from .tables import (
    DATE,
    DATETIME,
    HOURS,
    INT,
    MONEY,
    RATE,
    SCORE,
    Table,
    heading,
    local,
    sections,
    subheading,
)

if TYPE_CHECKING:  # openpyxl is imported when a workbook is written
    from openpyxl.cell.cell import Cell

FORMATS = {
    MONEY: '"¥"#,##0.00',
    RATE: "0.0%",
    INT: "#,##0",
    SCORE: "0.00",
    HOURS: "0.0",
    DATE: "yyyy-mm-dd",
    DATETIME: "yyyy-mm-dd hh:mm",
}


def _sheet_widths(tables: list[Table]) -> list[float]:
    widths: list[float] = []
    for table in tables:
        for i, column in enumerate(table.columns):
            need = max(column.width, display_width(column.title) + 4)
            if i < len(widths):
                widths[i] = max(widths[i], need)
            else:
                widths.append(need)
    return [float(min(MAX_WIDTH, w)) for w in widths]


def _take_rows_as_given(sheet) -> None:
    """Let the write-only ``sheet`` take each appended row as it is given.

    openpyxl's own step tries every styled cell as a value first (a ValueError formatting
    the cell's repr each time) and makes a new cell after it; for the 80,000 formatted
    cells of a city's report at 10,000 customers that was the larger part of the workbook's
    cost above the unstyled floor (benchmarks/cases_report.py).  Here a styled cell is used
    as it is and a plain value goes through one reused cell (a write-only sheet writes each
    cell before it takes the next).  The hook is openpyxl's private ``_values_to_row``:
    were it renamed, this would do nothing and every row would still be written the same,
    only slower (tests/reports/test_report_xlsx.py compares both ways)."""
    from openpyxl.cell import Cell, WriteOnlyCell

    plain = [WriteOnlyCell(sheet)]

    def values_to_row(values, row_idx):
        for col_idx, value in enumerate(values, 1):
            if value is None:
                continue
            if value.__class__ is Cell:
                cell = value
            else:
                cell = plain[0]
                cell.value = value
            cell.column = col_idx
            cell.row = row_idx
            yield cell
            if cell is plain[0] and cell.has_style:  # a bare date takes a number format
                plain[0] = WriteOnlyCell(sheet)

    sheet._values_to_row = values_to_row


def write_xlsx(
    report: MonthlyReport, path: str | os.PathLike[str], progress: Progress | None = None
) -> None:
    """Write the workbook to ``path`` (replacing a file there; a failure leaves none)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    progress = progress or NullProgress()
    path = target_path(path)
    workbook = Workbook(write_only=True)
    title_font = Font(bold=True, size=14)
    bold = Font(bold=True)
    grey = Font(color="555555")
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    total_fill = PatternFill("solid", fgColor="F2F2F2")
    thin = Side(style="thin", color="999999")
    top_border = Border(top=thin)
    wrap = Alignment(vertical="center", wrap_text=True)
    all_sections = sections(report)
    big = max(1, sum(len(t.rows) for _n, tables in all_sections for t in tables))
    written = 0

    for sheet_name, tables in all_sections:
        sheet = text_sheet(workbook, sheet_name[:31])
        _take_rows_as_given(sheet)
        widths = _sheet_widths(tables)
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.orientation = "landscape" if len(widths) > 8 else "portrait"
        sheet.page_setup.paperSize = "9"  # A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0

        def column_cells(formats, sheet=sheet):
            # one styled cell a formatted column, given each row's value in turn (a
            # write-only sheet writes a row as it is appended, so the cell is free again for
            # the next row): no cell made and no style copied for each of 80,000 cells
            out: list[Cell | None] = []
            for fmt in formats:
                if fmt is None:
                    out.append(None)
                else:
                    c = WriteOnlyCell(sheet, None)
                    c.number_format = fmt
                    out.append(c)
            return out

        def cell(value, *, font=None, fill=None, fmt=None, border=None, align=None, sheet=sheet):
            if isinstance(value, datetime):
                value = local(value).replace(tzinfo=None)
            c = WriteOnlyCell(sheet, value)
            if font is not None:
                c.font = font
            if fill is not None:
                c.fill = fill
            if fmt is not None:
                c.number_format = fmt
            if border is not None:
                c.border = border
            if align is not None:
                c.alignment = align
            return c

        first = tables[0]
        header_row = 3 + (1 if first.notice else 0)
        frozen_columns = 1 if first.per_row_kinds is None and len(first.columns) > 8 else 0
        sheet.freeze_panes = f"{get_column_letter(1 + frozen_columns)}{header_row + 1}"
        # printed, every page repeats the title and the column headers (issue 20 item 11)
        sheet.print_title_rows = f"1:{header_row}"
        sheet.append([cell(heading(report), font=title_font)])
        sheet.append([cell(subheading(report), font=grey)])
        row_no = 2
        filter_ref = None
        for t_index, table in enumerate(tables):
            if t_index > 0:
                sheet.append([])
                sheet.append([cell(table.title, font=bold)])
                row_no += 2
            if table.notice:
                sheet.append([cell(table.notice, font=grey)])
                row_no += 1
            if not table.rows and table.empty:
                sheet.append([cell(table.empty)])
                row_no += 1
                continue
            sheet.append(
                [cell(c.title, font=bold, fill=header_fill, align=wrap) for c in table.columns]
            )
            row_no += 1
            top = row_no
            kinds = [c.kind for c in table.columns]
            formats = [FORMATS.get(k) for k in kinds]
            styled = column_cells(formats)
            blank_zero = table.blank_zero
            for r_index, row in enumerate(table.rows):
                if table.per_row_kinds is not None:
                    value_kind = table.per_row_kinds[r_index]
                    out = [row[0], cell(row[1], fmt=FORMATS.get(value_kind)), row[2]]
                    if row[1] is None:
                        out[1] = "—"
                else:
                    out = []
                    for i, v in enumerate(row):
                        if v is None or (i in blank_zero and v == 0):
                            out.append(None)
                            continue
                        c = styled[i]
                        if c is None:
                            out.append(v)
                            continue
                        if isinstance(v, datetime):
                            v = local(v).replace(tzinfo=None)
                        c.value = v
                        out.append(c)
                sheet.append(out)
                written += 1
                if written % 2000 == 0:
                    check(progress, written / big, _("Writing the workbook…"))
            row_no += len(table.rows)
            if t_index == 0 and table.per_row_kinds is None:
                filter_ref = f"A{top}:{get_column_letter(len(table.columns))}{row_no}"
            if table.totals is not None:
                sheet.append(
                    [
                        cell(
                            v if v != "" else None,
                            font=bold,
                            fill=total_fill,
                            border=top_border,
                            fmt=FORMATS.get(kinds[i]),
                        )
                        for i, v in enumerate(table.totals)
                    ]
                )
                row_no += 1
            if table.notes:
                sheet.append([])
                sheet.append([cell(_("Definitions"), font=bold)])
                for note in table.notes:
                    sheet.append([cell(note, font=grey)])
                row_no += 2 + len(table.notes)
        if filter_ref:
            sheet.auto_filter.ref = filter_ref
        if sheet_name == all_sections[0][0]:
            sheet.append([])
            sheet.append([cell(_("Made by: ________    Checked by: ________    Date: ________"))])

    save_replacing(path, workbook.save)
    progress.report(1.0)
