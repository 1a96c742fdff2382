"""Revenue, points, maintenance targets and revenue alerts (docs/DOMAIN.md §5, §3 "Inactivity").

Pure: no database, no clock.  The service passes the product lines' factors and growth
rates and the thresholds from the settings.

Decisions where the business rules are silent:

* **Rounding of points.**  Monthly points are the *floor* of the exact Decimal sum
  Σ(amount × factor) over the month's product lines: one point per full yuan of effective
  revenue, never a point for a fraction.  Rounding happens once per month (not per line),
  so 0.50 + 0.50 of two lines make one point.  Annual points are the sum of the year's
  monthly points (calendar year January–December).
* Agency finance (and any line whose ``earns_points`` is off) counts with factor 0,
  whatever factor is stored.  A line the settings do not know earns nothing.
* The service computes the same numbers in SQL with integers (amount in fen × factor in
  ten-thousandths, then an integer division by 1,000,000); ``points_from_fen`` is that
  formula, and the tests hold both to the same examples.
* **Revenue drop.**  The month's revenue against the average of the three calendar months
  before it (a month without revenue counts as 0); flagged when the change is at or below
  the threshold (−30 % exactly is flagged).  No average (three empty months) — no alert.
* **No business.**  A customer's last day of business is the last day of the latest month
  with revenue; flagged when more than ``days`` days have passed since it.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from .tiers import CLUB_THRESHOLDS, club_level, next_level_gap

CENT = Decimal("0.01")
FACTOR_SCALE = 10_000  # factors are stored with four decimals (Numeric(6, 4))
FIRST_MONTH = 200001


@dataclass(frozen=True)
class LineRule:
    """What a product line contributes: its points factor and its maintenance growth."""

    code: str
    factor: Decimal
    earns_points: bool = True
    growth_rate: Decimal = Decimal("0")

    @property
    def effective_factor(self) -> Decimal:
        return self.factor if self.earns_points else Decimal("0")


# ---------------------------------------------------------------- months


def is_month(value: int) -> bool:
    """A YYYYMM month from the year 2000 on."""
    return value >= FIRST_MONTH and 1 <= value % 100 <= 12 and value <= 999912


def month_of(day: date) -> int:
    return day.year * 100 + day.month


def add_months(month: int, n: int) -> int:
    index = (month // 100) * 12 + (month % 100 - 1) + n
    return (index // 12) * 100 + index % 12 + 1


def months_between(first: int, last: int) -> list[int]:
    """``first`` … ``last`` inclusive."""
    months: list[int] = []
    month = first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def last_day(month: int) -> date:
    year, mon = divmod(month, 100)
    return date(year, mon, calendar.monthrange(year, mon)[1])


# ---------------------------------------------------------------- points


def monthly_points(amounts: Mapping[str, Decimal], lines: Mapping[str, LineRule]) -> int:
    """积分 of one customer's month: floor(Σ amount × factor), one point per yuan.

    ``amounts`` maps product line code → the month's revenue of that line.
    """
    total = Decimal("0")
    for code, amount in amounts.items():
        rule = lines.get(code)
        if rule is not None:
            total += Decimal(amount) * rule.effective_factor
    return max(0, int(total.to_integral_value(rounding=ROUND_FLOOR)))


def factor_units(rule: LineRule) -> int:
    """The effective factor in ten-thousandths (the integer the SQL formula uses)."""
    return int((rule.effective_factor * FACTOR_SCALE).to_integral_value(rounding=ROUND_HALF_UP))


def points_from_fen(fen_times_factor_units: int) -> int:
    """Monthly points from Σ(amount in fen × factor in ten-thousandths)."""
    return max(0, fen_times_factor_units // (100 * FACTOR_SCALE))


def annual_points(monthly: Iterable[int]) -> int:
    """The year's points: the sum of its months' points."""
    return sum(monthly)


def points_by_year(
    months: Mapping[int, Mapping[str, Decimal]], lines: Mapping[str, LineRule]
) -> dict[int, int]:
    """Annual points per calendar year from a customer's revenue by month (YYYYMM) and line."""
    years: dict[int, int] = {}
    for month, amounts in months.items():
        years[month // 100] = years.get(month // 100, 0) + monthly_points(amounts, lines)
    return years


@dataclass(frozen=True)
class Standing:
    """A customer's year at a glance: points, club level, the next level and the gap."""

    points: int
    level: str
    next_level: str | None
    gap: int | None


def standing(points: int, thresholds: Sequence[tuple[str, int]] = CLUB_THRESHOLDS) -> Standing:
    gap = next_level_gap(points, thresholds)
    return Standing(
        points, club_level(points, thresholds), gap[0] if gap else None, gap[1] if gap else None
    )


# ---------------------------------------------------------------- targets


def maintenance_target(
    last_year_by_line: Mapping[str, Decimal], lines: Mapping[str, LineRule]
) -> Decimal:
    """维护指标: Σ last year's revenue of a line × (1 + the line's growth rate), to the fen.

    Every line counts, agency finance too (the target is revenue, not points); a line the
    settings do not know keeps last year's revenue (growth 0).
    """
    total = Decimal("0")
    for code, amount in last_year_by_line.items():
        rule = lines.get(code)
        growth = rule.growth_rate if rule is not None else Decimal("0")
        total += Decimal(amount) * (1 + growth)
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def completion(actual: Decimal, target: Decimal) -> Decimal | None:
    """完成率: actual / target (1 = 100 %); None without a target."""
    if target <= 0:
        return None
    return (Decimal(actual) / Decimal(target)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


# ---------------------------------------------------------------- alerts


def revenue_change(amount: Decimal, previous_three: Sequence[Decimal]) -> Decimal | None:
    """The month's change against the average of the three months before (−0.35 = −35 %),
    or None when those months had no revenue."""
    if not previous_three:
        return None
    average = sum((Decimal(a) for a in previous_three), Decimal("0")) / len(previous_three)
    if average <= 0:
        return None
    return (Decimal(amount) - average) / average


def is_revenue_drop(
    amount: Decimal, previous_three: Sequence[Decimal], threshold: Decimal | float
) -> bool:
    """异常: the month's revenue dropped against the average of the three before by the
    threshold or more (``threshold`` is negative, −0.30 by default; exactly met counts)."""
    change = revenue_change(amount, previous_three)
    return change is not None and change <= Decimal(str(threshold))


def days_without_business(last_revenue_month: int | None, today: date) -> int | None:
    """Days since the last day of the latest month with revenue; None when never."""
    if last_revenue_month is None:
        return None
    return (today - last_day(last_revenue_month)).days


def is_without_business(last_revenue_month: int | None, today: date, days: int) -> bool:
    """No business for more than ``days`` days (a customer that never had revenue is not
    flagged here: the inactivity list of the visits counts it from its file's date)."""
    since = days_without_business(last_revenue_month, today)
    return since is not None and since > days
