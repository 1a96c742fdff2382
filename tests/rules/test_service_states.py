"""docs/DOMAIN.md §4 warning colours and status flow: on track / attention / urgent / overdue /
done on time / done late at their thresholds, the "剩余 / 超时" texts, and each step of
已受理 → 处理中 → 已办结 → 已回访 → 已关闭 with the refused ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kac_desktop.rules.deadlines import LOCAL_TZ
from kac_desktop.rules.service_states import (
    ATTENTION,
    CALLED_BACK,
    CLOSED,
    DONE_LATE,
    DONE_ON_TIME,
    IN_PROGRESS,
    ON_TRACK,
    OVERDUE,
    RECEIVED,
    RESOLVED,
    STATE_COLOURS,
    URGENCY_RANK,
    URGENT,
    WARNING_STATES,
    Thresholds,
    allowed_steps,
    check_step,
    duration_text,
    is_due_today,
    next_due,
    request_state,
    time_left_text,
    warning_state,
)

T0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
DEADLINE = T0 + timedelta(hours=20)  # 20 hours allowed
S = timedelta(seconds=1)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


DEFAULT = Thresholds()


def state(now, resolved=None, thresholds=DEFAULT):
    return warning_state(T0, DEADLINE, now, resolved, thresholds)


def test_more_than_half_the_time_left_is_on_track():
    """§4 on track: more than 50 % of the allowed time left (green)."""
    assert state(at(0)) == ON_TRACK
    assert state(at(10) - S) == ON_TRACK


def test_half_the_time_left_or_less_is_attention():
    """§4 attention: 50 % or less left (amber) — exactly at 50 % already."""
    assert state(at(10)) == ATTENTION
    assert state(at(10) + S) == ATTENTION
    assert state(at(18) - S) == ATTENTION


def test_ten_percent_left_or_less_is_urgent():
    """§4 urgent: 10 % or less left (red) — 2 of 20 hours."""
    assert state(at(18)) == URGENT
    assert state(at(18) + S) == URGENT


def test_under_one_hour_left_is_urgent_even_above_ten_percent():
    """§4 urgent: or under 1 hour.  Allowed 5 h: 1 h left is 20 %, not yet urgent; 59:59 is."""
    deadline = T0 + timedelta(hours=5)
    assert warning_state(T0, deadline, deadline - timedelta(hours=1)) == ATTENTION
    assert warning_state(T0, deadline, deadline - timedelta(hours=1) + S) == URGENT


def test_past_the_deadline_unresolved_is_overdue():
    """§4 overdue: past the deadline, not resolved (dark red, bold).  At the deadline itself
    it is still urgent; one second later overdue."""
    assert state(DEADLINE) == URGENT
    assert state(DEADLINE + S) == OVERDUE
    assert state(DEADLINE + timedelta(days=30)) == OVERDUE


def test_resolved_is_done_on_time_or_done_late():
    """§4 done on time / done late: resolved at or before the deadline, or after it."""
    assert state(DEADLINE + timedelta(days=2), resolved=DEADLINE) == DONE_ON_TIME
    assert state(DEADLINE + timedelta(days=2), resolved=DEADLINE + S) == DONE_LATE
    assert state(at(1), resolved=at(1)) == DONE_ON_TIME


def test_thresholds_are_settings():
    limits = Thresholds.from_settings(
        {
            "warning.attention_fraction": 0.7,
            "warning.urgent_fraction": 0.3,
            "warning.urgent_hours": 0,
        }
    )
    assert state(at(6), thresholds=limits) == ATTENTION  # 70 % left
    assert state(at(14), thresholds=limits) == URGENT  # 30 % left


def test_no_allowed_time_at_all_is_urgent():
    assert warning_state(DEADLINE, DEADLINE, DEADLINE) == URGENT


def test_every_state_has_words_and_colours_and_a_rank():
    assert set(WARNING_STATES) == set(STATE_COLOURS) == set(URGENCY_RANK)
    assert URGENCY_RANK[OVERDUE] < URGENCY_RANK[URGENT] < URGENCY_RANK[ATTENTION]
    assert URGENCY_RANK[ATTENTION] < URGENCY_RANK[ON_TRACK] < URGENCY_RANK[DONE_LATE]


@given(st.integers(min_value=-100_000, max_value=200_000))
def test_states_only_get_worse_as_time_passes(seconds):
    """Invariant: an unresolved request's state never improves with time."""
    now = T0 + timedelta(seconds=seconds)
    later = now + timedelta(minutes=7)
    assert URGENCY_RANK[state(later)] <= URGENCY_RANK[state(now)]


# ------------------------------------------------------------------ complaints


def test_an_unanswered_complaint_is_judged_by_its_first_response():
    first_due = T0 + timedelta(hours=4)
    deadline = T0 + timedelta(hours=48)
    assert next_due(deadline, first_due, None).first_response
    assert request_state(T0, deadline, at(4) + S, first_response_due_at=first_due) == OVERDUE
    answered = request_state(
        T0, deadline, at(4) + S, first_response_due_at=first_due, first_response_at=at(3)
    )
    assert answered == ON_TRACK
    # a first-response time after the deadline does not matter
    assert not next_due(deadline, deadline + S, None).first_response


# ------------------------------------------------------------------ texts


