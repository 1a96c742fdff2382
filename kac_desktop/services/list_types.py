"""The customer list's query and row, and how a cell reads (no database here: the list's
view and its export share them); services/customers.py re-exports them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from kac_desktop.i18n import _
from kac_desktop.rules import vocab


@dataclass(frozen=True)
class CustomerQuery:
    search: str = ""
    tier: str | None = None
    visit_class: int | None = None
    kind: str | None = None
    industry: str | None = None
    area: str | None = None
    branch_id: str | None = None
    manager_id: str | None = None
    archived: bool | None = False  # None: both
    sort: str = "name"
    descending: bool = False

    @property
    def is_default(self) -> bool:
        """The list as it opens: customers in use, by name, nothing filtered."""
        return self == DEFAULT_QUERY


DEFAULT_QUERY = CustomerQuery()


class CustomerRow(NamedTuple):
    """A row of the customer list (a tuple: a page of them is made on every keystroke, and
    a frozen dataclass takes five times as long to make)."""

    id: str
    name: str
    credit_code: str
    kind: str
    tier: str
    visit_class: int
    industry: str
    area: str
    branch: str
    manager: str
    contact: str
    phone: str
    completeness: int
    archived: bool
    updated_at: datetime


def export_value(row: CustomerRow, key: str) -> object:
    """A list cell as a person reads it: labels instead of codes, ratios as numbers."""
    if key == "kind":
        return vocab.label(vocab.KINDS, row.kind)
    if key == "tier":
        return vocab.label(vocab.TIERS, row.tier)
    if key == "visit_class":
        return vocab.label(vocab.VISIT_CLASSES, row.visit_class)
    if key == "industry":
        return vocab.label(vocab.INDUSTRIES, row.industry)
    if key == "area":
        return vocab.label(vocab.AREAS, row.area)
    if key == "completeness":
        return row.completeness / 100
    if key == "archived":
        return _("yes") if row.archived else ""
    return getattr(row, key)
