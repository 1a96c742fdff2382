"""The center's working-day calendar: reading the State Council's notice, checking a year's
schedule (each problem a message), the center's years over the library's, and the
deadlines beyond the known years (weekends only, provisional)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kac_desktop.rules.calendar import (
    HOLIDAY,
    WORKDAY,
    CalendarEntry,
    ScheduledCalendar,
    check_year,
    notice_text,
    outlook,
    parse_notice,
)
from kac_desktop.rules.deadlines import (
    LOCAL_TZ,
    CalendarNotCovered,
    ChineseHolidayCalendar,
    DeadlineSettings,
    FixedCalendar,
    compute_deadline,
    recompute_deadline,
    rule_label,
)

WORK = DeadlineSettings(working_days=True)

# 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号), as published
NOTICE_2025 = """国务院办公厅关于2025年部分节假日安排的通知
国办发明电〔2024〕12号

各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
根据《国务院关于修改〈全国年节及纪念日放假办法〉的决定》，为便于各地区、各部门及早合理安排节假日旅游、交通运输、生产经营等有关工作，经国务院批准，现将2025年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：1月1日（周三）放假1天，不调休。
二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。
三、清明节：4月4日（周五）至6日（周日）放假，共3天。
四、劳动节：5月1日（周四）至5日（周一）放假调休，共5天。4月27日（周日）上班。
五、端午节：5月31日（周六）至6月2日（周一）放假，共3天。
六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。9月28日（周日）、10月11日（周六）上班。
节假日期间，各地区、各部门要妥善安排好值班和安全、保卫、疫情防控等工作，遇有重大突发事件，要按规定及时报告并妥善处置，确保人民群众祥和平安度过节日假期。
"""

# 国务院办公厅关于2026年部分节假日安排的通知 (国办发明电〔2025〕7号)
NOTICE_2026 = """国务院办公厅关于2026年部分节假日安排的通知
一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初八、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
三、清明节：4月4日（周六）至6日（周一）放假，共3天。
四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
五、端午节：6月19日（周五）至21日（周日）放假，共3天。
六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
"""

# a 2027 schedule as the tests enter it (the State Council had not published 2027's)
NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知
一、元旦：1月1日（周五）放假，与周末连休。
二、春节：2月6日（周六）至12日（周五）放假调休，共7天。2月14日（周日）、2月20日（周六）上班。
三、清明节：4月3日（周六）至5日（周一）放假，共3天。
四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。
五、端午节：6月9日（周三）放假，共1天。
六、中秋节：9月15日（周三）放假，共1天。
七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
"""


def library_year(year: int) -> tuple[set[date], set[date]]:
    """The library's holidays and adjusted working days of a year."""
    import chinese_calendar

    holidays = {d for d in chinese_calendar.holidays if d.year == year}
    workdays = {d for d in chinese_calendar.workdays if d.year == year}
    return holidays, workdays


@pytest.mark.parametrize(("text", "year"), [(NOTICE_2025, 2025), (NOTICE_2026, 2026)])
def test_the_published_notices_read_as_the_library_has_them(text, year):
    """The 2025 and 2026 notices, pasted whole, give exactly the library's dates."""
    parsed = parse_notice(text)
    assert parsed.problems == []
    assert parsed.year == year
    holidays = {e.day for e in parsed.entries if e.kind == HOLIDAY}
    workdays = {e.day for e in parsed.entries if e.kind == WORKDAY}
    assert (holidays, workdays) == library_year(year)
    assert check_year(year, parsed.entries) == []
    names = {e.name for e in parsed.entries}
    assert "春节" in names and ("国庆节、中秋节" in names or "国庆节" in names)


def test_the_usual_phrasings_read():
    parsed = parse_notice(
        "一、元旦：1月1日（周五）放假，与周末连休。\n"
        "春节：2月16日至22日放假调休，共7天。2月14日（周日）、2月28日（周日）上班。\n"
        "三、清明节：4月4日(星期日)放假；4月5日至6日放假。\n",
        year=2027,
    )
    assert parsed.problems == []
    by_kind = {k: sorted(e.day for e in parsed.entries if e.kind == k) for k in (HOLIDAY, WORKDAY)}
    assert by_kind[WORKDAY] == [date(2027, 2, 14), date(2027, 2, 28)]
    assert date(2027, 1, 1) in by_kind[HOLIDAY]
    assert [d for d in by_kind[HOLIDAY] if d.month == 2] == [
        date(2027, 2, d) for d in range(16, 23)
    ]
    assert {e.name for e in parsed.entries if e.day.month == 2} == {"春节"}


