"""Tiers, visit classes and club levels (docs/DOMAIN.md §2 "Tier" and "Visit class", §5 "Club level").

The defaults here are what the settings start from; the service passes the administrator's
values from the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

DEFAULT_CLASS_FOR_TIER: dict[str, int] = {
    "diamond": 1,
    "platinum": 1,
    "gold": 2,
    "vip": 3,
    "ordinary": 3,
}
"""Diamond and Platinum → class 1, Gold → class 2, VIP and Ordinary → class 3."""

CLUB_THRESHOLDS: tuple[tuple[str, int], ...] = (
    ("diamond", 1_500_000),
    ("platinum", 300_000),
    ("gold", 150_000),
    ("vip", 50_000),
)
"""Annual points needed for each club level; below the lowest one a customer is ordinary."""

ORDINARY = "ordinary"
LOWEST_CLASS = 3
VISIT_CLASS_CODES = (1, 2, 3)


def visit_class(
    tier: str,
    override: int | None,
    mapping: Mapping[str, int] = DEFAULT_CLASS_FOR_TIER,
) -> int:
    """The visit class that sets a customer's monthly quota: the supervisor's ``override``
    when there is one, otherwise the class ``mapping`` gives the tier.  A tier the mapping
    does not know gets class 3, the smallest quota.

    Raises ``ValueError`` for an override other than 1, 2 or 3.
    """
    if override is not None:
        if override not in VISIT_CLASS_CODES:
            raise ValueError(f"visit class must be 1, 2 or 3, not {override!r}")
        return override
    return mapping.get(tier, LOWEST_CLASS)


def _descending(thresholds: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    return sorted(thresholds, key=lambda item: item[1], reverse=True)


def club_level(annual_points: int, thresholds: Sequence[tuple[str, int]] = CLUB_THRESHOLDS) -> str:
    """The highest level whose threshold ``annual_points`` reaches (reaching it exactly
    counts), ``"ordinary"`` below the lowest.  The thresholds may come in any order."""
    for level, needed in _descending(thresholds):
        if annual_points >= needed:
            return level
    return ORDINARY


def next_level_gap(
    annual_points: int, thresholds: Sequence[tuple[str, int]] = CLUB_THRESHOLDS
) -> tuple[str, int] | None:
    """The next level up and the points still missing to reach it, or None at the top."""
    gap: tuple[str, int] | None = None
    for level, needed in _descending(thresholds):
        if annual_points >= needed:
            break
        gap = (level, needed - annual_points)
    return gap


def suggested_tier(
    annual_points: int, thresholds: Sequence[tuple[str, int]] = CLUB_THRESHOLDS
) -> str:
    """The tier the application suggests for a supervisor to confirm: the club level of the
    year's points (tier and club level share their names: diamond … vip, ordinary)."""
    return club_level(annual_points, thresholds)
