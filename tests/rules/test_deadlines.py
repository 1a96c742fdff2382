"""docs/DOMAIN.md §4 deadlines: city same day with the 18:00 cut-off, rural two days, special case
three days from the confirming call, the complaint first response, calendar days or working
days by the official holiday calendar.  Times are Asia/Shanghai local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kac_desktop.i18n import set_language
from kac_desktop.rules.deadlines import (
    LOCAL_TZ,
    CalendarNotCovered,
    ChineseHolidayCalendar,
    DeadlineSettings,
    FixedCalendar,
    SettingsError,
    compute_deadline,
    first_response_hours,
    rule_label,
)

CAL = DeadlineSettings()  # calendar days, 18:00
WORK = DeadlineSettings(working_days=True)
WEEKDAYS = FixedCalendar()


def local(y, m, d, hh=10, mm=0, ss=0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=LOCAL_TZ)


def due(received, area="city", settings=CAL, **kw):
    return compute_deadline(received, area, settings, **kw).due_at.astimezone(LOCAL_TZ)


# ------------------------------------------------------------------ city: the same day


def test_city_request_before_the_cutoff_is_due_the_same_day_at_the_cutoff():
    """§4 city (城区): the same day, by the end of the working day (18:00)."""
    assert due(local(2026, 11, 23, 9, 30)) == local(2026, 11, 23, 18)


def test_city_request_one_second_before_the_cutoff_is_due_the_same_day():
    """§4 city: 17:59:59 is still the same day."""
    assert due(local(2026, 11, 23, 17, 59, 59)) == local(2026, 11, 23, 18)


def test_city_request_exactly_at_the_cutoff_is_due_the_next_day():
    """§4 city: a request at 18:00:00 has no working time left that day: next day's end."""
    assert due(local(2026, 11, 23, 18, 0, 0)) == local(2026, 11, 24, 18)


def test_city_request_one_second_after_the_cutoff_is_due_the_next_days_end():
    """§4 city: a request received after 18:00 is due the next day's end."""
    assert due(local(2026, 11, 23, 18, 0, 1)) == local(2026, 11, 24, 18)


def test_city_request_just_before_midnight_and_just_after():
    assert due(local(2026, 11, 23, 23, 59, 59)) == local(2026, 11, 24, 18)
    assert due(local(2026, 11, 24, 0, 0, 0)) == local(2026, 11, 24, 18)


def test_city_cutoff_across_the_month_and_the_year_end():
    """§4 city: after the cut-off on the last day of a month or year → the 1st."""
    assert due(local(2026, 11, 30, 19)) == local(2026, 12, 1, 18)
    assert due(local(2026, 12, 31, 18, 30)) == local(2027, 1, 1, 18)
    assert due(local(2028, 2, 28, 20)) == local(2028, 2, 29, 18)  # leap year


def test_the_cutoff_is_a_setting():
    settings = DeadlineSettings.from_settings({"deadline.city_cutoff": "17:30"})
    assert settings.cutoff == time(17, 30)
    assert due(local(2026, 11, 23, 17, 29), settings=settings) == local(2026, 11, 23, 17, 30)
    assert due(local(2026, 11, 23, 17, 30), settings=settings) == local(2026, 11, 24, 17, 30)


def test_deadline_is_returned_in_utc_and_reckoned_in_branch_time():
    """Stored UTC; 18:00 in Fuzhou is 10:00 UTC.  A request given in UTC counts by its local
    time: 10:30 UTC is 18:30 local, after the cut-off."""
    d = compute_deadline(datetime(2026, 11, 23, 10, 30, tzinfo=UTC), "city", CAL)
    assert d.due_at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert d.due_at.tzinfo == UTC
    assert d.rule == "city"


# ------------------------------------------------------------------ rural: two days


def test_rural_request_is_due_at_the_end_of_the_day_two_days_later():
    """§4 rural (农村): a result within 2 days: the cut-off two days after receipt."""
    d = compute_deadline(local(2026, 11, 23, 10), "rural", CAL)
    assert d.due_at.astimezone(LOCAL_TZ) == local(2026, 11, 25, 18)
    assert d.rule == "rural:2"


