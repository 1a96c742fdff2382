"""Revenue, points and the club (docs/DOMAIN.md §5)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Tracked, UTCDateTime


class ProductLine(Tracked, Base):
    __tablename__ = "product_lines"

    code: Mapped[str] = mapped_column(String(20), unique=True)  # vocab.PRODUCT_LINES
    name: Mapped[str] = mapped_column(String(50))
    # 有效收入折算标准: points per yuan of revenue
    factor: Mapped[Decimal] = mapped_column(Numeric(6, 4), default=Decimal("1"))
    earns_points: Mapped[bool] = mapped_column(Boolean, default=True)
    # 维护指标 growth rate, e.g. 0.1465 for letters
    growth_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4), default=Decimal("0"))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Revenue(Tracked, Base):
    """One customer's revenue of one product line in one month (YYYYMM)."""

    __tablename__ = "revenues"
    __table_args__ = (UniqueConstraint("customer_id", "month", "product_line"),)

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    month: Mapped[int] = mapped_column(Integer)
    product_line: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))


# covering indexes: per customer over a range of months, and per month over customers with
# each row's line (the revenue import's comparison, the assessments' points: migration 0005)
Index("ix_revenues_customer_month_amount", Revenue.customer_id, Revenue.month, Revenue.amount)
Index(
    "ix_revenues_month_customer_line_amount",
    Revenue.month,
    Revenue.customer_id,
    Revenue.product_line,
    Revenue.amount,
)


class TierAssessment(Tracked, Base):
    """A year's points and the tier they suggest, with the supervisor's confirmation."""

    __tablename__ = "tier_assessments"
    __table_args__ = (UniqueConstraint("customer_id", "year"),)

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer, default=0)
    # kept with the points at every import, so lists read one row instead of the months
    revenue: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    # 维护指标 for the year: last year's revenue by line × (1 + the line's growth rate)
    target: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    suggested_tier: Mapped[str] = mapped_column(String(20))
    confirmed_tier: Mapped[str | None] = mapped_column(String(20))
    confirmed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MarketingProject(Tracked, Base):
    """营销项目: thresholds for plan / review / key project and the 70/30 credit split."""

    __tablename__ = "marketing_projects"

    name: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    lead_manager_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    helper_manager_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default="planned")
