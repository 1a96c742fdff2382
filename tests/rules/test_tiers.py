"""docs/DOMAIN.md §2 visit class by tier (Diamond/Platinum → 1, Gold → 2, VIP/Ordinary → 3,
supervisor override) and §5 club levels (VIP ≥ 50,000; Gold ≥ 150,000; Platinum ≥ 300,000;
Diamond ≥ 1,500,000 annual points); the tier suggestion follows the club level."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kac_desktop.rules.tiers import (
    CLUB_THRESHOLDS,
    DEFAULT_CLASS_FOR_TIER,
    club_level,
    next_level_gap,
    suggested_tier,
    visit_class,
)
from kac_desktop.rules.vocab import TIERS

# the assertions read the English source messages, whatever language the suite set
pytestmark = pytest.mark.usefixtures("english")


LEVEL_ORDER = ["ordinary", "vip", "gold", "platinum", "diamond"]


@pytest.mark.parametrize(
    ("tier", "expected"),
    [("diamond", 1), ("platinum", 1), ("gold", 2), ("vip", 3), ("ordinary", 3)],
)
def test_default_visit_class_by_tier(tier: str, expected: int) -> None:
    assert visit_class(tier, None) == expected


def test_every_tier_has_a_default_class() -> None:
    assert set(DEFAULT_CLASS_FOR_TIER) == set(TIERS)


@pytest.mark.parametrize("override", [1, 2, 3])
def test_supervisor_override_wins(override: int) -> None:
    for tier in TIERS:
        assert visit_class(tier, override) == override


def test_mapping_from_settings() -> None:
    mapping = {**DEFAULT_CLASS_FOR_TIER, "gold": 1}
    assert visit_class("gold", None, mapping) == 1
    assert visit_class("gold", 3, mapping) == 3


def test_unknown_tier_gets_the_smallest_quota() -> None:
    assert visit_class("bronze", None) == 3


@pytest.mark.parametrize("override", [0, 4, -1])
def test_invalid_override_is_refused(override: int) -> None:
    with pytest.raises(ValueError):
        visit_class("gold", override)


@pytest.mark.parametrize(
    ("points", "level"),
    [
        (0, "ordinary"),
        (49_999, "ordinary"),
        (50_000, "vip"),
        (149_999, "vip"),
        (150_000, "gold"),
        (299_999, "gold"),
        (300_000, "platinum"),
        (1_499_999, "platinum"),
        (1_500_000, "diamond"),
        (99_000_000, "diamond"),
        (-10, "ordinary"),
    ],
)
def test_club_level_thresholds_reached_exactly_count(points: int, level: str) -> None:
    assert club_level(points) == level
    assert suggested_tier(points) == level


def test_thresholds_from_settings_in_any_order() -> None:
    custom = (("vip", 10), ("diamond", 1000), ("gold", 100))
    assert club_level(9, custom) == "ordinary"
    assert club_level(10, custom) == "vip"
    assert club_level(500, custom) == "gold"
    assert club_level(1000, custom) == "diamond"
    assert next_level_gap(500, custom) == ("diamond", 500)


@pytest.mark.parametrize(
    ("points", "gap"),
    [
        (0, ("vip", 50_000)),
        (49_999, ("vip", 1)),
        (50_000, ("gold", 100_000)),
        (200_000, ("platinum", 100_000)),
        (300_000, ("diamond", 1_200_000)),
        (1_500_000, None),
        (2_000_000, None),
    ],
)
def test_next_level_gap(points: int, gap: tuple[str, int] | None) -> None:
    assert next_level_gap(points) == gap


@given(
    st.integers(min_value=0, max_value=10_000_000), st.integers(min_value=0, max_value=10_000_000)
)
def test_more_points_never_lower_level(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert LEVEL_ORDER.index(club_level(low)) <= LEVEL_ORDER.index(club_level(high))


@given(st.integers(min_value=0, max_value=10_000_000))
def test_closing_the_gap_reaches_the_next_level(points: int) -> None:
    gap = next_level_gap(points)
    if gap is None:
        assert club_level(points) == CLUB_THRESHOLDS[0][0]
        return
    level, missing = gap
    assert missing > 0
    assert club_level(points + missing) == level
    assert club_level(points + missing - 1) == club_level(points)
