"""docs/DOMAIN.md §5 points, club levels, maintenance targets; §3 revenue drops and inactivity."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kac_desktop.rules import points as rules
from kac_desktop.rules.defaults import PRODUCT_LINE_DEFAULTS
from kac_desktop.rules.points import LineRule

LINES = {
    code: LineRule(code, factor, earns, growth)
    for code, _name, factor, earns, growth in PRODUCT_LINE_DEFAULTS
}


def test_monthly_points_one_point_per_yuan_of_each_line_times_its_factor():
    lines = {**LINES, "express": LineRule("express", D("1.5"), True)}
    # 1,000 letters × 1 + 2,000 express × 1.5 = 4,000 points
    assert rules.monthly_points({"letters": D("1000"), "express": D("2000")}, lines) == 4000


def test_agency_finance_earns_no_points_whatever_its_factor():
    lines = {**LINES, "finance": LineRule("finance", D("1"), earns_points=False)}
    assert rules.monthly_points({"finance": D("90000")}, lines) == 0
    assert rules.monthly_points({"finance": D("90000"), "letters": D("10")}, lines) == 10


def test_points_round_down_once_per_month_not_per_line():
    # 0.50 + 0.50 make one point; 999.99 makes 999
    assert rules.monthly_points({"letters": D("0.50"), "express": D("0.50")}, LINES) == 1
    assert rules.monthly_points({"letters": D("999.99")}, LINES) == 999


def test_unknown_line_earns_nothing():
    assert rules.monthly_points({"unknown": D("500")}, LINES) == 0


def test_annual_points_are_the_sum_of_the_calendar_years_months():
    months = {
        202412: {"letters": D("100000")},  # December counts for 2024 only
        202501: {"letters": D("0.60")},
        202502: {"letters": D("0.60")},  # 0 + 0: rounded per month
        202512: {"express": D("49999.99")},
        202601: {"letters": D("1")},
    }
    assert rules.points_by_year(months, LINES) == {2024: 100000, 2025: 49999, 2026: 1}
    assert rules.annual_points([1, 2, 3]) == 6


def test_sql_formula_matches_the_decimal_rule():
    lines = {"letters": LineRule("letters", D("1.2345"), True)}
    amount = D("12345.67")
    fen_units = int(amount * 100) * rules.factor_units(lines["letters"])
    assert rules.points_from_fen(fen_units) == rules.monthly_points({"letters": amount}, lines)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(LINES)),
            st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False),
        ),
        max_size=7,
        unique_by=lambda x: x[0],
    )
)
def test_points_never_negative_and_match_the_integer_formula(items):
    amounts = dict(items)
    fen_units = sum(int(a * 100) * rules.factor_units(LINES[c]) for c, a in amounts.items())
    assert rules.monthly_points(amounts, LINES) == rules.points_from_fen(fen_units) >= 0


@pytest.mark.parametrize(
    ("points", "level", "next_level", "gap"),
    [
        (49_999, "ordinary", "vip", 1),
        (50_000, "vip", "gold", 100_000),  # thresholds exactly met count
        (150_000, "gold", "platinum", 150_000),
        (300_000, "platinum", "diamond", 1_200_000),
        (1_500_000, "diamond", None, None),
    ],
)
def test_club_level_and_gap_to_the_next(points, level, next_level, gap):
    standing = rules.standing(points)
    assert (standing.level, standing.next_level, standing.gap) == (level, next_level, gap)


def test_maintenance_target_is_last_years_revenue_times_one_plus_growth():
    # letters 14.65 %, express 21 %, newspapers 2.64 % (docs/DOMAIN.md §5)
    target = rules.maintenance_target(
        {"letters": D("10000"), "express": D("20000"), "newspapers": D("1000")}, LINES
    )
    assert target == D("11465.00") + D("24200.00") + D("1026.40")


def test_completion_rate_and_no_target():
    assert rules.completion(D("50"), D("200")) == D("0.25")
    assert rules.completion(D("50"), D("0")) is None


def test_revenue_drop_against_the_average_of_the_three_months_before():
    previous = [D("1000"), D("1000"), D("1000")]
    assert rules.is_revenue_drop(D("700"), previous, -0.30)  # exactly −30 % is flagged
    assert not rules.is_revenue_drop(D("700.01"), previous, -0.30)
    assert rules.revenue_change(D("500"), previous) == D("-0.5")
    assert not rules.is_revenue_drop(D("0"), [D("0")] * 3, -0.30)  # nothing to drop from


def test_no_business_for_more_than_the_set_days():
    today = date(2026, 11, 23)
    assert rules.days_without_business(202610, today) == 23
    assert not rules.is_without_business(202610, today, 30)
    assert rules.is_without_business(202609, today, 30)  # 54 days since 30 September
    assert not rules.is_without_business(None, today, 30)


def test_months():
    assert rules.add_months(202512, 1) == 202601
    assert rules.add_months(202601, -1) == 202512
    assert rules.months_between(202511, 202602) == [202511, 202512, 202601, 202602]
    assert rules.is_month(202612) and not rules.is_month(202613) and not rules.is_month(199912)
