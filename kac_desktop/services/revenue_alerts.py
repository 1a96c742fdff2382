"""Revenue alerts: customers whose revenue dropped against the months before, and
customers without business (no revenue and, where the visits feature says so, no contact)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    func,
    select,
)
from sqlalchemy.orm import aliased

from kac_desktop.db import Database
from kac_desktop.models import (
    Customer,
    Revenue,
    User,
)
from kac_desktop.rules import points as rules
from kac_desktop.rules.clock import business_today, local_midnight

from . import settings as settings_service
from .context import Actor
from .customers import scope_customers
from .revenue import CENT, _cents, _fen_to_yuan

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
    today = today or business_today()
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
    """异常 (docs/DOMAIN.md §3): customers whose revenue of ``month`` (default: the latest month
    with revenue) dropped past the threshold against the three months before, and customers
    without business for the set days — merged with the visits' inactivity list (no business
    and no contact) where that exists.  Drops first, largest first."""
    today = today or business_today()
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
        from . import visit_agenda

        inactive = visit_agenda.inactive_customers(
            db,
            actor,
            days=days,
            manager_id=manager_id,
            now=local_midnight(today),
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
