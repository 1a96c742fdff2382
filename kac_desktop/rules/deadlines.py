"""Deadlines of time-limited service (限时服务, docs/DOMAIN.md §4), and the working-day calendar.

Pure: no database and no clock.  The functions take the moments, the settings and a calendar
and return values; the service layer passes the stored settings and the real calendar, tests
pass a fixed calendar.

Decisions (where the business rules are silent):

* Everything is reckoned in the branch's local time, Asia/Shanghai (UTC+8 all year, no daylight
  saving since 1991); moments are stored and passed as aware UTC datetimes.
* "The end of the working day" is the cut-off time (setting ``deadline.city_cutoff``, default
  18:00).  A request received *at or after* the cut-off, or on a day that is not a working day,
  counts as received on the next working day (its *start day*).
* City (城区当日): due at the cut-off of the start day.
* Rural (农村2日, "within 2 days"): due at the cut-off of the working day ``rural_days`` after
  the start day (received Monday 10:00 → Wednesday 18:00).
* Special case (特殊3日): the customer is first called to confirm; due at the cut-off of the
  working day ``special_days`` after the start day of the *confirming call*.  A special case
  without the time of that call has no deadline and is refused.
* Complaints (投诉首次响应) additionally get a first-response time of
  ``complaint_first_response_hours`` (default 24) elapsed clock hours after receipt, in either
  mode: a complaint is answered over a weekend too.  Their result deadline follows the area
  as for any other request.
* Calendar days (the default) or working days (setting ``deadline.working_days``).  In
  calendar mode every day is a working day.  In working-day mode the official holiday and
  adjusted-working-day (调休) calendar decides, so weekends and holidays are skipped and an
  adjusted Saturday counts as a working day.  The calendar is the center's own schedules
  over the ``chinesecalendar`` package's years (rules.calendar).
* Never a dead end: when a deadline needs a day the calendar does not know (a year whose
  schedule has not been published or entered), that day counts as a working day from Monday
  to Friday and the deadline is *provisional* (暂按周末计算).  The service recomputes it
  once the year's schedule arrives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol

from kac_desktop.i18n import N_, _

from .clock import LOCAL_TZ

RULE_CITY = "city"
RULE_RURAL = "rural"
RULE_SPECIAL = "special"

RULE_LABELS: dict[str, str] = {
    RULE_CITY: N_("City: same day"),
    RULE_RURAL: N_("Rural: {days} days"),
    RULE_SPECIAL: N_("Special case: {days} days"),
}


# ------------------------------------------------------------------ the calendar


class CalendarNotCovered(Exception):
    """The holiday calendar has no data for a date."""

    def __init__(self, day: date, first_year: int | None = None, last_year: int | None = None):
        if first_year and last_year:
            message = _(
                "The holiday calendar covers {first}–{last} only; {date} is outside it."
            ).format(first=first_year, last=last_year, date=day.isoformat())
        else:
            message = _("The holiday calendar does not cover {date}.").format(date=day.isoformat())
        super().__init__(message)
        self.message = message
        self.day = day


class WorkCalendar(Protocol):
    """Which days are working days.  Raises CalendarNotCovered for a day it does not know."""

    def is_working_day(self, day: date) -> bool: ...


class EveryDay:
    """Calendar days: every day is a working day."""

    def is_working_day(self, day: date) -> bool:
        return True


@dataclass(frozen=True)
class FixedCalendar:
    """Monday to Friday, minus ``holidays``, plus ``workdays`` (adjusted weekends); optionally
    bounded to the years ``first_year``–``last_year``.  For tests and for a calendar kept by
    hand."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    first_year: int | None = None
    last_year: int | None = None

    def is_working_day(self, day: date) -> bool:
        if (self.first_year and day.year < self.first_year) or (
            self.last_year and day.year > self.last_year
        ):
            raise CalendarNotCovered(day, self.first_year, self.last_year)
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


