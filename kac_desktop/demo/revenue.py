"""Two years of monthly revenue for the demonstration customers (or the months and the
total a benchmark asks for), and their assessments.

Decisions:

* Each customer's yearly points are drawn to fit its tier (a diamond customer earns 1.5–3
  million points a year, an ordinary one a few thousand), so the club levels and the tier
  suggestions look like a branch's; about one customer in eight has drifted a level up or
  down (the supervisor's review list), a few dropped sharply in the last month and a few
  stopped doing business months ago.  Potential customers have little or none.
* A customer's revenue starts in the month its file was made and ends with the month it
  was archived: an archived file carries no revenue after it.
* Two passes: a plan of "units" — one customer's product line over its months — then the
  rows.  A total asked for (``Volumes.revenue_rows``) is met by changing the units, not the
  months: too many, and the units carrying the least money go first (a big customer's side
  line before its main one, then the smallest customers' revenue altogether: at the
  issue's L, 1,200,000 rows for 100,000 customers over 24 months, the smaller files carry
  no revenue of their own), the last one starting later; too few, and customers take up
  more lines.  The money of a removed line moves to the customer's remaining lines, so the
  points and tiers do not change with the total.
* Rows are made customer by customer in the order of their ids (the order of the
  ``(customer_id, month)`` indexes) and written in batches; the assessments are computed by
  the revenue service (``recompute_assessments``, in ``assess``), as after an import.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from kac_desktop.i18n import _
from kac_desktop.rules import points as rules
from kac_desktop.rules.clock import LOCAL_TZ as LOCAL
from kac_desktop.rules.defaults import PRODUCT_LINE_DEFAULTS
from kac_desktop.services.errors import ServiceError
from kac_desktop.services.revenue import recompute_assessments

from .randomness import new_id
from .volumes import Volumes
from .write import BATCH, Writer

# yearly revenue (yuan) a customer of each tier turns over
_RANGES = {
    "diamond": (1_550_000, 3_000_000),
    "platinum": (310_000, 1_400_000),
    "gold": (155_000, 290_000),
    "vip": (52_000, 145_000),
    "ordinary": (3_000, 45_000),
}
_ORDER = ("ordinary", "vip", "gold", "platinum", "diamond")
_SEASON = (0.85, 0.8, 1.0, 1.0, 1.0, 0.95, 0.9, 0.9, 1.0, 1.05, 1.25, 1.3)
_KNOWN = tuple(code for code, *_rest in PRODUCT_LINE_DEFAULTS)
REVENUE_COLUMNS = (
    "id",
    "customer_id",
    "month",
    "product_line",
    "amount",
    "created_at",
    "updated_at",
    "updated_by",
    "version",
)


def _drift(rng: random.Random, tier: str) -> str:
    roll = rng.random()
    index = _ORDER.index(tier) if tier in _ORDER else 0
    if roll < 0.07 and index > 0:
        return _ORDER[index - 1]
    if roll < 0.13 and index < len(_ORDER) - 1:
        return _ORDER[index + 1]
    return tier


@dataclass
class _Unit:
    """One product line of one customer: its rows are the customer's months from ``skip``."""

    line: str
    weight: float
    value: float  # the yearly money it carries, to choose which units go first
    skip: int = 0


@dataclass
class _Customer:
    id: str
    yearly: float
    growth: float
    drop: bool
    potential: bool
    months: list[int]  # indexes into the window's months
    units: list[_Unit] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)  # lines it could take up


