"""Revenue, points, club levels, tier suggestions, targets and alerts (DOMAIN.md §5, §3).

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
    ProductLine,
    Revenue,
    TierAssessment,
    User,
    utcnow,
)
from kac_desktop.rules import points as rules
from kac_desktop.rules import vocab
from kac_desktop.rules.search_keys import normalise_query
from kac_desktop.rules.tiers import CLUB_THRESHOLDS, suggested_tier

from . import assessments, audit
from . import settings as settings_service
from .changes import ChangeSet, Kind
from .context import Actor
from .customers import may_touch, scope_customers
from .errors import NotFound, PermissionDenied, ServiceError

FEN = 100
CENT = Decimal("0.01")

# ---------------------------------------------------------------- product lines


@dataclass(frozen=True)
class ProductLineRow:
    code: str
    name: str
    factor: Decimal
    earns_points: bool
    growth_rate: Decimal
    sort_order: int

    @property
    def label(self) -> str:
        return self.name or vocab.label(vocab.PRODUCT_LINES, self.code)


def _line_rows(session: Session) -> list[ProductLineRow]:
    return [
        ProductLineRow(
            p.code,
            p.name,
            Decimal(p.factor),
            bool(p.earns_points),
            Decimal(p.growth_rate),
            p.sort_order,
        )
        for p in session.scalars(select(ProductLine).order_by(ProductLine.sort_order))
    ]


def product_lines(db: Database) -> list[ProductLineRow]:
    """The product lines with their factor, earns-points and growth rate (everyone reads)."""
    with db.session() as session:
        return _line_rows(session)


def line_rules(session: Session) -> dict[str, rules.LineRule]:
    return {
        p.code: rules.LineRule(p.code, p.factor, p.earns_points, p.growth_rate)
        for p in _line_rows(session)
    }


def _decimal(value: object, label: str, low: Decimal, high: Decimal) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace("%", "")) if value is not None else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or not low <= number <= high:
        raise ServiceError(
            _("The {what} must be a number from {low} to {high}.").format(
                what=label, low=low, high=high
            )
        )
    return number.quantize(Decimal("0.0001"), ROUND_HALF_UP)


def update_product_line(
    db: Database,
    actor: Actor,
    code: str,
    *,
    factor: object,
    earns_points: bool,
    growth_rate: object,
    today: date | None = None,
) -> ChangeSet:
    """An administrator changes a line's factor, earns-points flag or growth rate; every
    stored year's points, suggestion and target follow.  Audited."""
    if not actor.is_admin:
        raise PermissionDenied(_("Only a city-center administrator may change business settings."))
    new_factor = _decimal(factor, _("points factor"), Decimal("0"), Decimal("99"))
    new_growth = _decimal(growth_rate, _("growth rate"), Decimal("-1"), Decimal("99"))
    with db.session() as session, session.begin():
        line = session.scalar(select(ProductLine).where(ProductLine.code == code))
        if line is None:
            raise NotFound(_("There is no product line {code}.").format(code=code))
        before = [str(line.factor), bool(line.earns_points), str(line.growth_rate)]
        after = [str(new_factor), bool(earns_points), str(new_growth)]
        if before == after:
            return ChangeSet.of(Kind.PRODUCT_LINE, (line.code,))
        line.factor, line.earns_points, line.growth_rate = new_factor, earns_points, new_growth
        line.updated_by = actor.user_id
        line.updated_at = utcnow()
        session.flush()
        audit.record(
            session,
            actor,
            "settings.product_line",
            "product_line",
            line.id,
            line.name,
            {"factor/earns_points/growth_rate": [before, after]},
        )
        years = set(session.scalars(select(TierAssessment.year).distinct()))
        recompute_assessments(session, years, None, today=today)
        # every customer's points, suggestion and target follow the line's rule
        return ChangeSet.of(Kind.PRODUCT_LINE, (line.code,)) | ChangeSet.whole(Kind.REVENUE)


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
    today = today or date.today()
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
    today = today or date.today()
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
        for cid, name, mname, pts, sugg, tier, cname, cat, rev, target in session.execute(stmt):
            pts = int(pts or 0)
            standing = rules.standing(pts, thresholds)
            revenue = Decimal(rev or 0).quantize(CENT)
            target = Decimal(target or 0).quantize(CENT)
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
    today = today or date.today()
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


# ---------------------------------------------------------------- alerts


@dataclass(frozen=True)
class AlertRow:
    customer_id: str
    name: str
    manager: str
    kind: str  # "drop", "no_business", "inactive" (no business and no contact)
    month: int | None  # the month that dropped, or the last month with revenue
    amount: Decimal | None
    average: Decimal | None  # of the three months before
    change: Decimal | None  # −0.42 = −42 %
    days: int | None  # days without business (or contact, for "inactive")
    last_visit: date | None = None


