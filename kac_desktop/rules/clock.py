"""The business's time zone and clock, defined once.

The branches keep China Standard Time: Asia/Shanghai has been UTC+8 all year, without
daylight saving, since 1991.  Every "local" date in the rules — the day a visit counts for,
the month of the quota, a request's deadline at 18:00, the report's month, "today" on a
page — is the date in this zone, whatever zone the computer running kac_desktop is set to.
Times are stored in UTC; they become local only to be reckoned with or shown.

The rule functions themselves never read the clock: they take ``today``/``now`` as
arguments, so a test can say what day it is.  ``now()`` and ``business_today()`` here are
the one place where the system clock is read, for the services and pages that need it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

# The fixed offset, exact for every date since 1991 (used where a zone database is missing,
# and by SQL that shifts stored UTC text into local dates).
UTC_OFFSET = timedelta(hours=8)

try:
    from zoneinfo import ZoneInfo

    LOCAL_TZ: tzinfo = ZoneInfo("Asia/Shanghai")
except Exception:  # noqa: BLE001 - no zone database (Windows without tzdata)
    LOCAL_TZ = timezone(UTC_OFFSET, "CST")


def now() -> datetime:
    """The present moment, aware, in UTC."""
    return datetime.now(UTC)


def local_date(moment: datetime, tz: tzinfo = LOCAL_TZ) -> date:
    """The business date of an aware moment; a naive one is refused (its zone is unknown)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(tz).date()


def business_today(moment: datetime | None = None) -> date:
    """The business date now (or at ``moment``): the date in China, not the computer's."""
    return local_date(moment if moment is not None else now())


def local_midnight(day: date, tz: tzinfo = LOCAL_TZ) -> datetime:
    """00:00 local on ``day`` as an aware UTC datetime."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def local_text(moment: datetime | None) -> str:
    """An aware moment as the pages and reports show it: ``YYYY-MM-DD HH:MM`` local ("" for
    none)."""
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""
