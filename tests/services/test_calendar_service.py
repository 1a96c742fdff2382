"""The working-day calendar across the year boundary, with a fake clock: requests beyond
the known years get provisional deadlines (weekends only), the mark shows on the board, in
the command line's list and in the monthly report, and goes when the year's schedule is
entered — in the same transaction, audited — while a closed month's report stays as it was.
Entering a schedule: administrators only, checked (each problem a message, nothing
written), from the notice's text or a workbook."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from kac_desktop.models import AuditRecord, HolidayEntry, HolidayYear
from kac_desktop.rules.calendar import HOLIDAY, WORKDAY, CalendarEntry, parse_notice
from kac_desktop.rules.deadlines import LOCAL_TZ, ChineseHolidayCalendar
from kac_desktop.services import calendar as calendar_service
from kac_desktop.services import customers as cs
from kac_desktop.services import monthly_report
from kac_desktop.services import requests as rs
from kac_desktop.services import settings as settings_service
from kac_desktop.services.errors import PermissionDenied, ValidationFailed
from kac_desktop.services.requests import RequestInput, RequestQuery
from tests.rules.test_calendar import NOTICE_2026, NOTICE_2027


class LibraryTo2026(ChineseHolidayCalendar):
    """The package as released in 2026 (1.11.0): 2004–2026, whatever is installed."""

    def __init__(self) -> None:
        super().__init__()
        self.last_year = 2026


@pytest.fixture(autouse=True)
def library_to_2026(monkeypatch):
    library = LibraryTo2026()
    monkeypatch.setattr(calendar_service, "_library", lambda: library)
    return library


def local(y, m, d, hh=10, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


@pytest.fixture
def customers(db, org, make_customer):
    city = cs.save_customer(
        db,
        org.mgr_a1,
        make_customer("福州华闽贸易有限公司", code="91350100M000100Y43", manager=org.mgr_a1),
    )
    rural = cs.save_customer(
        db,
        org.mgr_a1,
        make_customer(
            "闽侯县竹岐农业合作社", manager=org.mgr_a1, area="rural", nature="individual"
        ),
    )
    settings_service.set_value(db, org.admin, "deadline.working_days", True)
    return {"city": city.ids[0], "rural": rural.ids[0]}


def register(db, actor, customer_id, at):
    data = RequestInput(customer_id=customer_id, description="请上门揽收20箱", received_at=at)
    return rs.register_request(db, actor, data, now=at).ids[0]


def entries_2027():
    return parse_notice(NOTICE_2027).entries


def count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def audits(db, action):
    with db.session() as s:
        return s.scalars(select(AuditRecord).where(AuditRecord.action == action)).all()


# ------------------------------------------------------------------ across the year boundary


def test_requests_beyond_2026_get_provisional_deadlines_that_the_2027_schedule_fixes(
    db, org, customers
):
    rural = register(db, org.mgr_a1, customers["rural"], local(2026, 12, 31, 17))
    r = rs.get_request(db, org.mgr_a1, rural)
    # Thu 31 Dec 17:00 + 2 days counting weekends only: Fri 1 Jan, Mon 4 Jan
    assert r.deadline_at == local(2027, 1, 4, 18) and r.deadline_provisional
    december = monthly_report.build_report(db, org.admin, "2026-12", now=local(2027, 1, 2, 9))
    assert december.provisional_requests == 1
    assert any("暂按周末计算" in n for n in december.notes)

    # the board and the command line's list say so
    rows = rs.fetch_rows(db, org.admin, [rural])
    assert rows[0].deadline_provisional
    listed = rs.list_open(db, org.admin, local(2027, 1, 2, 9))
    assert [o.deadline_provisional for o in listed] == [True]

    # 2 January 2027: the administrator enters 2027's schedule
    result = calendar_service.save_year(
        db, org.admin, 2027, entries_2027(), source=NOTICE_2027, now=local(2027, 1, 2, 9)
    )
    assert (result.recomputed, result.kept, result.still_provisional) == (1, 0, 0)
    r = rs.get_request(db, org.mgr_a1, rural)
    assert r.deadline_at == local(2027, 1, 5, 18) and not r.deadline_provisional  # 1 Jan 元旦
    assert r.version == 2
    # audited: the schedule and the recomputed deadline
    (saved,) = audits(db, "settings.calendar")
    assert saved.details["year"] == 2027 and len(saved.details["added"]) == len(entries_2027())
    (moved,) = audits(db, "request.deadline")
    assert moved.entity_id == rural and "2027-01-04 18:00" in moved.summary
    # December's report is as it was (the request was open within its time at the cut-off)
    again = monthly_report.build_report(db, org.admin, "2026-12", now=local(2027, 1, 2, 9))
    assert again.requests == december.requests and again.overdue == december.overdue
    assert again.summary == december.summary

    # a city request on Friday 5 February 2027, now with the schedule: not provisional
    city = register(db, org.mgr_a1, customers["city"], local(2027, 2, 5, 10))
    c = rs.get_request(db, org.mgr_a1, city)
    assert c.deadline_at == local(2027, 2, 5, 18) and not c.deadline_provisional


def test_a_closed_months_report_does_not_change_when_the_schedule_comes_late(
    db, org, customers, tmp_path
):
    """The schedule arrives on 5 February: January is closed; a January deadline it counted
    stays, the open February request is recomputed."""
    rural = register(db, org.mgr_a1, customers["rural"], local(2026, 12, 31, 17))
    january_request = register(db, org.mgr_a1, customers["rural"], local(2027, 1, 29, 10))
    city = register(db, org.mgr_a1, customers["city"], local(2027, 2, 5, 10))
    c = rs.get_request(db, org.mgr_a1, city)
    assert c.deadline_at == local(2027, 2, 5, 18) and c.deadline_provisional
    j = rs.get_request(db, org.mgr_a1, january_request)
    assert j.deadline_at == local(2027, 2, 2, 18) and j.deadline_provisional  # Fri 29 + Mon, Tue

    now = local(2027, 2, 5, 11)
    january = monthly_report.build_report(db, org.admin, "2027-01", now=now)
    overdue_before = [(o.customer, o.deadline_at, o.provisional) for o in january.overdue]
    assert ("闽侯县竹岐农业合作社", local(2027, 1, 4, 18), True) in overdue_before

    result = calendar_service.save_year(db, org.admin, 2027, entries_2027(), now=now)
    # the Dec 31 request's deadline (4 Jan) was counted by January's report: kept, marked
    assert result.kept == 1
    r = rs.get_request(db, org.mgr_a1, rural)
    assert r.deadline_at == local(2027, 1, 4, 18) and r.deadline_provisional
    # the late-January request falls due in February: recomputed (2027-02-02 is a Tuesday,
    # no holiday in the schedule: the same day), the mark gone
    j = rs.get_request(db, org.mgr_a1, january_request)
    assert j.deadline_at == local(2027, 2, 2, 18) and not j.deadline_provisional
    c = rs.get_request(db, org.mgr_a1, city)
    assert c.deadline_at == local(2027, 2, 5, 18) and not c.deadline_provisional

    again = monthly_report.build_report(db, org.admin, "2027-01", now=now)
    assert again.overdue == january.overdue and again.requests == january.requests
    assert again.summary == january.summary

    # the files say it too: the overdue list's 期限依据 column and the note
    monthly_report.make_files(
        db, org.admin, "2027-01", xlsx=tmp_path / "r.xlsx", pdf=tmp_path / "r.pdf", now=now
    )
    from openpyxl import load_workbook

    texts = [
        str(c.value)
        for sheet in load_workbook(tmp_path / "r.xlsx").worksheets
        for row in sheet.iter_rows()
        for c in row
        if c.value
    ]
    assert "期限依据" in texts and "暂按周末计算" in texts
    assert any(t.startswith("暂按周末计算：本报表有 1 件") for t in texts)
    assert (tmp_path / "r.pdf").stat().st_size > 0


def test_a_holiday_in_the_new_schedule_moves_an_open_deadline(db, org, customers):
    # received Friday 5 Feb 2027 after 18:00: weekends only, due Monday 8 Feb
    city = register(db, org.mgr_a1, customers["city"], local(2027, 2, 5, 19))
    assert rs.get_request(db, org.mgr_a1, city).deadline_at == local(2027, 2, 8, 18)
    calendar_service.save_year(db, org.admin, 2027, entries_2027(), now=local(2027, 2, 5, 20))
    # 6–12 Feb is the Spring Festival; Sunday 14 Feb is worked instead
    c = rs.get_request(db, org.mgr_a1, city)
    assert c.deadline_at == local(2027, 2, 14, 18) and not c.deadline_provisional


def test_resolved_requests_keep_their_deadline(db, org, customers):
    rid = register(db, org.mgr_a1, customers["city"], local(2027, 2, 5, 19))
    rs.change_status(db, org.mgr_a1, rid, "in_progress", now=local(2027, 2, 5, 19, 30))
    rs.change_status(
        db, org.mgr_a1, rid, "resolved", resolution="已揽收", now=local(2027, 2, 5, 19, 40)
    )
    calendar_service.save_year(db, org.admin, 2027, entries_2027(), now=local(2027, 2, 5, 20))
    r = rs.get_request(db, org.mgr_a1, rid)
    assert r.deadline_at == local(2027, 2, 8, 18) and r.deadline_provisional


def test_the_board_query_sees_the_mark(db, org, customers):
    register(db, org.mgr_a1, customers["city"], local(2027, 2, 5, 10))
    timings = rs.query_timings(db, org.admin, RequestQuery())
    rows = rs.fetch_rows(db, org.admin, [t.id for t in timings])
    assert [r.deadline_provisional for r in rows] == [True]


# ------------------------------------------------------------------ precedence


def test_the_centers_year_overrides_the_library(db, org, customers):
    # the center's own 2026: 31 Dec 2026 made a holiday (say, an extra day for 元旦 2027)
    entries = parse_notice(NOTICE_2026).entries + [
        CalendarEntry(date(2026, 12, 31), HOLIDAY, "元旦")
    ]
    calendar_service.save_year(db, org.admin, 2026, entries, now=local(2026, 12, 2))
    rid = register(db, org.mgr_a1, customers["city"], local(2026, 12, 31, 10))
    r = rs.get_request(db, org.mgr_a1, rid)
    assert r.deadline_at == local(2027, 1, 1, 18) and r.deadline_provisional
    years = {y.year: y.source for y in calendar_service.years(db, org.admin)}
    assert years[2026] == "app" and years[2025] == "library"


def test_a_newer_library_takes_over_the_years_it_adds(db, org, customers, library_to_2026):
    library_to_2026.last_year = 2027  # as a release with 2027 would (here: weekdays only)
    library_to_2026.is_working_day = lambda day: day.weekday() < 5  # type: ignore[method-assign]
    rid = register(db, org.mgr_a1, customers["rural"], local(2026, 12, 31, 17))
    assert not rs.get_request(db, org.mgr_a1, rid).deadline_provisional
    calendar_service.save_year(db, org.admin, 2027, entries_2027(), now=local(2026, 12, 31, 18))
    cal = calendar_service.calendar(db)
    assert cal.source(2027) == "app" and not cal.is_working_day(date(2027, 1, 1))


def test_the_outlook_warns_in_working_day_mode_only(db, org, customers):
    found = calendar_service.calendar_outlook(db, date(2026, 12, 2))
    assert found is not None and found.days_left == 29 and found.missing_year == 2027
    settings_service.set_value(db, org.admin, "deadline.working_days", False)
    assert calendar_service.calendar_outlook(db, date(2026, 12, 2)) is None
    settings_service.set_value(db, org.admin, "deadline.working_days", True)
    calendar_service.save_year(db, org.admin, 2027, entries_2027(), now=local(2026, 12, 2))
    assert calendar_service.calendar_outlook(db, date(2026, 12, 2)) is None


# ------------------------------------------------------------------ entering a schedule


def test_only_an_administrator_enters_a_schedule(db, org):
    for actor in (org.sup_a, org.mgr_a1):
        with pytest.raises(PermissionDenied, match="管理员"):
            calendar_service.save_year(db, actor, 2027, entries_2027())
    assert count(db, HolidayYear) == 0


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ([CalendarEntry(date(2027, 2, 8), WORKDAY, "春节")], "两次"),
        ([CalendarEntry(date(2027, 3, 3), WORKDAY, "春节")], "本来就是工作日"),
        ([CalendarEntry(date(2027, 3, 13), HOLIDAY, "植树节")], "单独的周末"),
    ],
)
def test_a_bad_schedule_is_refused_and_nothing_is_written(db, org, extra, words):
    with pytest.raises(ValidationFailed) as err:
        calendar_service.save_year(db, org.admin, 2027, entries_2027() + extra)
    assert words in err.value.message
    assert count(db, HolidayYear) == 0 and count(db, HolidayEntry) == 0
    assert audits(db, "settings.calendar") == []


def test_a_year_without_spring_festival_is_refused(db, org):
    with pytest.raises(ValidationFailed, match="春节"):
        calendar_service.save_year(
            db, org.admin, 2027, [e for e in entries_2027() if e.name != "春节"]
        )


def test_saving_again_replaces_the_year(db, org):
    calendar_service.save_year(db, org.admin, 2027, entries_2027())
    fewer = [e for e in entries_2027() if e.name != "中秋节"]
    calendar_service.save_year(db, org.admin, 2027, fewer)
    (year,) = [y for y in calendar_service.years(db, org.admin) if y.year == 2027]
    assert year.source == "app" and year.version == 2 and len(year.entries) == len(fewer)
    assert year.updated_by
    second = audits(db, "settings.calendar")[-1]
    assert second.details["removed"] and not second.details["added"]


def test_adding_dates_to_a_year(db, org):
    calendar_service.save_year(db, org.admin, 2027, entries_2027())
    result = calendar_service.add_entries(
        db, org.admin, [CalendarEntry(date(2027, 12, 31), HOLIDAY, "元旦")]
    )
    assert result.years == (2027,) and result.entries == len(entries_2027()) + 1


def test_adding_to_a_year_not_entered_needs_its_spring_festival(db, org):
    with pytest.raises(ValidationFailed, match="春节"):
        calendar_service.add_entries(
            db, org.admin, [CalendarEntry(date(2027, 1, 1), HOLIDAY, "元旦")]
        )
    calendar_service.save_year(db, org.admin, 2027, entries_2027())
    with pytest.raises(ValidationFailed, match="两次"):
        calendar_service.add_entries(
            db, org.admin, [CalendarEntry(date(2027, 1, 1), HOLIDAY, "元旦")]
        )


def test_importing_the_notice_as_text_and_a_workbook(db, org, tmp_path):
    text = tmp_path / "2027.txt"
    text.write_text(NOTICE_2027, encoding="gb18030")
    result = calendar_service.import_file(db, org.admin, text)
    assert result.years == (2027,) and result.entries == len(entries_2027())

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["日期", "类别", "名称"])
    for e in entries_2027():
        sheet.append([e.day, "放假" if e.kind == HOLIDAY else "上班", e.name])
    path = tmp_path / "2027.xlsx"
    book.save(path)
    result = calendar_service.import_file(db, org.admin, path)
    assert result.years == (2027,)
    (year,) = [y for y in calendar_service.years(db, org.admin) if y.year == 2027]
    assert sorted(year.entries) == sorted(entries_2027()) and year.version == 2


def test_a_workbook_with_bad_rows_lists_them(db, org, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["日期", "类别", "名称"])
    sheet.append(["2027-02-30", "放假", "春节"])
    sheet.append(["2027-02-08", "休假啦", "春节"])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    with pytest.raises(ValidationFailed) as err:
        calendar_service.import_file(db, org.admin, path)
    assert "第2行" in err.value.message and "第3行" in err.value.message
    assert count(db, HolidayYear) == 0
