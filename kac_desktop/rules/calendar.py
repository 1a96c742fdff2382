"""The working-day calendar kept by the center: a year's holidays and adjusted working days
(法定节假日与调休), checked, read from the State Council's notice, and layered over the
calendar the ``chinesecalendar`` package ships.

Pure: no database and no clock.  The service layer stores the entries (services.calendar)
and passes them here; the deadline rules (rules.deadlines) ask the resulting calendar.

* A year's **schedule** is the list of its entries: a date, its kind (a holiday, or an
  adjusted working day — a weekend day worked instead, 调休上班) and the holiday's name.
  Every other day is a working day from Monday to Friday.  A holiday block may begin in
  the last days of the December before (元旦 of 2023 began on 31 December 2022).
* **Precedence**: for a year the center entered, its entries decide; for another year the
  library decides when it knows the year; a newer library release therefore takes over the
  years it adds, and never overrides a year the center entered.
* A day no one knows raises ``CalendarNotCovered``; the deadline rules then count weekends
  only and mark the deadline provisional (暂按周末计算).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

from kac_desktop.i18n import N_, _
from kac_desktop.rules.deadlines import CalendarNotCovered

HOLIDAY = "holiday"
WORKDAY = "workday"
KINDS: dict[str, str] = {
    HOLIDAY: N_("Holiday"),
    WORKDAY: N_("Adjusted working day"),
}
# what a workbook's kind column may say
KIND_WORDS: dict[str, str] = {
    "holiday": HOLIDAY,
    "放假": HOLIDAY,
    "假日": HOLIDAY,
    "节假日": HOLIDAY,
    "休息": HOLIDAY,
    "休": HOLIDAY,
    "adjusted working day": WORKDAY,
    "workday": WORKDAY,
    "working day": WORKDAY,
    "上班": WORKDAY,
    "调休上班": WORKDAY,
    "补班": WORKDAY,
    "调休": WORKDAY,
    "班": WORKDAY,
}
WEEKDAY_NAMES = "一二三四五六日"
# the chinesecalendar package names its holidays in English
LIBRARY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}
WARNING_DAYS = 60  # the administrator is warned this many days before the calendar ends


def kind_label(kind: str) -> str:
    return _(KINDS[kind]) if kind in KINDS else kind


WEEKDAY_LABELS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def weekday_name(day: date) -> str:
    return _(WEEKDAY_LABELS[day.weekday()])


@dataclass(frozen=True, order=True)
class CalendarEntry:
    day: date
    kind: str
    name: str


class YearCalendar(Protocol):
    """A calendar that knows whole years (the library's)."""

    first_year: int
    last_year: int

    def is_working_day(self, day: date) -> bool: ...


def library_entries(days: Iterable[tuple[date, bool, str]]) -> list[CalendarEntry]:
    """The library's days of a year (ChineseHolidayCalendar.days_of) as entries."""
    return [
        CalendarEntry(day, HOLIDAY if is_holiday else WORKDAY, LIBRARY_NAMES.get(name, name))
        for day, is_holiday, name in days
    ]


# ------------------------------------------------------------------ checking a year


def is_spring_festival(name: str) -> bool:
    return "春节" in name or "spring festival" in name.lower()


def _holiday_blocks(holidays: Iterable[date]) -> list[list[date]]:
    """Runs of consecutive holiday dates."""
    blocks: list[list[date]] = []
    for day in sorted(set(holidays)):
        if blocks and day - blocks[-1][-1] == timedelta(days=1):
            blocks[-1].append(day)
        else:
            blocks.append([day])
    return blocks


def check_year(year: int, entries: Sequence[CalendarEntry]) -> list[str]:
    """Every problem of a year's schedule, each a sentence for the administrator; an empty
    list when it may be saved."""
    problems: list[str] = []
    if not 2000 <= year <= 2100:
        return [_("The year {year} is not a year this calendar can hold.").format(year=year)]
    if not entries:
        return [_("The schedule of {year} has no dates.").format(year=year)]
    seen: dict[date, CalendarEntry] = {}
    for entry in sorted(entries):
        if entry.kind not in KINDS:
            problems.append(
                _(
                    "{date}: the kind “{kind}” is neither a holiday nor an adjusted working day."
                ).format(date=entry.day.isoformat(), kind=entry.kind)
            )
        if not entry.name.strip():
            problems.append(
                _("{date}: write the name of the holiday it belongs to (元旦, 春节, …).").format(
                    date=entry.day.isoformat()
                )
            )
        earlier = seen.get(entry.day)
        if earlier is not None:
            problems.append(
                _(
                    "{date} is listed twice ({first}: {first_kind}; {second}: {second_kind})."
                ).format(
                    date=entry.day.isoformat(),
                    first=earlier.name,
                    first_kind=kind_label(earlier.kind),
                    second=entry.name,
                    second_kind=kind_label(entry.kind),
                )
            )
        else:
            seen[entry.day] = entry
    holidays = [e.day for e in seen.values() if e.kind == HOLIDAY]
    blocks = _holiday_blocks(holidays)
    block_of = {day: tuple(block) for block in blocks for day in block}
    for entry in seen.values():
        day = entry.day
        if day.year != year:
            # only a holiday block that runs from late December into 1 January of the year
            block = block_of.get(day, ())
            if not (
                entry.kind == HOLIDAY
                and day.year == year - 1
                and day.month == 12
                and any(d.year == year for d in block)
            ):
                problems.append(
                    _(
                        "{date} is not in {year}: a schedule holds the dates of its own year "
                        "(and a holiday running from late December into 1 January)."
                    ).format(date=day.isoformat(), year=year)
                )
                continue
        if entry.kind == WORKDAY and day.weekday() < 5:
            problems.append(
                _(
                    "{date} ({weekday}) is a working day anyway; an adjusted working day is a "
                    "Saturday or Sunday worked instead."
                ).format(date=day.isoformat(), weekday=weekday_name(day))
            )
        if entry.kind == HOLIDAY and day.weekday() >= 5:
            block = block_of.get(day, ())
            if not any(d.weekday() < 5 for d in block):
                problems.append(
                    _(
                        "{date} ({weekday}) is a weekend day on its own: a weekend is a "
                        "holiday only as part of a holiday block with a weekday in it."
                    ).format(date=day.isoformat(), weekday=weekday_name(day))
                )
    if not any(e.kind == HOLIDAY and is_spring_festival(e.name) for e in seen.values()):
        problems.append(
            _(
                "The schedule of {year} has no Spring Festival (春节): enter the whole "
                "year's notice, not a part of it."
            ).format(year=year)
        )
    return problems


# ------------------------------------------------------------------ the State Council's notice

_DIGITS = str.maketrans("０１２３４５６７８９（）：；，", "0123456789()：；，")
_FULL_DATE = re.compile(
    r"(?:(?P<y>\d{4})\s*年\s*)?(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日\s*(?:\((?P<note>[^)]*)\))?"
)
_DAY_ONLY = re.compile(
    r"(?:(?P<y>\d{4})\s*年\s*)?(?:(?P<m>\d{1,2})\s*月\s*)?(?P<d>\d{1,2})\s*日"
    r"\s*(?:\((?P<note>[^)]*)\))?"
)
_RANGE_SEP = re.compile(r"\s*(?:至|到|—|－|-|~|～)\s*")
_HEADING = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+\s*[、.．]\s*|\d+\s*[、.．]\s*)?"
    r"(?P<name>[^：:，。;；()\d]{1,20}?)\s*[：:]\s*(?P<body>.*)$"
)
_YEAR = re.compile(r"(\d{4})\s*年(?:部分)?节假日安排")
_COUNT = re.compile(r"共\s*(\d+)\s*天")
_WEEKDAY = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")


