"""Help for work over many rows at once (imports, reports over a whole branch)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """For work that makes tens of thousands of new objects and no garbage cycles, which
    the cyclic collector would rescan again and again (about 10 % of an import's time,
    a third of the quota report's)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
