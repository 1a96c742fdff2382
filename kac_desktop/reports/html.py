"""The report's summary as HTML: what the report page shows and prints (Qt's rich text).

The same tables as the workbook and the PDF; long lists (the customer rows, customers
behind quota, overdue requests, alerts) are cut to their first rows with a line saying how
many there are and where the rest is.
"""

from __future__ import annotations

from html import escape

from kac_desktop.i18n import _

from .model import MonthlyReport
from .tables import (
    TEXT,
    Table,
    alerts_table,
    behind_table,
    branch_table,
    fmt,
    heading,
    overdue_table,
    requests_table,
    subheading,
    summary_table,
    tier_table,
    visits_table,
)

LIST_ROWS = 20


def _table(table: Table, limit: int | None = None) -> str:
    parts = [f"<h3>{escape(table.title)}</h3>"]
    if table.notice:
        parts.append(f'<p style="color:#555">{escape(table.notice)}</p>')
    if not table.rows and table.empty:
        parts.append(f'<p style="color:#555">{escape(table.empty)}</p>')
        return "".join(parts)
    parts.append('<table border="1" cellspacing="0" cellpadding="3" width="100%">')
    parts.append(
        "<tr>"
        + "".join(f'<th style="background:#dde7f0">{escape(c.title)}</th>' for c in table.columns)
        + "</tr>"
    )
    rows = table.rows if limit is None else table.rows[:limit]
    for index, row in enumerate(rows):
        cells = []
        for i, value in enumerate(row):
            kind = table.columns[i].kind
            if table.per_row_kinds is not None and i == 1:
                kind = table.per_row_kinds[index]
            align = "left" if kind == TEXT else "right"
            text = "" if (i in table.blank_zero and not value) else fmt(value, kind)
            cells.append(f'<td align="{align}">{escape(text)}</td>')
        parts.append("<tr>" + "".join(cells) + "</tr>")
    if table.totals is not None and (limit is None or len(table.rows) <= limit):
        cells = []
        for i, value in enumerate(table.totals):
            kind = table.columns[i].kind
            align = "left" if kind == TEXT else "right"
            text = "" if value == "" else fmt(value, kind)
            cells.append(
                f'<td align="{align}" style="background:#eeeeee"><b>{escape(text)}</b></td>'
            )
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</table>")
    if limit is not None and len(table.rows) > limit:
        parts.append(
            '<p style="color:#555">'
            + escape(
                _(
                    "The first {shown} of {count} rows; all of them are in the workbook and the PDF."
                ).format(shown=limit, count=len(table.rows))
            )
            + "</p>"
        )
    return "".join(parts)


def summary_html(report: MonthlyReport) -> str:
    parts = [
        f'<h2 align="center">{escape(heading(report))}</h2>',
        f'<p align="center">{escape(subheading(report))}</p>',
        _table(summary_table(report)),
        '<p style="color:#555;font-size:small">'
        + "<br>".join(escape(n) for n in report.notes)
        + "</p>",
        _table(tier_table(report)),
    ]
    if report.scope == "city":
        parts.append(_table(branch_table(report)))
    parts.append(
        "<p>"
        + escape(
            _(
                "Customer usage: {count} customers, one row each, in the workbook and the PDF."
            ).format(count=len(report.customers))
        )
        + "</p>"
    )
    parts += [
        _table(visits_table(report), 60),
        _table(behind_table(report), LIST_ROWS),
        _table(requests_table(report)),
        _table(overdue_table(report), LIST_ROWS),
        _table(alerts_table(report), LIST_ROWS),
        "<p><br><br>"
        + escape(_("Made by: ________    Checked by: ________    Date: ________"))
        + "</p>",
    ]
    return "\n".join(parts)
