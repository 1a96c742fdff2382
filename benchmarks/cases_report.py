"""The monthly report's cases (issue #8 "Speed at scale"): building the city center's report
of the last complete month of the data, and writing its workbook and its PDF — each file beside
its floor, the least any writer must spend to put the same content into the same format:

* ``report_workbook`` ↔ openpyxl write-only appending exactly the same cell values (same
  sheets, same rows, no styles, no widths, no frozen panes) and saving;
* ``report_pdf`` ↔ a raw ReportLab canvas drawing the same text of every table cell with
  ``drawString``, page by page with the report's own page sizes and rows per page, in the same
  embedded fonts, and saving (no grid, no charts, no platypus).

The floors get their content prepared in advance (untimed): they measure the libraries' own
cost of writing it, so a ratio above 1 is what the report's code adds on top.  The files and
their floors are timed in CPU seconds, a file and its floor by turns (see ``_clock``).  The
database is opened read-only and immutable: the cases never write to it (the benchmark files
in /work/bench are shared hard links)."""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from kac_desktop.db import cipher

from .suite import Context, case

# The files are written on one thread and bound by the CPU; the machine has 2 cores that
# other benchmarks share, and their load swings wall time by ±50 %.  So the writers and
# their floors are timed in this process's CPU seconds (user + system: the file writes
# count), and each file is written in turn with its floor (see ``_paired``): the suite
# would otherwise take all of a case's samples before all of its baseline's, and the ratio
# would follow the load.  The model build reads the database and keeps wall time.
_clock = time.process_time

# ---------------------------------------------------------------- shared set-up


def _sqlite_uri(path: Path) -> str:
    """A read-only URI for ``path``: immutable (no lock, no -wal/-shm left beside a shared
    file) unless a -wal beside it still holds commits, which immutable would not read."""
    path = path.resolve()
    wal = path.with_name(path.name + "-wal")
    immutable = not (wal.exists() and wal.stat().st_size > 0)
    return f"file:{path}?mode=ro" + ("&immutable=1" if immutable else "")


def _database(ctx: Context):
    def make():
        from sqlalchemy import create_engine, event
        from sqlalchemy.orm import sessionmaker

        from kac_desktop.db import Database

        uri = _sqlite_uri(ctx.db_path)
        url = f"sqlite:///{uri}&uri=true"
        engine = create_engine(url, module=cipher.module_for(ctx.db_path))
        # the encrypted file needs its key on every connection, as the application's own
        event.listen(
            engine, "do_connect", lambda _d, _r, _a, params: cipher.connect(uri, **params)
        )
        return Database(url, engine, sessionmaker(engine, expire_on_commit=False))

    return ctx.once("report database", make)


def _month_and_now(ctx: Context) -> tuple[str, datetime]:
    """The last complete month of the data and the data's "now" (its latest record)."""

    def find():

        from kac_desktop.rules.quota import Month

        connection = cipher.connect(_sqlite_uri(ctx.db_path), uri=True)
        try:
            latest = max(
                value
                for (value,) in connection.execute(
                    "SELECT max(visited_at) FROM visits UNION ALL "
                    "SELECT max(received_at) FROM service_requests"
                )
                if value
            )
        finally:
            connection.close()
        now = datetime.fromisoformat(str(latest)).replace(tzinfo=UTC)
        return str(Month.of(now.date()).previous()), now

    return ctx.once("report month", find)


def _build(ctx: Context):
    from kac_desktop.services import monthly_report
    from kac_desktop.services.users import actor_for

    db = _database(ctx)
    month, now = _month_and_now(ctx)
    actor = ctx.once("report actor", lambda: actor_for(db, "admin"))
    return monthly_report.build_report(db, actor, month, now=now)


def _report(ctx: Context):
    def make():
        from kac_desktop.i18n import set_language

        set_language("zh_CN")  # the report as its users read it
        report = _build(ctx)
        ctx.notes.append(
            f"report: {report.title_branch} {report.month}, {len(report.customers):,} "
            f"customer rows, {len(report.behind):,} behind quota, {len(report.overdue):,} "
            f"overdue, {len(report.inactive) + len(report.drops):,} alerts; "
            "report_workbook, report_pdf and their floors in CPU time, sampled in pairs"
        )
        return report

    return ctx.once("report model", make)


