"""The SQL recomputation of the yearly assessments (services/assessments.py) against the
Python rules of docs/DOMAIN.md §5 (rules/points.py, rules/tiers.py), on random revenue."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from sqlalchemy import select, update

from kac_desktop.models import ProductLine, Revenue, TierAssessment
from kac_desktop.rules import points as rules
from kac_desktop.rules.tiers import suggested_tier
from kac_desktop.services import assessments
from kac_desktop.services import customers as customer_service

TODAY = date(2026, 11, 23)
YEARS = (2024, 2025, 2026)


@pytest.fixture
def customers(db, org, make_customer):
    return [
        customer_service.save_customer(
            db, org.mgr_a1, make_customer(f"个体户第{i}号", manager=org.mgr_a1, nature="individual")
        ).ids[0]
        for i in range(12)
    ]


def _random_world(db, customers, rng: random.Random):
    """Random factors, growth rates and months of revenue; returns the line rules and
    customer → month → line → amount."""
    lines: dict[str, rules.LineRule] = {}
    with db.session() as session, session.begin():
        for line in session.scalars(select(ProductLine)):
            line.factor = D(rng.randint(0, 30_000)) / 10_000
            line.earns_points = rng.random() < 0.8
            line.growth_rate = D(rng.randint(-5_000, 5_000)) / 10_000
            lines[line.code] = rules.LineRule(
                line.code, line.factor, line.earns_points, line.growth_rate
            )
        codes = [*lines, "retired"]  # a line the settings no longer know
        data: dict[str, dict[int, dict[str, D]]] = defaultdict(lambda: defaultdict(dict))
        stamp = datetime(2026, 1, 1, tzinfo=UTC)
        for cid in customers:
            if rng.random() < 0.15:
                continue  # no revenue at all
            for year in YEARS:
                for mon in rng.sample(range(1, 13), rng.randint(0, 12)):
                    month = year * 100 + mon
                    if month > rules.month_of(TODAY):
                        continue
                    for code in rng.sample(codes, rng.randint(1, 3)):
                        # big and small amounts; whole yuan and odd fen
                        amount = D(rng.choice([0, rng.randint(0, 99), rng.randint(0, 40_000_000)]))
                        amount /= 100
                        data[cid][month][code] = amount
                        session.add(
                            Revenue(
                                customer_id=cid,
                                month=month,
                                product_line=code,
                                amount=amount,
                                created_at=stamp,
                                updated_at=stamp,
                            )
                        )
    return lines, data


def _expected(lines, data, year: int, ids) -> dict[str, tuple[int, D, D, str]]:
    expected = {}
    for cid in ids:
        months = data.get(cid, {})
        this = {m: a for m, a in months.items() if m // 100 == year}
        before: dict[str, D] = defaultdict(D)
        for month, amounts in months.items():
            if month // 100 == year - 1:
                for code, amount in amounts.items():
                    before[code] += amount
        if not this and not before:
            continue
        points = rules.points_by_year(this, lines).get(year, 0)
        revenue = sum((a for amounts in this.values() for a in amounts.values()), D("0"))
        target = rules.maintenance_target(before, lines)
        expected[cid] = (points, revenue.quantize(D("0.01")), target, suggested_tier(points))
    return expected


def _stored(db, year: int) -> dict[str, tuple[int, D, D, str]]:
    with db.session() as session:
        return {
            t.customer_id: (
                t.points,
                D(t.revenue).quantize(D("0.01")),
                D(t.target).quantize(D("0.01")),
                t.suggested_tier,
            )
            for t in session.scalars(select(TierAssessment).where(TierAssessment.year == year))
        }


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_sql_recomputation_gives_the_python_rules_figures_on_random_revenue(db, customers, seed):
    rng = random.Random(seed)
    lines, data = _random_world(db, customers, rng)
    named = None if seed % 2 else rng.sample(customers, 7)  # all, or some customers
    with db.session() as session, session.begin():
        written = assessments.recompute(session, {2025, 2026}, named, today=TODAY)
    ids = named if named is not None else customers
    total = 0
    for year in (2025, 2026):
        expected = _expected(lines, data, year, ids)
        assert _stored(db, year) == expected
        total += len(expected)
    assert written == total
    assert _stored(db, 2024) == {}  # a year not asked for is not made


def test_recomputing_unchanged_figures_writes_nothing_and_a_stale_row_is_corrected(db, customers):
    rng = random.Random(7)
    lines, data = _random_world(db, customers, rng)
    with db.session() as session, session.begin():
        assessments.recompute(session, {2026}, None, today=TODAY)
    with db.session() as session:
        versions = dict(
            session.execute(select(TierAssessment.customer_id, TierAssessment.version)).all()
        )
    with db.session() as session, session.begin():
        assert assessments.recompute(session, {2026}, None, today=TODAY) == 0
        # a figure that drifted (say an edit that bypassed the service) is put right
        stale = next(iter(versions))
        session.execute(
            update(TierAssessment)
            .where(TierAssessment.customer_id == stale)
            .values(points=TierAssessment.points + 1)
        )
        assert assessments.recompute(session, {2026}, None, today=TODAY) == 1
    with db.session() as session:
        after = dict(
            session.execute(select(TierAssessment.customer_id, TierAssessment.version)).all()
        )
    assert after == {**versions, stale: versions[stale] + 1}
    assert _stored(db, 2026) == _expected(lines, data, 2026, customers)


def test_a_year_after_today_is_not_made(db, customers):
    with db.session() as session, session.begin():
        session.add(
            Revenue(customer_id=customers[0], month=202611, product_line="letters", amount=D(5))
        )
    with db.session() as session, session.begin():
        assert assessments.recompute(session, {2026, 2027}, None, today=TODAY) == 1
    assert set(_stored(db, 2027)) == set()


def test_half_up_rounding_of_targets_matches_decimal():
    # fen × ten-thousandths: 12.345 fen rounds to 12, 12.5 fen to 13, −12.5 fen to −13
    assert assessments.half_up_fen(123_450) == 12
    assert assessments.half_up_fen(125_000) == 13
    assert assessments.half_up_fen(-125_000) == -13
    assert assessments.half_up_fen(124_999) == 12
