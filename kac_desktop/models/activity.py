"""Visits (docs/DOMAIN.md §3) and time-limited service requests (§4)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Tracked, UTCDateTime


class Visit(Tracked, Base):
    __tablename__ = "visits"

    # a branch meeting (座谈会) may have no single customer
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"))
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"))
    manager_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id"))
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime())
    mode: Mapped[str] = mapped_column(String(20), default="onsite")
    purpose: Mapped[str] = mapped_column(String(20), default="keep")
    summary: Mapped[str] = mapped_column(Text, default="")
    needs: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str] = mapped_column(Text, default="")
    next_step_date: Mapped[date | None] = mapped_column(Date)
    next_step_done: Mapped[bool] = mapped_column(Boolean, default=False)
    satisfaction: Mapped[int | None] = mapped_column(Integer)


Index("ix_visits_customer_time", Visit.customer_id, Visit.visited_at)
Index("ix_visits_manager_time", Visit.manager_id, Visit.visited_at)
# and on SQLite only, ix_visits_month_customer on the local month of visited_at (migration
# 0004, services/visits.MONTH_KEY_SQL): an expression in SQLite's date functions


class ServiceRequest(Tracked, Base):
    __tablename__ = "service_requests"

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    manager_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20), default="phone")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    description: Mapped[str] = mapped_column(Text, default="")
    special_case: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline_rule: Mapped[str] = mapped_column(String(20), default="")
    # counted with weekends only over a year the calendar did not know (暂按周末计算);
    # recomputed when the year's schedule is entered (services.calendar)
    deadline_provisional: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="received")
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# the deadline board's open requests with their times in one index range (migration 0004)
Index(
    "ix_requests_board",
    ServiceRequest.status,
    ServiceRequest.deadline_at,
    ServiceRequest.id,
    ServiceRequest.received_at,
    ServiceRequest.first_response_due_at,
    ServiceRequest.first_response_at,
    ServiceRequest.resolved_at,
    ServiceRequest.customer_id,
)


class RequestStatusChange(Tracked, Base):
    """Every step of a request's status flow, with who and when."""

    __tablename__ = "request_status_changes"

    request_id: Mapped[str] = mapped_column(
        ForeignKey("service_requests.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