def test_time_left_and_overdue_texts_in_chinese():
    """The board's words: "剩余 3小时20分", "超时 1天2小时"."""
    due = at(10)
    assert time_left_text(due, due - timedelta(hours=3, minutes=20)) == "剩余 3小时20分"
    assert time_left_text(due, due + timedelta(days=1, hours=2)) == "超时 1天2小时"
    assert time_left_text(due, due - timedelta(minutes=45, seconds=59)) == "剩余 45分"
    assert time_left_text(due, due - timedelta(seconds=30)) == "剩余 不足1分钟"
    assert (
        time_left_text(due, due + timedelta(hours=2), first_response=True)
        == "首次响应超时 2小时0分"
    )
    assert time_left_text(due, due + timedelta(days=9), resolved_at=due) == ""
    assert time_left_text(due, due, resolved_at=due + timedelta(hours=1)) == "超时 1小时0分 办结"


def test_durations_round_down_to_the_minute():
    assert duration_text(timedelta(hours=3, minutes=20, seconds=59)) == "3小时20分"
    assert duration_text(timedelta(days=2, minutes=59)) == "2天0小时"


def test_due_today_is_by_local_date():
    now = datetime(2026, 11, 23, 9, 0, tzinfo=LOCAL_TZ)
    assert is_due_today(datetime(2026, 11, 23, 18, tzinfo=LOCAL_TZ), now, LOCAL_TZ)
    assert not is_due_today(datetime(2026, 11, 24, 0, 0, tzinfo=LOCAL_TZ), now, LOCAL_TZ)
    assert not is_due_today(datetime(2026, 11, 23, 8, tzinfo=LOCAL_TZ), now, LOCAL_TZ)


# ------------------------------------------------------------------ the status flow


@pytest.mark.parametrize(
    ("current", "target", "kwargs"),
    [
        (RECEIVED, IN_PROGRESS, {}),
        (IN_PROGRESS, RESOLVED, {"resolution": "已揽收"}),
        (RESOLVED, CALLED_BACK, {"satisfaction": 5}),
        (CALLED_BACK, CLOSED, {}),
        (RESOLVED, IN_PROGRESS, {"note": "客户反映未解决"}),
        (CALLED_BACK, IN_PROGRESS, {"note": "回访不满意"}),
        (CLOSED, IN_PROGRESS, {"note": "再次投诉"}),
    ],
)
def test_allowed_steps(current, target, kwargs):
    """§4 status: 已受理 → 处理中 → 已办结 → 已回访 → 已关闭; reopening back to 处理中."""
    assert check_step(current, target, **kwargs) == []


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (RECEIVED, RESOLVED),
        (RECEIVED, CLOSED),
        (RECEIVED, CALLED_BACK),
        (IN_PROGRESS, CLOSED),
        (IN_PROGRESS, CALLED_BACK),
        (IN_PROGRESS, RECEIVED),
        (RESOLVED, CLOSED),
        (CLOSED, RESOLVED),
        (CLOSED, CLOSED),
        (IN_PROGRESS, IN_PROGRESS),
    ],
)
def test_refused_steps_say_why(current, target):
    errors = check_step(current, target, resolution="x", satisfaction=5, note="x")
    assert len(errors) == 1 and "不能改为" in errors[0].message


def test_resolving_needs_the_resolution_callback_the_score_reopening_a_reason():
    assert check_step(IN_PROGRESS, RESOLVED, resolution="  ")[0].field == "resolution"
    assert check_step(RESOLVED, CALLED_BACK)[0].field == "satisfaction"
    assert check_step(RESOLVED, CALLED_BACK, satisfaction=6)[0].field == "satisfaction"
    assert check_step(CLOSED, IN_PROGRESS)[0].field == "note"


def test_allowed_steps_from_each_status():
    assert allowed_steps(RECEIVED) == [IN_PROGRESS]
    assert allowed_steps(RESOLVED) == [CALLED_BACK, IN_PROGRESS]
    assert allowed_steps(CLOSED) == [IN_PROGRESS]


def test_the_state_changes_only_at_the_moments_the_rules_name():
    """``state_moments`` (what the board watches under a state filter) names every moment
    at which ``warning_state`` moves: between two of them the state holds."""
    from datetime import UTC, datetime, timedelta

    from kac_desktop.rules.service_states import Thresholds, state_moments, warning_state

    received = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    for hours in (0.5, 2, 9, 24, 48, 72):
        for limits in (Thresholds(), Thresholds(0.6, 0.2, 3.0), Thresholds(0.3, 0.05, 0.5)):
            due = received + timedelta(hours=hours)
            moments = state_moments(received, due, limits)
            assert list(moments) == sorted(moments) and moments[-1] == due
            edges = [received, *moments, due + timedelta(hours=2)]
            for start, end in zip(edges, edges[1:], strict=False):
                if end - start <= timedelta(seconds=2):
                    continue
                inside = {
                    warning_state(received, due, start + (end - start) * f, None, limits)
                    for f in (0.001, 0.25, 0.5, 0.75, 0.999)
                }
                assert len(inside) == 1, (hours, limits, start, end, inside)
            assert warning_state(received, due, due, None, limits) != warning_state(
                received, due, due + timedelta(seconds=1), None, limits
            )
