"""The monthly report as a print-ready PDF (ReportLab platypus).

* The bundled TrueType font (Droid Sans Fallback, Apache-2.0) is embedded, so the Chinese
  prints the same on a PC without Chinese fonts (ReportLab's built-in STSong-Light embeds
  nothing and shows blanks where the reader has no Chinese font).
* A4 portrait for the summary, the visits and the service; landscape for the wide customer
  table and the per-branch summary.
* Long tables are ``LongTable``: fixed column widths and row heights, cut into one ReportLab
  ``Table`` per page with the header repeated.  A single Table splits itself again for every
  page (measured: 9.2 s for 10,000 rows with automatic widths, growing quadratically);
  cutting once is linear.
* Every page: the title, unit, month and time made in the header; "第 x 页 共 y 页" in the
  footer (the total is known only at the end, so the canvas keeps the pages and numbers them
  when it saves).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import reportlab
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from kac_desktop.i18n import _
from kac_desktop.progress import NullProgress, Progress, check
from kac_desktop.resource_files import font_path
from kac_desktop.rules import vocab

from . import save_replacing, target_path
from .model import MonthlyReport
from .tables import (
    MONEY,
    TEXT,
    alerts_table,
    behind_table,
    branch_table,
    customer_table,
    fmt,
    heading,
    local,
    month_label,
    overdue_table,
    requests_table,
    summary_table,
    tier_table,
    visits_table,
)
from .tables import (
    Table as ReportTable,
)

FONT = "KacCJK"
LATIN = "KacLatin"
# Droid Sans Fallback holds the Chinese characters only (no digits, no Latin letters):
# those come from Bitstream Vera, which ships inside ReportLab.  Both are embedded.
LATIN_FILE = Path(reportlab.__file__).resolve().parent / "fonts" / "Vera.ttf"
MARGIN = 14 * mm
HEADER_SPACE = 16 * mm
FOOTER_SPACE = 10 * mm
GREEN = colors.HexColor("#0b6e4f")
HEADER_FILL = colors.HexColor("#dde7f0")
TOTAL_FILL = colors.HexColor("#eeeeee")
GRID = colors.HexColor("#9a9a9a")
_latin_chars: frozenset[int] = frozenset()


def register_font() -> str:
    """Register the two embedded fonts (once); returns the Chinese one's name."""
    global _latin_chars
    if FONT not in pdfmetrics.getRegisteredFontNames():
        from reportlab.lib.fonts import addMapping

        latin = TTFont(LATIN, str(LATIN_FILE))
        pdfmetrics.registerFont(latin)
        pdfmetrics.registerFont(TTFont(FONT, str(font_path())))
        # neither font has a bold face here: bold text uses the same outlines
        for name in (FONT, LATIN):
            for bold in (0, 1):
                for italic in (0, 1):
                    addMapping(name, bold, italic, name)
        _latin_chars = frozenset(latin.face.charToGlyph)
    return FONT


@functools.lru_cache(maxsize=65536)
def runs(text: str) -> tuple[tuple[str, str], ...]:
    """``text`` cut into (font, piece): Latin letters, digits and ASCII signs in Vera,
    everything else in the Chinese font."""
    out: list[tuple[str, str]] = []
    start = 0
    current = None
    for i, ch in enumerate(text):
        font = LATIN if ord(ch) in _latin_chars else FONT
        if font != current:
            if current is not None:
                out.append((current, text[start:i]))
            current, start = font, i
    if current is not None:
        out.append((current, text[start:]))
    return tuple(out)


def markup(text: str) -> str:
    """Paragraph markup for ``text`` (the style's font is the Latin one)."""
    parts = []
    for font, piece in runs(text):
        piece = piece.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        parts.append(piece if font == LATIN else f'<font name="{FONT}">{piece}</font>')
    return "".join(parts)