def _folder(ctx: Context) -> Path:
    holder = ctx.once("report folder", tempfile.TemporaryDirectory)
    return Path(holder.name)


# ---------------------------------------------------------------- the model


def _model(ctx: Context) -> float:
    _report(ctx)  # the actor and the month found once, outside the timing
    started = time.perf_counter()
    _build(ctx)
    return time.perf_counter() - started


# ---------------------------------------------------------------- the workbook


def _written(ctx: Context, write, name: str) -> float:
    """CPU seconds of ``write(report, path)`` writing the month's report to ``name``."""
    report = _report(ctx)
    path = _folder(ctx) / name
    started = _clock()
    write(report, path)
    return _clock() - started


def _workbook(ctx: Context) -> float:
    from kac_desktop.reports import write_xlsx

    return _written(ctx, write_xlsx, "report.xlsx")


def workbook_cells(report) -> list[tuple[str, list[list[Any]]]]:
    """The values of every cell of the report's workbook, sheet by sheet and row by row, as
    reports.xlsx writes them (its layout rules restated here; ``_checked_cells`` compares
    them with the real workbook read back, so the two cannot drift apart unnoticed)."""
    from kac_desktop.i18n import _
    from kac_desktop.reports.tables import heading, local, sections, subheading

    def plain(value):
        return local(value).replace(tzinfo=None) if isinstance(value, datetime) else value

    out = []
    all_sections = sections(report)
    for sheet_name, tables in all_sections:
        rows: list[list[Any]] = [[heading(report)], [subheading(report)]]
        for t_index, table in enumerate(tables):
            if t_index > 0:
                rows += [[], [table.title]]
            if table.notice:
                rows.append([table.notice])
            if not table.rows and table.empty:
                rows.append([table.empty])
                continue
            rows.append([c.title for c in table.columns])
            for row in table.rows:
                if table.per_row_kinds is not None:
                    rows.append([row[0], "—" if row[1] is None else plain(row[1]), row[2]])
                else:
                    rows.append(
                        [
                            None if v is None or (i in table.blank_zero and v == 0) else plain(v)
                            for i, v in enumerate(row)
                        ]
                    )
            if table.totals is not None:
                rows.append([None if v == "" else plain(v) for v in table.totals])
            if table.notes:
                rows += [[], [_("Definitions")], *[[n] for n in table.notes]]
        if sheet_name == all_sections[0][0]:
            rows += [[], [_("Made by: ________    Checked by: ________    Date: ________")]]
        out.append((sheet_name[:31], rows))
    return out


def _comparable(row: list[Any]) -> list[Any]:
    # a number reads back as a float, a date as a datetime at midnight
    values = [
        float(v)
        if isinstance(v, Decimal)
        else datetime(v.year, v.month, v.day)
        if isinstance(v, date) and not isinstance(v, datetime)
        else v
        for v in row
    ]
    while values and values[-1] in (None, ""):
        values.pop()
    return [None if v == "" else v for v in values]


def _same(got: list[Any], want: list[Any]) -> bool:
    # a float goes into the file with 15 significant digits
    return len(got) == len(want) and all(
        math.isclose(g, w, rel_tol=1e-12) if isinstance(w, float) else g == w
        for g, w in zip(got, want, strict=True)
    )


class FloorMismatch(RuntimeError):
    """The floor would not write what the report writes: its ratio would mean nothing."""