def latest_month(db: Database, actor: Actor, today: date | None = None) -> int | None:
    """The latest month with revenue up to ``today``'s."""
    today = today or date.today()
    with db.session() as session:
        return session.scalar(
            select(func.max(Revenue.month)).where(Revenue.month <= rules.month_of(today))
        )


def alerts(
    db: Database,
    actor: Actor,
    *,
    month: int | None = None,
    today: date | None = None,
    manager_id: str | None = None,
) -> list[AlertRow]:
    """异常 (DOMAIN.md §3): customers whose revenue of ``month`` (default: the latest month
    with revenue) dropped past the threshold against the three months before, and customers
    without business for the set days — merged with the visits' inactivity list (no business
    and no contact) where that exists.  Drops first, largest first."""
    today = today or date.today()
    if month is None:
        month = latest_month(db, actor, today)
    with db.session() as session:
        settings = settings_service.load(session)
        threshold = Decimal(str(settings.get("revenue.drop_threshold", -0.30)))
        days = int(settings.get("inactivity.days", 30) or 30)
        manager = aliased(User)
        scoped = scope_customers(
            select(Customer.id, Customer.name, manager.display_name)
            .join(manager, manager.id == Customer.manager_id)
            .where(Customer.archived.is_(False)),
            actor,
        )
        if manager_id:
            scoped = scoped.where(Customer.manager_id == manager_id)
        customers = {cid: (name, mname) for cid, name, mname in session.execute(scoped)}
        result: list[AlertRow] = []
        if month is not None:
            first = rules.add_months(month, -3)
            sums: dict[str, dict[int, int]] = defaultdict(dict)
            stmt = (
                select(Revenue.customer_id, Revenue.month, func.sum(_cents()))
                .where(Revenue.month.between(first, month))
                .group_by(Revenue.customer_id, Revenue.month)
            )
            for cid, m, fen in session.execute(stmt):
                if cid in customers:
                    sums[cid][m] = int(fen or 0)
            before = [rules.add_months(month, -k) for k in (3, 2, 1)]
            for cid, by_month in sums.items():
                amount = _fen_to_yuan(by_month.get(month, 0))
                previous = [_fen_to_yuan(by_month.get(m, 0)) for m in before]
                if rules.is_revenue_drop(amount, previous, threshold):
                    change = rules.revenue_change(amount, previous)
                    average = (sum(previous, Decimal(0)) / 3).quantize(CENT)
                    name, mname = customers[cid]
                    result.append(
                        AlertRow(cid, name, mname, "drop", month, amount, average, change, None)
                    )
        result.sort(key=lambda r: (r.change or 0, r.name))
        last = dict(
            session.execute(
                select(Revenue.customer_id, func.max(Revenue.month))
                .where(Revenue.amount > 0)
                .group_by(Revenue.customer_id)
            ).all()
        )
    quiet: list[AlertRow] = []
    for cid, last_month in last.items():
        if cid in customers and rules.is_without_business(last_month, today, days):
            name, mname = customers[cid]
            quiet.append(
                AlertRow(
                    cid,
                    name,
                    mname,
                    "no_business",
                    last_month,
                    None,
                    None,
                    None,
                    rules.days_without_business(last_month, today),
                )
            )
    quiet = _merge_inactivity(db, actor, quiet, customers, today, days, manager_id)
    quiet.sort(key=lambda r: (-(r.days if r.days is not None else 10**6), r.name))
    return result + quiet


def _merge_inactivity(
    db: Database,
    actor: Actor,
    quiet: list[AlertRow],
    customers: Mapping[str, tuple[str, str]],
    today: date,
    days: int,
    manager_id: str | None,
) -> list[AlertRow]:
    """The visits' inactivity list (no visit and no revenue), where the visits feature is
    installed: its customers show once, as "no business and no contact"."""
    try:
        from . import visits as visits_service

        inactive = visits_service.inactive_customers(
            db,
            actor,
            days=days,
            manager_id=manager_id,
            now=datetime.combine(today, datetime.min.time()).astimezone(),
        )
    except (ImportError, AttributeError, TypeError):
        return quiet
    by_id = {r.customer_id: r for r in quiet}
    for row in inactive:
        if row.customer_id not in customers:
            continue
        by_id[row.customer_id] = AlertRow(
            row.customer_id,
            row.name,
            row.manager,
            "inactive",
            row.last_revenue_month,
            None,
            None,
            None,
            row.days,
            row.last_visit,
        )
    return list(by_id.values())


# ---------------------------------------------------------------- the rows an update needs