def draw_text(canvas, x: float, y: float, text: str, size: float, anchor: str = "left") -> None:
    """A line of mixed Chinese and Latin text on the canvas."""
    if anchor != "left":
        width = text_width(text, size)
        x -= width if anchor == "right" else width / 2
    obj = canvas.beginText()
    obj.setTextOrigin(x, y)
    for font, piece in runs(text):
        obj.setFont(font, size)
        obj.textOut(piece)
    canvas.drawText(obj)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=LATIN, fontSize=9, leading=12, wordWrap="CJK")
    return {
        "base": base,
        "title": ParagraphStyle("title", base, fontSize=17, leading=22, alignment=1),
        "subtitle": ParagraphStyle("subtitle", base, fontSize=9.5, leading=13, alignment=1),
        "h1": ParagraphStyle(
            "h1", base, fontSize=12.5, leading=16, spaceBefore=8, spaceAfter=4, textColor=GREEN
        ),
        "h2": ParagraphStyle("h2", base, fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=3),
        "note": ParagraphStyle("note", base, fontSize=7.5, leading=10, textColor=colors.dimgrey),
        "cell": ParagraphStyle("cell", base, fontSize=8, leading=10),
        "head": ParagraphStyle("head", base, fontSize=7.5, leading=9, alignment=1),
        "sign": ParagraphStyle("sign", base, fontSize=11, leading=16),
        "empty": ParagraphStyle("empty", base, fontSize=9.5, leading=13, textColor=colors.dimgrey),
    }


def _esc(text: str) -> str:
    return markup(text)


CELL_PAD = 2.0
_char_widths: dict[str, float] = {}


def text_width(text: str, size: float) -> float:
    """``pdfmetrics.stringWidth`` with the widths of characters kept (the font has no
    kerning, so a string's width is the sum of its characters')."""
    total = 0.0
    widths = _char_widths
    for ch in text:
        w = widths.get(ch)
        if w is None:
            font = LATIN if ord(ch) in _latin_chars else FONT
            w = widths[ch] = pdfmetrics.stringWidth(ch, font, 1000)
        total += w
    return total * size / 1000