def test_a_holiday_across_the_new_year_reads_with_its_years():
    parsed = parse_notice("元旦：2022年12月31日至2023年1月2日放假调休，共3天。", year=2023)
    assert parsed.problems == []
    assert [e.day for e in parsed.entries] == [
        date(2022, 12, 31),
        date(2023, 1, 1),
        date(2023, 1, 2),
    ]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("春节：2月16日（周一）至22日放假。", "周二"),  # 16 Feb 2027 is a Tuesday
        ("春节：2月16日至22日放假调休，共8天。", "8"),
        ("春节：2月22日至16日放假。", "不是向后"),
        ("春节：2月30日放假。", "不是日期"),
        ("春节：正月初一放假。", "读不出日期"),
        ("2月16日放假。", "节日名称"),
    ],
)
def test_a_notice_that_cannot_be_read_says_where(text, words):
    parsed = parse_notice(text, year=2027)
    assert parsed.problems, parsed
    assert any(words in p for p in parsed.problems), parsed.problems
    assert any("第1行" in p for p in parsed.problems)


def test_a_notice_without_a_year_asks_for_it():
    parsed = parse_notice("春节：2月16日至22日放假。")
    assert parsed.problems and "年份" in parsed.problems[0]


def test_the_schedule_written_back_reads_the_same():
    parsed = parse_notice(NOTICE_2025)
    again = parse_notice(notice_text(2025, parsed.entries))
    assert again.problems == []
    assert sorted(again.entries) == sorted(parsed.entries)


# ------------------------------------------------------------------ checking a year


def entries_2027() -> list[CalendarEntry]:
    return parse_notice(NOTICE_2027).entries


def test_the_2027_schedule_is_sound():
    assert check_year(2027, entries_2027()) == []


def test_a_date_twice_is_refused():
    entries = entries_2027() + [CalendarEntry(date(2027, 2, 8), WORKDAY, "春节")]
    problems = check_year(2027, entries)
    assert any("2027-02-08" in p and "两次" in p for p in problems), problems


def test_an_adjusted_working_day_on_a_weekday_is_refused():
    entries = entries_2027() + [CalendarEntry(date(2027, 3, 3), WORKDAY, "春节")]
    problems = check_year(2027, entries)
    assert any("2027-03-03" in p and "周三" in p and "本来就是工作日" in p for p in problems)


def test_a_lone_weekend_holiday_is_refused():
    entries = entries_2027() + [CalendarEntry(date(2027, 3, 13), HOLIDAY, "植树节")]
    problems = check_year(2027, entries)
    assert any("2027-03-13" in p and "周六" in p for p in problems), problems
    # a weekend inside a block with a weekday (清明 Sat–Mon) is fine: the 2027 text passes


def test_a_year_without_spring_festival_is_refused():
    entries = [e for e in entries_2027() if e.name != "春节"]
    problems = check_year(2027, entries)
    assert any("春节" in p and "2027" in p for p in problems), problems


def test_a_date_of_another_year_is_refused_but_a_new_year_block_from_december_is_not():
    cross = parse_notice("元旦：2022年12月31日至2023年1月2日放假调休。", year=2023).entries
    spring = [CalendarEntry(date(2023, 1, 23), HOLIDAY, "春节")]
    assert check_year(2023, cross + spring) == []
    stray = [CalendarEntry(date(2022, 11, 30), HOLIDAY, "春节")]
    problems = check_year(2023, cross + spring + stray)
    assert any("2022-11-30" in p and "不在" in p for p in problems), problems


def test_an_empty_year_and_a_missing_name_are_refused():
    assert "没有" in check_year(2027, [])[0]
    problems = check_year(2027, entries_2027() + [CalendarEntry(date(2027, 3, 1), HOLIDAY, "")])
    assert any("名称" in p for p in problems)


# ------------------------------------------------------------------ precedence


class Library:
    """A library calendar knowing 2025–2026 only, every weekday a working day."""

    first_year, last_year = 2025, 2026

    def __init__(self) -> None:
        self.asked: list[date] = []

    def is_working_day(self, day: date) -> bool:
        self.asked.append(day)
        if not 2025 <= day.year <= 2026:
            raise CalendarNotCovered(day, 2025, 2026)
        return day.weekday() < 5


