"""The customer file (客户档案, docs/DOMAIN.md §2) and its contacts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kac_desktop.rules.clock import business_today, local_date

from .base import Base, Tracked, UTCDateTime


def _registered_default(context) -> date:
    """A row inserted without a registration date is on file from the Beijing date of its
    ``created_at`` (what migration 0010 gave the existing rows)."""
    made = context.get_current_parameters().get("created_at") if context is not None else None
    if not isinstance(made, datetime):
        return business_today()
    return local_date(made if made.tzinfo else made.replace(tzinfo=UTC))


class Customer(Tracked, Base):
    __tablename__ = "customers"

    # basic
    name: Mapped[str] = mapped_column(String(200))
    # normalised name (rules.names) for the no-double-development check
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    # pinyin of the name, for sorting by name in the order users expect
    name_sort: Mapped[str] = mapped_column(String(400), default="")
    credit_code: Mapped[str | None] = mapped_column(String(18), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="key")
    nature: Mapped[str] = mapped_column(String(20), default="enterprise")
    industry: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    area: Mapped[str] = mapped_column(String(10), default="city")
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"), index=True)
    manager_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    business_scope: Mapped[str] = mapped_column(Text, default="")
    cooperation_start: Mapped[date | None] = mapped_column(Date)
    # the day the customer came on the branch's files (登记日期, migration 0010): reports,
    # quotas and alerts count the customer from it; set by the import or the day the file is
    # made, changed by a supervisor
    registered_on: Mapped[date] = mapped_column(
        Date, default=_registered_default, server_default=text("'1970-01-01'")
    )
    # business
    product_lines: Mapped[list] = mapped_column(JSON, default=list)
    express_kinds: Mapped[list] = mapped_column(JSON, default=list)
    geo_scope: Mapped[str] = mapped_column(String(20), default="")
    settlement: Mapped[str] = mapped_column(String(20), default="")
    contract_no: Mapped[str] = mapped_column(String(50), default="")
    contract_start: Mapped[date | None] = mapped_column(Date)
    contract_end: Mapped[date | None] = mapped_column(Date)
    tariff_discount: Mapped[str] = mapped_column(String(100), default="")
    # preferences
    pickup_times: Mapped[str] = mapped_column(String(200), default="")
    special_needs: Mapped[str] = mapped_column(Text, default="")
    # credit
    credit_rating: Mapped[str] = mapped_column(String(5), default="")
    payment_record: Mapped[str] = mapped_column(Text, default="")
    arrears: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    # classification: the confirmed tier; suggestions live in tier_assessments
    tier: Mapped[str] = mapped_column(String(20), default="ordinary", index=True)
    tier_confirmed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    tier_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    visit_class_override: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    # denormalised for the list (sortable in SQL), kept by the customer service on save
    primary_contact: Mapped[str] = mapped_column(String(50), default="")
    primary_phone: Mapped[str] = mapped_column(String(30), default="")
    completeness: Mapped[int] = mapped_column(Integer, default=0)
    archived: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Contact.created_at"
    )


class Contact(Tracked, Base):
    __tablename__ = "contacts"

    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(20), default="contact")
    phone: Mapped[str] = mapped_column(String(30), default="")
    mobile: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(100), default="")
    birthday: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")

    customer: Mapped[Customer] = relationship(back_populates="contacts")


class CustomerSearch(Base):
    """One row of lowercase search text per customer (name, pinyin, initials, credit code,
    contact names and phones), kept by the customer service on every save.  A narrow table
    keeps the LIKE scan short."""

    __tablename__ = "customer_search"

    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(Text, default="")


# the list's other orders (migration 0003): the first page of any of them is an index walk
for _column in (
    Customer.credit_code,
    Customer.kind,
    Customer.industry,
    Customer.area,
    Customer.primary_contact,
    Customer.primary_phone,
    Customer.completeness,
):
    Index(
        f"ix_customers_list_{_column.key}",
        Customer.archived,
        _column,
        Customer.name_sort,
        Customer.id,
    )
Index(
    "ix_customers_list_tier",
    Customer.archived,
    text(
        "CASE tier WHEN 'diamond' THEN 1 WHEN 'platinum' THEN 2 WHEN 'gold' THEN 3 "
        "WHEN 'vip' THEN 4 WHEN 'ordinary' THEN 5 ELSE 9 END"
    ),
    Customer.name_sort,
    Customer.id,
)
# what the quota reads of a branch's customers, by name (migrations 0004, 0010)
Index(
    "ix_customers_quota",
    Customer.branch_id,
    Customer.name_sort,
    Customer.id,
    Customer.archived,
    Customer.registered_on,  # created_at until migration 0010
    Customer.archived_at,
    Customer.manager_id,
    Customer.tier,
    Customer.visit_class_override,
    Customer.name,
)
Index(
    "ix_customers_list_manager_id",
    Customer.manager_id,
    Customer.archived,
    Customer.name_sort,
    Customer.id,
)
Index(
    "ix_customers_list_branch_id",
    Customer.branch_id,
    Customer.archived,
    Customer.name_sort,
    Customer.id,
)
# the customer list's default order (archived = 0, by pinyin name): its first page is an
# index walk with LIMIT instead of a sort of the whole table (benchmarks/cases_customers.py)
Index("ix_customers_list_name", Customer.archived, Customer.name_sort, Customer.id)