def _fit(text: str, width: float, size: float) -> str:
    """Cut ``text`` to ``width`` points with an ellipsis (rows have a fixed height)."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


# the words a column title ends with: a title that needs two lines breaks before one of
# them (客户|类型, 同比|增长, 俱乐部|等级), never inside a word (客户类|型)
_TITLE_WORDS = (
    "等级",
    "类型",
    "类别",
    "经理",
    "增长",
    "累计",
    "收入",
    "积分",
    "名称",
    "金额",
    "日期",
    "时间",
    "天数",
    "次数",
    "户数",
    "完成率",
    "达标率",
    "及时率",
    "满意度",
    "率",
    "数",
)
_MIN_TITLE_SIZE = 5.5


def title_lines(title: str, width: float, size: float) -> tuple[list[str], float]:
    """A column title as the lines it is printed in and the font size: one line when it
    fits; else two, broken at a space, before a bracket or before the word it ends with
    (``_TITLE_WORDS``); the font made smaller (to ``_MIN_TITLE_SIZE``) before a word is
    broken; the CJK wrap of ReportLab only when nothing else fits."""
    if text_width(title, size) <= width:
        return [title], size
    breaks = {i for i, ch in enumerate(title) if ch in " （(/" and 0 < i < len(title)}
    breaks |= {i + 1 for i, ch in enumerate(title) if ch in " /" and i + 1 < len(title)}
    for word in _TITLE_WORDS:
        start = title.find(word, 1)
        while start > 0:
            breaks.add(start)
            start = title.find(word, start + 1)
    candidates = sorted(
        (max(text_width(title[:i].strip(), 1), text_width(title[i:].strip(), 1)), i) for i in breaks
    )
    if candidates:
        widest, at = candidates[0]
        fitting = min(size, width / widest) if widest else size
        if fitting >= _MIN_TITLE_SIZE:
            return [title[:at].strip(), title[at:].strip()], fitting
    return [title], size


def _title(title: str, width: float, style: ParagraphStyle) -> Paragraph:
    lines, size = title_lines(title, width, style.fontSize)
    if size != style.fontSize:
        style = ParagraphStyle(f"head{size:.2f}", style, fontSize=size, leading=size * 1.2)
    return Paragraph("<br/>".join(_esc(line) for line in lines), style)


def _cell_text(value: object, kind: str, *, blank_zero: bool = False) -> str:
    if blank_zero and isinstance(value, Decimal) and value == 0:
        return ""
    if kind == MONEY and value is not None:
        return f"{Decimal(value):,.2f}"  # type: ignore[arg-type]
    return fmt(value, kind)


class LongTable(Flowable):
    """A table of fixed-height rows that may run over many pages: one ``Table`` a page,
    each with the header row, cut in one pass (linear in the number of rows)."""

    def __init__(
        self,
        header: list,
        rows: list[list[str]],
        widths: list[float],
        aligns: list[str],
        *,
        totals: list[str] | None = None,
        size: float = 7.0,
        row_height: float = 11.0,
        header_height: float = 22.0,
    ) -> None:
        super().__init__()
        self.header, self.rows, self.widths, self.aligns = header, rows, widths, aligns
        self.totals, self.size = totals, size
        self.row_height, self.header_height = row_height, header_height

    def _all(self) -> list[list[str]]:
        return self.rows + ([self.totals] if self.totals is not None else [])

    def wrap(self, avail_width, avail_height):
        self.width = sum(self.widths)
        self.height = self.header_height + self.row_height * len(self._all())
        return self.width, self.height

    def split(self, avail_width, avail_height):
        fit = int((avail_height - self.header_height) // self.row_height)
        if fit < 3:
            return []
        everything = self._all()
        if fit >= len(everything):
            return [self]
        if self.totals is not None and fit == len(self.rows):
            fit -= 1  # keep the totals with at least one row
        head = LongTable(
            self.header,
            self.rows[:fit],
            self.widths,
            self.aligns,
            size=self.size,
            row_height=self.row_height,
            header_height=self.header_height,
        )
        rest = LongTable(
            self.header,
            self.rows[fit:],
            self.widths,
            self.aligns,
            totals=self.totals,
            size=self.size,
            row_height=self.row_height,
            header_height=self.header_height,
        )
        return [head, rest]

    def draw(self):
        # The body is drawn directly (one grid, one text object a page): a platypus Table
        # costs several times as much per cell, and the customer table has 200,000 cells.
        c = self.canv
        rows = self._all()
        xs = [0.0]
        for w in self.widths:
            xs.append(xs[-1] + w)
        body_top = self.height - self.header_height
        header = Table(
            [self.header],
            colWidths=self.widths,
            rowHeights=[self.header_height],
            style=TableStyle(
                [
                    # a table sets its cells' font even where a Paragraph draws the text:
                    # name an embedded one, or the PDF refers to Helvetica
                    ("FONTNAME", (0, 0), (-1, -1), LATIN),
                    ("BACKGROUND", (0, 0), (-1, -1), HEADER_FILL),
                    ("GRID", (0, 0), (-1, -1), 0.35, GRID),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 1.5),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 1.5),
                ]
            ),
        )
        header.wrapOn(c, self.width, self.header_height)
        header.drawOn(c, 0, body_top)
        c.saveState()
        if self.totals is not None:
            c.setFillColor(TOTAL_FILL)
            c.rect(0, 0, self.width, self.row_height, stroke=0, fill=1)
        c.setStrokeColor(GRID)
        c.setLineWidth(0.35)
        c.grid(xs, [body_top - i * self.row_height for i in range(len(rows) + 1)])
        if self.totals is not None:
            c.setStrokeColor(colors.black)
            c.setLineWidth(0.9)
            c.line(0, self.row_height, self.width, self.row_height)
        text = c.beginText()
        text.setFillColor(colors.black)
        size = self.size
        current = None
        lift = (self.row_height - self.size) / 2 + 0.18 * self.size
        right = [a == "RIGHT" for a in self.aligns]
        for i, row in enumerate(rows):
            y = body_top - (i + 1) * self.row_height + lift
            for j, value in enumerate(row):
                if not value:
                    continue
                if right[j]:
                    x = xs[j + 1] - CELL_PAD - text_width(value, self.size)
                else:
                    x = xs[j] + CELL_PAD
                text.setTextOrigin(x, y)
                for font, piece in runs(value):
                    if font != current:
                        text.setFont(font, size)
                        current = font
                    text.textOut(piece)
        c.drawText(text)
        c.restoreState()


def _render_table(
    table: ReportTable,
    width: float,
    st: dict[str, ParagraphStyle],
    *,
    size: float = 7.5,
    row_height: float = 12.0,
) -> list[Flowable]:
    """A report table as flowables: its notice, then the table or the words saying it is
    empty."""
    out: list[Flowable] = []
    if table.notice:
        out.append(Paragraph(_esc(table.notice), st["empty"]))
    if not table.rows and table.empty:
        out.append(Paragraph(_esc(table.empty), st["empty"]))
        return out
    weights = [c.width for c in table.columns]
    scale = width / sum(weights)
    widths = [w * scale for w in weights]
    header = [
        _title(c.title, w - 2 * CELL_PAD, st["head"])
        for c, w in zip(table.columns, widths, strict=True)
    ]
    aligns = ["LEFT" if c.kind == TEXT else "RIGHT" for c in table.columns]
    blank_zero = table.blank_zero
    pad = 2 * CELL_PAD + 0.5

    def line(row: Sequence[object]) -> list[str]:
        cells = []
        for i, (value, column) in enumerate(zip(row, table.columns, strict=False)):
            text = _cell_text(value, column.kind, blank_zero=i in blank_zero)
            if column.kind == TEXT:
                text = _fit(text, widths[i] - pad, size)
            cells.append(text)
        return cells

    rows = [line(r) for r in table.rows]
    totals = line(table.totals) if table.totals is not None else None
    out.append(
        LongTable(
            header,
            rows,
            widths,
            aligns,
            totals=totals,
            size=size,
            row_height=row_height,
            header_height=max(20.0, row_height * 1.8),
        )
    )
    return out


# ------------------------------------------------------------------ charts


def _bar_chart(
    labels: list[str],
    values: list[float],
    width: float,
    *,
    percent: bool = False,
    horizontal: bool = False,
) -> Drawing:
    n = max(1, len(labels))
    height = (40 + 14 * n) if horizontal else 170
    drawing = Drawing(width, height + 4)
    # not ReportLab's Helvetica, which is never embedded (an attribute its stubs leave out)
    drawing.initialFontName = LATIN  # type: ignore[attr-defined]
    chart = HorizontalBarChart() if horizontal else VerticalBarChart()
    left = 70 if horizontal else 50
    chart.x, chart.y = left, 24
    # the stubs say int; ReportLab takes any number of points
    chart.width, chart.height = width - left - 20, height - 34  # type: ignore[assignment]
    chart.data = [values or [0]]
    chart.bars[0].fillColor = GREEN
    chart.bars[0].strokeColor = None
    chart.categoryAxis.categoryNames = labels or [""]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7.5
    chart.valueAxis.labels.fontName = LATIN
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    top = max(values) if values else 0
    if percent:
        chart.valueAxis.valueMax = 100
        chart.valueAxis.valueStep = 20
        chart.valueAxis.labelTextFormat = "%d%%"
    else:
        chart.valueAxis.valueMax = top * 1.15 if top > 0 else 1
        chart.valueAxis.labelTextFormat = lambda v: (
            f"{v / 10000:,.0f}" if top >= 100000 else f"{v:,.0f}"
        )
    chart.barLabels.fontName = LATIN
    chart.barLabels.fontSize = 6.5
    chart.barLabelFormat = (lambda v: f"{v:.1f}%") if percent else (lambda v: f"{v:,.1f}")
    if horizontal:
        chart.barLabels.boxAnchor = "w"
        chart.barLabels.dx = 3
        chart.categoryAxis.reverseDirection = 1
    else:
        chart.barLabels.boxAnchor = "s"
        chart.barLabels.dy = 2
    drawing.add(chart)
    return drawing


# ------------------------------------------------------------------ pages


class _NumberedCanvas(pdf_canvas.Canvas):
    """Keeps every page until the end, then writes "第 x 页 共 y 页" on each."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):  # noqa: N802 - ReportLab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # ReportLab's own, not in its stubs

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            width, _height = self._pagesize  # type: ignore[attr-defined]  # as _startPage
            self.setFillColor(colors.black)
            draw_text(
                self,
                width / 2,
                FOOTER_SPACE - 3 * mm,
                _("Page {page} of {pages}").format(
                    page=self._pageNumber,  # type: ignore[attr-defined]  # as _startPage
                    pages=total,
                ),
                8,
                "centre",
            )
            super().showPage()
        super().save()


