"""File completeness (档案资料完整率, docs/DOMAIN.md §2): the share of required fields filled, per
customer, and averaged per manager and branch.  A city-center KPI; ``missing`` tells the
manager what to fill in.

Decisions:

* A text field counts as filled when it holds more than whitespace; a date when it is set;
  a list when it has an entry.
* ``contacts`` is filled by at least one contact with a name *and* a phone or mobile number
  (a name alone cannot be called); ``key_person`` by a named contact whose role is key person
  or leader.
* The credit code does not apply to individuals (个人 have none, and validation does not ask
  for one): for them it is left out of the total rather than counted as missing forever.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kac_desktop.i18n import N_, _
from kac_desktop.rules.credit_code import credit_code_error
from kac_desktop.rules.customer import ContactData, CustomerData

REQUIRED_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", N_("Name")),
    ("credit_code", N_("Unified social credit code")),
    ("nature", N_("Nature")),
    ("industry", N_("Industry")),
    ("address", N_("Address")),
    ("area", N_("Area")),
    ("business_scope", N_("Business scope")),
    ("cooperation_start", N_("Cooperation start date")),
    ("product_lines", N_("Product lines used")),
    ("geo_scope", N_("Geographic scope")),
    ("settlement", N_("Settlement")),
    ("contract_no", N_("Contract number")),
    ("pickup_times", N_("Pickup times")),
    ("credit_rating", N_("Credit rating")),
    ("contacts", N_("Contact with a phone number")),
    ("key_person", N_("Key person or leader")),
)
"""(field key, label) of what a complete file has, in the order shown to the user."""

_LABELS = dict(REQUIRED_FIELDS)
KEY_ROLES = ("key_person", "leader")


@dataclass(frozen=True)
class Completeness:
    filled: int
    total: int
    missing: tuple[str, ...]  # field keys of REQUIRED_FIELDS, in its order

    @property
    def ratio(self) -> float:
        """Filled share, 0.0 … 1.0 (1.0 for a file with nothing required)."""
        return self.filled / self.total if self.total else 1.0

    @property
    def percent(self) -> int:
        """The ratio in whole percent, rounded half up (7 of 8 → 88)."""
        if not self.total:
            return 100
        return (200 * self.filled + self.total) // (2 * self.total)

    def missing_labels(self) -> list[str]:
        """The missing fields' labels in the user's language."""
        return [_(_LABELS[key]) for key in self.missing]


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _reachable(contact: ContactData) -> bool:
    return _text(contact.name) and (_text(contact.phone) or _text(contact.mobile))


_CHECKS: dict[str, Callable[[CustomerData], bool]] = {
    "name": lambda d: _text(d.name),
    # an invalid code is not filled in: the file still lacks the customer's code
    "credit_code": lambda d: _text(d.credit_code) and credit_code_error(d.credit_code) is None,
    "nature": lambda d: _text(d.nature),
    "industry": lambda d: _text(d.industry),
    "address": lambda d: _text(d.address),
    "area": lambda d: _text(d.area),
    "business_scope": lambda d: _text(d.business_scope),
    "cooperation_start": lambda d: d.cooperation_start is not None,
    "product_lines": lambda d: any(_text(code) for code in d.product_lines),
    "geo_scope": lambda d: _text(d.geo_scope),
    "settlement": lambda d: _text(d.settlement),
    "contract_no": lambda d: _text(d.contract_no),
    "pickup_times": lambda d: _text(d.pickup_times),
    "credit_rating": lambda d: _text(d.credit_rating),
    "contacts": lambda d: any(_reachable(c) for c in d.contacts),
    "key_person": lambda d: any(_text(c.name) and c.role in KEY_ROLES for c in d.contacts),
}


def applicable_fields(data: CustomerData) -> tuple[str, ...]:
    """The keys of REQUIRED_FIELDS that count for this customer (no credit code for an
    individual)."""
    return tuple(
        key
        for key, _label in REQUIRED_FIELDS
        if not (key == "credit_code" and data.nature == "individual")
    )


def completeness(data: CustomerData) -> Completeness:
    """How complete one customer file is, and what is missing."""
    keys = applicable_fields(data)
    missing = tuple(key for key in keys if not _CHECKS[key](data))
    return Completeness(filled=len(keys) - len(missing), total=len(keys), missing=missing)


def average(values: Iterable[Completeness]) -> float:
    """The mean of the files' ratios (each customer weighs the same), 0.0 … 1.0; 0.0 when
    there are none."""
    ratios = [value.ratio for value in values]
    return sum(ratios) / len(ratios) if ratios else 0.0
