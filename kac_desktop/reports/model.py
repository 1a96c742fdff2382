"""The monthly report to the city center (大客户用邮月报表, docs/DOMAIN.md §6) as plain data.

``services.monthly_report.build_report`` computes it once; the report page, the workbook
(``reports.xlsx``) and the PDF (``reports.pdf``) are three renderings of the same object, so
they cannot disagree.  Money is ``Decimal`` (yuan, two places), points are ``int``, rates are
``float`` between 0 and 1 or ``None`` where the rate has no denominator (shown as "—", never as
an invented 0 %).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class TierCount:
    tier: str  # vocab.TIERS code
    customers: int
    revenue: Decimal  # the month's revenue of the key customers of this tier


@dataclass(frozen=True)
class Summary:
    """Section 1 (汇总). Counts are of key customers (kind "key") unless said otherwise."""

    customers: int  # every customer file in the report (key, important, potential)
    key_customers: int
    by_tier: tuple[TierCount, ...]
    new_key_customers: int
    lost_key_customers: int
    revenue_total: Decimal  # every customer in the report
    revenue_key: Decimal
    key_share: float | None
    revenue_key_previous_month: Decimal
    revenue_key_same_month_last_year: Decimal
    growth_month_on_month: float | None
    growth_year_on_year: float | None
    retention_rate: float | None  # 巩固率, see services.monthly_report
    retention_base: int
    retained: int
    development_rate: float | None  # 开发率
    development_base: int
    completeness: float | None  # 0..1, the average over key customers
    quota_due: int
    quota_met: int
    quota_rate: float | None
    requests: int
    requests_on_time: int
    requests_judged: int
    on_time_rate: float | None
    complaints: int
    complaint_rate: float | None
    satisfaction: float | None  # 1..5, None without any score
    satisfaction_count: int
    points_month: int
    visits_done: int


@dataclass(frozen=True)
class CustomerUsage:
    """Section 2 (客户用邮明细): one row a customer."""

    customer_id: str
    name: str
    kind: str
    tier: str
    manager: str
    branch: str
    by_line: tuple[Decimal, ...]  # in the order of MonthlyReport.product_lines
    month_total: Decimal
    year_to_date: Decimal
    last_year_to_date: Decimal
    growth: float | None  # year to date against the same period last year
    points_month: int
    points_year: int
    club_level: str


@dataclass(frozen=True)
class ManagerVisits:
    """Section 3 (走访): one account manager's quota."""

    manager: str
    branch: str
    customers_due: int
    required: int
    done: int  # counting visits, each capped at its customer's quota
    met: int
    behind: int
    rate: float | None


@dataclass(frozen=True)
class BehindQuota:
    customer: str
    manager: str
    visit_class: int
    required: int
    done: int
    days_left: int


@dataclass(frozen=True)
class RequestTypeRow:
    """Section 4 (限时服务): requests received in the month of one type."""

    type: str  # vocab.REQUEST_TYPES code
    received: int
    on_time: int
    late: int
    open: int  # unresolved, deadline not yet passed at the report's cut-off
    overdue: int
    on_time_rate: float | None
    satisfaction: float | None


@dataclass(frozen=True)
class OverdueRequest:
    customer: str
    type: str
    manager: str
    received_at: datetime
    deadline_at: datetime
    hours_overdue: float
    provisional: bool = False  # the deadline counted weekends only (暂按周末计算)


@dataclass(frozen=True)
class InactiveAlert:
    """Section 5 (异常预警): no business and no contact for ``days`` days."""

    customer: str
    tier: str
    manager: str
    last_contact: date | None
    days: int | None


@dataclass(frozen=True)
class DropAlert:
    """Section 5: the month's revenue against the average of the three months before."""

    customer: str
    tier: str
    manager: str
    average_before: Decimal
    month: Decimal
    change: float


@dataclass(frozen=True)
class BranchSummary:
    """The city center's per-branch summary (one row a branch)."""

    branch: str
    customers: int
    key_customers: int
    new_key_customers: int
    lost_key_customers: int
    revenue_total: Decimal
    revenue_key: Decimal
    completeness: float | None
    quota_rate: float | None
    on_time_rate: float | None
    complaints: int


@dataclass(frozen=True)
class Section:
    """Which sections have anything to show: an empty one says so instead of zeros."""

    has_revenue: bool
    has_visits: bool
    has_requests: bool


@dataclass
class MonthlyReport:
    month: str  # "YYYY-MM"
    scope: str  # "manager", "branch" or "city"
    title_branch: str  # the branch (or the city center) named in the header
    manager: str  # the manager, for a manager's own report; else ""
    made_at: datetime  # aware UTC
    made_by: str
    as_of: datetime  # aware UTC: the figures' cut-off (month end, or now for this month)
    product_lines: tuple[tuple[str, str], ...]  # (code, label) in column order
    summary: Summary
    customers: list[CustomerUsage]
    visits: list[ManagerVisits]
    behind: list[BehindQuota]
    requests: list[RequestTypeRow]
    overdue: list[OverdueRequest]
    inactive: list[InactiveAlert]
    drops: list[DropAlert]
    branches: list[BranchSummary]
    present: Section
    notes: list[str] = field(default_factory=list)  # definitions, shown in both files
    inactivity_days: int = 30
    drop_threshold: float = -0.30
    # the report's requests whose deadline counts weekends only (暂按周末计算)
    provisional_requests: int = 0
