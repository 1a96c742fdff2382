"""Visits against the monthly quota (定期联系 / 走访, docs/DOMAIN.md §3), the branch meetings
(座谈会) and inactivity (异常).

Pure: every function takes the month, ``today`` and the business settings it needs.

Decisions where the business rules are silent (stated here once, tested in tests/rules/test_quota.py):

* **Months are local** (Asia/Shanghai).  A visit belongs to the month of its local date; a
  visit at 00:00 local on the 1st belongs to that month, one at 23:59:59 on the last day too.
* **Which class applies when it changes during the month: the class in force at the end of
  the month** — for the current (unfinished) month that is the class now.  A change on the
  last day therefore sets the quota of the whole month; this keeps one quota per customer
  and month, and a closed month's figures never change afterwards.
* **Which customers are due**: every file that existed before the month ended and was not
  archived before it ended, kept by the manager who keeps it now (a transferred customer's
  month counts for the new manager; visits by anyone count for the customer).
* **States**: *met* when the visits done reach the quota; otherwise *on track* while the
  visits done keep pace with the month (at least ⌊required × days past ÷ days in month⌋,
  days past not counting today), otherwise *behind*.  After the month's end a quota not met
  is *behind* with 0 days left.
* **Compliance rate** (走访达标率): customers that met their quota ÷ customers due.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from kac_desktop.i18n import N_, _
from kac_desktop.rules import colours as _colours

from .clock import LOCAL_TZ, local_date, local_midnight  # noqa: F401 - the quota's names too
from .tiers import DEFAULT_CLASS_FOR_TIER, visit_class

DEFAULT_QUOTA = {1: 3, 2: 2, 3: 1}
DEFAULT_COUNTING_MODES = ("onsite",)

MET, ON_TRACK, BEHIND = "met", "on_track", "behind"
STATES: dict[str, str] = {
    MET: N_("Met"),
    ON_TRACK: N_("Keeping pace"),
    BEHIND: N_("Behind"),
}
# colours always shown beside the label (never alone): green, blue, red
# (the light scheme's; the window takes the scheme in use from rules/colours.py)
STATE_COLOURS: dict[str, str] = _colours.LIGHT.quota
STATE_BACKGROUNDS: dict[str, str] = _colours.LIGHT.quota_backgrounds
STATE_SYMBOLS: dict[str, str] = {MET: "✔", ON_TRACK: "●", BEHIND: "▲"}


# ------------------------------------------------------------------ months in local time


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1900 <= self.year <= 9999:
            raise ValueError(f"no such month: {self.year}-{self.month}")

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """``YYYY-MM`` (or ``YYYYMM``); ValueError otherwise."""
        text = text.strip()
        digits = text.replace("-", "")
        if len(digits) != 6 or not digits.isdigit() or (len(text) == 7 and text[4] != "-"):
            raise ValueError(text)
        return cls(int(digits[:4]), int(digits[4:]))

    @functools.cached_property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, self.days)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def month_bounds(month: Month, tz: tzinfo = LOCAL_TZ) -> tuple[datetime, datetime]:
    """[start, end) of the local month as aware UTC datetimes (what the database compares)."""
    return local_midnight(month.first_day, tz), local_midnight(month.next().first_day, tz)


def days_left(month: Month, today: date) -> int:
    """Days of the month still open for visits, today included; 0 once it is over, all of
    them before it starts."""
    if today > month.last_day:
        return 0
    if today < month.first_day:
        return month.days
    return month.days - today.day + 1


# ------------------------------------------------------------------ settings


@dataclass(frozen=True)
class QuotaSettings:
    class_by_tier: Mapping[str, int]
    per_class: Mapping[int, int]
    counting_modes: tuple[str, ...]

    @classmethod
    def from_settings(cls, values: Mapping[str, object]) -> QuotaSettings:
        """From the business settings (keys ``visit_class.by_tier``, ``quota.per_class``,
        ``quota.counting_modes``); missing or malformed values fall back to the defaults."""
        mapping = values.get("visit_class.by_tier")
        by_tier = (
            {str(k): int(v) for k, v in mapping.items()}
            if isinstance(mapping, Mapping)
            else dict(DEFAULT_CLASS_FOR_TIER)
        )
        quota = values.get("quota.per_class")
        per_class = dict(DEFAULT_QUOTA)
        if isinstance(quota, Mapping):
            per_class.update({int(k): max(0, int(v)) for k, v in quota.items()})
        modes = values.get("quota.counting_modes")
        counting = (
            tuple(str(m) for m in modes)
            if isinstance(modes, Sequence) and not isinstance(modes, str)
            else DEFAULT_COUNTING_MODES
        )
        return cls(by_tier, per_class, counting)

    def class_of(self, tier: str, override: int | None) -> int:
        return visit_class(tier, override, self.class_by_tier)

    def required(self, visit_class_: int) -> int:
        return self.per_class.get(visit_class_, 0)

    def counts(self, mode: str) -> bool:
        return mode in self.counting_modes


DEFAULT_SETTINGS = QuotaSettings(dict(DEFAULT_CLASS_FOR_TIER), dict(DEFAULT_QUOTA), ("onsite",))


def visits_in_month(
    visits: Iterable[tuple[datetime, str]], month: Month, settings: QuotaSettings
) -> int:
    """How many of ``visits`` ((visited_at, mode)) count for ``month``: counting modes only,
    the local date inside the month.  (The service counts the same in SQL.)"""
    start, end = month_bounds(month)
    return sum(1 for at, mode in visits if settings.counts(mode) and start <= at < end)


# ------------------------------------------------------------------ class changes


@dataclass(frozen=True)
class ClassChange:
    """A change of a customer's tier or visit-class override, from the audit records:
    ``field`` is "tier" or "visit_class_override", ``before`` the value it replaced."""

    at: datetime
    field: str
    before: str | int | None  # a tier code, or an override class (None: no override)


def classification_at(
    tier_now: str,
    override_now: int | None,
    changes: Iterable[ClassChange],
    moment: datetime,
) -> tuple[str, int | None]:
    """The (tier, override) in force at ``moment``: today's values with every change made
    at or after ``moment`` undone (the earliest such change's ``before`` is what held)."""
    tier, override = tier_now, override_now
    seen: set[str] = set()
    for change in sorted(changes, key=lambda c: c.at):
        if change.at < moment or change.field in seen:
            continue
        seen.add(change.field)
        if change.field == "tier":
            tier = str(change.before)
        elif change.field == "visit_class_override":
            override = None if change.before is None else int(change.before)
    return tier, override


def class_for_month(
    tier_now: str,
    override_now: int | None,
    changes: Iterable[ClassChange],
    month: Month,
    settings: QuotaSettings,
) -> int:
    """The visit class that sets ``month``'s quota: the class in force at the end of the
    month (the class now, for the current month)."""
    _start, end = month_bounds(month)
    tier, override = classification_at(tier_now, override_now, changes, end)
    return settings.class_of(tier, override)


# ------------------------------------------------------------------ the state of a quota


@dataclass(frozen=True)
class QuotaStatus:
    required: int
    done: int
    state: str
    days_left: int
    expected_by_now: int

    @property
    def missing(self) -> int:
        return max(0, self.required - self.done)

    @property
    def fraction(self) -> float:
        return 1.0 if self.required <= 0 else min(1.0, self.done / self.required)


def expected_by(required: int, month: Month, today: date) -> int:
    """Visits that keep pace with the month: ⌊required × whole days past ÷ days⌋ (today is
    not past yet); the whole quota once the month is over."""
    if today > month.last_day:
        return required
    if today < month.first_day:
        return 0
    return required * (today.day - 1) // month.days


def quota_status(required: int, done: int, month: Month, today: date) -> QuotaStatus:
    """docs/DOMAIN.md §3: met, on track or behind, with the days left in the month."""
    if required < 0 or done < 0:
        raise ValueError("required and done are counts")
    left = days_left(month, today)
    expected = expected_by(required, month, today)
    if done >= required:
        state = MET
    elif done >= expected and left > 0:
        state = ON_TRACK
    else:
        state = BEHIND
    return QuotaStatus(required, done, state, left, expected)


def state_label(state: str) -> str:
    text = STATES.get(state)
    return _(text) if text else state


def state_text(status: QuotaStatus) -> str:
    """The label a user reads beside the colour: 已达标 / 进度正常 / 落后（剩 5 天）."""
    if status.state == BEHIND and status.days_left > 0:
        return _("Behind ({days} days left)").format(days=status.days_left)
    if status.state == BEHIND:
        return _("Not met")
    return state_label(status.state)


@dataclass(frozen=True)
class Compliance:
    due: int
    met: int
    behind: int
    required: int
    done: int  # visits counted against the quotas, each capped at its customer's quota

    @property
    def rate(self) -> float | None:
        """Customers that met their quota ÷ customers due; None when none is due."""
        return None if self.due == 0 else self.met / self.due


def compliance(statuses: Iterable[QuotaStatus]) -> Compliance:
    due = met = behind = required = done = 0
    for s in statuses:
        if s.required <= 0:
            continue
        due += 1
        met += s.state == MET
        behind += s.state == BEHIND
        required += s.required
        done += min(s.done, s.required)
    return Compliance(due, met, behind, required, done)


def format_rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


# ------------------------------------------------------------------ meetings (座谈会)


@dataclass(frozen=True)
class MeetingStatus:
    year: int
    held: int
    required: int
    expected_by_now: int

    @property
    def behind(self) -> bool:
        return self.held < self.expected_by_now


def meeting_status(held: int, year: int, per_year: int, today: date) -> MeetingStatus:
    """Each branch holds a key-customer meeting at least ``per_year`` times a year
    (docs/DOMAIN.md §3), spread over the year: by the end of each share of the year (for 2: by 30 June and
    31 December) one more is due.  Behind when fewer were held than are due by ``today``."""
    if today.year > year:
        months_past = 12
    elif today.year < year:
        months_past = 0
    else:
        months_past = today.month - 1
    return MeetingStatus(year, held, per_year, per_year * months_past // 12)


# ------------------------------------------------------------------ inactivity (异常)


def last_contact_day(
    last_visit: date | None, last_revenue_month: int | None, known_since: date | None
) -> date | None:
    """The last day the customer was in touch: the later of the last visit and the last
    day of the last month with revenue (YYYYMM); with neither, the day the file was made."""
    days = []
    if last_visit is not None:
        days.append(last_visit)
    if last_revenue_month:
        days.append(Month(last_revenue_month // 100, last_revenue_month % 100).last_day)
    if days:
        return max(days)
    return known_since


def days_since(day: date | None, today: date) -> int | None:
    return None if day is None else max(0, (today - day).days)


def is_inactive(last_contact: date | None, today: date, days: int) -> bool:
    """No business and no contact for ``days`` days or more (docs/DOMAIN.md §3, default 30)."""
    return last_contact is None or (today - last_contact).days >= days
