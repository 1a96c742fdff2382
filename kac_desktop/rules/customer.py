"""The customer file as plain data, shared by the editor, the import and the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass
class ContactData:
    name: str = ""
    role: str = "contact"  # vocab.CONTACT_ROLES
    phone: str = ""
    mobile: str = ""
    email: str = ""
    birthday: date | None = None
    notes: str = ""
    id: str | None = None  # None for a contact not yet stored


@dataclass
class CustomerData:
    # basic
    name: str = ""
    credit_code: str = ""
    kind: str = "key"  # vocab.KINDS
    nature: str = "enterprise"  # vocab.NATURES
    industry: str = ""  # vocab.INDUSTRIES
    address: str = ""
    area: str = "city"  # vocab.AREAS
    branch_id: str | None = None
    manager_id: str | None = None
    business_scope: str = ""
    cooperation_start: date | None = None
    # 登记日期: the day the customer came on file; None for a new file means "today"
    registered_on: date | None = None
    # business
    product_lines: list[str] = field(default_factory=list)  # vocab.PRODUCT_LINES
    express_kinds: list[str] = field(default_factory=list)  # vocab.EXPRESS_KINDS
    geo_scope: str = ""  # vocab.GEO_SCOPES
    settlement: str = ""  # vocab.SETTLEMENTS
    contract_no: str = ""
    contract_start: date | None = None
    contract_end: date | None = None
    tariff_discount: str = ""
    # preferences
    pickup_times: str = ""
    special_needs: str = ""
    # credit
    credit_rating: str = ""  # vocab.CREDIT_RATINGS
    payment_record: str = ""
    arrears: Decimal | None = None
    # classification
    tier: str = "ordinary"  # the confirmed tier, vocab.TIERS
    visit_class_override: int | None = None
    notes: str = ""
    contacts: list[ContactData] = field(default_factory=list)


@dataclass(frozen=True)
class FieldError:
    """A validation failure: which field (a CustomerData attribute, or ``contacts[i].attr``)
    and a message in the user's language."""

    field: str
    message: str
