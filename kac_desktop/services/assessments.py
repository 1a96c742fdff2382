"""The yearly tier assessments (docs/DOMAIN.md §5) recomputed in SQL: a year's points, revenue,
maintenance target and suggested tier of every customer, kept in ``tier_assessments``.

The sums are made by the database with integers, grouped per customer (one pass over a
year's revenue rows each):

* points: amount in fen × the line's factor in ten-thousandths, summed per customer and
  month, divided by 1,000,000 (rounding down: one point per full yuan of the month,
  ``rules.points.points_from_fen``), summed over the year's months;
* revenue: the year's amounts in fen;
* target: last year's amounts in fen × (10,000 + the line's growth rate in
  ten-thousandths), rounded half up to the fen at the end — exactly
  ``rules.points.maintenance_target``, whose growth rates have four decimals.

Python then only names the tier (``rules.tiers.suggested_tier``) and writes the rows whose
figures changed, so recomputing unchanged figures changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP
from typing import Any

from sqlalchemy import BigInteger, case, cast, func, literal, select
from sqlalchemy.orm import Session

from kac_desktop.db import raw_sql
from kac_desktop.models import ProductLine, Revenue, TierAssessment, new_id, utcnow
from kac_desktop.rules import points as rules
from kac_desktop.rules.clock import business_today
from kac_desktop.rules.tiers import CLUB_THRESHOLDS, suggested_tier

FACTOR = rules.FACTOR_SCALE  # factors and growth rates in ten-thousandths
UNITS = FACTOR * 100  # fen × factor units per point
_IN_LIMIT = 5000  # more customers than this: read the whole year, keep theirs in Python
_CHUNK = 500

_UPSERT = """
INSERT INTO tier_assessments
    (id, customer_id, year, points, revenue, target, suggested_tier, created_at, updated_at,
     version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
ON CONFLICT (customer_id, year) DO UPDATE SET
    points = excluded.points,
    revenue = excluded.revenue,
    target = excluded.target,
    suggested_tier = excluded.suggested_tier,
    updated_at = excluded.updated_at,
    version = tier_assessments.version + 1
"""


def _fen(column):
    return cast(func.round(column * 100), BigInteger)


def _line_units(session: Session) -> tuple[dict[str, int], dict[str, int]]:
    """(code → points factor, code → 10,000 + growth rate), both in ten-thousandths."""
    factors: dict[str, int] = {}
    growth: dict[str, int] = {}
    for code, factor, earns, rate in session.execute(
        select(
            ProductLine.code, ProductLine.factor, ProductLine.earns_points, ProductLine.growth_rate
        )
    ):
        rule = rules.LineRule(code, factor, bool(earns), rate)
        factors[code] = rules.factor_units(rule)
        growth[code] = FACTOR + int((rule.growth_rate * FACTOR).to_integral_value(ROUND_HALF_UP))
    return factors, growth


def _by_line(units: dict[str, int], default: int):
    """A CASE giving each revenue row its line's integer; ``default`` for other lines."""
    wanted = {code: value for code, value in units.items() if value != default}
    if not wanted:
        return literal(default, BigInteger)
    return case(wanted, value=Revenue.product_line, else_=default)


def half_up_fen(units: int) -> int:
    """Fen × ten-thousandths to fen, rounding half away from zero (``ROUND_HALF_UP``)."""
    sign = -1 if units < 0 else 1
    return sign * ((abs(units) + FACTOR // 2) // FACTOR)


def _year_sums(
    connection, year: int, chunk: Sequence[str] | None, points_units, growth_units
) -> dict[str, tuple[int, int, int]]:
    """customer → (points, revenue in fen, Σ fen × (10,000 + growth)) of ``year``: one pass
    over the year's rows gives a year's points and the next year's target."""
    fen = _fen(Revenue.amount)
    # grouped in the order of the (month, customer_id, amount) index: no sort
    monthly = (
        select(
            Revenue.customer_id.label("cid"),
            func.sum(fen * points_units).label("units"),
            func.sum(fen).label("fen"),
            func.sum(fen * growth_units).label("growth"),
        )
        .where(Revenue.month.between(year * 100 + 1, year * 100 + 12))
        .group_by(Revenue.month, Revenue.customer_id)
    )
    if chunk is not None:
        monthly = monthly.where(Revenue.customer_id.in_(chunk))
    sub = monthly.subquery()
    stmt = select(
        sub.c.cid,
        func.sum(cast(sub.c.units, BigInteger).op("/")(UNITS)),
        func.sum(sub.c.fen),
        func.sum(sub.c.growth),
    ).group_by(sub.c.cid)
    return {
        cid: (max(0, int(pts or 0)), int(total or 0), int(growth or 0))
        for cid, pts, total, growth in connection.execute(stmt)
    }


def recompute(
    session: Session,
    years: Iterable[int],
    customer_ids: Iterable[str] | None = None,
    *,
    today: date | None = None,
) -> int:
    """Recompute the stored assessments of ``years`` for the customers named (None: all),
    inside the caller's transaction.  Rows are made for customers with revenue in the year
    or the year before (a target); a year after ``today``'s is not made.  A row is written
    only when a figure changed.  Returns the number of rows written."""
    today = today or business_today()
    ids = set(customer_ids) if customer_ids is not None else None
    factors, growth = _line_units(session)
    points_units = _by_line(factors, 0)
    growth_units = _by_line(growth, FACTOR)
    connection = session.connection()
    chunks: list[Sequence[str] | None] = (
        [None]
        if ids is None or len(ids) > _IN_LIMIT
        else [sorted(ids)[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
    )
    sums: dict[int, dict[str, tuple[int, int, int]]] = {}

    def year_sums(year: int) -> dict[str, tuple[int, int, int]]:
        if year not in sums:
            found: dict[str, tuple[int, int, int]] = {}
            for chunk in chunks:
                found.update(_year_sums(connection, year, chunk, points_units, growth_units))
            sums[year] = found
        return sums[year]

    ta = TierAssessment
    written = 0
    for year in sorted(set(years)):
        if year > today.year:
            continue
        this, before = year_sums(year), year_sums(year - 1)
        existing: dict[str, tuple] = {}
        for chunk in chunks:
            stmt = select(
                ta.customer_id, ta.points, _fen(ta.revenue), _fen(ta.target), ta.suggested_tier
            ).where(ta.year == year)
            if chunk is not None:
                stmt = stmt.where(ta.customer_id.in_(chunk))
            existing.update((cid, tuple(values)) for cid, *values in connection.execute(stmt))
        wanted = this.keys() | before.keys() | existing.keys()
        if ids is not None:
            wanted &= ids
        now = raw_sql.stored_time(connection, utcnow())
        money = raw_sql.money_storage(connection)
        rows: list[tuple[Any, ...]] = []
        none = (0, 0, 0)
        for cid in sorted(wanted):
            pts, fen_total, _growth = this.get(cid, none)
            target = half_up_fen(before.get(cid, none)[2])
            tier = suggested_tier(pts, CLUB_THRESHOLDS)
            if existing.get(cid) == (pts, fen_total, target, tier):
                continue
            rows.append(
                (
                    new_id(),
                    cid,
                    year,
                    pts,
                    money(fen_total),
                    money(target),
                    tier,
                    now,
                    now,
                )
            )
        if rows:
            raw_sql.execute_many(connection, _UPSERT, rows)
            written += len(rows)
    return written