def _checked_cells(ctx: Context) -> list[tuple[str, list[list[Any]]]]:
    """``workbook_cells`` of the report, once compared with the real workbook read back."""

    def make():
        from openpyxl import load_workbook

        from kac_desktop.reports import write_xlsx

        report = _report(ctx)
        cells = workbook_cells(report)
        path = _folder(ctx) / "check.xlsx"
        write_xlsx(report, path)
        book = load_workbook(path, read_only=True)
        try:
            if book.sheetnames != [name for name, _rows in cells]:
                raise FloorMismatch(f"sheets {book.sheetnames}")
            for name, rows in cells:
                written = [_comparable(list(r)) for r in book[name].iter_rows(values_only=True)]
                # openpyxl reads an empty row at the end of the written ones as nothing
                while written and not written[-1]:
                    written.pop()
                wanted = [_comparable(r) for r in rows]
                while wanted and not wanted[-1]:
                    wanted.pop()
                if len(written) != len(wanted):
                    raise FloorMismatch(f"{name}: {len(written)} rows, the floor {len(wanted)}")
                for i, (got, want) in enumerate(zip(written, wanted, strict=True)):
                    if not _same(got, want):
                        raise FloorMismatch(f"{name}, row {i + 1}: {got} ≠ {want}")
        finally:
            book.close()
        path.unlink()
        return cells

    return ctx.once("report workbook cells", make)


def _workbook_floor(ctx: Context) -> float:
    from openpyxl import Workbook

    cells = _checked_cells(ctx)
    path = _folder(ctx) / "floor.xlsx"
    started = _clock()
    book = Workbook(write_only=True)
    for name, rows in cells:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return _clock() - started


# ---------------------------------------------------------------- the PDF


def _pdf(ctx: Context) -> float:
    from kac_desktop.reports import write_pdf

    return _written(ctx, write_pdf, "report.pdf")


def pdf_pages(report, folder: Path) -> list[dict[str, Any]]:
    """The report's pages as the floor draws them: each page's size and the tables on it
    (column titles, column widths, font size, row height and the text of every row), taken
    from the real report while it is drawn: each page and each piece of a long table records
    itself (the two methods are wrapped for this one build, then restored)."""
    from reportlab.lib.pagesizes import A4

    from kac_desktop.reports import pdf
    from kac_desktop.reports.tables import fmt, summary_table

    pages: list[dict[str, Any]] = []
    tables: dict[int, list[dict[str, Any]]] = {}
    draw, show_page = pdf.LongTable.draw, pdf._NumberedCanvas.showPage

    def record_table(table) -> None:
        tables.setdefault(table.canv.getPageNumber(), []).append(
            {
                "titles": [p.getPlainText() for p in table.header],
                "widths": list(table.widths),
                "size": table.size,
                "row_height": table.row_height,
                "header_height": table.header_height,
                "rows": [list(r) for r in table._all()],
            }
        )
        draw(table)

    def record_page(canvas) -> None:
        pages.append({"size": tuple(canvas._pagesize), "tables": []})
        show_page(canvas)

    pdf.LongTable.draw = record_table  # type: ignore[method-assign]
    pdf._NumberedCanvas.showPage = record_page  # type: ignore[method-assign]
    try:
        pdf.write_pdf(report, folder / "pages.pdf")
    finally:
        pdf.LongTable.draw = draw  # type: ignore[method-assign]
        pdf._NumberedCanvas.showPage = show_page  # type: ignore[method-assign]
    (folder / "pages.pdf").unlink()
    for number, page in enumerate(pages, start=1):
        page["tables"] = tables.get(number, [])
    # the summary is a platypus table of paragraphs on the first page: its cells too
    summary = summary_table(report)
    width = A4[0] - 2 * pdf.MARGIN
    pages[0]["tables"].insert(
        0,
        {
            "titles": [c.title for c in summary.columns],
            "widths": [width * share for share in (0.42, 0.22, 0.36)],
            "size": 8.0,
            "row_height": 12.0,
            "header_height": 14.0,
            "rows": [
                [str(r[0]), fmt(r[1], k), str(r[2])]
                for r, k in zip(summary.rows, summary.per_row_kinds or [], strict=True)
            ],
        },
    )
    return pages


