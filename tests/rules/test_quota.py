"""docs/DOMAIN.md §3 "Visits against quota": the monthly quota by class, which visits count, the
local month boundaries, the states met / on track / behind, the class that applies when it
changes during the month, the compliance rate, the twice-a-year meeting rule and
inactivity; and the checks of a visit record."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kac_desktop.rules import quota as q
from kac_desktop.rules.defaults import DEFAULTS
from kac_desktop.rules.quota import (
    BEHIND,
    MET,
    ON_TRACK,
    ClassChange,
    Month,
    QuotaSettings,
    class_for_month,
    compliance,
    days_left,
    meeting_status,
    month_bounds,
    quota_status,
    visits_in_month,
)
from kac_desktop.rules.visits import VisitData, validate_visit

SETTINGS = QuotaSettings.from_settings(DEFAULTS)
CST = q.LOCAL_TZ


def local(y, m, d, hh=0, mm=0, ss=0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=CST).astimezone(UTC)


# ------------------------------------------------------------------ quota per class


@pytest.mark.parametrize(
    ("tier", "override", "cls", "required"),
    [
        ("diamond", None, 1, 3),
        ("platinum", None, 1, 3),
        ("gold", None, 2, 2),
        ("vip", None, 3, 1),
        ("ordinary", None, 3, 1),
        ("ordinary", 1, 1, 3),
        ("diamond", 3, 3, 1),
        ("unknown", None, 3, 1),
    ],
)
def test_quota_by_class_and_override(tier, override, cls, required):
    """docs/DOMAIN.md §3 quota: class 1 at least 3, class 2 at least 2, class 3 at least 1 visit a
    month; §2 class from tier (Diamond/Platinum 1, Gold 2, VIP/Ordinary 3), the supervisor's
    per-customer override wins."""
    assert SETTINGS.class_of(tier, override) == cls
    assert SETTINGS.required(cls) == required


def test_quota_settings_come_from_business_settings():
    """The class mapping, the quotas and the counting modes are settings, not code."""
    values = dict(DEFAULTS)
    values["visit_class.by_tier"] = {**DEFAULTS["visit_class.by_tier"], "gold": 1}
    values["quota.per_class"] = {"1": 4, "2": 2, "3": 0}
    values["quota.counting_modes"] = ["onsite", "phone"]
    s = QuotaSettings.from_settings(values)
    assert s.class_of("gold", None) == 1 and s.required(1) == 4
    assert s.required(3) == 0
    assert s.counts("phone") and not s.counts("meeting")


@pytest.mark.parametrize("mode", ["phone", "meeting", "event"])
def test_modes_that_do_not_count_by_default(mode):
    """docs/DOMAIN.md §3: by default only on-site visits count towards the quota."""
    month = Month(2026, 3)
    visits = [(local(2026, 3, 10, 10), mode), (local(2026, 3, 11, 10), "onsite")]
    assert visits_in_month(visits, month, SETTINGS) == 1


# ------------------------------------------------------------------ month boundaries


@pytest.mark.parametrize(
    ("year", "month", "days"),
    [(2026, 2, 28), (2028, 2, 29), (2026, 4, 30), (2026, 1, 31), (2026, 12, 31)],
)
def test_first_and_last_moment_of_months_of_28_to_31_days(year, month, days):
    """docs/DOMAIN.md §3 monthly quota in local time: 00:00 on the 1st and 23:59:59 on the last day
    belong to the month; 23:59:59 the day before and 00:00 on the next 1st do not."""
    m = Month(year, month)
    assert m.days == days
    nxt = m.next()
    inside = [
        (local(year, month, 1, 0, 0, 0), "onsite"),
        (local(year, month, days, 23, 59, 59), "onsite"),
    ]
    before = m.first_day - timedelta(days=1)
    outside = [
        (local(before.year, before.month, before.day, 23, 59, 59), "onsite"),
        (local(nxt.year, nxt.month, 1, 0, 0, 0), "onsite"),
    ]
    assert visits_in_month(inside + outside, m, SETTINGS) == 2


def test_midnight_local_is_the_previous_day_in_utc():
    """A visit at 00:00 local on the 1st is stored as 16:00 UTC of the last day before and
    still belongs to the new month."""
    at = local(2026, 3, 1, 0, 0)
    assert at.day == 28 and at.month == 2 and at.hour == 16
    assert visits_in_month([(at, "onsite")], Month(2026, 3), SETTINGS) == 1
    assert visits_in_month([(at, "onsite")], Month(2026, 2), SETTINGS) == 0
    start, end = month_bounds(Month(2026, 3))
    assert start == at and end == local(2026, 4, 1)


def test_days_left_counts_today_and_stops_at_month_end():
    m = Month(2026, 2)
    assert days_left(m, date(2026, 2, 1)) == 28
    assert days_left(m, date(2026, 2, 28)) == 1
    assert days_left(m, date(2026, 3, 1)) == 0
    assert days_left(m, date(2026, 1, 31)) == 28


def test_month_parse():
    assert Month.parse("2026-03") == Month(2026, 3)
    assert Month.parse("202603") == Month(2026, 3)
    for bad in ("2026-13", "2026/03", "26-03", "", "march"):
        with pytest.raises(ValueError):
            Month.parse(bad)
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Month(2026, 1).previous() == Month(2025, 12)


# ------------------------------------------------------------------ states


def test_states_met_on_track_behind():
    """docs/DOMAIN.md §3 quota view: met, on track or behind with the days left in the month."""
    m = Month(2026, 4)  # 30 days
    assert quota_status(3, 3, m, date(2026, 4, 2)).state == MET
    assert quota_status(3, 0, m, date(2026, 4, 1)).state == ON_TRACK
    # by the 11th, 10 of 30 days are past: one of three visits is due
    assert quota_status(3, 0, m, date(2026, 4, 11)).state == BEHIND
    assert quota_status(3, 1, m, date(2026, 4, 11)).state == ON_TRACK
    last = quota_status(1, 0, m, date(2026, 4, 30))
    assert last.state == ON_TRACK and last.days_left == 1
    over = quota_status(1, 0, m, date(2026, 5, 1))
    assert over.state == BEHIND and over.days_left == 0
    assert q.state_text(over) == q._("Not met")
    behind = quota_status(3, 0, m, date(2026, 4, 25))
    assert "6" in q.state_text(behind)


def test_state_labels_read_in_chinese_beside_colours():
    """A colour never stands alone: every state has a Chinese label and a symbol."""
    assert {q.state_label(s) for s in q.STATES} == {"已达标", "进度正常", "落后"}
    assert set(q.STATE_COLOURS) == set(q.STATE_SYMBOLS) == set(q.STATES)


@given(
    required=st.integers(0, 6),
    done=st.integers(0, 8),
    day=st.dates(date(2024, 1, 1), date(2026, 12, 31)),
    month_index=st.integers(0, 35),
)
def test_state_invariants(required, done, day, month_index):
    """Met exactly when the visits reach the quota; one more visit never makes a state
    worse; after the month nothing is 'on track'."""
    m = Month(2024 + month_index // 12, month_index % 12 + 1)
    s = quota_status(required, done, m, day)
    assert (s.state == MET) == (done >= required)
    rank = {BEHIND: 0, ON_TRACK: 1, MET: 2}
    assert rank[quota_status(required, done + 1, m, day).state] >= rank[s.state]
    assert 0 <= s.days_left <= m.days
    if day > m.last_day:
        assert s.state != ON_TRACK
    assert 0 <= s.expected_by_now <= required


# ------------------------------------------------------------------ class changes


def test_class_in_force_at_month_end_applies_to_the_whole_month():
    """docs/DOMAIN.md §3 with a class change during the month: the class in force at the end of
    the month applies (the class now, for the current month)."""
    march = Month(2026, 3)
    upgraded_mid_march = [ClassChange(local(2026, 3, 15, 10), "tier", "vip")]
    # now gold (class 2); in March it became gold on the 15th: March is class 2
    assert class_for_month("gold", None, upgraded_mid_march, march, SETTINGS) == 2
    # February ended before the change: class 3
    assert class_for_month("gold", None, upgraded_mid_march, Month(2026, 2), SETTINGS) == 3


def test_change_at_midnight_starting_the_next_month_belongs_to_the_next_month():
    changed_april_1 = [ClassChange(local(2026, 4, 1, 0, 0), "tier", "vip")]
    assert class_for_month("diamond", None, changed_april_1, Month(2026, 3), SETTINGS) == 3
    assert class_for_month("diamond", None, changed_april_1, Month(2026, 4), SETTINGS) == 1
    last_second = [ClassChange(local(2026, 3, 31, 23, 59, 59), "tier", "vip")]
    assert class_for_month("diamond", None, last_second, Month(2026, 3), SETTINGS) == 1


def test_several_changes_and_overrides_undo_to_the_month_end():
    changes = [
        ClassChange(local(2026, 5, 3), "tier", "vip"),  # vip → gold in May
        ClassChange(local(2026, 6, 9), "tier", "gold"),  # gold → diamond in June
        ClassChange(local(2026, 6, 20), "visit_class_override", None),  # override 3 set
    ]
    assert class_for_month("diamond", 3, changes, Month(2026, 6), SETTINGS) == 3
    assert class_for_month("diamond", 3, changes, Month(2026, 5), SETTINGS) == 2
    assert class_for_month("diamond", 3, changes, Month(2026, 4), SETTINGS) == 3
    assert class_for_month("diamond", None, [], Month(2026, 4), SETTINGS) == 1


# ------------------------------------------------------------------ compliance


def test_compliance_rate_is_customers_met_over_customers_due():
    m = Month(2026, 4)
    statuses = [
        quota_status(3, 3, m, date(2026, 5, 1)),
        quota_status(1, 0, m, date(2026, 5, 1)),
        quota_status(2, 5, m, date(2026, 5, 1)),
        quota_status(0, 0, m, date(2026, 5, 1)),  # no quota: not due
    ]
    c = compliance(statuses)
    assert (c.due, c.met, c.behind) == (3, 2, 1)
    assert c.rate == pytest.approx(2 / 3)
    assert (c.required, c.done) == (6, 5)
    assert compliance([]).rate is None
    assert q.format_rate(None) == "—" and q.format_rate(0.5) == "50.0%"


# ------------------------------------------------------------------ meetings


def test_branch_meeting_at_least_twice_a_year():
    """docs/DOMAIN.md §3: each branch holds a key-customer meeting at least twice a year; show when
    it is behind (one is due by the end of June, two by the end of the year)."""
    assert not meeting_status(0, 2026, 2, date(2026, 6, 30)).behind
    assert meeting_status(0, 2026, 2, date(2026, 7, 1)).behind
    assert not meeting_status(1, 2026, 2, date(2026, 12, 31)).behind
    assert meeting_status(1, 2025, 2, date(2026, 1, 1)).behind
    assert not meeting_status(2, 2025, 2, date(2026, 1, 1)).behind
    assert not meeting_status(0, 2027, 2, date(2026, 12, 1)).behind


# ------------------------------------------------------------------ inactivity


def test_inactivity_after_30_days_without_visit_or_business():
    """docs/DOMAIN.md §3 inactivity: no business and no contact for the set days (default 30)."""
    today = date(2026, 5, 31)
    assert q.is_inactive(date(2026, 5, 1), today, 30)
    assert not q.is_inactive(date(2026, 5, 2), today, 30)
    assert q.is_inactive(None, today, 30)
    # revenue in April counts as business until 30 April
    assert q.last_contact_day(date(2026, 3, 3), 202604, None) == date(2026, 4, 30)
    assert q.last_contact_day(date(2026, 5, 3), 202604, None) == date(2026, 5, 3)
    assert q.last_contact_day(None, None, date(2026, 1, 9)) == date(2026, 1, 9)
    assert q.days_since(date(2026, 5, 1), today) == 30


# ------------------------------------------------------------------ a visit's checks


NOW = local(2026, 3, 10, 15)


def visit(**changes) -> VisitData:
    data = VisitData(customer_id="c1", visited_at=local(2026, 3, 10, 10), summary="上门拜访")
    for k, v in changes.items():
        setattr(data, k, v)
    return data


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"visited_at": local(2026, 3, 11, 9)}, "visited_at", "将来"),
        ({"visited_at": None}, "visited_at", "日期"),
        ({"summary": ""}, "summary", "概要"),
        ({"customer_id": None}, "customer_id", "客户"),
        ({"mode": "fax"}, "mode", "方式"),
        ({"purpose": "x"}, "purpose", "目的"),
        ({"satisfaction": 6}, "satisfaction", "1"),
        ({"next_step_date": date(2026, 3, 20)}, "next_step", "下一步"),
        ({"next_step": "再访", "next_step_date": date(2026, 3, 1)}, "next_step_date", "早于"),
    ],
)
def test_a_bad_visit_gets_a_clear_message(changes, field, words):
    errors = validate_visit(visit(**changes), NOW)
    assert [e.field for e in errors] == [field]
    assert words in errors[0].message


def test_a_meeting_needs_no_customer_and_a_clock_a_little_fast_is_tolerated():
    assert validate_visit(visit(customer_id=None, mode="meeting"), NOW) == []
    assert validate_visit(visit(visited_at=NOW + timedelta(minutes=5)), NOW) == []
    assert validate_visit(visit(), NOW) == []