def test_the_centers_year_overrides_the_library_and_a_new_library_year_is_used():
    # the center re-entered 2026 with 5 Jan a holiday: it wins over the library's answer
    mine = {2026: [CalendarEntry(date(2026, 1, 5), HOLIDAY, "春节")]}
    library = Library()
    cal = ScheduledCalendar(mine, library)
    assert cal.source(2026) == "app" and not cal.is_working_day(date(2026, 1, 5))
    assert cal.is_working_day(date(2026, 1, 6)) and library.asked == []
    assert cal.source(2025) == "library" and cal.is_working_day(date(2025, 1, 6))
    # a newer library release that knows 2027 takes it over (the center has no 2027)
    library.last_year = 2027
    assert cal.source(2027) == "library"
    with pytest.raises(CalendarNotCovered):
        ScheduledCalendar(mine, Library()).is_working_day(date(2027, 1, 4))


def test_the_real_library_and_a_2027_schedule():
    cal = ScheduledCalendar({2027: entries_2027()}, ChineseHolidayCalendar())
    assert not cal.is_working_day(date(2027, 2, 8))  # 春节
    assert cal.is_working_day(date(2027, 2, 20))  # adjusted Saturday
    assert not cal.is_working_day(date(2026, 10, 1))  # the library's 国庆
    assert cal.known_until(date(2026, 12, 2)) == date(2027, 12, 31)


def test_the_outlook_warns_sixty_days_before_the_end():
    cal = ScheduledCalendar({}, ChineseHolidayCalendar())  # the library ends with 2026
    assert not outlook(cal, date(2026, 10, 31)).warn  # 61 days left: not yet
    soon = outlook(cal, date(2026, 11, 1))
    assert soon.warn and soon.days_left == 60 and soon.missing_year == 2027
    assert "2026-12-31" in soon.message() and "2027" in soon.message()
    late = outlook(cal, date(2027, 1, 4))
    assert late.warn and late.days_left is None and "周末" in late.message()
    entered = ScheduledCalendar({2027: entries_2027()}, ChineseHolidayCalendar())
    assert not outlook(entered, date(2026, 12, 2)).warn


# ------------------------------------------------------------------ deadlines beyond the calendar


def local(y, m, d, hh=10, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


def test_a_deadline_beyond_the_calendar_counts_weekends_only_and_is_provisional():
    cal = ScheduledCalendar({}, ChineseHolidayCalendar())
    # rural, Thursday 31 Dec 2026 17:00: Fri 1 Jan and Mon 4 Jan count as working days
    d = compute_deadline(local(2026, 12, 31, 17), "rural", WORK, calendar=cal)
    assert d.due_at == local(2027, 1, 4, 18) and d.provisional
    # a city request on Friday 5 Feb 2027: due the same day, still provisional
    d = compute_deadline(local(2027, 2, 5, 10), "city", WORK, calendar=cal)
    assert d.due_at == local(2027, 2, 5, 18) and d.provisional
    # inside the known years nothing is provisional
    d = compute_deadline(local(2026, 12, 30, 10), "city", WORK, calendar=cal)
    assert d.due_at == local(2026, 12, 30, 18) and not d.provisional
    assert "暂按周末计算" in rule_label("rural:2", provisional=True)


def test_with_the_2027_schedule_the_same_requests_are_not_provisional():
    cal = ScheduledCalendar({2027: entries_2027()}, ChineseHolidayCalendar())
    d = compute_deadline(local(2026, 12, 31, 17), "rural", WORK, calendar=cal)
    assert d.due_at == local(2027, 1, 5, 18) and not d.provisional  # 1 Jan is 元旦
    d = compute_deadline(local(2027, 2, 5, 10), "city", WORK, calendar=cal)
    assert d.due_at == local(2027, 2, 5, 18) and not d.provisional
    # received in the Spring Festival: the first working day after it
    d = compute_deadline(local(2027, 2, 8, 10), "city", WORK, calendar=cal)
    assert d.due_at == local(2027, 2, 14, 18)  # the adjusted Sunday


def test_recomputing_keeps_the_rule_and_the_end_of_the_day():
    before = ScheduledCalendar({}, ChineseHolidayCalendar())
    after = ScheduledCalendar({2027: entries_2027()}, ChineseHolidayCalendar())
    received = local(2026, 12, 31, 17)
    first = compute_deadline(received, "rural", WORK, calendar=before)
    due, provisional = recompute_deadline(received, first.rule, first.due_at, None, after)
    assert due == local(2027, 1, 5, 18) and not provisional
    due, provisional = recompute_deadline(received, first.rule, first.due_at, None, before)
    assert due == first.due_at and provisional


def test_calendar_days_never_need_the_calendar():
    cal = FixedCalendar(first_year=2030, last_year=2030)
    d = compute_deadline(local(2027, 1, 1), "rural", DeadlineSettings(), calendar=cal)
    assert not d.provisional
