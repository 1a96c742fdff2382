"""What one operation changed, named by kind and id, so that every open page refreshes
only what it shows of that.

Every mutation in services/ returns a ``ChangeSet`` (or, when the caller needs more than
that — an import's counts, a new password — a result whose ``changes`` is one).  The
window's operation runner (views/operations.py) hands it to every open page's
``apply_changes``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar


class Kind(enum.Enum):
    CUSTOMER = "customer"  # a customer file (its row in the lists, its editor)
    CONTACT = "contact"  # a contact person of a customer
    VISIT = "visit"  # a visit record (the visit lists, follow-ups, the quota)
    REQUEST = "request"  # a time-limited service request (the board)
    REVENUE = "revenue"  # revenue rows of a customer (ids: customer ids)
    TIER = "tier"  # a confirmed tier of a customer (ids: customer ids)
    USER = "user"  # an account
    SETTING = "setting"  # a business setting (ids: keys)
    PRODUCT_LINE = "product_line"  # a product line's rule (ids: line codes)
    AUDIT = "audit"  # the audit log only (a backup, a restore)
    DATABASE = "database"  # the whole file was replaced (a restore): everything


@dataclass(frozen=True, eq=False)
class ChangeSet:
    """Ids per kind; ``a | b`` is both; an empty set changed nothing (and is falsy).

    ``created`` and ``removed`` name the ids among them that are new or gone, for a page
    whose membership (not only a row's content) depends on it.  ``ChangeSet.whole(kind)``
    says that rows of ``kind`` changed without naming them (a product line's rule changes
    every customer's points): a page showing that kind reloads."""

    _ids: Mapping[Kind, frozenset[str]] = field(default_factory=dict)
    created: frozenset[tuple[Kind, str]] = frozenset()
    removed: frozenset[tuple[Kind, str]] = frozenset()
    _whole: frozenset[Kind] = frozenset()

    @classmethod
    def of(
        cls,
        kind: Kind,
        ids: Iterable[str | None] = (),
        *,
        created: bool = False,
        removed: bool = False,
    ) -> ChangeSet:
        """The rows ``ids`` of ``kind`` (none: an empty change set)."""
        chosen = frozenset(str(i) for i in ids if i is not None)
        if not chosen:
            return EMPTY
        return cls(
            {kind: chosen},
            created=frozenset((kind, i) for i in chosen) if created else frozenset(),
            removed=frozenset((kind, i) for i in chosen) if removed else frozenset(),
        )

    @classmethod
    def whole(cls, *kinds: Kind) -> ChangeSet:
        """Rows of ``kinds`` changed, which ones is not said."""
        return cls({kind: frozenset() for kind in kinds}, _whole=frozenset(kinds))

    def __post_init__(self) -> None:
        # a change set is a value: its mapping is copied, never shared
        object.__setattr__(self, "_ids", {k: frozenset(v) for k, v in self._ids.items()})

    def __or__(self, other: ChangeSet) -> ChangeSet:
        if not isinstance(other, ChangeSet):
            return NotImplemented
        merged: dict[Kind, frozenset[str]] = dict(self._ids)
        for kind, ids in other._ids.items():
            merged[kind] = merged.get(kind, frozenset()) | ids
        return ChangeSet(
            merged,
            created=self.created | other.created,
            removed=self.removed | other.removed,
            _whole=self._whole | other._whole,
        )

    def __bool__(self) -> bool:
        return bool(self._ids)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ChangeSet):
            return NotImplemented
        return (self._ids, self.created, self.removed, self._whole) == (
            other._ids,
            other.created,
            other.removed,
            other._whole,
        )

    def __hash__(self) -> int:
        return hash((frozenset(self._ids.items()), self.created, self.removed, self._whole))

    def __repr__(self) -> str:
        parts = []
        for kind in sorted(self._ids, key=lambda k: k.value):
            parts.append(
                f"{kind.name}=*"
                if kind in self._whole
                else f"{kind.name}={sorted(self._ids[kind])}"
            )
        return "ChangeSet(" + ", ".join(parts) + ")"

    @property
    def kinds(self) -> frozenset[Kind]:
        return frozenset(self._ids)

    def touches(self, *kinds: Kind) -> bool:
        """Whether any of ``kinds`` changed (a replaced database touches every kind)."""
        if Kind.DATABASE in self._ids:
            return True
        return any(kind in self._ids for kind in kinds)

    def ids(self, kind: Kind) -> frozenset[str]:
        """The named ids of ``kind`` (empty when none or when the rows are not named)."""
        return self._ids.get(kind, frozenset())

    def first(self, kind: Kind) -> str:
        """The one id of ``kind`` that a single-row operation changed (KeyError if none)."""
        ids = self.ids(kind)
        if not ids:
            raise KeyError(kind)
        return min(ids) if len(ids) > 1 else next(iter(ids))

    def is_whole(self, kind: Kind) -> bool:
        """Whether rows of ``kind`` changed without being named: reload what shows them."""
        return kind in self._whole or Kind.DATABASE in self._ids

    def new(self, kind: Kind) -> frozenset[str]:
        """The ids of ``kind`` that were created."""
        return frozenset(i for k, i in self.created if k is kind)

    def gone(self, kind: Kind) -> frozenset[str]:
        """The ids of ``kind`` that were removed."""
        return frozenset(i for k, i in self.removed if k is kind)

    def rows_only(self, kind: Kind) -> bool:
        """Whether ``kind`` changed in the content of named rows only — none new, none gone
        — so that a page may refresh those rows instead of reloading."""
        ids = self.ids(kind)
        return bool(ids) and not self.is_whole(kind) and not (self.new(kind) | self.gone(kind))


EMPTY = ChangeSet()

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """A mutation's result that its caller needs besides what it changed (a new user's
    id, a temporary password)."""

    value: T
    changes: ChangeSet


def changes_of(result: Any) -> ChangeSet:
    """The change set an operation's result carries (none when it carries none)."""
    if isinstance(result, ChangeSet):
        return result
    found = getattr(result, "changes", None)
    return found if isinstance(found, ChangeSet) else EMPTY