def _floor_pages(ctx: Context):
    def make():
        from kac_desktop.reports import pdf

        pdf.register_font()
        pages = pdf_pages(_report(ctx), _folder(ctx))
        # the text of each cell as (font, piece) runs: the two embedded fonts, as the report
        for page in pages:
            for table in page["tables"]:
                table["titles"] = [pdf.runs(t) for t in table["titles"]]
                table["rows"] = [[pdf.runs(v) if v else () for v in r] for r in table["rows"]]
        ctx.notes.append(
            f"PDF: {len(pages)} pages, "
            f"{sum(len(t['rows']) for p in pages for t in p['tables']):,} table rows"
        )
        return pages

    return ctx.once("report pdf pages", make)


def _pdf_floor(ctx: Context) -> float:
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    from kac_desktop.i18n import _
    from kac_desktop.reports.pdf import FOOTER_SPACE, HEADER_SPACE, MARGIN, runs
    from kac_desktop.reports.tables import heading, subheading

    report = _report(ctx)
    pages = _floor_pages(ctx)
    path = _folder(ctx) / "floor.pdf"

    current: list[tuple[str, float] | None] = [None]

    def draw(canvas, x, y, cell, size) -> None:
        for font, piece in cell:
            if current[0] != (font, size):
                canvas.setFont(font, size)
                current[0] = (font, size)
            canvas.drawString(x, y, piece)
            if len(cell) > 1:
                x += stringWidth(piece, font, size)

    started = _clock()
    title, unit = runs(heading(report)), runs(subheading(report))
    canvas = Canvas(str(path), pagesize=pages[0]["size"])
    for number, page in enumerate(pages, start=1):
        width, height = page["size"]
        canvas.setPageSize(page["size"])
        draw(canvas, MARGIN, height - 10 * mm, title, 9)
        draw(canvas, width / 2, height - 13.5 * mm, unit, 7)
        footer = _("Page {page} of {pages}").format(page=number, pages=len(pages))
        draw(canvas, width / 2, FOOTER_SPACE - 3 * mm, runs(footer), 8)
        y = height - HEADER_SPACE - 2 * mm
        for table in page["tables"]:
            xs = [MARGIN]
            for w in table["widths"]:
                xs.append(xs[-1] + w)
            y -= table["header_height"]
            for x, cell in zip(xs, table["titles"], strict=False):
                draw(canvas, x + 2, y + 4, cell, 7.5)
            size, step = table["size"], table["row_height"]
            for row in table["rows"]:
                y -= step
                for x, cell in zip(xs, row, strict=False):
                    if cell:
                        draw(canvas, x + 2, y + 2.5, cell, size)
            y -= 6
        canvas.showPage()
        current[0] = None  # a new page starts without a font
    canvas.save()
    return _clock() - started


def _paired(
    name: str, run: Callable[[Context], float], floor: Callable[[Context], float]
) -> tuple[Callable[[Context], float], Callable[[Context], float]]:
    """The case and its baseline for ``run`` and its ``floor``, measured in pairs: each
    sample of the case also measures the floor (first one, then the other, by turns) and
    keeps its time, which the baseline hands to the suite in the same order.  Called on its
    own, the baseline measures the floor."""
    key = f"{name} floor times"

    def measure(ctx: Context) -> float:
        waiting = ctx.cache.setdefault(key, [])
        turn = ctx.cache.get(f"{name} turn", 0)
        ctx.cache[f"{name} turn"] = turn + 1
        if turn % 2:
            waiting.append(floor(ctx))
            return run(ctx)
        spent = run(ctx)
        waiting.append(floor(ctx))
        return spent

    def baseline(ctx: Context) -> float:
        waiting = ctx.cache.get(key)
        return waiting.pop(0) if waiting else floor(ctx)

    return measure, baseline


case("report_model", target="–", repeat=3)(_model)
_workbook_pair = _paired("report_workbook", _workbook, _workbook_floor)
case(
    "report_workbook",
    baseline=_workbook_pair[1],
    target="≤ 1.3× openpyxl write_only of the same cells (CPU)",
)(_workbook_pair[0])
_pdf_pair = _paired("report_pdf", _pdf, _pdf_floor)
case(
    "report_pdf",
    baseline=_pdf_pair[1],
    target="≤ 1.6× raw canvas drawString of the same rows (CPU)",
)(_pdf_pair[0])