def test_rural_request_after_the_cutoff_counts_from_the_next_day():
    assert due(local(2026, 11, 23, 17, 59, 59), "rural") == local(2026, 11, 25, 18)
    assert due(local(2026, 11, 23, 18), "rural") == local(2026, 11, 26, 18)


def test_rural_across_the_year_end():
    assert due(local(2026, 12, 30, 9), "rural") == local(2027, 1, 1, 18)
    assert due(local(2026, 12, 31, 19), "rural") == local(2027, 1, 3, 18)


def test_rural_days_is_a_setting():
    settings = DeadlineSettings(rural_days=3)
    d = compute_deadline(local(2026, 11, 23), "rural", settings)
    assert d.due_at.astimezone(LOCAL_TZ) == local(2026, 11, 26, 18)
    assert d.rule == "rural:3"


# ------------------------------------------------------------------ special case


def test_special_case_is_due_three_days_after_the_confirming_call():
    """§4 special case (特殊情况): confirm by phone first, then finish within 3 days of it."""
    d = compute_deadline(
        local(2026, 11, 23, 9),
        "city",
        CAL,
        special_case=True,
        confirmed_at=local(2026, 11, 24, 11),
    )
    assert d.due_at.astimezone(LOCAL_TZ) == local(2026, 11, 27, 18)
    assert d.rule == "special:3"


def test_special_case_confirmed_after_the_cutoff_counts_from_the_next_day():
    d = compute_deadline(
        local(2026, 11, 23, 9),
        "rural",
        CAL,
        special_case=True,
        confirmed_at=local(2026, 11, 23, 18),
    )
    assert d.due_at.astimezone(LOCAL_TZ) == local(2026, 11, 27, 18)


def test_special_case_without_a_confirming_call_has_no_deadline():
    with pytest.raises(ValueError):
        compute_deadline(local(2026, 11, 23), "city", CAL, special_case=True)


# ------------------------------------------------------------------ complaints


def test_complaint_needs_a_first_response_within_24_hours():
    """§4: complaints additionally need a first response within a set time (24 h)."""
    received = local(2026, 11, 23, 17, 10)
    d = compute_deadline(received, "city", CAL, request_type="complaint")
    assert d.first_response_due_at == received.astimezone(UTC) + timedelta(hours=24)
    assert d.due_at.astimezone(LOCAL_TZ) == local(2026, 11, 23, 18)
    assert first_response_hours(received, d.first_response_due_at) == 24


def test_first_response_time_is_clock_hours_even_in_working_day_mode():
    received = local(2026, 11, 27, 16)  # a Friday
    d = compute_deadline(received, "city", WORK, request_type="complaint", calendar=WEEKDAYS)
    assert d.first_response_due_at.astimezone(LOCAL_TZ) == local(2026, 11, 28, 16)


def test_other_types_have_no_first_response_time():
    assert compute_deadline(local(2026, 11, 23), "city", CAL).first_response_due_at is None


# ------------------------------------------------------------------ working days


def test_working_days_skip_the_weekend():
    """A city request on Friday after 18:00 is due Monday 18:00; received on a Saturday,
    also Monday."""
    assert due(local(2026, 11, 27, 18, 30), settings=WORK, calendar=WEEKDAYS) == local(
        2026, 11, 30, 18
    )
    assert due(local(2026, 11, 28, 10), settings=WORK, calendar=WEEKDAYS) == local(2026, 11, 30, 18)


def test_rural_in_working_days_counts_working_days_only():
    # Thursday → Monday (Fri, Mon are the two working days after)
    assert due(local(2026, 11, 26, 10), "rural", WORK, calendar=WEEKDAYS) == local(2026, 11, 30, 18)