@dataclass
class ParsedNotice:
    year: int | None
    entries: list[CalendarEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _check_weekday(day: date, note: str | None, line_no: int, problems: list[str]) -> None:
    if not note:
        return
    match = _WEEKDAY.search(note)
    if match is None:
        return
    said = "日" if match[1] == "天" else match[1]
    if WEEKDAY_NAMES.index(said) != day.weekday():
        problems.append(
            _(
                "Line {line}: {date} is a {actual}, not a {said} as written; is the year right?"
            ).format(
                line=line_no,
                date=day.isoformat(),
                actual=weekday_name(day),
                said=_(WEEKDAY_LABELS[WEEKDAY_NAMES.index(said)]),
            )
        )


def _clause_dates(
    clause: str, year: int, line_no: int, problems: list[str]
) -> tuple[list[date], bool]:
    """The dates a clause names, ranges expanded; and whether it named any."""
    days: list[date] = []
    position = 0
    found = False
    while True:
        match = _FULL_DATE.search(clause, position)
        if match is None:
            break
        found = True
        start_year = int(match["y"]) if match["y"] else year
        start = _date(start_year, int(match["m"]), int(match["d"]))
        position = match.end()
        if start is None:
            problems.append(
                _("Line {line}: “{text}” is not a date.").format(line=line_no, text=match[0])
            )
            continue
        _check_weekday(start, match["note"], line_no, problems)
        sep = _RANGE_SEP.match(clause, position)
        end = start
        if sep is not None:
            tail = _DAY_ONLY.match(clause, sep.end())
            if tail is not None:
                end_year = int(tail["y"]) if tail["y"] else start.year
                end_month = int(tail["m"]) if tail["m"] else start.month
                if tail["y"] and not tail["m"]:
                    end_month = start.month
                parsed_end = _date(end_year, end_month, int(tail["d"]))
                position = tail.end()
                if parsed_end is None or parsed_end < start:
                    problems.append(
                        _("Line {line}: the range “{text}” does not run forward.").format(
                            line=line_no, text=clause[match.start() : tail.end()]
                        )
                    )
                    continue
                _check_weekday(parsed_end, tail["note"], line_no, problems)
                end = parsed_end
        day = start
        while day <= end:
            days.append(day)
            day += timedelta(days=1)
    return days, found


def parse_notice(text: str, year: int | None = None) -> ParsedNotice:
    """The entries of a State Council notice (国务院办公厅关于XXXX年部分节假日安排的通知)
    pasted as text, in its usual wording: one holiday a line, "名称：…放假…，共N天。…上班。".
    Lines that name no holiday or dates (the title, the preamble, the closing paragraph)
    are skipped.  ``year`` is used when the text does not name one.  Problems are listed,
    with their line numbers; the result is then checked like any schedule (check_year)."""
    text = text.translate(_DIGITS)
    found_year = _YEAR.search(text)
    notice_year = int(found_year[1]) if found_year else year
    result = ParsedNotice(notice_year)
    if notice_year is None:
        result.problems.append(
            _("The text names no year: choose the year, or paste the notice with its title.")
        )
        return result
    name = ""
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or ("放假" not in line and "上班" not in line):
            continue
        heading = _HEADING.match(line)
        if heading is None and _FULL_DATE.search(line) is None:
            continue  # the preamble speaks of 放假 too, without a date
        body = line
        if heading is not None:
            name = heading["name"].strip()
            body = heading["body"]
        named_any = False
        for sentence in re.split(r"[。；;]", body):
            clauses = re.split(r"[，,]", sentence)
            holiday_days: list[date] | None = None
            for clause in clauses:
                days, named = _clause_dates(clause, notice_year, line_no, result.problems)
                count = _COUNT.search(clause)
                if count is not None and holiday_days is not None:
                    if int(count[1]) != len(holiday_days):
                        result.problems.append(
                            _(
                                "Line {line}: the text says {count} days, but the dates "
                                "given make {days}."
                            ).format(line=line_no, count=count[1], days=len(holiday_days))
                        )
                if not named:
                    continue
                named_any = True
                if "放假" in clause:
                    kind: str | None = HOLIDAY
                elif "上班" in clause:
                    kind = WORKDAY
                else:
                    kind = None
                if kind is None:
                    # dates with the verb in a later clause ("1月1日（周五），放假…") are rare;
                    # say so rather than guess
                    result.problems.append(
                        _("Line {line}: “{text}” names dates but neither 放假 nor 上班.").format(
                            line=line_no, text=clause.strip()
                        )
                    )
                    continue
                if not name:
                    result.problems.append(
                        _("Line {line}: the holiday's name is missing (write “春节：…”).").format(
                            line=line_no
                        )
                    )
                    continue
                if kind == HOLIDAY:
                    holiday_days = days
                result.entries.extend(CalendarEntry(d, kind, name) for d in days)
        if not named_any:
            result.problems.append(
                _("Line {line}: no date could be read in “{text}”.").format(
                    line=line_no, text=line[:40]
                )
            )
    if not result.entries and not result.problems:
        result.problems.append(_("No holiday could be read from the text."))
    return result


def notice_text(year: int, entries: Sequence[CalendarEntry]) -> str:
    """A year's schedule written back in the notice's wording (one holiday a line): shown
    beside the entries, and readable by ``parse_notice``."""
    numerals = "一二三四五六七八九十"
    by_name: dict[str, list[CalendarEntry]] = {}
    for entry in sorted(entries):
        by_name.setdefault(entry.name, []).append(entry)
    lines = [f"国务院办公厅关于{year}年部分节假日安排的通知"]

    def written(day: date, full: bool) -> str:
        prefix = f"{day.year}年" if day.year != year else ""
        text = f"{prefix}{day.month}月{day.day}日" if full else f"{day.day}日"
        return f"{text}（周{WEEKDAY_NAMES[day.weekday()]}）"

    holiday_names = sorted(
        (n for n, es in by_name.items() if any(e.kind == HOLIDAY for e in es)),
        key=lambda n: min(e.day for e in by_name[n] if e.kind == HOLIDAY),
    )
    for i, name in enumerate(holiday_names):
        items = by_name[name]
        parts = []
        for block in _holiday_blocks(e.day for e in items if e.kind == HOLIDAY):
            first, last = block[0], block[-1]
            if first == last:
                parts.append(f"{written(first, True)}放假，共1天")
            else:
                same_month = (first.year, first.month) == (last.year, last.month)
                parts.append(
                    f"{written(first, True)}至{written(last, not same_month)}放假，共{len(block)}天"
                )
        text = "；".join(parts) + "。"
        work = [written(e.day, True) for e in items if e.kind == WORKDAY]
        if work:
            text += "、".join(work) + "上班。"
        prefix = numerals[i] + "、" if i < len(numerals) else ""
        lines.append(f"{prefix}{name}：{text}")
    return "\n".join(lines)


# ------------------------------------------------------------------ the calendar in force


class ScheduledCalendar:
    """The center's schedules over the library's calendar (see the module's docstring)."""

    def __init__(
        self,
        schedules: Mapping[int, Sequence[CalendarEntry]],
        library: YearCalendar | None = None,
    ) -> None:
        self.library = library
        self.app_years = frozenset(schedules)
        self._entries: dict[date, str] = {}
        # a later year's notice wins for a date two notices name (late December)
        for year in sorted(schedules):
            for entry in schedules[year]:
                self._entries[entry.day] = entry.kind

    def source(self, year: int) -> str | None:
        """ "app", "library", or None for a year no one knows."""
        if year in self.app_years:
            return "app"
        if self.library is not None and self.library.first_year <= year <= self.library.last_year:
            return "library"
        return None

    def covers(self, year: int) -> bool:
        return self.source(year) is not None

    def is_working_day(self, day: date) -> bool:
        kind = self._entries.get(day)
        if kind is not None:
            return kind == WORKDAY
        source = self.source(day.year)
        if source == "app":
            return day.weekday() < 5
        if source == "library":
            return self.library.is_working_day(day)  # type: ignore[union-attr]
        raise CalendarNotCovered(day, *self.span())

    def span(self) -> tuple[int | None, int | None]:
        years = set(self.app_years)
        if self.library is not None:
            years |= {self.library.first_year, self.library.last_year}
        return (min(years), max(years)) if years else (None, None)

    def known_until(self, today: date) -> date | None:
        """The last day of the years known without a gap from ``today``'s year on; None
        when today's own year is unknown."""
        year = today.year
        if not self.covers(year):
            return None
        while self.covers(year + 1):
            year += 1
        return date(year, 12, 31)


@dataclass(frozen=True)
class CalendarOutlook:
    """Whether the calendar is about to end (or has ended) and what to tell the
    administrator."""

    known_until: date | None
    days_left: int | None  # None: today's year is already unknown
    warn: bool
    missing_year: int

    def message(self) -> str:
        if self.days_left is None or self.known_until is None:
            return _(
                "The holiday schedule of {year} has not been entered: working-day deadlines "
                "are counted with weekends only (provisional). Enter the year's schedule in "
                "Settings → Working-day calendar."
            ).format(year=self.missing_year)
        return _(
            "The working-day calendar ends on {date} ({days} days from now). Enter the "
            "holiday schedule of {year} in Settings → Working-day calendar as soon as the "
            "State Council publishes it; until then deadlines after {date} are provisional."
        ).format(date=self.known_until.isoformat(), days=self.days_left, year=self.missing_year)

    def short(self) -> str:
        if self.days_left is None:
            return _("Calendar: {year} not entered").format(year=self.missing_year)
        return _("Calendar ends {date}").format(
            date=self.known_until.isoformat() if self.known_until else ""
        )


def outlook(calendar: ScheduledCalendar, today: date, days: int = WARNING_DAYS) -> CalendarOutlook:
    end = calendar.known_until(today)
    if end is None:
        return CalendarOutlook(None, None, True, today.year)
    left = (end - today).days
    return CalendarOutlook(end, left, left <= days, end.year + 1)
