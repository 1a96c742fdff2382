"""The working-day calendar the center keeps: a year's holidays and adjusted working days.

Both tables travel to branch PCs like the other tracked records.  A year travels as a
whole: its ``holiday_years`` row (whose version rises at every save) and the entries that
belong to it; the newer version of a year replaces the receiving side's entries of it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Tracked


class HolidayYear(Tracked, Base):
    """A year whose schedule the center entered (it then overrides the library's)."""

    __tablename__ = "holiday_years"

    year: Mapped[int] = mapped_column(Integer, unique=True)
    # where the schedule came from: the notice's text as pasted, or a file's name
    source: Mapped[str] = mapped_column(Text, default="")


class HolidayEntry(Tracked, Base):
    """One date of a year's schedule: a holiday (放假) or an adjusted working day (调休上班)."""

    __tablename__ = "holiday_entries"
    __table_args__ = (UniqueConstraint("year_id", "day"),)

    year_id: Mapped[str] = mapped_column(
        ForeignKey("holiday_years.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))  # rules.calendar: holiday | workday
    name: Mapped[str] = mapped_column(String(40), default="")
