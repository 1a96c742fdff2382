"""How much history the demonstration data makes (``build_demo(..., volumes=Volumes(...))``).

Without figures the demo makes what its customers' rules give an office: a year of visits
at each class's monthly quota (3/2/1, some missed), two years of revenue on the lines each
customer uses, and about one service request per customer a year.  A benchmark asks for
exact totals instead (the issue's L: 2,000,000 visits, 1,200,000 revenue rows, 200,000
requests over two years); the generators then fit their plan to the total — see
``fit_counts`` — rather than change what a customer or a month looks like.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from kac_desktop.i18n import _
from kac_desktop.services.errors import ServiceError

MAX_MONTHS = 120
MAX_ROWS = 50_000_000
# a customer files about one service request a year (pickups on call, questions, complaints)
REQUESTS_PER_CUSTOMER_YEAR = 1.0


@dataclass(frozen=True)
class Volumes:
    """The history to make.  A count of None: what the rules give for the months asked."""

    visits: int | None = None  # visit rows, branch meetings included
    visit_months: int = 12  # this month (up to yesterday) and the months before it
    revenue_rows: int | None = None  # customer × product line × month rows
    revenue_months: int = 24  # the months before this one
    requests: int | None = None  # service requests (each with its status steps)
    request_months: int = 12

    def check(self) -> None:
        """Raise ServiceError naming the first figure out of range."""
        for label, months in (
            (_("months of visits"), self.visit_months),
            (_("months of revenue"), self.revenue_months),
            (_("months of service requests"), self.request_months),
        ):
            if not 1 <= months <= MAX_MONTHS:
                raise ServiceError(
                    _("The {what} must be between 1 and {max}.").format(what=label, max=MAX_MONTHS)
                )
        for label, count in (
            (_("number of visits"), self.visits),
            (_("number of revenue rows"), self.revenue_rows),
            (_("number of service requests"), self.requests),
        ):
            if count is not None and not 0 <= count <= MAX_ROWS:
                raise ServiceError(
                    _("The {what} must be between 0 and {max}.").format(
                        what=label, max=f"{MAX_ROWS:,}"
                    )
                )


def fit_counts(
    rng: random.Random,
    counts: list[int],
    target: int,
    removable: Sequence[Sequence[int]],
    addable: Sequence[int],
) -> bool:
    """Change ``counts`` (rows per slot) in place so that they sum to ``target``; False
    (``counts`` unchanged) when the slots cannot hold that many.

    Too many: remove rows from the slot groups of ``removable`` in order (the first group
    first, e.g. phone calls before quota visits), at random within a group, each slot
    listed once per row it may lose (the groups must not list a row twice).  Too few: add
    rows to slots drawn at random from ``addable``.
    """
    have = sum(counts)
    if have > target:
        if have - target > sum(len(group) for group in removable):
            return False
        excess = have - target
        for group in removable:
            take = min(excess, len(group))
            for slot in rng.sample(group, take) if take < len(group) else group:
                counts[slot] -= 1
            excess -= take
            if not excess:
                break
    elif have < target:
        if not addable:
            return False
        for _i in range(target - have):
            counts[addable[int(rng.random() * len(addable))]] += 1
    return True
