"""Two years of monthly revenue for the demonstration customers, and their assessments.

Each customer's yearly points are drawn to fit its tier (a diamond customer earns 1.5–3
million points a year, an ordinary one a few thousand), so the club levels and the tier
suggestions look like a branch's; about one customer in eight has drifted a level up or
down (the supervisor's review list), a few dropped sharply in the last month and a few
stopped doing business months ago.  Potential customers have little or none.  Rows go in
with Core executemany inside the demo's transaction.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from kac_desktop.rules import points as rules
from kac_desktop.rules.defaults import PRODUCT_LINE_DEFAULTS

from .revenue import REVENUE_LITE, recompute_assessments, storage_rows

MONTHS = 24
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


def _drift(rng: random.Random, tier: str) -> str:
    roll = rng.random()
    index = _ORDER.index(tier) if tier in _ORDER else 0
    if roll < 0.07 and index > 0:
        return _ORDER[index - 1]
    if roll < 0.13 and index < len(_ORDER) - 1:
        return _ORDER[index + 1]
    return tier


def build_revenue_rows(
    rng: random.Random, customers: Sequence[dict[str, Any]], today: date
) -> list[dict[str, Any]]:
    """The revenue rows (Core dicts) of the 24 months before ``today``'s month."""
    last = rules.add_months(rules.month_of(today), -1)
    months = rules.months_between(rules.add_months(last, -(MONTHS - 1)), last)
    stamps = {
        m: datetime(*divmod(rules.add_months(m, 1), 100), 5, 2, tzinfo=UTC)
        if rules.add_months(m, 1) <= rules.month_of(today)
        else datetime.now(UTC)
        for m in months
    }
    rows: list[dict[str, Any]] = []
    append = rows.append
    for customer in customers:
        kind = customer.get("kind", "key")
        if kind == "potential" and rng.random() < 0.7:
            continue
        tier = _drift(rng, customer.get("tier") or "ordinary")
        low, high = _RANGES[tier] if kind != "potential" else (500, 8_000)
        yearly = rng.uniform(low, high)
        lines = [c for c in (customer.get("product_lines") or []) if c in _KNOWN] or ["express"]
        # the main line, often a second, seldom a third
        lines = lines[: 1 + (rng.random() < 0.4) + (rng.random() < 0.15)]
        weights = [rng.random() + (1.5 if i == 0 else 0.2) for i in range(len(lines))]
        share = sum(weights)
        growth = rng.uniform(0.92, 1.25)
        stop = None
        if kind != "potential" and rng.random() < 0.02:
            stop = months[-rng.randint(2, 5)]  # no business since then
        drop = kind != "potential" and rng.random() < 0.04
        for index, month in enumerate(months):
            if stop is not None and month >= stop:
                break
            base = yearly * (growth if index >= 12 else 1.0) / 12 * _SEASON[month % 100 - 1]
            if drop and month == last:
                base *= rng.uniform(0.25, 0.6)
            if kind == "potential" and rng.random() < 0.4:
                continue
            stamp = stamps[month]
            cid = customer["id"]
            for line, weight in zip(lines, weights, strict=True):
                fen = int(base * weight / share * rng.uniform(0.85, 1.15) * 100)
                if fen <= 0:
                    continue
                append(
                    {
                        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        "customer_id": cid,
                        "month": month,
                        "product_line": line,
                        "amount": Decimal(fen).scaleb(-2),
                        "created_at": stamp,
                        "updated_at": stamp,
                        "updated_by": None,
                        "version": 1,
                    }
                )
    return rows


def add_revenue(
    session: Session,
    rng: random.Random,
    customers: Sequence[dict[str, Any]],
    today: date,
    summary: Any = None,
) -> int:
    """Insert two years of revenue inside the caller's transaction (the product lines must
    exist) and compute the tier assessments of those years.  Returns the rows inserted."""
    rows = build_revenue_rows(rng, customers, today)
    # in the order of the (customer, month) indexes: appended, not scattered
    rows.sort(key=lambda r: (r["customer_id"], r["month"]))
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # as the demo's own phase: a page cache that holds the growing indexes
        cache_size = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        connection.exec_driver_sql(f"PRAGMA cache_size=-{256 * 1024}")
    try:
        for start in range(0, len(rows), 50_000):
            batch = storage_rows(connection, rows[start : start + 50_000])
            connection.execute(REVENUE_LITE.insert(), batch)
        session.flush()
        if rows:
            years = {rules.add_months(rules.month_of(today), -1) // 100}
            years |= {y - 1 for y in years} | {today.year}
            recompute_assessments(session, years, None, today=today)
    finally:
        if sqlite:
            connection.exec_driver_sql(f"PRAGMA cache_size={int(cache_size)}")
    if summary is not None and hasattr(summary, "revenue_rows"):
        summary.revenue_rows = len(rows)
    return len(rows)
