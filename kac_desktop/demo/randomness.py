"""The demo generators' random helpers: weighted tables, ids and months, cheaper than
``random.choices`` and ``uuid`` at the millions of draws the benchmark scales make."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from datetime import date
from typing import Any

Table = tuple[tuple[Any, ...], list[float]]


def table(pairs: tuple[tuple[Any, float], ...]) -> Table:
    """``((value, weight), ...)`` prepared for ``pick``."""
    return tuple(v for v, _w in pairs), list(itertools.accumulate(w for _v, w in pairs))


def pick(rng: random.Random, prepared: Table) -> Any:
    """One value of a ``table``, by weight (a zero weight is never chosen)."""
    values, cumulative = prepared
    return values[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def any_of(rng: random.Random, seq: Sequence[Any]) -> Any:
    # rng.choice costs three times as much
    return seq[int(rng.random() * len(seq))]


def new_id(rng: random.Random) -> str:
    """What str(uuid.UUID(int=rng.getrandbits(128), version=4)) gives, without the object."""
    n = rng.getrandbits(128)
    n = (n & ~(0xC000 << 48) | (0x8000 << 48)) & ~(0xF000 << 64) | (4 << 76)
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def month_start(day: date, back: int) -> date:
    """The first day of the month ``back`` months before ``day``'s (negative: after)."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)
