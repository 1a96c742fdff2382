"""The business day: today as the branches reckon it (China time), whatever time zone the
PC is kept on — the day every page opens on (the calendar, the quota's month, the report's
month, the revenue year) and the services count from."""

from __future__ import annotations

from datetime import date, datetime

from kac_desktop.models import utcnow
from kac_desktop.rules.quota import local_date


def business_today(now: datetime | None = None) -> date:
    """The local date of ``now`` (default: this moment) in the business time zone."""
    return local_date(now or utcnow())
