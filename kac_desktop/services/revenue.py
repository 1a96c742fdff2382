"""Revenue, points, club levels, tier suggestions and targets: one customer's revenue and
its corrections, the points list, the managers' target completion and the confirmation of
suggested tiers.  Product lines and their factors are ``services.product_lines``; revenue
alerts are ``services.revenue_alerts``.

The year's points, revenue, maintenance target and suggested tier of every customer are
kept in ``tier_assessments``, recomputed for the customers and years an import or a
correction touches (``recompute_assessments``), so that lists and reports read one row a
customer instead of summing the months.

Points are computed in SQL with integers — amount in fen × factor in ten-thousandths,
summed per customer and month, then divided by 1,000,000 (rounding down: one point per
full yuan) — the formula of ``rules.points.points_from_fen``, exact on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import (
    BigInteger,
    Select,
    and_,
    case,
    cast,
    func,
    select,
)
from sqlalchemy.orm import Session, aliased

from kac_desktop.db import Database
from kac_desktop.i18n import _
from kac_desktop.models import (
    Customer,
    CustomerSearch,
    Revenue,
    TierAssessment,
    User,
    utcnow,
)
from kac_desktop.rules import points as rules
from kac_desktop.rules import vocab
from kac_desktop.rules.clock import business_today
from kac_desktop.rules.search_keys import normalise_query
from kac_desktop.rules.tiers import CLUB_THRESHOLDS, suggested_tier

from . import assessments, audit
from .changes import ChangeSet, Kind
from .context import Actor
from .customers import may_touch, scope_customers
from .errors import NotFound, PermissionDenied, ServiceError
from .product_lines import ProductLineRow, _line_rows, line_rules

FEN = 100
CENT = Decimal("0.01")

# ---------------------------------------------------------------- SQL helpers


def _cents(column=Revenue.amount):
    return cast(func.round(column * FEN), BigInteger)


def _fen_to_yuan(fen: int | None) -> Decimal:
    return (Decimal(int(fen or 0)) / FEN).quantize(CENT)


def _thresholds(session: Session) -> tuple[tuple[str, int], ...]:
    return CLUB_THRESHOLDS


# ---------------------------------------------------------------- assessments


def recompute_assessments(
    session: Session,
    years: Iterable[int],
    customer_ids: Iterable[str] | None = None,
    *,
    today: date | None = None,
) -> int:
    """Recompute the stored points, revenue, target and suggested tier of ``years`` for the
    customers named (None: all), inside the caller's transaction — in SQL, see
    ``services.assessments``.  Returns the number of rows written."""
    return assessments.recompute(session, years, customer_ids, today=today)


def affected_years(months: Iterable[int], today: date) -> set[int]:
    """A month's revenue sets its year's points and the next year's target."""
    years: set[int] = set()
    for month in months:
        years.add(month // 100)
        if month // 100 + 1 <= today.year:
            years.add(month // 100 + 1)
    return years


# ---------------------------------------------------------------- one customer


@dataclass(frozen=True)
class CustomerRevenue:
    customer_id: str
    name: str
    months: list[int]  # oldest first
    lines: list[ProductLineRow]
    amounts: dict[tuple[int, str], Decimal]  # (month, line) → amount
    month_totals: dict[int, Decimal]
    month_points: dict[int, int]
    year: int
    standing: rules.Standing
    year_revenue: Decimal
    target: Decimal
    completion: Decimal | None
    last_year_points: int
    suggested_tier: str
    confirmed_tier: str
    may_edit: bool


def _customer_checked(session: Session, actor: Actor, customer_id: str) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(_("This customer file no longer exists."))
    if not may_touch(actor, customer):
        raise PermissionDenied(_("You may not open the files of another manager's customers."))
    return customer


def customer_revenue(
    db: Database, actor: Actor, customer_id: str, *, today: date | None = None, months: int = 24
) -> CustomerRevenue:
    """A customer's revenue by month and line for ``months`` months up to the last month
    with revenue or the month before ``today`` (whichever is later), with this year's
    points, level, gap, target and completion."""
    today = today or business_today()
    with db.session() as session:
        customer = _customer_checked(session, actor, customer_id)
        lines = _line_rows(session)
        rules_by_code = line_rules(session)
        latest = session.scalar(
            select(func.max(Revenue.month)).where(Revenue.customer_id == customer_id)
        )
        end = max(latest or 0, rules.add_months(rules.month_of(today), -1))
        year = end // 100
        first = min(rules.add_months(end, -(months - 1)), (year - 1) * 100 + 1)
        amounts: dict[tuple[int, str], Decimal] = {}
        for month, line, amount in session.execute(
            select(Revenue.month, Revenue.product_line, Revenue.amount).where(
                Revenue.customer_id == customer_id, Revenue.month.between(first, end)
            )
        ):
            amounts[(month, line)] = Decimal(amount).quantize(CENT)
        known = {p.code for p in lines}
        for _month, line in amounts:
            if line not in known:  # a line removed from the settings still shows
                lines.append(ProductLineRow(line, line, Decimal(0), False, Decimal(0), 999))
                known.add(line)
        by_month: dict[int, dict[str, Decimal]] = defaultdict(dict)
        for (month, line), amount in amounts.items():
            by_month[month][line] = amount
        shown = rules.months_between(rules.add_months(end, -(months - 1)), end)
        totals = {m: sum(by_month.get(m, {}).values(), Decimal("0")) for m in shown}
        month_points = {m: rules.monthly_points(by_month.get(m, {}), rules_by_code) for m in shown}
        year_points = rules.points_by_year(by_month, rules_by_code)
        pts = year_points.get(year, 0)
        last_year_lines: dict[str, Decimal] = defaultdict(Decimal)
        year_revenue = Decimal("0")
        for (month, line), amount in amounts.items():
            if month // 100 == year - 1:
                last_year_lines[line] += amount
            elif month // 100 == year:
                year_revenue += amount
        target = rules.maintenance_target(last_year_lines, rules_by_code)
        return CustomerRevenue(
            customer_id=customer_id,
            name=customer.name,
            months=shown,
            lines=lines,
            amounts={k: v for k, v in amounts.items() if k[0] in set(shown)},
            month_totals=totals,
            month_points=month_points,
            year=year,
            standing=rules.standing(pts, _thresholds(session)),
            year_revenue=year_revenue,
            target=target,
            completion=rules.completion(year_revenue, target),
            last_year_points=year_points.get(year - 1, 0),
            suggested_tier=suggested_tier(pts, _thresholds(session)),
            confirmed_tier=customer.tier,
            may_edit=True,  # may_touch held above: the customer's manager, supervisor or admin
        )


def parse_amount_text(text: str) -> Decimal:
    """An amount typed in the file's month editor; raises ServiceError with the reason."""
    cleaned = (text or "").replace(",", "").replace("¥", "").replace("元", "").strip()
    if not cleaned:
        return Decimal("0.00")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ServiceError(
            _("“{value}” is not an amount of money. Write it like 1234.50.").format(value=text)
        ) from None
    if not amount.is_finite() or amount < 0:
        raise ServiceError(_("Revenue is not negative: {value}.").format(value=text))
    return amount.quantize(CENT, ROUND_HALF_UP)


def set_month(
    db: Database,
    actor: Actor,
    customer_id: str,
    month: int,
    amounts: Mapping[str, Decimal],
    *,
    today: date | None = None,
) -> ChangeSet:
    """Manual entry or correction of one customer's month: ``amounts`` (line → amount)
    replace that month's figures (a line left out or 0 is removed).  The customer's manager,
    a supervisor of the branch or an administrator; audited."""
    today = today or business_today()
    if not rules.is_month(month) or month > rules.month_of(today):
        raise ServiceError(
            _("The month {month} is not a past or current month.").format(month=month)
        )
    for amount in amounts.values():
        if Decimal(amount) < 0:
            raise ServiceError(_("Revenue is not negative: {value}.").format(value=amount))
    with db.session() as session, session.begin():
        customer = _customer_checked(session, actor, customer_id)
        known = {p.code for p in _line_rows(session)}
        unknown = [code for code in amounts if code not in known]
        if unknown:
            raise ServiceError(
                _("“{value}” is not a product line.").format(value="、".join(unknown))
            )
        wanted = {code: Decimal(a).quantize(CENT) for code, a in amounts.items() if Decimal(a) != 0}
        rows = {
            r.product_line: r
            for r in session.scalars(
                select(Revenue).where(Revenue.customer_id == customer_id, Revenue.month == month)
            )
        }
        changes: dict[str, list[str]] = {}
        for code, row in rows.items():
            if code not in wanted:
                changes[code] = [str(row.amount), "0"]
                session.delete(row)
            elif Decimal(row.amount).quantize(CENT) != wanted[code]:
                changes[code] = [str(row.amount), str(wanted[code])]
                row.amount = wanted[code]
                row.updated_by = actor.user_id
                row.updated_at = utcnow()
        for code, amount in wanted.items():
            if code not in rows:
                changes[code] = ["0", str(amount)]
                session.add(
                    Revenue(
                        customer_id=customer_id,
                        month=month,
                        product_line=code,
                        amount=amount,
                        updated_by=actor.user_id,
                    )
                )
        if not changes:
            return ChangeSet.of(Kind.REVENUE, (customer_id,))
        session.flush()
        recompute_assessments(session, affected_years([month], today), [customer_id], today=today)
        audit.record(
            session,
            actor,
            "revenue.edit",
            "customer",
            customer_id,
            _("Revenue of {name} for {month} corrected").format(
                name=customer.name, month=f"{month // 100}-{month % 100:02d}"
            ),
            {"month": month, "lines": changes},
        )
        return ChangeSet.of(Kind.REVENUE, (customer_id,))


# ---------------------------------------------------------------- the list


@dataclass(frozen=True)
class PointsQuery:
    year: int
    search: str = ""
    manager_id: str | None = None
    mismatch_only: bool = False  # 建议与确认不一致
    level: str | None = None
    sort: str = "points"
    descending: bool = True


@dataclass(frozen=True)
class PointsRow:
    customer_id: str
    name: str
    manager: str
    points: int
    level: str
    next_level: str | None
    gap: int | None
    suggested_tier: str
    confirmed_tier: str  # the customer's tier as a supervisor confirmed it
    confirmed_by: str
    confirmed_at: datetime | None
    revenue: Decimal
    target: Decimal
    completion: Decimal | None

    @property
    def mismatch(self) -> bool:
        return self.suggested_tier != self.confirmed_tier


_SORTS = ("name", "manager", "points", "suggested", "confirmed", "revenue", "target", "completion")


def _list_statement(actor: Actor, q: PointsQuery) -> Select:
    manager = aliased(User)
    ta = aliased(TierAssessment)
    join = and_(ta.customer_id == Customer.id, ta.year == q.year)
    suggested = func.coalesce(ta.suggested_tier, "ordinary")
    rank = {"diamond": 1, "platinum": 2, "gold": 3, "vip": 4, "ordinary": 5}
    completion = case(
        (func.coalesce(ta.target, 0) > 0, func.coalesce(ta.revenue, 0) / ta.target), else_=None
    )
    sort_columns: dict[str, Any] = {
        "name": Customer.name_sort,
        "manager": manager.display_name,
        "points": func.coalesce(ta.points, 0),
        "suggested": case(rank, value=suggested, else_=9),
        "confirmed": case(rank, value=Customer.tier, else_=9),
        "revenue": func.coalesce(ta.revenue, 0),
        "target": func.coalesce(ta.target, 0),
        "completion": completion,
    }
    stmt = (
        select(Customer.id)
        .outerjoin(ta, join)
        .join(manager, manager.id == Customer.manager_id)
        .where(Customer.archived.is_(False))
    )
    stmt = scope_customers(stmt, actor)
    if q.manager_id:
        stmt = stmt.where(Customer.manager_id == q.manager_id)
    if q.mismatch_only:
        stmt = stmt.where(suggested != Customer.tier)
    if q.level:
        stmt = stmt.where(suggested == q.level)
    needle = normalise_query(q.search)
    if needle:
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(
            Customer.id.in_(
                select(CustomerSearch.customer_id).where(
                    CustomerSearch.text.like(f"%{escaped}%", escape="\\")
                )
            )
        )
    key = sort_columns.get(q.sort, sort_columns["points"])
    order = key.desc() if q.descending else key.asc()
    return stmt.order_by(order, Customer.name_sort, Customer.id)


def query_ids(db: Database, actor: Actor, q: PointsQuery) -> list[str]:
    with db.session() as session:
        return list(session.scalars(_list_statement(actor, q)))


def fetch_rows(db: Database, actor: Actor, year: int, ids: Sequence[str]) -> list[PointsRow]:
    if not ids:
        return []
    with db.session() as session:
        thresholds = _thresholds(session)
        manager = aliased(User)
        confirmer = aliased(User)
        ta = aliased(TierAssessment)
        stmt = (
            select(
                Customer.id,
                Customer.name,
                manager.display_name,
                ta.points,
                ta.suggested_tier,
                Customer.tier,
                confirmer.display_name,
                Customer.tier_confirmed_at,
                ta.revenue,
                ta.target,
            )
            .outerjoin(ta, and_(ta.customer_id == Customer.id, ta.year == year))
            .join(manager, manager.id == Customer.manager_id)
            .outerjoin(confirmer, confirmer.id == Customer.tier_confirmed_by)
            .where(Customer.id.in_(list(ids)))
        )
        stmt = scope_customers(stmt, actor)
        by_id: dict[str, PointsRow] = {}
        for row in session.execute(stmt):
            values: tuple[Any, ...] = tuple(row)  # ten columns: beyond the typed row sizes
            cid, name, mname, stored_points, sugg, tier, cname, cat, rev, stored_target = values
            pts = int(stored_points or 0)
            standing = rules.standing(pts, thresholds)
            revenue = Decimal(rev or 0).quantize(CENT)
            target = Decimal(stored_target or 0).quantize(CENT)
            by_id[cid] = PointsRow(
                cid,
                name,
                mname,
                pts,
                standing.level,
                standing.next_level,
                standing.gap,
                sugg or suggested_tier(pts, thresholds),
                tier,
                cname or "",
                cat,
                revenue,
                target,
                rules.completion(revenue, target),
            )
    return [by_id[i] for i in ids if i in by_id]


def assessment_years(db: Database, actor: Actor) -> list[int]:
    """The years that have assessments, newest first."""
    with db.session() as session:
        return sorted(set(session.scalars(select(TierAssessment.year).distinct())), reverse=True)


@dataclass(frozen=True)
class ManagerCompletion:
    manager_id: str
    manager: str
    customers: int
    revenue: Decimal
    target: Decimal
    completion: Decimal | None
    points: int


def manager_completion(db: Database, actor: Actor, year: int) -> list[ManagerCompletion]:
    """完成率 per account manager for ``year``: the year's revenue of his customers against
    the sum of their maintenance targets."""
    with db.session() as session:
        stmt = (
            select(
                User.id,
                User.display_name,
                func.count(TierAssessment.id),
                func.sum(_cents(TierAssessment.revenue)),
                func.sum(_cents(TierAssessment.target)),
                func.sum(TierAssessment.points),
            )
            .select_from(TierAssessment)
            .join(Customer, Customer.id == TierAssessment.customer_id)
            .join(User, User.id == Customer.manager_id)
            .where(TierAssessment.year == year, Customer.archived.is_(False))
            .group_by(User.id, User.display_name)
        )
        stmt = scope_customers(stmt, actor)
        result = []
        for uid, name, count, fen, target_fen, pts in session.execute(stmt):
            revenue, target = _fen_to_yuan(fen), _fen_to_yuan(target_fen)
            result.append(
                ManagerCompletion(
                    uid, name, count, revenue, target, rules.completion(revenue, target), pts or 0
                )
            )
    result.sort(key=lambda m: m.manager)
    return result


# ---------------------------------------------------------------- tier confirmation


def confirm_tiers(
    db: Database,
    actor: Actor,
    year: int,
    items: Sequence[tuple[str, str | None]],
    *,
    today: date | None = None,
) -> ChangeSet:
    """A supervisor confirms (tier None: the suggestion) or overrides the tier of each
    customer in ``items`` for ``year``, singly or a reviewed batch; who and when are kept on
    the customer and the year's assessment.  All or nothing; audited per customer."""
    if not actor.is_supervisor:
        raise PermissionDenied(
            _("Only a supervisor confirms a customer's tier; ask your supervisor.")
        )
    for _cid, tier in items:
        if tier is not None and tier not in vocab.TIERS:
            raise ServiceError(_("“{value}” is not a tier.").format(value=tier))
    today = today or business_today()
    now = utcnow()
    changed: list[str] = []
    with db.session() as session, session.begin():
        thresholds = _thresholds(session)
        for customer_id, tier in items:
            customer = session.get(Customer, customer_id)
            if customer is None:
                raise NotFound(_("This customer file no longer exists."))
            if not may_touch(actor, customer):
                raise PermissionDenied(
                    _("A supervisor keeps the customers of his own branch only.")
                )
            assessment = session.scalar(
                select(TierAssessment).where(
                    TierAssessment.customer_id == customer_id, TierAssessment.year == year
                )
            )
            if assessment is None:
                assessment = TierAssessment(
                    customer_id=customer_id,
                    year=year,
                    points=0,
                    revenue=Decimal(0),
                    target=Decimal(0),
                    suggested_tier=suggested_tier(0, thresholds),
                )
                session.add(assessment)
            chosen = tier or assessment.suggested_tier
            before = customer.tier
            assessment.confirmed_tier = chosen
            assessment.confirmed_by = actor.user_id
            assessment.confirmed_at = now
            assessment.updated_by = actor.user_id
            customer.tier = chosen
            customer.tier_confirmed_by = actor.user_id
            customer.tier_confirmed_at = now
            customer.updated_by = actor.user_id
            customer.updated_at = now
            changed.append(customer_id)
            audit.record(
                session,
                actor,
                "customer.tier",
                "customer",
                customer_id,
                customer.name,
                {
                    "year": year,
                    "points": assessment.points,
                    "suggested": assessment.suggested_tier,
                    "tier": [before, chosen],
                },
            )
    # the tier is on the customer's file (its row, its visit class) and on the year's
    # assessment (the points list, the quota)
    return ChangeSet.of(Kind.TIER, changed) | ChangeSet.of(Kind.CUSTOMER, changed)


# ---------------------------------------------------------------- the rows an update needs