def _month_index(moment: datetime, first: int) -> int:
    local = moment.astimezone(LOCAL)
    return (local.year * 12 + local.month - 1) - ((first // 100) * 12 + first % 100 - 1)


def _plan(
    rng: random.Random, customers: Sequence[dict[str, Any]], months: list[int]
) -> list[_Customer]:
    plan: list[_Customer] = []
    count = len(months)
    for customer in customers:
        kind = customer.get("kind", "key")
        if kind == "potential" and rng.random() < 0.7:
            continue
        tier = _drift(rng, customer.get("tier") or "ordinary")
        low, high = _RANGES[tier] if kind != "potential" else (500, 8_000)
        yearly = rng.uniform(low, high)
        used = [c for c in (customer.get("product_lines") or []) if c in _KNOWN] or ["express"]
        # the main line, often a second, seldom a third
        lines = used[: 1 + (rng.random() < 0.4) + (rng.random() < 0.15)]
        weights = [rng.random() + (1.5 if i == 0 else 0.2) for i in range(len(lines))]
        share = sum(weights)
        growth = rng.uniform(0.92, 1.25)
        end = count
        if kind != "potential" and rng.random() < 0.02:
            end = count - rng.randint(2, 5)  # no business since then
        drop = kind != "potential" and rng.random() < 0.04
        start = 0
        if customer.get("created_at") is not None:
            start = max(0, _month_index(customer["created_at"], months[0]))
        if customer.get("archived") and customer.get("archived_at") is not None:
            end = min(end, _month_index(customer["archived_at"], months[0]) + 1)
        active = list(range(start, end))
        if kind == "potential":
            active = [m for m in active if rng.random() >= 0.4]
        if not active:
            continue
        entry = _Customer(customer["id"], yearly, growth, drop, kind == "potential", active)
        entry.units = [
            _Unit(line, weight, yearly * weight / share)
            for line, weight in zip(lines, weights, strict=True)
        ]
        entry.choices = [c for c in used if c not in lines] + [
            c for c in _KNOWN if c not in used and c != "finance"
        ]
        plan.append(entry)
    return plan


def _rows(unit: _Unit, customer: _Customer) -> int:
    return max(0, len(customer.months) - unit.skip)


def _fit(rng: random.Random, plan: list[_Customer], target: int) -> None:
    """Remove or add units (and start the last one later) until the plan holds ``target``
    rows."""
    have = sum(_rows(u, c) for c in plan for u in c.units)
    if have > target:
        ranked = sorted(
            (
                (u.value * rng.uniform(0.5, 2.0), i, j)
                for i, c in enumerate(plan)
                for j, u in enumerate(c.units)
            ),
        )
        removed: set[tuple[int, int]] = set()
        for _value, i, j in ranked:
            customer, unit = plan[i], plan[i].units[j]
            rows = _rows(unit, customer)
            if have - rows >= target:
                removed.add((i, j))
                have -= rows
            else:
                unit.skip += have - target
                have = target
            if have == target:
                break
        for i, customer in enumerate(plan):
            customer.units = [u for j, u in enumerate(customer.units) if (i, j) not in removed]
    elif have < target:
        candidates = sorted(
            (
                (-c.yearly * rng.uniform(0.5, 2.0), i)
                for i, c in enumerate(plan)
                if c.choices and not c.potential
            ),
        )
        while have < target and candidates:
            still = []
            for key, i in candidates:
                customer = plan[i]
                unit = _Unit(customer.choices.pop(0), rng.random() + 0.2, 0.0)
                missing = target - have
                unit.skip = max(0, len(customer.months) - missing)
                customer.units.append(unit)
                have += _rows(unit, customer)
                if have == target:
                    break
                if customer.choices:
                    still.append((key, i))
            candidates = still
        if have < target:
            raise ServiceError(
                _("There are too few customers for {count} revenue rows.").format(
                    count=f"{target:,}"
                )
            )


def write_revenue(
    writer: Writer,
    rng: random.Random,
    customers: Sequence[dict[str, Any]],
    today: date,
    volumes: Volumes,
    step: Callable[[float], None] = lambda _f: None,
) -> int:
    """Write the revenue of the ``volumes.revenue_months`` months before ``today``'s month
    through ``writer`` (inside the caller's transaction).  Returns the rows written."""
    last = rules.add_months(rules.month_of(today), -1)
    months = rules.months_between(rules.add_months(last, -(volumes.revenue_months - 1)), last)
    # imported on the 5th of the month after (never after the demo's day)
    ceiling = datetime(today.year, today.month, today.day, tzinfo=UTC)
    stamps = [
        min(datetime(*divmod(rules.add_months(m, 1), 100), 5, 2, tzinfo=UTC), ceiling)
        for m in months
    ]
    plan = _plan(rng, customers, months)
    if volumes.revenue_rows is not None:
        _fit(rng, plan, volumes.revenue_rows)
    plan.sort(key=lambda c: c.id)
    rows: list[tuple[Any, ...]] = []
    written = 0
    last_index = len(months) - 1
    for done, customer in enumerate(plan, start=1):
        units = customer.units
        if not units:
            continue
        cid = customer.id
        monthly = customer.yearly / 12
        for position, index in enumerate(customer.months):
            month = months[index]
            live = [u for u in units if position >= u.skip]
            if not live:
                continue
            base = monthly * (customer.growth if index >= 12 else 1.0) * _SEASON[month % 100 - 1]
            if customer.drop and index == last_index:
                base *= rng.uniform(0.25, 0.6)
            share = sum(u.weight for u in live)
            stamp = stamps[index]
            for unit in live:
                fen = max(1, int(base * unit.weight / share * rng.uniform(0.85, 1.15) * 100))
                rows.append((new_id(rng), cid, month, unit.line, fen / 100, stamp, stamp, None, 1))
        if len(rows) >= BATCH:
            writer.tuples(rows)
            written += len(rows)
            rows.clear()
            step(done / len(plan))
    writer.tuples(rows)
    return written + len(rows)


def assess(session: Session, today: date) -> int:
    """The tier assessments of the last two years and this one, from the revenue written
    (a year the window only touches is not assessed), by the revenue service."""
    last = rules.add_months(rules.month_of(today), -1)
    session.flush()
    return recompute_assessments(
        session, {last // 100, last // 100 - 1, today.year}, None, today=today
    )
