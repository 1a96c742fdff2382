"""The three-way merge of one record met on both sides of a data exchange (docs/SYNC.md).

``base`` is the record as both sides last had it in common, ``mine`` this side's, ``theirs``
the one the package brings (each a mapping of field → value, values as they travel: JSON
text, numbers, lists).  A field changed on one side only takes that side's value; a field
changed on both sides to different values is a conflict: this side's value stays in the
record and both are kept in the conflict row until a supervisor settles it.  Fields named
in ``ignored`` (the bookkeeping of who and when, the row version) never conflict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Merge:
    result: dict[str, Any]  # the record after the merge
    conflicts: tuple[str, ...]  # the fields changed on both sides to different values
    changed: bool  # whether ``result`` differs from ``mine``


def merge(
    base: Mapping[str, Any] | None,
    mine: Mapping[str, Any],
    theirs: Mapping[str, Any],
    ignored: Iterable[str] = (),
) -> Merge:
    """Merge ``theirs`` into ``mine`` over their common ``base`` (None: no common past,
    e.g. the same record made on both sides: every differing field is a conflict)."""
    skip = set(ignored)
    result = dict(mine)
    conflicts: list[str] = []
    for name in sorted(set(mine) | set(theirs)):
        if name in skip:
            continue
        m, t = mine.get(name), theirs.get(name)
        if m == t:
            continue
        b = base.get(name) if base is not None else None
        known = base is not None and name in base
        if known and m == b:
            result[name] = t  # changed on their side only
        elif known and t == b:
            continue  # changed on this side only
        else:
            conflicts.append(name)
    return Merge(result, tuple(conflicts), result != dict(mine))


__all__ = ["Merge", "merge"]