class ChineseHolidayCalendar:
    """The official calendar of public holidays and adjusted working days (法定节假日与调休),
    as published by the State Council and kept in the ``chinesecalendar`` package."""

    def __init__(self) -> None:
        import chinese_calendar

        self._cc = chinese_calendar
        years = {d.year for d in chinese_calendar.holidays} | {
            d.year for d in chinese_calendar.workdays
        }
        self.first_year = min(years)
        self.last_year = max(years)

    @property
    def version(self) -> str:
        return str(getattr(self._cc, "__version__", ""))

    def days_of(self, year: int) -> list[tuple[date, bool, str]]:
        """The year's holidays (True) and adjusted working days (False), with the library's
        (English) name of the holiday."""
        found = [(d, True, str(n)) for d, n in self._cc.holidays.items() if d.year == year]
        found += [(d, False, str(n)) for d, n in self._cc.workdays.items() if d.year == year]
        return sorted(found)

    def is_working_day(self, day: date) -> bool:
        if not self.first_year <= day.year <= self.last_year:
            raise CalendarNotCovered(day, self.first_year, self.last_year)
        try:
            return bool(self._cc.is_workday(day))
        except NotImplementedError as exc:
            raise CalendarNotCovered(day, self.first_year, self.last_year) from exc


_official: ChineseHolidayCalendar | None = None


def official_calendar() -> ChineseHolidayCalendar:
    """The official calendar, loaded once."""
    global _official
    if _official is None:
        _official = ChineseHolidayCalendar()
    return _official


# ------------------------------------------------------------------ settings


class SettingsError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class DeadlineSettings:
    cutoff: time = time(18, 0)
    rural_days: int = 2
    special_days: int = 3
    complaint_first_response_hours: int = 24
    working_days: bool = False

    @classmethod
    def from_settings(cls, values: dict[str, Any]) -> DeadlineSettings:
        """From the business settings (rules.defaults keys); a bad value raises SettingsError."""
        return cls(
            cutoff=parse_cutoff(values.get("deadline.city_cutoff", "18:00")),
            rural_days=_days(values.get("deadline.rural_days", 2), "deadline.rural_days"),
            special_days=_days(values.get("deadline.special_days", 3), "deadline.special_days"),
            complaint_first_response_hours=_days(
                values.get("deadline.complaint_first_response_hours", 24),
                "deadline.complaint_first_response_hours",
            ),
            working_days=bool(values.get("deadline.working_days", False)),
        )


def parse_cutoff(text: object) -> time:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", str(text))
    if match and int(match[1]) < 24 and int(match[2]) < 60:
        return time(int(match[1]), int(match[2]))
    raise SettingsError(
        _('The end of the working day must be a time such as 18:00, not "{value}".').format(
            value=text
        )
    )


