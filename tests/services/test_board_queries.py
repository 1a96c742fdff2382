"""The deadline board's queries at scale (issue #8): the status bar's counts by bisection agree
with the plain count at every moment; the open requests' times come back exactly as stored,
for every role's scope and every scope of the board; the board reads them from one index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from kac_desktop.models import ServiceRequest
from kac_desktop.rules.deadlines import LOCAL_TZ
from kac_desktop.services import customers as cs
from kac_desktop.services import requests as rs
from kac_desktop.services.changes import Kind
from kac_desktop.services.requests import DueTimes, RequestInput, RequestQuery, RequestTiming

BASE = datetime(2026, 11, 23, 10, tzinfo=LOCAL_TZ).astimezone(UTC)
minutes = st.integers(min_value=-3 * 24 * 60, max_value=3 * 24 * 60)


@st.composite
def timings(draw) -> RequestTiming:
    received = BASE + timedelta(minutes=draw(minutes))
    deadline = received + timedelta(minutes=draw(st.integers(0, 4 * 24 * 60)))
    first_due = draw(st.none() | st.just(received + timedelta(hours=24)))
    first_at = draw(st.none() | st.just(received + timedelta(minutes=30)))
    resolved = draw(st.none() | st.just(deadline + timedelta(minutes=draw(minutes))))
    return RequestTiming("r", received, deadline, first_due, first_at, resolved)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.lists(timings(), max_size=40), st.lists(minutes, min_size=1, max_size=8))
def test_counts_by_bisection_agree_with_the_plain_count(requests, moments):
    """超时 N 件 / 今日到期 N 件: the sorted due times give the same counts as counting every
    request, at any moment — on a due time, one second either side, across local midnight."""
    due = DueTimes.of(requests)
    for offset in moments:
        now = BASE + timedelta(minutes=offset)
        for moment in (now, now - timedelta(seconds=1), now + timedelta(seconds=1)):
            assert due.counts(moment) == rs.due_counts(requests, moment)
        for t in requests:  # exactly on a request's due times
            for at in (t.deadline_at, t.first_response_due_at):
                if at is not None:
                    assert due.counts(at) == rs.due_counts(requests, at)


def test_counts_change_at_local_midnight_not_utc_midnight():
    evening = datetime(2026, 11, 23, 23, 0, tzinfo=LOCAL_TZ)
    late = RequestTiming("a", evening, evening + timedelta(minutes=30), None, None, None)
    tomorrow = RequestTiming("b", evening, evening + timedelta(hours=2), None, None, None)
    due = DueTimes.of([late, tomorrow])
    assert due.counts(evening.astimezone(UTC)) == rs.DueCounts(0, 1)
    after_midnight = evening + timedelta(hours=1, minutes=30)
    assert due.counts(after_midnight) == rs.DueCounts(1, 1)


def _requests(db, org, make_customer) -> dict[str, str]:
    mine = cs.save_customer(
        db,
        org.mgr_a1,
        make_customer("福州华闽贸易有限公司", manager=org.mgr_a1, nature="individual"),
    ).first(Kind.CUSTOMER)
    theirs = cs.save_customer(
        db, org.mgr_b1, make_customer("仓山物流有限公司", manager=org.mgr_b1, nature="individual")
    ).first(Kind.CUSTOMER)
    made = {}
    for name, actor, customer, hours, kind in (
        ("open", org.mgr_a1, mine, 2, "pickup"),
        ("complaint", org.mgr_a1, mine, 30, "complaint"),
        ("other branch", org.mgr_b1, theirs, 5, "consultation"),
        ("resolved", org.mgr_a1, mine, 50, "pickup"),
        ("closed", org.mgr_b1, theirs, 70, "other"),
    ):
        received = BASE - timedelta(hours=hours)
        data = RequestInput(
            customer_id=customer, type=kind, description="请上门揽收", received_at=received
        )
        made[name] = rs.register_request(db, actor, data, now=received).first(Kind.REQUEST)
    rs.change_status(db, org.mgr_a1, made["complaint"], "in_progress", now=BASE)
    rs.change_status(db, org.mgr_a1, made["resolved"], "in_progress", now=BASE)
    rs.change_status(db, org.mgr_a1, made["resolved"], "resolved", resolution="已揽收", now=BASE)
    for step in ("in_progress", "resolved", "called_back", "closed"):
        rs.change_status(
            db, org.mgr_b1, made["closed"], step, resolution="已办结", satisfaction=5, now=BASE
        )
    return made


def test_timings_are_the_stored_times_for_every_scope_and_role(db, org, make_customer):
    made = _requests(db, org, make_customer)
    with db.session() as session:
        stored = {
            r.id: (
                r.received_at,
                r.deadline_at,
                r.first_response_due_at,
                r.first_response_at,
                r.resolved_at,
            )
            for r in session.scalars(select(ServiceRequest))
        }
    expected = {
        "unresolved": {"open", "complaint", "other branch"},
        "unclosed": {"open", "complaint", "other branch", "resolved"},
        "all": set(made),
    }
    for scope, names in expected.items():
        got = rs.query_timings(db, org.admin, RequestQuery(scope=scope))
        assert {t.id for t in got} == {made[n] for n in names}, scope
        for t in got:
            assert (
                t.received_at,
                t.deadline_at,
                t.first_response_due_at,
                t.first_response_at,
                t.resolved_at,
            ) == stored[t.id]
            assert t.received_at.tzinfo is not None and t.deadline_at.utcoffset() == timedelta(0)
        assert [t.deadline_at for t in got] == sorted(t.deadline_at for t in got)
    # the narrower scopes still join the customer's file
    supervisor = rs.query_timings(db, org.sup_a, RequestQuery(scope="all"))
    assert {t.id for t in supervisor} == {made[n] for n in ("open", "complaint", "resolved")}
    manager = rs.query_timings(db, org.mgr_b1, RequestQuery(scope="all"))
    assert {t.id for t in manager} == {made["other branch"], made["closed"]}


def test_the_customer_search_finds_the_same_requests_in_every_scope(db, org, make_customer):
    """The open scopes look up each request's customer, the whole history passes over the
    customers' search texts once: both find the requests of the customers the list's
    search finds (name, pinyin initials), for every role."""
    made = _requests(db, org, make_customer)
    by_name = {
        "华闽": {"open", "complaint", "resolved"},
        "fzhm": {"open", "complaint", "resolved"},
        "仓山": {"other branch", "closed"},
        "无此户": set(),
    }
    scopes = {
        "unresolved": {"open", "complaint", "other branch"},
        "unclosed": {"open", "complaint", "other branch", "resolved"},
        "all": set(made),
    }
    seen = {
        org.admin: set(made),
        org.sup_a: {"open", "complaint", "resolved"},
        org.mgr_b1: {"other branch", "closed"},
    }
    for actor, visible in seen.items():
        for scope, in_scope in scopes.items():
            for term, names in by_name.items():
                got = rs.query_timings(db, actor, RequestQuery(scope=scope, customer_search=term))
                wanted = names & in_scope & visible
                assert {t.id for t in got} == {made[n] for n in wanted}, (actor.login, scope, term)


@pytest.mark.sqlite_only("SQLite's query plan")
def test_the_open_requests_are_read_from_one_index(db, org, make_customer):
    """ix_requests_board (migration 0004) holds every column the board reads."""
    _requests(db, org, make_customer)
    stmt = rs._timing_statement(org.admin, RequestQuery())
    with db.engine.connect() as connection:
        compiled = stmt.compile(connection, compile_kwargs={"render_postcompile": True})
        params = tuple(compiled.params[k] for k in compiled.positiontup or ())
        plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params).all()
    details = " ".join(row[-1] for row in plan)
    assert "COVERING INDEX ix_requests_board" in details, details
