"""The monthly report to the city center (大客户用邮月报表, docs/DOMAIN.md §6), computed once.

``build_report`` reads the month's figures with a handful of grouped queries (never one
query per customer) into a ``reports.model.MonthlyReport``; ``make_files`` writes that one
object as the workbook and the PDF and leaves the audit record "report.make".  The rules
(visit class and quota, warning states, club levels, …) come from ``rules/``; this module
only gathers the data they need.

Scope: an account manager's report covers his own customers, a supervisor's his branch, the
city center's every branch (with a per-branch summary) or one branch it names.

Definitions (the business names these figures but does not define them all; shown as a note
in both files):

* **Customers in the report**: every customer registered (登记日期) by the month's end and not
  archived before it ended (as the visit quota counts them).  *Key customers* are those of
  kind 大客户.
* **Cut-off**: the figures are as at the end of the month, or as at the moment the report
  is made while the month is still running.  A request resolved after the cut-off counts as
  unresolved; a closed month's report does not change afterwards.
* **New key customers** (新增): key customers registered (登记日期) in the month.
* **Lost key customers** (流失): key customers with revenue in the fourth month back and
  none in the three months up to and including this one (no revenue for 3 months, counted
  in the month it becomes true, so a customer is counted lost once).
* **Key-customer share**: key customers' revenue ÷ the revenue of every customer in the
  report.  **Month-on-month / year-on-year growth**: of key customers' revenue against the
  previous month / the same month last year; "—" when that was zero.
* **巩固率 (retention rate)** = key customers with revenue this month among those that had
  revenue in the same month last year ÷ key customers that had revenue in the same month
  last year.
* **开发率 (development rate)** = key-customer files created this month ÷ key customers
  at the start of the month.
* **File completeness**: the average completeness of the key customers' files.
* **Visit-quota compliance**: customers that met their quota ÷ customers due (rules.quota).
* **On-time rate** (服务响应及时率): of the requests received in the month, those resolved
  by their deadline ÷ those resolved or overdue at the cut-off (requests still open within
  their time are not judged yet).  **Complaint rate**: complaints ÷ requests received.
  **Satisfaction**: the average of the call-back scores (1–5) of those requests.
* **Customer growth** (row): year to date against the same months last year.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, overload

from sqlalchemy import BigInteger, case, cast, func, or_, select
from sqlalchemy.orm import Session, aliased

from kac_desktop.db import Database
from kac_desktop.i18n import _
from kac_desktop.models import (
    Branch,
    Customer,
    ProductLine,
    Revenue,
    ServiceRequest,
    User,
    Visit,
    utcnow,
)
from kac_desktop.progress import NullProgress, Progress, check
from kac_desktop.reports.model import (
    BehindQuota,
    BranchSummary,
    CustomerUsage,
    DropAlert,
    InactiveAlert,
    ManagerVisits,
    MonthlyReport,
    OverdueRequest,
    RequestTypeRow,
    Section,
    Summary,
    TierCount,
)
from kac_desktop.rules import quota as quota_rules
from kac_desktop.rules import service_states as states
from kac_desktop.rules import vocab
from kac_desktop.rules.points import (
    FACTOR_SCALE,
    LineRule,
    factor_units,
    is_revenue_drop,
    monthly_points,
    revenue_change,
)
from kac_desktop.rules.quota import Month, QuotaSettings, QuotaStatus
from kac_desktop.rules.tiers import club_level

from . import audit
from . import settings as settings_service
from .context import Actor
from .errors import NotFound, PermissionDenied, ServiceError
from .visit_quota import class_changes

KEY = "key"
# points_from_fen: Σ(fen × factor units) // (100 × FACTOR_SCALE), done in SQL per month
POINT_DIVISOR = 100 * FACTOR_SCALE
CENT = Decimal("0.01")


def parse_month(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise ServiceError(
            _("The month {month} is not valid; write it as YYYY-MM, e.g. 2026-03.").format(
                month=text
            )
        ) from exc


def definitions() -> list[str]:
    """The definitions printed under the summary of both files."""
    return [
        _(
            "Retention rate (巩固率) = key customers with revenue this month among those with "
            "revenue in the same month last year ÷ key customers with revenue in the same month "
            "last year."
        ),
        _(
            "Development rate (开发率) = key-customer files created this month ÷ key customers "
            "at the start of the month."
        ),
        _(
            "Lost = key customers with revenue in the fourth month back and none in the last "
            "three months. On-time rate = requests of the month resolved by their deadline ÷ "
            "those resolved or overdue at the cut-off."
        ),
        _(
            "Figures are as at the end of the month (or when the report was made, for the "
            "current month). A dash (—) means the figure has no base to be computed from."
        ),
    ]


# ------------------------------------------------------------------ small arithmetic


ZERO = Decimal("0.00")


def _yuan(cents: int | None) -> Decimal:
    return Decimal(cents).scaleb(-2) if cents else ZERO


def _ratio(part: float | int | Decimal, whole: float | int | Decimal) -> float | None:
    return None if not whole else float(part) / float(whole)


def _growth(now: Decimal, before: Decimal) -> float | None:
    return None if before <= 0 else float((now - before) / before)


def _month_int(month: Month) -> int:
    return month.year * 100 + month.month


def _back(month: Month, n: int) -> Month:
    for _i in range(n):
        month = month.previous()
    return month


# ------------------------------------------------------------------ scope


@dataclass(frozen=True)
class _Scope:
    kind: str  # manager, branch, city
    branch_id: str | None
    manager_id: str | None
    title: str
    manager: str


def _scope(session: Session, actor: Actor, branch_id: str | None) -> _Scope:
    if actor.role == "manager":
        if branch_id and branch_id != actor.branch_id:
            raise PermissionDenied(_("You may make the report of your own customers only."))
        return _Scope(
            "manager", actor.branch_id, actor.user_id, actor.branch_name, actor.display_name
        )
    if actor.role == "supervisor":
        if branch_id and branch_id != actor.branch_id:
            raise PermissionDenied(_("You may make the report of your own branch only."))
        return _Scope("branch", actor.branch_id, None, actor.branch_name, "")
    if branch_id:
        name = session.scalar(select(Branch.name).where(Branch.id == branch_id))
        if name is None:
            raise NotFound(_("This branch no longer exists."))
        return _Scope("branch", branch_id, None, name, "")
    title = actor.branch_name or session.scalar(
        select(Branch.name).where(Branch.level == "city").order_by(Branch.name).limit(1)
    )
    return _Scope("city", None, None, title or _("City center"), "")


def _customer_filter(scope: _Scope, month: Month, end: datetime) -> list:
    # a customer counts from the day it came on file (登记日期), not from when its row was
    # made: a branch that imports its files today still reports the months before
    conditions = [
        Customer.registered_on <= month.last_day,
        or_(Customer.archived.is_(False), Customer.archived_at >= end),
    ]
    if scope.manager_id:
        conditions.append(Customer.manager_id == scope.manager_id)
    elif scope.branch_id:
        conditions.append(Customer.branch_id == scope.branch_id)
    return conditions


@dataclass
class _Cust:
    id: str
    name: str
    name_sort: str
    kind: str
    tier: str
    override: int | None
    manager_id: str
    manager: str
    branch_id: str
    branch: str
    completeness: int
    new: bool  # the customer was registered in the month
    registered: date  # 登记日期: on file since this day


# ------------------------------------------------------------------ the report


def build_report(
    db: Database,
    actor: Actor,
    month: Month | str,
    branch_id: str | None = None,
    progress: Progress = NullProgress(),
    *,
    now: datetime | None = None,
) -> MonthlyReport:
    """The month's report as far as ``actor`` may see (see the module's docstring)."""
    if isinstance(month, str):
        month = parse_month(month)
    now = now or utcnow()
    start, end = quota_rules.month_bounds(month)
    if start > now:
        raise ServiceError(
            _("The month {month} has not begun; choose this month or an earlier one.").format(
                month=str(month)
            )
        )
    as_of = min(now, end)
    # the day after a closed month: its quotas are final (rules.quota: behind, 0 days left)
    today = quota_rules.local_date(as_of)
    m_int = _month_int(month)
    with db.session() as session:
        check(progress, 0.02, _("Reading customers…"))
        scope = _scope(session, actor, branch_id)
        values = settings_service.load(session)
        quota_settings = QuotaSettings.from_settings(values)
        thresholds = states.Thresholds.from_settings(values)
        inactivity_days = int(values.get("inactivity.days", 30) or 30)
        drop_threshold = float(values.get("revenue.drop_threshold", -0.30))
        conditions = _customer_filter(scope, month, end)
        scoped_ids = select(Customer.id).where(*conditions)
        manager = aliased(User)
        customers: dict[str, _Cust] = {}
        for row in session.execute(
            select(
                Customer.id,
                Customer.name,
                Customer.name_sort,
                Customer.kind,
                Customer.tier,
                Customer.visit_class_override,
                Customer.manager_id,
                manager.display_name,
                Customer.branch_id,
                Branch.name,
                Customer.completeness,
                Customer.registered_on >= month.first_day,
                Customer.registered_on,
            )
            .join(manager, manager.id == Customer.manager_id)
            .join(Branch, Branch.id == Customer.branch_id)
            .where(*conditions)
        ):
            columns: tuple[Any, ...] = tuple(row)  # thirteen: beyond the typed rows
            customers[row[0]] = _Cust(*columns)

        line_rules = {
            code: LineRule(code, factor, earns, growth)
            for code, factor, earns, growth in session.execute(
                select(
                    ProductLine.code,
                    ProductLine.factor,
                    ProductLine.earns_points,
                    ProductLine.growth_rate,
                ).order_by(ProductLine.sort_order, ProductLine.code)
            )
        }
        line_codes = list(line_rules)

        check(progress, 0.15, _("Reading revenue…"))
        fen = cast(func.round(Revenue.amount * 100), BigInteger)
        units = case(
            {code: factor_units(rule) for code, rule in line_rules.items()},
            value=Revenue.product_line,
            else_=0,
        )
        in_scope = Revenue.customer_id.in_(scoped_ids)
        this_month: dict[str, dict[str, int]] = defaultdict(dict)
        for cid, line, c in session.execute(
            select(Revenue.customer_id, Revenue.product_line, func.sum(fen))
            .where(Revenue.month == m_int, in_scope)
            .group_by(Revenue.customer_id, Revenue.product_line)
        ):
            this_month[cid][line] = c or 0
        earlier = [_month_int(_back(month, n)) for n in (1, 2, 3)]
        same_last_year = m_int - 100
        # the months around this one, per customer (the covering index answers these)
        by_month: dict[str, dict[int, int]] = defaultdict(dict)
        for cid, mon, c in session.execute(
            select(Revenue.customer_id, Revenue.month, func.sum(fen))
            .where(Revenue.month.in_([*earlier, same_last_year]), in_scope)
            .group_by(Revenue.customer_id, Revenue.month)
        ):
            by_month[cid][mon] = c or 0
        # the year to date: revenue, and points as the revenue service computes them — per
        # month Σ fen × factor units, to points by rules.points.points_from_fen, summed
        per_month = (
            select(
                Revenue.customer_id.label("cid"),
                func.sum(fen).label("fen"),
                func.sum(fen * units).label("weighted"),
            )
            .where(Revenue.month >= month.year * 100 + 1, Revenue.month <= m_int, in_scope)
            .group_by(Revenue.customer_id, Revenue.month)
            .subquery()
        )
        points_sql = func.sum(
            case((per_month.c.weighted > 0, per_month.c.weighted / POINT_DIVISOR), else_=0)
        )
        year: dict[str, tuple[int, int]] = {
            cid: (ytd or 0, int(points or 0))
            for cid, ytd, points in session.execute(
                select(per_month.c.cid, func.sum(per_month.c.fen), points_sql).group_by(
                    per_month.c.cid
                )
            )
        }
        last_year = dict(
            session.execute(
                select(Revenue.customer_id, func.sum(fen))
                .where(
                    Revenue.month >= (month.year - 1) * 100 + 1,
                    Revenue.month <= m_int - 100,
                    in_scope,
                )
                .group_by(Revenue.customer_id)
            ).all()
        )
        # the last month with revenue (for inactivity): known from the months just read
        # for most customers; asked of the database only for those without any since M-3
        last_revenue_month: dict[str, int] = {}
        for cid in customers:
            if any(v > 0 for v in this_month.get(cid, {}).values()):
                last_revenue_month[cid] = m_int
            else:
                recent = [m for m in earlier if by_month.get(cid, {}).get(m, 0) > 0]
                if recent:
                    last_revenue_month[cid] = max(recent)
        quiet = [cid for cid in customers if cid not in last_revenue_month]
        for chunk in range(0, len(quiet), 500):
            last_revenue_month.update(
                session.execute(
                    select(Revenue.customer_id, func.max(Revenue.month))
                    .where(
                        Revenue.customer_id.in_(quiet[chunk : chunk + 500]),
                        Revenue.amount > 0,
                        Revenue.month < earlier[2],
                    )
                    .group_by(Revenue.customer_id)
                ).all()
            )

        check(progress, 0.35, _("Reading visits…"))
        visit_scope = Visit.customer_id.in_(scoped_ids)
        done = dict(
            session.execute(
                select(Visit.customer_id, func.count())
                .where(
                    Visit.visited_at >= start,
                    Visit.visited_at < end,
                    Visit.mode.in_(quota_settings.counting_modes),
                    visit_scope,
                )
                .group_by(Visit.customer_id)
            ).all()
        )
        last_visit = dict(
            session.execute(
                select(Visit.customer_id, func.max(Visit.visited_at))
                .where(Visit.visited_at < as_of, visit_scope)
                .group_by(Visit.customer_id)
            ).all()
        )
        changes = class_changes(session, scoped_ids, end) if end <= now else {}

        check(progress, 0.5, _("Reading service requests…"))
        request_rows = session.execute(
            select(
                ServiceRequest.customer_id,
                ServiceRequest.type,
                ServiceRequest.received_at,
                ServiceRequest.deadline_at,
                ServiceRequest.first_response_due_at,
                ServiceRequest.first_response_at,
                ServiceRequest.resolved_at,
                ServiceRequest.satisfaction,
                manager.display_name,
                ServiceRequest.deadline_provisional,
            )
            .join(manager, manager.id == ServiceRequest.manager_id)
            .where(
                ServiceRequest.customer_id.in_(scoped_ids),
                ServiceRequest.received_at < as_of,
                or_(
                    ServiceRequest.received_at >= start,
                    # older requests matter only while unresolved at the cut-off
                    or_(ServiceRequest.resolved_at.is_(None), ServiceRequest.resolved_at >= as_of),
                ),
            )
        ).all()

    check(progress, 0.6, _("Computing the figures…"))
    return _assemble(
        month=month,
        scope=scope,
        actor=actor,
        now=now,
        as_of=as_of,
        today=today,
        start=start,
        customers=customers,
        line_codes=line_codes,
        line_rules=line_rules,
        this_month=this_month,
        year=year,
        last_year=last_year,
        by_month=by_month,
        earlier=earlier,
        same_last_year=same_last_year,
        last_revenue_month=last_revenue_month,
        done=done,
        last_visit=last_visit,
        changes=changes,
        request_rows=request_rows,
        quota_settings=quota_settings,
        thresholds=thresholds,
        inactivity_days=inactivity_days,
        drop_threshold=drop_threshold,
    )


@overload
def _aware(moment: datetime) -> datetime: ...
@overload
def _aware(moment: None) -> None: ...
def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _assemble(**k) -> MonthlyReport:  # noqa: C901 - one pass over the gathered data
    month: Month = k["month"]
    scope: _Scope = k["scope"]
    customers: dict[str, _Cust] = k["customers"]
    line_codes: list[str] = k["line_codes"]
    line_rules = k["line_rules"]
    this_month = k["this_month"]
    year = k["year"]
    last_year = k["last_year"]
    by_month = k["by_month"]
    earlier: list[int] = k["earlier"]
    same_last_year: int = k["same_last_year"]
    quota_settings: QuotaSettings = k["quota_settings"]
    as_of: datetime = k["as_of"]
    today: date = k["today"]
    start: datetime = k["start"]

    # -------- per customer: revenue, points, quota
    rows: list[CustomerUsage] = []
    statuses: dict[str, QuotaStatus] = {}
    status_cache: dict[tuple[int, int], QuotaStatus] = {}
    behind: list[tuple[str, BehindQuota]] = []
    per_branch: dict[str, Counter[str]] = defaultdict(Counter)
    branch_names: dict[str, str] = {}
    tier_counts: dict[str, list] = {code: [0, 0] for code in vocab.TIERS}
    inactive: list[InactiveAlert] = []
    drops: list[DropAlert] = []
    totals: Counter[str] = Counter()
    completeness_sum = 0
    retained = retention_base = new_key = lost_key = key_at_start = 0
    points_month_total = 0
    for c in sorted(customers.values(), key=lambda c: (c.branch, c.manager, c.name_sort, c.id)):
        month_lines = this_month.get(c.id, {})
        month_cents = sum(month_lines.values())
        got = by_month.get(c.id, {})
        ytd_cents, points_y = year.get(c.id, (0, 0))
        ly_cents = last_year.get(c.id) or 0
        points_m = monthly_points(
            {line: Decimal(fen).scaleb(-2) for line, fen in month_lines.items()}, line_rules
        )
        rows.append(
            CustomerUsage(
                c.id,
                c.name,
                c.kind,
                c.tier,
                c.manager,
                c.branch,
                tuple(_yuan(month_lines.get(code, 0)) for code in line_codes),
                _yuan(month_cents),
                _yuan(ytd_cents),
                _yuan(ly_cents),
                _growth(_yuan(ytd_cents), _yuan(ly_cents)),
                points_m,
                points_y,
                club_level(points_y),
            )
        )
        points_month_total += points_m
        b = per_branch[c.branch_id]
        branch_names[c.branch_id] = c.branch
        b["customers"] += 1
        b["revenue_total"] += month_cents
        totals["revenue_total"] += month_cents
        is_key = c.kind == KEY
        if is_key:
            created_in_month = bool(c.new)
            b["key"] += 1
            b["revenue_key"] += month_cents
            b["completeness"] += c.completeness
            tier_counts.setdefault(c.tier, [0, 0])
            tier_counts[c.tier][0] += 1
            tier_counts[c.tier][1] += month_cents
            totals["key"] += 1
            totals["revenue_key"] += month_cents
            totals["previous"] += got.get(earlier[0], 0)
            totals["last_year"] += got.get(same_last_year, 0)
            completeness_sum += c.completeness
            if created_in_month:
                new_key += 1
                b["new"] += 1
            else:
                key_at_start += 1
            if got.get(same_last_year, 0) > 0:
                retention_base += 1
                retained += month_cents > 0
            if (
                got.get(earlier[2], 0) > 0
                and month_cents <= 0
                and got.get(earlier[0], 0) <= 0
                and got.get(earlier[1], 0) <= 0
            ):
                lost_key += 1
                b["lost"] += 1

        # visit quota (rules.quota: the class in force at the end of the month)
        later = k["changes"].get(c.id)
        cls = (
            quota_rules.class_for_month(c.tier, c.override, later, month, quota_settings)
            if later
            else quota_settings.class_of(c.tier, c.override)
        )
        required = quota_settings.required(cls)
        if required > 0:
            key_ = (required, k["done"].get(c.id, 0))
            status = status_cache.get(key_)
            if status is None:
                status = status_cache[key_] = quota_rules.quota_status(*key_, month, today)
            statuses[c.id] = status
            if status.state == quota_rules.BEHIND:
                behind.append(
                    (
                        c.manager,
                        BehindQuota(
                            c.name, c.manager, cls, required, status.done, status.days_left
                        ),
                    )
                )

        # alerts: inactivity (rules.quota) and revenue drops against the 3 months before
        seen = _aware(k["last_visit"].get(c.id))
        last_month = k["last_revenue_month"].get(c.id)
        last = quota_rules.last_contact_day(
            quota_rules.local_date(seen) if seen else None,
            last_month,
            c.registered if seen is None and not last_month else None,
        )
        if quota_rules.is_inactive(last, today, k["inactivity_days"]):
            inactive.append(
                InactiveAlert(c.name, c.tier, c.manager, last, quota_rules.days_since(last, today))
            )
        before = [_yuan(got.get(m, 0)) for m in earlier]
        if any(before) and is_revenue_drop(_yuan(month_cents), before, k["drop_threshold"]):
            change = revenue_change(_yuan(month_cents), before)
            drops.append(
                DropAlert(
                    c.name,
                    c.tier,
                    c.manager,
                    (sum(before, Decimal(0)) / len(before)).quantize(CENT),
                    _yuan(month_cents),
                    float(change or 0),
                )
            )

    # -------- visits per manager
    per_manager: dict[tuple[str, str], list[QuotaStatus]] = defaultdict(list)
    per_branch_status: dict[str, list[QuotaStatus]] = defaultdict(list)
    for cid, status in statuses.items():
        c = customers[cid]
        per_manager[(c.branch, c.manager)].append(status)
        per_branch_status[c.branch_id].append(status)
    visits = []
    for (branch, manager_name), sts in sorted(per_manager.items()):
        comp = quota_rules.compliance(sts)
        visits.append(
            ManagerVisits(
                manager_name,
                branch,
                comp.due,
                comp.required,
                comp.done,
                comp.met,
                comp.behind,
                comp.rate,
            )
        )
    total_compliance = quota_rules.compliance(statuses.values())
    behind.sort(key=lambda item: (item[0], -(item[1].required - item[1].done), item[1].customer))

    # -------- service requests
    by_type: dict[str, dict[str, int]] = {code: defaultdict(int) for code in vocab.REQUEST_TYPES}
    satisfaction: dict[str, list[int]] = defaultdict(list)
    overdue: list[OverdueRequest] = []
    per_branch_requests: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    received = complaints = provisional_count = 0
    for cid, rtype, received_at, deadline, fr_due, fr_at, resolved, score, mname, provisional in k[
        "request_rows"
    ]:
        received_at, deadline = _aware(received_at), _aware(deadline)
        fr_due, fr_at, resolved = _aware(fr_due), _aware(fr_at), _aware(resolved)
        if resolved is not None and resolved >= as_of:
            resolved = None
        if fr_at is not None and fr_at >= as_of:
            fr_at = None
        state = states.request_state(
            received_at,
            deadline,
            as_of,
            resolved_at=resolved,
            first_response_due_at=fr_due,
            first_response_at=fr_at,
            thresholds=k["thresholds"],
        )
        requester = customers.get(cid)
        if state == states.OVERDUE and requester is not None:
            due = states.next_due(deadline, fr_due, fr_at).at
            overdue.append(
                OverdueRequest(
                    requester.name,
                    rtype,
                    mname,
                    received_at,
                    deadline,
                    (as_of - due).total_seconds() / 3600,
                    bool(provisional),
                )
            )
        provisional_count += bool(provisional)  # the month's, and older ones still open
        if received_at < start:
            continue
        received += 1
        complaints += rtype == "complaint"
        counts = by_type.setdefault(rtype, defaultdict(int))
        counts["received"] += 1
        if state == states.DONE_ON_TIME:
            counts["on_time"] += 1
        elif state == states.DONE_LATE:
            counts["late"] += 1
        elif state == states.OVERDUE:
            counts["overdue"] += 1
        else:
            counts["open"] += 1
        if score is not None:
            satisfaction[rtype].append(score)
        if requester is not None:
            pb = per_branch_requests[requester.branch_id]
            pb[0] += state == states.DONE_ON_TIME
            pb[1] += state in (states.DONE_ON_TIME, states.DONE_LATE, states.OVERDUE)
            pb[2] += rtype == "complaint"
    overdue.sort(key=lambda r: -r.hours_overdue)
    request_rows_out = []
    for code, counts in by_type.items():
        if not counts.get("received"):
            continue
        judged = counts["on_time"] + counts["late"] + counts["overdue"]
        scores = satisfaction.get(code, [])
        request_rows_out.append(
            RequestTypeRow(
                code,
                counts["received"],
                counts["on_time"],
                counts["late"],
                counts["open"],
                counts["overdue"],
                _ratio(counts["on_time"], judged),
                sum(scores) / len(scores) if scores else None,
            )
        )
    on_time = sum(r.on_time for r in request_rows_out)
    judged = sum(r.on_time + r.late + r.overdue for r in request_rows_out)
    all_scores = [s for scores in satisfaction.values() for s in scores]

    revenue_key = _yuan(totals["revenue_key"])
    previous = _yuan(totals["previous"])
    last_year_month = _yuan(totals["last_year"])
    summary = Summary(
        customers=len(customers),
        key_customers=totals["key"],
        by_tier=tuple(TierCount(tier, n, _yuan(c)) for tier, (n, c) in tier_counts.items()),
        new_key_customers=new_key,
        lost_key_customers=lost_key,
        revenue_total=_yuan(totals["revenue_total"]),
        revenue_key=revenue_key,
        key_share=_ratio(totals["revenue_key"], totals["revenue_total"]),
        revenue_key_previous_month=previous,
        revenue_key_same_month_last_year=last_year_month,
        growth_month_on_month=_growth(revenue_key, previous),
        growth_year_on_year=_growth(revenue_key, last_year_month),
        retention_rate=_ratio(retained, retention_base),
        retention_base=retention_base,
        retained=retained,
        development_rate=_ratio(new_key, key_at_start),
        development_base=key_at_start,
        completeness=_ratio(completeness_sum / 100, totals["key"]),
        quota_due=total_compliance.due,
        quota_met=total_compliance.met,
        quota_rate=total_compliance.rate,
        requests=received,
        requests_on_time=on_time,
        requests_judged=judged,
        on_time_rate=_ratio(on_time, judged),
        complaints=complaints,
        complaint_rate=_ratio(complaints, received),
        satisfaction=sum(all_scores) / len(all_scores) if all_scores else None,
        satisfaction_count=len(all_scores),
        points_month=points_month_total,
        visits_done=sum(k["done"].values()),
    )

    branches: list[BranchSummary] = []
    if scope.kind == "city":
        for bid, b in sorted(per_branch.items(), key=lambda item: branch_names[item[0]]):
            pb = per_branch_requests.get(bid, [0, 0, 0])
            comp = quota_rules.compliance(per_branch_status.get(bid, []))
            branches.append(
                BranchSummary(
                    branch_names[bid],
                    b["customers"],
                    b["key"],
                    b["new"],
                    b["lost"],
                    _yuan(b["revenue_total"]),
                    _yuan(b["revenue_key"]),
                    _ratio(b["completeness"] / 100, b["key"]),
                    comp.rate,
                    _ratio(pb[0], pb[1]),
                    pb[2],
                )
            )

    inactive.sort(key=lambda a: (-(a.days if a.days is not None else 10**6), a.customer))
    drops.sort(key=lambda d: (d.change, d.customer))
    from kac_desktop.rules.vocab import PRODUCT_LINES

    return MonthlyReport(
        month=str(month),
        scope=scope.kind,
        title_branch=scope.title,
        manager=scope.manager,
        made_at=k["now"],
        made_by=k["actor"].display_name,
        as_of=as_of,
        product_lines=tuple((code, vocab.label(PRODUCT_LINES, code)) for code in line_codes),
        summary=summary,
        customers=rows,
        visits=visits,
        behind=[b for _m, b in behind],
        requests=request_rows_out,
        overdue=overdue,
        inactive=inactive,
        drops=drops,
        branches=branches,
        present=Section(
            has_revenue=bool(this_month),
            has_visits=bool(k["done"]),
            has_requests=received > 0 or bool(overdue),
        ),
        notes=definitions() + (provisional_note(provisional_count) if provisional_count else []),
        inactivity_days=k["inactivity_days"],
        drop_threshold=k["drop_threshold"],
        provisional_requests=provisional_count,
    )


def provisional_note(count: int) -> list[str]:
    return [
        _(
            "Provisional deadlines (暂按周末计算): {count} requests in this report have a "
            "deadline in a year whose holiday schedule had not been entered, so it counts "
            "weekends only; an open request's deadline is recomputed when the schedule is "
            "entered."
        ).format(count=count)
    ]


# ------------------------------------------------------------------ the files


@dataclass(frozen=True)
class MadeFiles:
    report: MonthlyReport
    xlsx: str | None
    pdf: str | None


def make_files(
    db: Database,
    actor: Actor,
    month: Month | str,
    *,
    branch_id: str | None = None,
    xlsx: str | os.PathLike[str] | None = None,
    pdf: str | os.PathLike[str] | None = None,
    progress: Progress = NullProgress(),
    now: datetime | None = None,
    report: MonthlyReport | None = None,
) -> MadeFiles:
    """Build the report (unless given) and write the workbook and/or the PDF; audited as
    "report.make".  Raises ServiceError with a message for the user when a file cannot be
    written, progress.Cancelled when cancelled (no audit record then)."""
    from kac_desktop.reports import ReportWriteError, write_pdf, write_xlsx

    scaled = _Scaled(progress, 0.0, 0.4)
    if report is None:
        report = build_report(db, actor, month, branch_id, scaled, now=now)
    made: list[Path] = []  # the files this run wrote, taken back if the other one fails
    try:
        if xlsx is not None:
            check(progress, 0.4, _("Writing the workbook…"))
            write_xlsx(report, xlsx, _Scaled(progress, 0.4, 0.6))
            made.append(Path(xlsx))
        if pdf is not None:
            check(progress, 0.6, _("Writing the PDF…"))
            write_pdf(report, pdf, _Scaled(progress, 0.6, 0.98))
            made.append(Path(pdf))
        check(progress, 0.98)
    except BaseException as exc:
        # the workbook and the PDF are one report: a cancel or a failure leaves neither
        for path in made:
            path.unlink(missing_ok=True)
        if isinstance(exc, ReportWriteError):
            raise ServiceError(exc.message) from exc
        raise
    with db.session() as session, session.begin():
        files = [os.path.basename(str(p)) for p in (xlsx, pdf) if p is not None]
        audit.record(
            session,
            actor,
            "report.make",
            "report",
            None,
            _("Monthly report {month} of {branch}: {files}").format(
                month=report.month, branch=report.title_branch, files="、".join(files)
            ),
            {
                "month": report.month,
                "scope": report.scope,
                "branch": report.title_branch,
                "files": files,
                "customers": report.summary.customers,
                "revenue_total": str(report.summary.revenue_total),
            },
        )
    progress.report(1.0)
    return MadeFiles(report, str(xlsx) if xlsx else None, str(pdf) if pdf else None)


class _Scaled:
    """A sub-range of a progress handle, for one step of a longer job."""

    def __init__(self, progress: Progress, low: float, high: float) -> None:
        self._p, self._low, self._high = progress, low, high

    def report(self, fraction: float, message: str = "") -> None:
        self._p.report(self._low + (self._high - self._low) * fraction, message)

    def cancelled(self) -> bool:
        return self._p.cancelled()


def branch_choices(db: Database, actor: Actor) -> list[tuple[str, str]]:
    """(id, name) of the sub-branches an administrator may make a report of."""
    if not actor.is_admin:
        return [(actor.branch_id, actor.branch_name)] if actor.branch_id else []
    with db.session() as session:
        return list(
            session.execute(
                select(Branch.id, Branch.name).where(Branch.level != "city").order_by(Branch.name)
            ).all()
        )


def record_print(db: Database, actor: Actor, report: MonthlyReport) -> None:
    """A printed report leaves an audit record too (docs/DOMAIN.md §7)."""
    with db.session() as session, session.begin():
        audit.record(
            session,
            actor,
            "report.print",
            "report",
            None,
            _("Monthly report {month} of {branch} printed").format(
                month=report.month, branch=report.title_branch
            ),
            {"month": report.month, "scope": report.scope, "branch": report.title_branch},
        )
