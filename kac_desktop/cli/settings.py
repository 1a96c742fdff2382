"""``kac-desktop settings …``: every business setting, and the working-day calendar the
center keeps.

    settings list                                    # every business setting, its default
    settings holidays list [--year 2027]
    settings holidays import FILE [--year 2027]      # a workbook (日期, 类别, 名称) or the notice as text
    settings holidays add --name 春节 --holiday 2027-02-06..2027-02-12 --workday 2027-02-14

Every command signs in; anyone may list the settings, changing the calendar is for
administrators only (the service refuses anyone else).
"""

from __future__ import annotations

import argparse
import re
from datetime import date, timedelta

from kac_desktop.i18n import _
from kac_desktop.rules.calendar import HOLIDAY, WORKDAY, CalendarEntry, kind_label, weekday_name
from kac_desktop.rules.clock import LOCAL_TZ
from kac_desktop.rules.clock import now as utcnow
from kac_desktop.services.errors import ServiceError

from .common import actor_from_args, add_db, add_user, open_db


def register(sub) -> list[str]:
    settings = sub.add_parser(
        "settings", help=_("business settings: every value, and the working-day calendar")
    )
    what = settings.add_subparsers(dest="what", required=True)
    every = what.add_parser(
        "list", help=_("every business setting: its value, its default, who changed it when")
    )
    add_db(every)
    add_user(every)
    holidays = what.add_parser(
        "holidays", help=_("the holidays and adjusted working days of the years")
    )
    action = holidays.add_subparsers(dest="action", required=True)

    listing = action.add_parser("list", help=_("list the years known, or one year's dates"))
    add_db(listing)
    add_user(listing)
    listing.add_argument("--year", type=int, default=None, help=_("the dates of this year"))

    importing = action.add_parser(
        "import",
        help=_(
            "replace a year's schedule with a workbook (columns 日期, 类别, 名称) or a text "
            "file with the State Council's notice"
        ),
    )
    add_db(importing)
    add_user(importing)
    importing.add_argument("file", metavar="FILE")
    importing.add_argument(
        "--year", type=int, default=None, help=_("the year, when the file does not say")
    )

    adding = action.add_parser("add", help=_("add the dates of one holiday to a year"))
    add_db(adding)
    add_user(adding)
    adding.add_argument("--name", required=True, help=_("the holiday's name, e.g. 春节"))
    adding.add_argument(
        "--holiday",
        action="append",
        default=[],
        metavar="DATE[..DATE]",
        help=_("a holiday, or a range of them (2027-02-06..2027-02-12); may be repeated"),
    )
    adding.add_argument(
        "--workday",
        action="append",
        default=[],
        metavar="DATE",
        help=_("an adjusted working day (a weekend day worked); may be repeated"),
    )
    adding.add_argument("--year", type=int, default=None, help=_("the year's schedule to add to"))
    return ["settings"]


def _day(text: str) -> date:
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*", text)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise ServiceError(_('"{value}" is not a date; write it like 2027-02-06.').format(value=text))


def _days(text: str) -> list[date]:
    first, sep, last = text.partition("..")
    start = _day(first)
    end = _day(last) if sep else start
    if end < start:
        raise ServiceError(_('The range "{value}" does not run forward.').format(value=text))
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def run(args: argparse.Namespace) -> int:
    from kac_desktop.services import calendar as calendar_service

    db = open_db(args)
    actor = actor_from_args(db, args)
    if args.what == "list":
        return _settings(db)
    calendar_service.check_may_keep(actor)  # the calendar's commands are the center's
    if args.action == "list":
        return _list(db, actor, args.year)
    if args.action == "import":
        result = calendar_service.import_file(db, actor, args.file, year=args.year)
    else:
        entries = [CalendarEntry(d, HOLIDAY, args.name) for h in args.holiday for d in _days(h)]
        entries += [CalendarEntry(_day(w), WORKDAY, args.name) for w in args.workday]
        if not entries:
            raise ServiceError(_("Name the dates with --holiday and --workday."))
        result = calendar_service.add_entries(db, actor, entries, year=args.year)
    print(result.summary())
    outlook = calendar_service.calendar_outlook(db, utcnow().astimezone(LOCAL_TZ).date())
    if outlook is not None:
        print(outlook.message())
    return 0


def _list(db, actor, year: int | None) -> int:
    from kac_desktop.services import calendar as calendar_service
    from kac_desktop.services import settings as settings_service

    sources = {
        "app": _("entered by the center"),
        "library": _("chinesecalendar {version}").format(
            version=calendar_service.library_version()
        ),
    }
    if year is not None:
        schedule = calendar_service.year_schedule(db, actor, year)
        if schedule is None:
            raise ServiceError(
                _(
                    "No schedule of {year} is known: deadlines in {year} count weekends only "
                    "(provisional)."
                ).format(year=year)
            )
        print(
            _("{year}: {source}, {count} dates").format(
                year=year, source=sources[schedule.source], count=len(schedule.entries)
            )
        )
        for e in schedule.entries:
            print("\t".join([e.day.isoformat(), weekday_name(e.day), kind_label(e.kind), e.name]))
        return 0
    schedules = calendar_service.years(db, actor)
    mode = settings_service.get(db).get("deadline.working_days")
    print(_("Deadlines count working days.") if mode else _("Deadlines count calendar days."))
    for schedule in schedules:
        holidays = sum(1 for e in schedule.entries if e.kind == HOLIDAY)
        line = _("{year}\t{source}\t{holidays} holidays, {workdays} adjusted working days").format(
            year=schedule.year,
            source=sources[schedule.source],
            holidays=holidays,
            workdays=len(schedule.entries) - holidays,
        )
        if schedule.updated_at is not None:
            line += "\t" + _("saved {time} by {user}").format(
                time=schedule.updated_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                user=schedule.updated_by,
            )
        print(line)
    outlook = calendar_service.calendar_outlook(db, utcnow().astimezone(LOCAL_TZ).date())
    if outlook is not None:
        print(outlook.message())
    return 0


def _settings(db) -> int:
    """Every setting on a line: key, meaning, value in force, default, unit, last change."""
    from kac_desktop.services import settings as settings_service

    headers, rows = settings_service.table(db)
    for row in [headers, *rows]:
        print("\t".join(row))
    return 0