def _days(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SettingsError(
            _('The setting {key} must be a whole number of 0 or more, not "{value}".').format(
                key=key, value=value
            )
        )
    return value


# ------------------------------------------------------------------ the deadline


@dataclass(frozen=True)
class Deadline:
    due_at: datetime  # aware, UTC
    rule: str  # stored code: "city", "rural:2", "special:3"
    first_response_due_at: datetime | None = None  # complaints only
    # counted with weekends only over days the calendar does not know (暂按周末计算)
    provisional: bool = False


PROVISIONAL_MARK = N_("provisional: weekends only")


class WeekendsBeyond:
    """A calendar that answers every day: the days ``calendar`` does not know count as
    working days from Monday to Friday, and ``guessed`` lists them."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        self.guessed: list[date] = []

    def is_working_day(self, day: date) -> bool:
        try:
            return self.calendar.is_working_day(day)
        except CalendarNotCovered:
            self.guessed.append(day)
            return day.weekday() < 5


def _calendar_for(settings: DeadlineSettings, calendar: WorkCalendar | None) -> WorkCalendar:
    if not settings.working_days:
        return EveryDay()
    return calendar if calendar is not None else official_calendar()


def start_day(
    moment: datetime, cutoff: time, calendar: WorkCalendar, tz: tzinfo = LOCAL_TZ
) -> date:
    """The working day a moment counts on: its own day when it is a working day and before
    the cut-off, otherwise the next working day."""
    local = moment.astimezone(tz)
    day = local.date()
    if local.time() >= cutoff or not calendar.is_working_day(day):
        day = next_working_day(day, calendar)
    return day


def next_working_day(day: date, calendar: WorkCalendar) -> date:
    day += timedelta(days=1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, count: int, calendar: WorkCalendar) -> date:
    for _i in range(count):
        day = next_working_day(day, calendar)
    return day


def end_of_day(day: date, cutoff: time, tz: tzinfo = LOCAL_TZ) -> datetime:
    return datetime.combine(day, cutoff, tzinfo=tz).astimezone(UTC)


def compute_deadline(
    received_at: datetime,
    area: str,
    settings: DeadlineSettings,
    *,
    request_type: str = "other",
    special_case: bool = False,
    confirmed_at: datetime | None = None,
    calendar: WorkCalendar | None = None,
    tz: tzinfo = LOCAL_TZ,
) -> Deadline:
    """The deadline of a request (docs/DOMAIN.md §4).  ``calendar`` is used in working-day mode
    (default: the library's calendar); a day it does not know counts as Monday to Friday
    and makes the deadline provisional.  A special case needs ``confirmed_at`` (ValueError
    otherwise)."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be aware")
    cal = WeekendsBeyond(_calendar_for(settings, calendar))
    if special_case:
        if confirmed_at is None:
            raise ValueError("a special case needs the time of the confirming call")
        day = add_working_days(
            start_day(confirmed_at, settings.cutoff, cal, tz), settings.special_days, cal
        )
        rule = f"{RULE_SPECIAL}:{settings.special_days}"
    elif area == "rural":
        day = add_working_days(
            start_day(received_at, settings.cutoff, cal, tz), settings.rural_days, cal
        )
        rule = f"{RULE_RURAL}:{settings.rural_days}"
    else:
        day = start_day(received_at, settings.cutoff, cal, tz)
        rule = RULE_CITY
    first_response = None
    if request_type == "complaint":
        first_response = received_at.astimezone(UTC) + timedelta(
            hours=settings.complaint_first_response_hours
        )
    return Deadline(end_of_day(day, settings.cutoff, tz), rule, first_response, bool(cal.guessed))


def recompute_deadline(
    received_at: datetime,
    rule: str,
    stored_due_at: datetime,
    confirmed_at: datetime | None,
    calendar: WorkCalendar,
    tz: tzinfo = LOCAL_TZ,
) -> tuple[datetime, bool]:
    """A stored working-day deadline reckoned again with ``calendar`` (a year's schedule
    has arrived): by the rule it was given (``city``, ``rural:N``, ``special:N``) and the
    end of the working day it fell at, whatever the settings say now.  Returns the new due
    time and whether it is still provisional."""
    code, _sep, days_text = rule.partition(":")
    days = int(days_text) if days_text.isdigit() else 0
    cutoff = stored_due_at.astimezone(tz).time()
    cal = WeekendsBeyond(calendar)
    if code == RULE_SPECIAL and confirmed_at is not None:
        day = add_working_days(start_day(confirmed_at, cutoff, cal, tz), days, cal)
    elif code in (RULE_RURAL, RULE_SPECIAL):
        day = add_working_days(start_day(received_at, cutoff, cal, tz), days, cal)
    else:
        day = start_day(received_at, cutoff, cal, tz)
    return end_of_day(day, cutoff, tz), bool(cal.guessed)


def rule_label(
    rule: str, first_response_hours: int | None = None, provisional: bool = False
) -> str:
    """城区当日 / 农村2日 / 特殊3日, with 投诉首次响应24小时 for a complaint and 暂按周末计算
    for a provisional deadline."""
    code, _sep, days = rule.partition(":")
    template = RULE_LABELS.get(code)
    text = _(template).format(days=days) if template else rule
    if first_response_hours is not None:
        text += " · " + _("complaint first response {hours} h").format(hours=first_response_hours)
    if provisional:
        text += " · " + _(PROVISIONAL_MARK)
    return text


def first_response_hours(
    received_at: datetime, first_response_due_at: datetime | None
) -> int | None:
    if first_response_due_at is None:
        return None
    return round((first_response_due_at - received_at).total_seconds() / 3600)
