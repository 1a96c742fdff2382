"""The report's sections as tables of typed cells: what the workbook, the PDF and the report
page all show.  Each renderer formats the same cells its own way (Excel number formats,
text in the PDF), so the three cannot show different figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from kac_desktop.i18n import _
from kac_desktop.rules import vocab
from kac_desktop.rules.clock import LOCAL_TZ
from kac_desktop.rules.deadlines import PROVISIONAL_MARK

from .model import MonthlyReport

# cell kinds
TEXT, INT, MONEY, RATE, SCORE, DATE, DATETIME, HOURS = (
    "text",
    "int",
    "money",
    "rate",
    "score",
    "date",
    "datetime",
    "hours",
)


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = TEXT
    width: float = 10  # in characters of a Latin font (a Chinese character counts 2)


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: Sequence[Sequence[object]]
    totals: Sequence[object] | None = None
    empty: str = ""  # said instead of the table when it has no rows
    notice: str = ""  # said above the table (e.g. "no visits this month")
    per_row_kinds: list[str] | None = None  # a key/value table: the kind of each row's value
    notes: list[str] = field(default_factory=list)
    # columns where 0 means "no record" and is left blank (revenue of a product line)
    blank_zero: frozenset[int] = frozenset()


def local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_TZ)


def month_label(report: MonthlyReport) -> str:
    year, month = report.month.split("-")
    return _("{year}-{month}").format(year=year, month=int(month))


def heading(report: MonthlyReport) -> str:
    return _("Key-customer postal usage monthly report")


def subheading(report: MonthlyReport) -> str:
    who = report.title_branch
    if report.manager:
        who = f"{who} · {report.manager}"
    return _("Unit: {unit}    Month: {month}    Made: {made}").format(
        unit=who,
        month=month_label(report),
        made=local(report.made_at).strftime("%Y-%m-%d %H:%M"),
    )


def fmt(value: object, kind: str) -> str:
    """A cell as text (the PDF and the report page)."""
    if value is None:
        return "—"
    if kind == MONEY:
        return f"¥{Decimal(value):,.2f}"  # type: ignore[arg-type]
    if kind == RATE:
        return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]
    if kind == SCORE:
        return f"{float(value):.2f}"  # type: ignore[arg-type]
    if kind == HOURS:
        return f"{float(value):.1f}"  # type: ignore[arg-type]
    if kind == INT and isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime):
        return local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _tier(code: str) -> str:
    return vocab.label(vocab.TIERS, code)


# ------------------------------------------------------------------ section 1


def summary_table(report: MonthlyReport) -> Table:
    s = report.summary
    no_revenue = None if report.present.has_revenue else _("no revenue recorded")
    rows: list[tuple[str, object, str, str]] = [
        (_("Customers in the report"), s.customers, INT, ""),
        (_("Key customers"), s.key_customers, INT, ""),
        (_("New key customers this month"), s.new_key_customers, INT, ""),
        (_("Lost key customers (no revenue for 3 months)"), s.lost_key_customers, INT, ""),
        (_("Revenue of all customers"), s.revenue_total, MONEY, no_revenue or ""),
        (_("Key-customer revenue"), s.revenue_key, MONEY, no_revenue or ""),
        (_("Key-customer share of revenue"), s.key_share, RATE, ""),
        (_("Key-customer revenue last month"), s.revenue_key_previous_month, MONEY, ""),
        (_("Month-on-month growth"), s.growth_month_on_month, RATE, ""),
        (
            _("Key-customer revenue same month last year"),
            s.revenue_key_same_month_last_year,
            MONEY,
            "",
        ),
        (_("Year-on-year growth"), s.growth_year_on_year, RATE, ""),
        (
            _("Retention rate (巩固率)"),
            s.retention_rate,
            RATE,
            _("{kept} of {base}").format(kept=s.retained, base=s.retention_base),
        ),
        (
            _("Development rate (开发率)"),
            s.development_rate,
            RATE,
            _("{new} of {base}").format(new=s.new_key_customers, base=s.development_base),
        ),
        (_("File completeness (key customers)"), s.completeness, RATE, ""),
        (
            _("Visit-quota compliance"),
            s.quota_rate,
            RATE,
            _("{met} of {due} customers met their quota").format(met=s.quota_met, due=s.quota_due),
        ),
        (
            _("Counting visits this month"),
            s.visits_done,
            INT,
            "" if report.present.has_visits else _("No visits recorded this month"),
        ),
        (_("Service requests received"), s.requests, INT, ""),
        (
            _("Service on-time rate"),
            s.on_time_rate,
            RATE,
            _("{on_time} of {judged}").format(on_time=s.requests_on_time, judged=s.requests_judged),
        ),
        (_("Complaints"), s.complaints, INT, ""),
        (_("Complaint rate"), s.complaint_rate, RATE, ""),
        (
            _("Average satisfaction (1–5)"),
            s.satisfaction,
            SCORE,
            _("{count} scores").format(count=s.satisfaction_count),
        ),
        (_("Points earned this month"), s.points_month, INT, ""),
    ]
    return Table(
        _("Report summary"),
        [Column(_("Figure"), TEXT, 36), Column(_("Value"), TEXT, 18), Column(_("Note"), TEXT, 30)],
        [[label, value, note] for label, value, _k, note in rows],
        per_row_kinds=[kind for _l, _v, kind, _n in rows],
        notes=list(report.notes),
    )


def tier_table(report: MonthlyReport) -> Table:
    s = report.summary
    rows = [[_tier(t.tier), t.customers, t.revenue] for t in s.by_tier]
    return Table(
        _("Key customers by tier"),
        [
            Column(_("Tier"), TEXT, 12),
            Column(_("Key customers"), INT, 12),
            Column(_("Revenue this month"), MONEY, 18),
        ],
        rows,
        totals=[_("Total"), s.key_customers, s.revenue_key],
    )


def branch_table(report: MonthlyReport) -> Table:
    rows = [
        [
            b.branch,
            b.customers,
            b.key_customers,
            b.new_key_customers,
            b.lost_key_customers,
            b.revenue_total,
            b.revenue_key,
            b.completeness,
            b.quota_rate,
            b.on_time_rate,
            b.complaints,
        ]
        for b in report.branches
    ]
    s = report.summary
    return Table(
        _("Per-branch summary"),
        [
            Column(_("Branch"), TEXT, 16),
            Column(_("Customers"), INT, 8),
            Column(_("Key customers"), INT, 9),
            Column(_("New"), INT, 6),
            Column(_("Lost"), INT, 6),
            Column(_("Revenue of all customers"), MONEY, 16),
            Column(_("Key-customer revenue"), MONEY, 16),
            Column(_("Completeness"), RATE, 9),
            Column(_("Quota compliance"), RATE, 9),
            Column(_("On-time rate"), RATE, 9),
            Column(_("Complaints"), INT, 7),
        ],
        rows,
        totals=[
            _("Total"),
            s.customers,
            s.key_customers,
            s.new_key_customers,
            s.lost_key_customers,
            s.revenue_total,
            s.revenue_key,
            s.completeness,
            s.quota_rate,
            s.on_time_rate,
            s.complaints,
        ],
        empty=_("No branch has customers in this month."),
    )


# ------------------------------------------------------------------ section 2


def customer_table(report: MonthlyReport) -> Table:
    lines = report.product_lines
    columns = [
        Column(_("Customer"), TEXT, 34),
        Column(_("Kind"), TEXT, 8),
        Column(_("Tier"), TEXT, 6),
        Column(_("Account manager"), TEXT, 10),
    ]
    if report.scope == "city":
        columns.append(Column(_("Branch"), TEXT, 14))
    columns += [Column(label, MONEY, 13) for _code, label in lines]
    columns += [
        Column(_("This month"), MONEY, 14),
        Column(_("Year to date"), MONEY, 15),
        Column(_("Same period last year"), MONEY, 15),
        Column(_("Growth"), RATE, 8),
        Column(_("Points this month"), INT, 10),
        Column(_("Points this year"), INT, 11),
        Column(_("Club level"), TEXT, 8),
    ]
    rows = []
    sums_line = [Decimal(0)] * len(lines)
    month_sum = ytd_sum = ly_sum = Decimal(0)
    points_m = points_y = 0
    for r in report.customers:
        row: list[object] = [
            r.name,
            vocab.label(vocab.KINDS, r.kind),
            _tier(r.tier),
            r.manager,
        ]
        if report.scope == "city":
            row.append(r.branch)
        row += list(r.by_line)
        row += [
            r.month_total,
            r.year_to_date,
            r.last_year_to_date,
            r.growth,
            r.points_month,
            r.points_year,
            _tier(r.club_level),
        ]
        rows.append(row)
        for i, amount in enumerate(r.by_line):
            sums_line[i] += amount
        month_sum += r.month_total
        ytd_sum += r.year_to_date
        ly_sum += r.last_year_to_date
        points_m += r.points_month
        points_y += r.points_year
    growth = None if ly_sum <= 0 else float((ytd_sum - ly_sum) / ly_sum)
    lead = [_("Total ({count} customers)").format(count=len(rows)), "", "", ""]
    if report.scope == "city":
        lead.append("")
    totals = [*lead, *sums_line, month_sum, ytd_sum, ly_sum, growth, points_m, points_y, ""]
    return Table(
        _("Customer usage"),
        columns,
        rows,
        totals=totals,
        empty=_("No customers in this report."),
        notice="" if report.present.has_revenue else _("No revenue recorded this month."),
        blank_zero=frozenset(range(len(lead), len(lead) + len(lines))),
    )


# ------------------------------------------------------------------ section 3


def visits_table(report: MonthlyReport) -> Table:
    s = report.summary
    rows = [
        [v.manager, v.branch, v.customers_due, v.required, v.done, v.met, v.behind, v.rate]
        for v in report.visits
    ]
    total_required = sum(v.required for v in report.visits)
    total_done = sum(v.done for v in report.visits)
    total_behind = sum(v.behind for v in report.visits)
    return Table(
        _("Visits against quota by account manager"),
        [
            Column(_("Account manager"), TEXT, 12),
            Column(_("Branch"), TEXT, 14),
            Column(_("Customers due"), INT, 9),
            Column(_("Visits required"), INT, 9),
            Column(_("Visits done"), INT, 9),
            Column(_("Met"), INT, 7),
            Column(_("Behind"), INT, 7),
            Column(_("Compliance"), RATE, 9),
        ],
        rows,
        totals=[
            _("Total"),
            "",
            s.quota_due,
            total_required,
            total_done,
            s.quota_met,
            total_behind,
            s.quota_rate,
        ],
        empty=_("No customer is due a visit this month."),
        notice="" if report.present.has_visits else _("No visits recorded this month."),
    )


def behind_table(report: MonthlyReport) -> Table:
    rows = [
        [
            b.customer,
            b.manager,
            vocab.label(vocab.VISIT_CLASSES, b.visit_class),
            b.required,
            b.done,
            b.days_left,
        ]
        for b in report.behind
    ]
    return Table(
        _("Customers behind their visit quota"),
        [
            Column(_("Customer"), TEXT, 34),
            Column(_("Account manager"), TEXT, 12),
            Column(_("Visit class"), TEXT, 8),
            Column(_("Required"), INT, 8),
            Column(_("Done"), INT, 8),
            Column(_("Days left"), INT, 8),
        ],
        rows,
        empty=_("No customer is behind the visit quota."),
    )


# ------------------------------------------------------------------ section 4


def requests_table(report: MonthlyReport) -> Table:
    rows = [
        [
            vocab.label(vocab.REQUEST_TYPES, r.type),
            r.received,
            r.on_time,
            r.late,
            r.open,
            r.overdue,
            r.on_time_rate,
            r.satisfaction,
        ]
        for r in report.requests
    ]
    s = report.summary
    return Table(
        _("Service requests by type"),
        [
            Column(_("Type"), TEXT, 16),
            Column(_("Received"), INT, 8),
            Column(_("On time"), INT, 8),
            Column(_("Late"), INT, 8),
            Column(_("Open"), INT, 8),
            Column(_("Overdue"), INT, 8),
            Column(_("On-time rate"), RATE, 9),
            Column(_("Satisfaction"), SCORE, 8),
        ],
        rows,
        totals=[
            _("Total"),
            s.requests,
            s.requests_on_time,
            sum(r.late for r in report.requests),
            sum(r.open for r in report.requests),
            sum(r.overdue for r in report.requests),
            s.on_time_rate,
            s.satisfaction,
        ],
        empty=_("No service requests this month."),
    )


def overdue_table(report: MonthlyReport) -> Table:
    marked = any(o.provisional for o in report.overdue)
    rows = [
        [
            o.customer,
            vocab.label(vocab.REQUEST_TYPES, o.type),
            o.manager,
            o.received_at,
            o.deadline_at,
            o.hours_overdue,
        ]
        + ([_(PROVISIONAL_MARK) if o.provisional else ""] if marked else [])
        for o in report.overdue
    ]
    columns = [
        Column(_("Customer"), TEXT, 34),
        Column(_("Type"), TEXT, 12),
        Column(_("Responsible manager"), TEXT, 12),
        Column(_("Received"), DATETIME, 17),
        Column(_("Deadline"), DATETIME, 17),
        Column(_("Hours overdue"), HOURS, 10),
    ]
    if marked:  # a deadline of a year without its holiday schedule (暂按周末计算)
        columns.append(Column(_("Deadline basis"), TEXT, 14))
    return Table(
        _("Overdue requests at the cut-off"),
        columns,
        rows,
        empty=_("No request is overdue."),
    )


# ------------------------------------------------------------------ section 5


def alerts_table(report: MonthlyReport) -> Table:
    inactive = _("No contact for {days} days").format(days=report.inactivity_days)
    drop = _("Revenue drop")
    rows: list[list[object]] = [
        [inactive, a.customer, _tier(a.tier), a.manager, a.last_contact, a.days, None, None, None]
        for a in report.inactive
    ]
    rows += [
        [
            drop,
            d.customer,
            _tier(d.tier),
            d.manager,
            None,
            None,
            d.average_before,
            d.month,
            d.change,
        ]
        for d in report.drops
    ]
    return Table(
        _("Alerts"),
        [
            Column(_("Alert"), TEXT, 16),
            Column(_("Customer"), TEXT, 34),
            Column(_("Tier"), TEXT, 6),
            Column(_("Account manager"), TEXT, 10),
            Column(_("Last contact"), DATE, 11),
            Column(_("Days"), INT, 6),
            Column(_("Average of the 3 months before"), MONEY, 15),
            Column(_("This month"), MONEY, 14),
            Column(_("Change"), RATE, 8),
        ],
        rows,
        empty=_("No alerts this month."),
        notice=_(
            "{inactive} inactive customers; {drops} revenue drops of {threshold} or more"
        ).format(
            inactive=len(report.inactive),
            drops=len(report.drops),
            threshold=f"{abs(report.drop_threshold) * 100:.0f}%",
        ),
    )


def sections(report: MonthlyReport) -> list[tuple[str, list[Table]]]:
    """(sheet name, tables) in the order of docs/DOMAIN.md §6; the per-branch summary for the
    city center's report right after the summary."""
    result = [(_("Report summary"), [summary_table(report), tier_table(report)])]
    if report.scope == "city":
        result.append((_("Branches"), [branch_table(report)]))
    result += [
        (_("Customer usage"), [customer_table(report)]),
        (_("Visits"), [visits_table(report), behind_table(report)]),
        (_("Service"), [requests_table(report), overdue_table(report)]),
        (_("Alerts"), [alerts_table(report)]),
    ]
    return result