def test_working_days_skip_holidays_and_count_adjusted_weekends():
    holidays = frozenset(date(2026, 10, d) for d in range(1, 8))
    workdays = frozenset({date(2026, 9, 27), date(2026, 10, 10)})  # adjusted (调休)
    cal = FixedCalendar(holidays, workdays)
    # received on 30 Sep after the cut-off: the holiday week is skipped; 8 Oct is a Thursday
    assert due(local(2026, 9, 30, 19), settings=WORK, calendar=cal) == local(2026, 10, 8, 18)
    # the adjusted Saturday 10 Oct is a working day
    assert due(local(2026, 10, 9, 19), settings=WORK, calendar=cal) == local(2026, 10, 10, 18)
    # a plain Sunday is not
    assert due(local(2026, 10, 10, 19), settings=WORK, calendar=cal) == local(2026, 10, 12, 18)


def test_calendar_days_mode_ignores_the_calendar():
    cal = FixedCalendar(first_year=2030, last_year=2030)  # would refuse 2026
    assert due(local(2026, 11, 28, 10), settings=CAL, calendar=cal) == local(2026, 11, 28, 18)


def test_official_calendar_knows_national_day_and_spring_festival_2026():
    cal = ChineseHolidayCalendar()
    assert not cal.is_working_day(date(2026, 10, 1))
    assert not cal.is_working_day(date(2026, 2, 17))
    assert cal.is_working_day(date(2026, 11, 23))
    # national day 2026: received 30 Sep 19:00, due on the first working day after the holiday
    d = due(local(2026, 9, 30, 19), settings=WORK, calendar=cal)
    assert d.date() > date(2026, 10, 7) and cal.is_working_day(d.date())


def test_a_date_the_calendar_does_not_cover_gives_a_clear_message():
    cal = ChineseHolidayCalendar()
    with pytest.raises(CalendarNotCovered) as err:
        cal.is_working_day(date(cal.last_year + 1, 1, 4))
    message = err.value.message
    assert str(cal.last_year) in message and f"{cal.last_year + 1}-01-04" in message


def test_year_end_in_working_days_at_the_edge_of_the_calendar_is_never_a_dead_end():
    """Beyond the calendar a deadline counts weekends only and is provisional."""
    cal = FixedCalendar(first_year=2026, last_year=2026)
    # 31 Dec 2026 is a Thursday: due the same day, the calendar is not asked about 2027
    d = compute_deadline(local(2026, 12, 31, 10), "city", WORK, calendar=cal)
    assert d.due_at == local(2026, 12, 31, 18) and not d.provisional
    d = compute_deadline(local(2026, 12, 31, 19), "city", WORK, calendar=cal)
    assert d.due_at == local(2027, 1, 1, 18) and d.provisional


# ------------------------------------------------------------------ settings and labels


def test_bad_settings_are_refused_with_a_message():
    with pytest.raises(SettingsError) as err:
        DeadlineSettings.from_settings({"deadline.city_cutoff": "25:00"})
    assert "18:00" in err.value.message
    with pytest.raises(SettingsError):
        DeadlineSettings.from_settings({"deadline.rural_days": -1})


def test_rule_labels_in_chinese():
    assert rule_label("city") == "城区当日"
    assert rule_label("rural:2") == "农村2日"
    assert rule_label("special:3") == "特殊3日"
    assert rule_label("city", 24) == "城区当日 · 投诉首次响应24小时"
    set_language("en")
    assert rule_label("rural:2") == "Rural: 2 days"


@given(
    st.datetimes(min_value=datetime(2004, 1, 1), max_value=datetime(2026, 12, 20)),
    st.sampled_from(["city", "rural"]),
    st.booleans(),
)
def test_deadline_is_always_after_receipt_at_the_cutoff_on_a_working_day(moment, area, work):
    """Invariant: the deadline lies after receipt, at 18:00 local, on a working day."""
    received = moment.replace(tzinfo=LOCAL_TZ)
    settings = WORK if work else CAL
    cal = ChineseHolidayCalendar()
    d = compute_deadline(received, area, settings, calendar=cal).due_at
    local_due = d.astimezone(LOCAL_TZ)
    assert d > received
    assert local_due.time() == time(18, 0)
    if work:
        assert cal.is_working_day(local_due.date())
    assert d - received <= timedelta(days=3 if not work else 20)
