"""The working-day calendar the center keeps (工作日历): a year's holidays and adjusted working
days, entered by an administrator — typed, pasted from the State Council's notice, or read
from a small workbook — checked (rules.calendar.check_year), audited, and layered over the
chinesecalendar package's years.

Saving a year also recomputes, in the same transaction, the stored deadlines of the open
requests that were counted with weekends only (暂按周末计算): each gets the deadline the
new calendar gives and loses its mark, unless its deadline — the old or the new one — falls
in a month that has already closed, whose report must not change; such a deadline stays
as it was and keeps its mark.  Every recomputed request is audited.

Whether deadlines count working days at all stays a business setting
(``deadline.working_days``); this module keeps only the calendar's entries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kac_desktop.db import Database
from kac_desktop.i18n import _
from kac_desktop.models import HolidayEntry, HolidayYear, ServiceRequest, User, utcnow
from kac_desktop.rules import calendar as rules
from kac_desktop.rules.calendar import (
    HOLIDAY,
    KIND_WORDS,
    CalendarEntry,
    CalendarOutlook,
    ScheduledCalendar,
)
from kac_desktop.rules.customer import FieldError
from kac_desktop.rules.deadlines import LOCAL_TZ, official_calendar, recompute_deadline
from kac_desktop.rules.service_states import UNRESOLVED

from . import audit
from . import settings as settings_service
from .context import Actor, Change
from .errors import PermissionDenied, ServiceError, StaleRecord, ValidationFailed

TEXT_SUFFIXES = (".txt", ".text")


@dataclass(frozen=True)
class YearSchedule:
    """A year as the settings page and ``holidays list`` show it."""

    year: int
    source: str  # "app": entered by the center; "library": the chinesecalendar package's
    entries: list[CalendarEntry]
    version: int | None = None  # of the center's year record
    updated_at: datetime | None = None
    updated_by: str = ""


@dataclass(frozen=True)
class SaveResult:
    years: tuple[int, ...]
    entries: int
    recomputed: int  # open requests whose provisional deadline was recomputed
    kept: int  # left as they were: a closed month's report counted them
    still_provisional: int  # recomputed, and still beyond the known years
    change: Change

    def summary(self) -> str:
        text = _("Saved the schedule of {years}: {count} dates.").format(
            years="、".join(str(y) for y in self.years), count=self.entries
        )
        if self.recomputed:
            text += " " + _(
                "{count} open requests counted with weekends only got their deadlines again."
            ).format(count=self.recomputed)
        if self.still_provisional:
            text += " " + _(
                "{count} of them are still beyond the calendar and stay provisional."
            ).format(count=self.still_provisional)
        if self.kept:
            text += " " + _(
                "{count} requests whose deadline a closed month's report counted were left "
                "as they were."
            ).format(count=self.kept)
        return text


# ------------------------------------------------------------------ reading


def load_calendar(session: Session) -> ScheduledCalendar:
    """The calendar in force: the center's years over the library's."""
    schedules: dict[int, list[CalendarEntry]] = {}
    rows = session.execute(
        select(HolidayYear.year, HolidayEntry.day, HolidayEntry.kind, HolidayEntry.name).join(
            HolidayEntry, HolidayEntry.year_id == HolidayYear.id, isouter=True
        )
    ).all()
    for year, day, kind, name in rows:
        entries = schedules.setdefault(year, [])
        if day is not None:
            entries.append(CalendarEntry(day, kind, name))
    return ScheduledCalendar(schedules, _library())


def _library():
    try:
        return official_calendar()
    except Exception:  # noqa: BLE001 - the package missing or broken: the center's years only
        return None


def calendar(db: Database) -> ScheduledCalendar:
    with db.session() as session:
        return load_calendar(session)


def library_version() -> str:
    library = _library()
    return library.version if library is not None else ""


def may_keep(actor: Actor) -> bool:
    """Whether ``actor`` may change the calendar (the city center's administrators)."""
    return actor.is_admin


def check_may_keep(actor: Actor) -> None:
    """Refuse anyone but an administrator (the command line's ``settings holidays`` is
    theirs, reading included)."""
    _require_admin(actor)


def years(db: Database, actor: Actor) -> list[YearSchedule]:
    """Every year known, the center's and the library's, newest first.  Anyone signed in
    may read the calendar; only an administrator changes it."""
    with db.session() as session:
        names = dict(session.execute(select(User.id, User.display_name)).all())
        mine: dict[int, YearSchedule] = {}
        for record in session.scalars(select(HolidayYear)):
            entries = [
                CalendarEntry(e.day, e.kind, e.name)
                for e in session.scalars(
                    select(HolidayEntry)
                    .where(HolidayEntry.year_id == record.id)
                    .order_by(HolidayEntry.day)
                )
            ]
            mine[record.year] = YearSchedule(
                record.year,
                "app",
                entries,
                record.version,
                record.updated_at,
                names.get(record.updated_by or "", ""),
            )
    result = dict(mine)
    library = _library()
    if library is not None:
        for year in range(library.first_year, library.last_year + 1):
            if year not in result:
                result[year] = YearSchedule(
                    year, "library", rules.library_entries(library.days_of(year))
                )
    return [result[y] for y in sorted(result, reverse=True)]


def year_schedule(db: Database, actor: Actor, year: int) -> YearSchedule | None:
    return next((y for y in years(db, actor) if y.year == year), None)


def calendar_outlook(db: Database, today: date) -> CalendarOutlook | None:
    """What to tell the administrator about the calendar's end; None when deadlines count
    calendar days (the calendar is not used) or there is nothing to say yet."""
    with db.session() as session:
        if not settings_service.value(session, "deadline.working_days"):
            return None
        found = rules.outlook(load_calendar(session), today)
    return found if found.warn else None


# ------------------------------------------------------------------ saving


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied(
            _("Only a city-center administrator may keep the working-day calendar.")
        )


def _problems(year: int, entries: Sequence[CalendarEntry]) -> list[FieldError]:
    return [FieldError("entries", p) for p in rules.check_year(year, entries)]


def save_year(
    db: Database,
    actor: Actor,
    year: int,
    entries: Sequence[CalendarEntry],
    *,
    source: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> SaveResult:
    """Replace the center's schedule of ``year`` with ``entries`` (checked as a whole) and
    recompute the provisional deadlines; one transaction, audited.  Raises
    ValidationFailed (every problem), PermissionDenied or StaleRecord and then writes
    nothing."""
    return save_years(
        db,
        actor,
        {year: list(entries)},
        source=source,
        expected_versions={year: expected_version} if expected_version is not None else None,
        now=now,
    )


def save_years(
    db: Database,
    actor: Actor,
    schedules: dict[int, list[CalendarEntry]],
    *,
    source: str = "",
    expected_versions: dict[int, int] | None = None,
    now: datetime | None = None,
) -> SaveResult:
    _require_admin(actor)
    now = now or utcnow()
    errors: list[FieldError] = []
    for year in sorted(schedules):
        errors += _problems(year, schedules[year])
    if not schedules:
        errors.append(FieldError("entries", _("There is nothing to save.")))
    if errors:
        raise ValidationFailed(errors)
    with db.session() as session, session.begin():
        changed_ids: list[str] = []
        for year in sorted(schedules):
            changed_ids.append(
                _store_year(
                    session,
                    actor,
                    year,
                    schedules[year],
                    source,
                    (expected_versions or {}).get(year),
                )
            )
        session.flush()
        recomputed, kept, still = _recompute_open(session, actor, now)
        return SaveResult(
            tuple(sorted(schedules)),
            sum(len(e) for e in schedules.values()),
            recomputed,
            kept,
            still,
            Change("calendar", tuple(changed_ids)),
        )


def _store_year(
    session: Session,
    actor: Actor,
    year: int,
    entries: Sequence[CalendarEntry],
    source: str,
    expected_version: int | None,
) -> str:
    record = session.scalar(select(HolidayYear).where(HolidayYear.year == year))
    before: list[str] = []
    if record is not None:
        if expected_version is not None and record.version != expected_version:
            who = session.scalar(select(User.display_name).where(User.id == record.updated_by))
            raise StaleRecord(
                who or "", record.updated_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
            )
        before = [
            f"{e.day.isoformat()} {e.kind} {e.name}"
            for e in session.scalars(
                select(HolidayEntry)
                .where(HolidayEntry.year_id == record.id)
                .order_by(HolidayEntry.day)
            )
        ]
        session.execute(delete(HolidayEntry).where(HolidayEntry.year_id == record.id))
        record.source = source[:20000]
        record.updated_at = utcnow()
        record.updated_by = actor.user_id
    else:
        record = HolidayYear(year=year, source=source[:20000], updated_by=actor.user_id)
        session.add(record)
    session.flush()
    for entry in sorted(entries):
        session.add(
            HolidayEntry(
                year_id=record.id,
                day=entry.day,
                kind=entry.kind,
                name=entry.name.strip()[:40],
                updated_by=actor.user_id,
            )
        )
    after = [f"{e.day.isoformat()} {e.kind} {e.name.strip()}" for e in sorted(entries)]
    holidays = sum(1 for e in entries if e.kind == HOLIDAY)
    audit.record(
        session,
        actor,
        "settings.calendar",
        "holiday_year",
        record.id,
        _(
            "Working-day calendar {year}: {holidays} holidays, {workdays} adjusted working days"
        ).format(year=year, holidays=holidays, workdays=len(entries) - holidays),
        {
            "year": year,
            "added": sorted(set(after) - set(before)),
            "removed": sorted(set(before) - set(after)),
        },
    )
    return record.id


def _month_start(now: datetime) -> datetime:
    local = now.astimezone(LOCAL_TZ)
    return datetime.combine(date(local.year, local.month, 1), time(0), tzinfo=LOCAL_TZ)


def _recompute_open(session: Session, actor: Actor, now: datetime) -> tuple[int, int, int]:
    """Recompute the provisional deadlines of the open requests with the calendar now in
    the session (see the module's docstring); returns (recomputed, kept, still
    provisional)."""
    cal = load_calendar(session)
    closed_before = _month_start(now)
    recomputed = kept = still = 0
    requests = session.scalars(
        select(ServiceRequest)
        .where(
            ServiceRequest.deadline_provisional.is_(True),
            ServiceRequest.status.in_(UNRESOLVED),
        )
        .order_by(ServiceRequest.received_at)
    ).all()
    for request in requests:
        due, provisional = recompute_deadline(
            request.received_at,
            request.deadline_rule,
            request.deadline_at,
            request.confirmed_at if request.special_case else None,
            cal,
        )
        if request.deadline_at < closed_before or due < closed_before:
            kept += 1
            continue
        if due == request.deadline_at and provisional:
            still += 1
            recomputed += 1
            continue
        before = request.deadline_at
        request.deadline_at = due
        request.deadline_provisional = provisional
        request.updated_by = actor.user_id
        recomputed += 1
        still += provisional
        audit.record(
            session,
            actor,
            "request.deadline",
            "service_request",
            request.id,
            _("Deadline recomputed with the working-day calendar: {before} → {after}").format(
                before=before.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                after=due.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
            ),
            {
                "before": before.isoformat(),
                "after": due.isoformat(),
                "rule": request.deadline_rule,
                "provisional": provisional,
            },
        )
    return recomputed, kept, still


def add_entries(
    db: Database,
    actor: Actor,
    entries: Sequence[CalendarEntry],
    *,
    year: int | None = None,
    now: datetime | None = None,
) -> SaveResult:
    """Add dates to the center's schedules (to ``year``, or to the year each date belongs
    to); a year the center has not entered yet starts from nothing and must then be whole
    (its Spring Festival among the dates).  A date already entered is refused."""
    _require_admin(actor)
    grouped = group_by_year(entries) if year is None else {year: list(entries)}
    current = {y.year: y for y in years(db, actor) if y.source == "app"}
    merged: dict[int, list[CalendarEntry]] = {}
    for y, new in grouped.items():
        merged[y] = (list(current[y].entries) if y in current else []) + list(new)
    versions = {y: current[y].version for y in grouped if y in current and current[y].version}
    return save_years(db, actor, merged, expected_versions=versions, now=now)  # type: ignore[arg-type]


def group_by_year(entries: Iterable[CalendarEntry]) -> dict[int, list[CalendarEntry]]:
    """Entries by the year whose schedule they belong to: their own, except a December
    holiday of a block that runs into 1 January (it belongs to the new year's notice)."""
    entries = list(entries)
    holidays = {e.day for e in entries if e.kind == HOLIDAY}
    grouped: dict[int, list[CalendarEntry]] = {}
    for entry in entries:
        year = entry.day.year
        if entry.kind == HOLIDAY and entry.day.month == 12:
            day = entry.day
            while day in holidays and day.year == year:
                day += timedelta(days=1)
            if day == date(year + 1, 1, 1) and day in holidays:
                year += 1
        grouped.setdefault(year, []).append(entry)
    return grouped


# ------------------------------------------------------------------ reading a file

_HEADERS = {
    "day": ("日期", "date", "day"),
    "kind": ("类别", "类型", "种类", "放假/上班", "kind", "type"),
    "name": ("名称", "节日", "节假日", "假日", "name", "holiday"),
}


def _header_key(text: str) -> str | None:
    cleaned = re.sub(r"\s+", "", text).lower()
    for key, words in _HEADERS.items():
        if any(cleaned == w or cleaned.startswith(w) for w in words):
            return key
    return None


def cell_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        match = re.fullmatch(
            r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*", value
        )
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    return None


def read_workbook(path: str | Path) -> list[CalendarEntry]:
    """The entries of a small workbook with the columns 日期, 类别 (放假 / 上班) and 名称.
    Raises ValidationFailed with every row's problem, or ServiceError for a file that
    cannot be read."""
    from kac_desktop.io.workbook import WorkbookError, read_table

    try:
        table = read_table(path)
    except WorkbookError as exc:
        raise ServiceError(exc.message) from exc
    columns: dict[str, int] = {}
    for i, header in enumerate(table.headers):
        key = _header_key(header)
        if key and key not in columns:
            columns[key] = i
    missing = [k for k in ("day", "kind", "name") if k not in columns]
    if missing:
        raise ServiceError(
            _(
                "The workbook needs three columns: 日期 (the date), 类别 (放假 or 上班) and "
                "名称 (the holiday). Its header row is: {headers}"
            ).format(headers="、".join(h for h in table.headers if h) or "—")
        )
    entries: list[CalendarEntry] = []
    errors: list[FieldError] = []
    for index, row in enumerate(table.rows):
        if all(v is None for v in row):
            continue
        number = table.row_number(index)
        day = cell_date(row[columns["day"]])
        kind_text = str(row[columns["kind"]] or "").strip()
        kind = KIND_WORDS.get(kind_text.lower()) or KIND_WORDS.get(kind_text)
        name = str(row[columns["name"]] or "").strip()
        if day is None:
            errors.append(
                FieldError(
                    "day",
                    _("Row {row}: “{value}” is not a date such as 2027-02-06.").format(
                        row=number, value=row[columns["day"]] or ""
                    ),
                )
            )
            continue
        if kind is None:
            errors.append(
                FieldError(
                    "kind",
                    _("Row {row}: the kind “{value}” must be 放假 or 上班.").format(
                        row=number, value=kind_text
                    ),
                )
            )
            continue
        entries.append(CalendarEntry(day, kind, name))
    if errors:
        raise ValidationFailed(errors)
    if not entries:
        raise ServiceError(_("The workbook lists no dates."))
    return entries


def read_file(
    path: str | Path, year: int | None = None
) -> tuple[dict[int, list[CalendarEntry]], str]:
    """The schedules in a file — a workbook, or a text file with the notice — by year, and
    the text to keep as their source."""
    path = Path(path)
    if path.suffix.lower() in TEXT_SUFFIXES:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ServiceError(
                _("The file {path} cannot be read: {reason}").format(
                    path=path, reason=exc.strerror or exc
                )
            ) from exc
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ServiceError(_("The file {path} is not text.").format(path=path))
        return parse_text(text, year), text
    entries = read_workbook(path)
    return (group_by_year(entries) if year is None else {year: entries}), path.name


def parse_text(text: str, year: int | None = None) -> dict[int, list[CalendarEntry]]:
    """The notice's text read into one year's entries; ValidationFailed with every line's
    problem."""
    parsed = rules.parse_notice(text, year)
    if parsed.problems:
        raise ValidationFailed([FieldError("text", p) for p in parsed.problems])
    assert parsed.year is not None
    return {parsed.year: parsed.entries}


def import_file(
    db: Database,
    actor: Actor,
    path: str | Path,
    *,
    year: int | None = None,
    now: datetime | None = None,
) -> SaveResult:
    """Replace the years a file holds with its schedules (see ``read_file``)."""
    _require_admin(actor)
    schedules, source = read_file(path, year)
    current = {y.year: y.version for y in years(db, actor) if y.source == "app"}
    return save_years(
        db,
        actor,
        schedules,
        source=source,
        expected_versions={y: v for y, v in current.items() if y in schedules and v},
        now=now,
    )