def _header(report: MonthlyReport):
    unit = report.title_branch + (f" · {report.manager}" if report.manager else "")
    right = f"{unit}    {month_label(report)}"
    made = _("Made {time}").format(time=local(report.made_at).strftime("%Y-%m-%d %H:%M"))
    title = heading(report)

    def draw(canvas, doc):
        width, height = canvas._pagesize
        canvas.saveState()
        canvas.setFillColor(GREEN)
        draw_text(canvas, MARGIN, height - 10 * mm, title, 9)
        canvas.setFillColor(colors.black)
        draw_text(canvas, width - MARGIN, height - 10 * mm, right, 9, "right")
        canvas.setFillColor(colors.dimgrey)
        draw_text(canvas, width - MARGIN, height - 13.5 * mm, made, 7, "right")
        canvas.setStrokeColor(GREEN)
        canvas.setLineWidth(0.8)
        canvas.line(MARGIN, height - 15 * mm, width - MARGIN, height - 15 * mm)
        canvas.restoreState()

    return draw


def _template(name: str, size, on_page) -> PageTemplate:
    width, height = size
    frame = Frame(
        MARGIN,
        FOOTER_SPACE + 2 * mm,
        width - 2 * MARGIN,
        height - HEADER_SPACE - FOOTER_SPACE - 4 * mm,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id=name,
    )
    return PageTemplate(id=name, frames=[frame], onPage=on_page, pagesize=size)


