"""Reading a sheet into plain rows (python-calamine) and writing tidy sheets (openpyxl).

Reading uses python-calamine: about seven times faster than openpyxl (measured on 10,000
and 100,000 rows).
Writing uses openpyxl in write-only mode, which streams rows and keeps memory flat; every
sheet gets a bold, frozen header row, an auto filter over the data, column widths that fit
Chinese text, and dates shown as dates.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import cast

from kac_desktop.i18n import _
from kac_desktop.rules.clock import LOCAL_TZ
from kac_desktop.sheets import MAX_WIDTH, display_width, text_sheet, write_replacing

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MIN_WIDTH = 6
LIST_SEPARATOR = "、"


class WorkbookError(Exception):
    """A workbook that cannot be read or written, with a message for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------- reading


@dataclass
class Table:
    """The first sheet of a workbook: its header row and the rows below it.

    ``rows`` have exactly ``len(headers)`` cells each; an empty cell is ``None``.  Numbers
    come as ``float`` (that is how Excel keeps them), dates as ``date``/``datetime``.
    ``header_row`` is the Excel row number of the header (1 when it is the first row), so
    ``rows[i]`` is Excel row ``header_row + 1 + i``.
    """

    sheet_name: str
    headers: list[str]
    rows: list[list[object]]
    header_row: int = 1

    def row_number(self, index: int) -> int:
        return self.header_row + 1 + index


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_text(value: object) -> str:
    if _blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return (
            value.strftime("%Y-%m-%d %H:%M") if value.time() != time() else value.date().isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(str(value).split())


def _filled(row: Sequence[object]) -> int:
    return sum(1 for value in row if not _blank(value))


MAX_ROWS = 200_000  # rows one import reads (stated in the message and the docs)
_DIMENSION = re.compile(rb'<dimension ref="[A-Z]*\d*:?[A-Z]*(\d+)"')
_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?(?<!/)>(.*?)</c>', re.DOTALL)
_VALUE = re.compile(rb"<v>[^<]+</v>|<is>")


def _first_sheet_xml(path: Path) -> str | None:
    """The part of an xlsx/xlsm file that holds its first sheet (None: not such a file)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            book = archive.read("xl/workbook.xml")
            rels = archive.read("xl/_rels/workbook.xml.rels")
    except (zipfile.BadZipFile, KeyError, OSError):
        return None
    sheet = re.search(rb"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"", book)
    if sheet is None:
        return None
    for rel in re.finditer(rb"<Relationship\b[^>]*>", rels):
        tag = rel.group(0)
        if re.search(rb'Id="' + re.escape(sheet.group(1)) + rb'"', tag):
            target = re.search(rb'Target="([^"]+)"', tag)
            if target is None:
                return None
            name = target.group(1).decode()
            return name.lstrip("/") if name.startswith("/") else "xl/" + name
    return None


def _declared_rows(path: Path) -> int | None:
    """The last row the first sheet of an xlsx file declares (its ``dimension``), read from
    the start of the sheet without loading it: a huge workbook is refused at once."""
    import zipfile

    part = _first_sheet_xml(path)
    if part is None:
        return None
    try:
        with zipfile.ZipFile(path) as archive, archive.open(part) as stream:
            head = stream.read(4096)
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError):
        return None
    found = _DIMENSION.search(head)
    return int(found.group(1)) if found else None


def _formulas_without_value(path: Path) -> list[tuple[int, str]]:
    """(row, cell) of the first sheet's formula cells that have no stored value: a workbook
    written by a program that does not calculate (Excel and WPS store the values)."""
    import zipfile

    part = _first_sheet_xml(path)
    if part is None:
        return []
    try:
        with zipfile.ZipFile(path) as archive:
            data = archive.read(part)
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError):
        return []
    if b"<f" not in data:
        return []
    found = []
    for cell in _CELL.finditer(data):
        inner = cell.group(3)
        if b"<f" in inner and not _VALUE.search(inner):
            found.append((int(cell.group(2)), (cell.group(1) + cell.group(2)).decode()))
    return found


def _too_big(name: str, rows: int) -> WorkbookError:
    return WorkbookError(
        _(
            "The workbook {name} has {rows} rows; one import reads at most {limit}. Split it "
            "into several workbooks of at most {limit} rows and import them one after another."
        ).format(name=name, rows=f"{rows:,}", limit=f"{MAX_ROWS:,}")
    )


def require_rows(table: Table, name: str) -> None:
    """A sheet with its header and no row below: nothing to import (WorkbookError)."""
    if not any(_filled(row) for row in table.rows):
        raise WorkbookError(
            _(
                "The sheet “{sheet}” of {name} has no rows below its header: there is nothing "
                "to import."
            ).format(sheet=table.sheet_name, name=name)
        )


def read_table(path: str | os.PathLike[str], *, tidy: bool = True) -> Table:
    """The first sheet of the workbook at ``path`` (xlsx, xlsm, xls, ods).

    The header is the first non-empty row; a title above it (one cell, often merged across
    the table, followed by a row with more cells) is skipped.  Raises ``WorkbookError`` for
    a missing file, a file that is not a workbook or is damaged, a password-protected
    workbook, and an empty first sheet.

    ``tidy=False`` leaves the rows as python-calamine makes them (for a reader that looks
    at a few columns of 100,000s of rows: tidying every cell costs a third of the read):
    each row has at least ``len(headers)`` cells, and an empty cell is ``""`` or a text of
    spaces instead of ``None``.
    """
    from python_calamine import CalamineError, PasswordError, load_workbook

    path = Path(path)
    name = path.name
    if not path.exists():
        raise WorkbookError(_("The file {path} does not exist.").format(path=path))
    if path.is_dir():
        raise WorkbookError(_("{path} is a folder, not a workbook.").format(path=path))
    declared = _declared_rows(path)
    if declared is not None and declared > MAX_ROWS + 1:
        raise _too_big(name, declared - 1)
    try:
        with load_workbook(path) as workbook:
            if not workbook.sheet_names:
                raise WorkbookError(_("The workbook {name} has no sheets.").format(name=name))
            sheet = workbook.get_sheet_by_index(0)
            sheet_name = sheet.name
            if sheet.total_height > MAX_ROWS + 1:
                raise _too_big(name, sheet.total_height - 1)
            cells = sheet.to_python(skip_empty_area=False)
    except WorkbookError:
        raise
    except PasswordError as exc:
        raise WorkbookError(
            _(
                "The workbook {name} is protected by a password. Open it in Excel or WPS, "
                "remove the password and save it again."
            ).format(name=name)
        ) from exc
    except PermissionError as exc:
        raise WorkbookError(
            _(
                "The file {name} cannot be read: permission denied. If it is open in another "
                "program, close it and try again."
            ).format(name=name)
        ) from exc
    except (CalamineError, ValueError, OSError, RuntimeError) as exc:
        raise WorkbookError(
            _(
                "The file {name} is not an Excel workbook, or it is damaged. Open it in Excel "
                "or WPS and save it as an Excel workbook (.xlsx), then try again."
            ).format(name=name)
        ) from exc

    start = next((i for i, row in enumerate(cells) if _filled(row)), None)
    if start is None:
        raise WorkbookError(
            _("The first sheet “{sheet}” of {name} is empty.").format(sheet=sheet_name, name=name)
        )
    following = next((i for i in range(start + 1, len(cells)) if _filled(cells[i])), None)
    if following is not None and _filled(cells[start]) == 1 and _filled(cells[following]) > 1:
        start = following  # a title line above the real header

    headers = [_header_text(value) for value in cells[start]]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    rows: list[list[object]] = []
    if tidy:
        for raw in cells[start + 1 :]:
            row: list[object] = [None if _blank(value) else value for value in raw[:width]]
            if len(row) < width:
                row.extend([None] * (width - len(row)))
            rows.append(row)
    else:
        rows = cast(list[list[object]], cells[start + 1 :])
        if rows and min(map(len, rows)) < width:  # python-calamine's rows are all as wide
            rows = [[*raw, *([""] * (width - len(raw)))] for raw in rows]
    while rows and not _filled(rows[-1][:width]):
        rows.pop()
    formulas = [
        cell
        for row, cell in _formulas_without_value(path)
        if start + 1 < row <= start + 1 + len(rows)
    ]
    if formulas:
        raise WorkbookError(
            _(
                "Cell {cells} of “{sheet}” is a formula without a stored value ({count} such "
                "cells in all): the workbook was not saved by Excel or WPS. Open it in Excel "
                "or WPS and save it, so that the values of its formulas are stored, then "
                "import it again."
            ).format(cells="、".join(formulas[:5]), sheet=sheet_name, count=len(formulas))
        )
    return Table(sheet_name=sheet_name, headers=headers, rows=rows, header_row=start + 1)


# ---------------------------------------------------------------- writing


@dataclass
class SheetSpec:
    """One sheet to write: see ``write_table`` for the meaning of the fields."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]]
    number_formats: Mapping[int, str] | None = None
    widths: Sequence[float | None] | Mapping[int, float] | None = None


def _shown(value: object, number_format: str | None) -> str:
    """Roughly the text Excel shows for ``value``: only used to size columns."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return "0000-00-00 00:00"
    if isinstance(value, date):
        return "0000-00-00"
    if isinstance(value, bool):
        return "FALSE"
    if isinstance(value, (int, float, Decimal)):
        if number_format and "," in number_format:
            return f"{value:,.2f}"
        return str(value)
    if isinstance(value, (list, tuple)):
        return LIST_SEPARATOR.join(str(item) for item in value)
    text = str(value)
    if len(text) > MAX_WIDTH:
        text = text[:MAX_WIDTH]
    return max(text.splitlines() or [""], key=len)


def _column_widths(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    number_formats: Mapping[int, str],
    given: Sequence[float | None] | Mapping[int, float] | None,
) -> list[float]:
    if isinstance(given, Mapping):
        fixed: dict[int, float] = dict(given)
    else:
        fixed = {i: w for i, w in enumerate(given or ()) if w is not None}
    widths: list[float] = []
    for index, header in enumerate(headers):
        if index in fixed:
            widths.append(fixed[index])
            continue
        fmt = number_formats.get(index)
        best = display_width(str(header)) + 3  # bold text and the filter button
        for row in rows:
            if index < len(row) and row[index] is not None:
                best = max(best, display_width(_shown(row[index], fmt)) + 2)
                if best >= MAX_WIDTH:
                    break
        widths.append(float(min(MAX_WIDTH, max(MIN_WIDTH, best))))
    return widths


def _widths_complete(
    given: Sequence[float | None] | Mapping[int, float] | None, count: int
) -> bool:
    if isinstance(given, Mapping):
        return all(i in given for i in range(count))
    if given is None:
        return False
    return len(given) >= count and all(w is not None for w in given[:count])


def _sheet_title(title: str, used: set[str]) -> str:
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in title).strip() or "Sheet"
    cleaned = cleaned[:31]
    candidate, number = cleaned, 2
    while candidate.lower() in used:
        suffix = f" ({number})"
        candidate = cleaned[: 31 - len(suffix)] + suffix
        number += 1
    used.add(candidate.lower())
    return candidate


def _local_naive(value: datetime) -> datetime:
    # Excel has no time zones: show the local time the user expects.
    if value.tzinfo is not None:
        value = value.astimezone(LOCAL_TZ).replace(tzinfo=None)
    return value


def write_workbook(path: str | os.PathLike[str], sheets: Sequence[SheetSpec]) -> None:
    """Write ``sheets`` in order to a new workbook at ``path`` (replacing any file there).

    The file is written beside the target and moved into place at the end, so a failure
    never leaves half a workbook.  Raises ``WorkbookError`` when it cannot be written.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    path = Path(path)
    if not path.parent.is_dir():
        raise WorkbookError(
            _("The workbook {name} cannot be written: the folder {folder} does not exist.").format(
                name=path.name, folder=path.parent
            )
        )
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    centre = Alignment(vertical="center")
    used: set[str] = set()
    for spec in sheets:
        sheet = text_sheet(workbook, _sheet_title(spec.title, used))
        headers = [str(h) for h in spec.headers]
        formats = dict(spec.number_formats or {})
        rows: Iterable[Sequence[object]] = spec.rows
        if not _widths_complete(spec.widths, len(headers)) and not isinstance(rows, Sequence):
            rows = list(rows)
        widths = _column_widths(
            headers, rows if isinstance(rows, Sequence) else [], formats, spec.widths
        )
        # write-only sheets take their layout before the first row
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        for index, fmt in formats.items():
            # also for the cells a user types later ("@" keeps long digit strings as text)
            sheet.column_dimensions[get_column_letter(index + 1)].number_format = fmt
        sheet.freeze_panes = "A2"

        def make_cell(value: object, fmt: str | None, sheet=sheet) -> object:
            if isinstance(value, datetime):
                value, fmt = _local_naive(value), fmt or DATETIME_FORMAT
            elif isinstance(value, date):
                fmt = fmt or DATE_FORMAT
            elif isinstance(value, (list, tuple)):
                value = LIST_SEPARATOR.join(str(item) for item in value)
            if isinstance(value, str):
                if ILLEGAL_CHARACTERS_RE.search(value):
                    value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if fmt:
                # openpyxl writes Decimal and date too; its stubs list fewer types
                cell = WriteOnlyCell(sheet, value)  # type: ignore[arg-type]
                cell.number_format = fmt
                return cell
            return value

        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(sheet, header)
            cell.font, cell.fill, cell.alignment = bold, fill, centre
            header_cells.append(cell)
        sheet.append(header_cells)
        count = 0
        for row in rows:
            sheet.append([make_cell(value, formats.get(i)) for i, value in enumerate(row)])
            count += 1
        if headers:
            last = get_column_letter(len(headers))
            sheet.auto_filter.ref = f"A1:{last}{count + 1}"

    write_replacing(
        path,
        workbook.save,
        lambda exc: WorkbookError(
            _(
                "The workbook {name} cannot be written: {error}. If it is open in Excel or "
                "WPS, close it and try again."
            ).format(name=path.name, error=exc.strerror or exc)
        ),
    )


def write_table(
    path: str | os.PathLike[str],
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    title: str,
    number_formats: Mapping[int, str] | None = None,
    widths: Sequence[float | None] | Mapping[int, float] | None = None,
) -> None:
    """Write one sheet named ``title``: a bold, frozen header row, an auto filter over the
    data and columns wide enough for their text (CJK counted double, at most 60).

    ``number_formats`` maps a column index to an Excel number format (``"#,##0.00"``);
    dates are written as dates shown ``yyyy-mm-dd`` (date-times ``yyyy-mm-dd hh:mm``, in
    local time); lists are joined with ``、``.  ``widths`` overrides the computed width of
    some columns (a sequence with ``None`` for "compute", or index → width).
    """
    write_workbook(path, [SheetSpec(title, headers, rows, number_formats, widths)])