def _signature(st) -> Flowable:
    return KeepTogether(
        [
            Spacer(1, 10 * mm),
            Paragraph(
                _esc(_("Made by: ____________    Checked by: ____________    Date: ____________")),
                st["sign"],
            ),
        ]
    )


def build_story(report: MonthlyReport, progress: Progress) -> list[Flowable]:
    st = _styles()
    portrait_w = A4[0] - 2 * MARGIN
    landscape_w = landscape(A4)[0] - 2 * MARGIN
    story: list[Flowable] = []
    story.append(Paragraph(_esc(heading(report)), st["title"]))
    unit = report.title_branch + (f" · {report.manager}" if report.manager else "")
    story.append(
        Paragraph(
            _esc(
                _("Unit: {unit}    Month: {month}    Made: {made}    Figures as at {as_of}").format(
                    unit=unit,
                    month=month_label(report),
                    made=local(report.made_at).strftime("%Y-%m-%d %H:%M"),
                    as_of=local(report.as_of).strftime("%Y-%m-%d %H:%M"),
                )
            ),
            st["subtitle"],
        )
    )
    story.append(Spacer(1, 4 * mm))

    # 1. summary: key/value, in two columns of Paragraphs (the notes may wrap)
    story.append(Paragraph(_esc(_("1. Summary")), st["h1"]))
    summary = summary_table(report)
    data = [[Paragraph(_esc(c.title), st["head"]) for c in summary.columns]]
    for row, kind in zip(summary.rows, summary.per_row_kinds or [], strict=False):
        data.append(
            [
                Paragraph(_esc(str(row[0])), st["cell"]),
                Paragraph(_esc(fmt(row[1], kind)), ParagraphStyle("v", st["cell"], alignment=2)),
                Paragraph(_esc(str(row[2])), st["cell"]),
            ]
        )
    story.append(
        Table(
            data,
            colWidths=[portrait_w * 0.42, portrait_w * 0.22, portrait_w * 0.36],
            repeatRows=1,
            style=TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), LATIN),
                    ("GRID", (0, 0), (-1, -1), 0.35, GRID),
                    ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            ),
        )
    )
    story.append(Spacer(1, 2 * mm))
    story.append(Paragraph(_esc(_("Definitions")), st["h2"]))
    for note in report.notes:
        story.append(Paragraph(_esc(note), st["note"]))

    tiers = tier_table(report)
    by_tier = report.summary.by_tier
    story.append(
        KeepTogether(
            [
                Paragraph(_esc(tiers.title), st["h2"]),
                *_render_table(tiers, portrait_w * 0.6, st, size=8, row_height=13),
                Paragraph(_esc(_("Key-customer revenue by tier (ten thousand yuan)")), st["h2"]),
                _bar_chart(
                    [vocab.label(vocab.TIERS, t.tier) for t in by_tier],
                    [float(t.revenue) / 10000 for t in by_tier],
                    portrait_w * 0.8,
                ),
            ]
        )
    )
    check(progress, 0.1, _("Writing the PDF…"))

    # the city center's per-branch summary, landscape
    if report.scope == "city":
        story += [NextPageTemplate("landscape"), PageBreak()]
        branches = branch_table(report)
        story.append(Paragraph(_esc(_("Per-branch summary")), st["h1"]))
        story += _render_table(branches, landscape_w, st, size=7.5, row_height=13)

    # 2. customer usage, landscape
    story += [NextPageTemplate("landscape"), PageBreak()]
    customers = customer_table(report)
    story.append(Paragraph(_esc(_("2. Customer usage (amounts in yuan)")), st["h1"]))
    story += _render_table(
        customers,
        landscape_w,
        st,
        size=6.5,
        row_height=10.5,
    )
    check(progress, 0.5, _("Writing the PDF…"))

    # 3. visits, portrait
    story += [NextPageTemplate("portrait"), PageBreak()]
    story.append(Paragraph(_esc(_("3. Visits against quota")), st["h1"]))
    visits = visits_table(report)
    story += _render_table(visits, portrait_w, st, size=7.5, row_height=12)
    if report.visits:
        if report.scope == "city" and report.branches:
            labels = [b.branch for b in report.branches]
            values = [(b.quota_rate or 0) * 100 for b in report.branches]
            title = _("Visit-quota compliance by branch (%)")
        else:
            shown = report.visits[:40]
            labels = [v.manager for v in shown]
            values = [(v.rate or 0) * 100 for v in shown]
            title = _("Visit-quota compliance by account manager (%)")
        story.append(Paragraph(_esc(title), st["h2"]))
        story.append(_bar_chart(labels, values, portrait_w, percent=True, horizontal=True))
    story.append(Paragraph(_esc(_("Customers behind their visit quota")), st["h2"]))
    story += _render_table(behind_table(report), portrait_w, st, size=7, row_height=11)

    # 4. service
    story.append(CondPageBreak(60 * mm))
    story.append(Paragraph(_esc(_("4. Time-limited service")), st["h1"]))
    story += _render_table(requests_table(report), portrait_w, st, size=7.5, row_height=12)
    story.append(Paragraph(_esc(_("Overdue requests at the cut-off")), st["h2"]))
    story += _render_table(overdue_table(report), portrait_w, st, size=7, row_height=11)

    # 5. alerts
    story.append(CondPageBreak(50 * mm))
    story.append(Paragraph(_esc(_("5. Alerts")), st["h1"]))
    story += _render_table(alerts_table(report), portrait_w, st, size=6.8, row_height=11)
    story.append(_signature(st))
    check(progress, 0.7, _("Writing the PDF…"))
    return story


def write_pdf(
    report: MonthlyReport, path: str | os.PathLike[str], progress: Progress | None = None
) -> None:
    """Write the PDF to ``path`` (replacing a file there; a failure leaves none)."""
    progress = progress or NullProgress()
    path = target_path(path)
    register_font()
    on_page = _header(report)
    story = build_story(report, progress)

    def build(temporary: Path) -> None:
        doc = BaseDocTemplate(
            str(temporary),
            pagesize=A4,
            title=f"{heading(report)} {report.title_branch} {report.month}",
            author=report.made_by,
            subject=heading(report),
            creator="kac_desktop",
            # not ReportLab's Helvetica, which a PDF only names: every font is embedded
            initialFontName=LATIN,
        )
        doc.addPageTemplates(
            [_template("portrait", A4, on_page), _template("landscape", landscape(A4), on_page)]
        )
        doc.build(story, canvasmaker=_NumberedCanvas)

    save_replacing(path, build)
    progress.report(1.0)


__all__ = ["register_font", "write_pdf"]
