"""The service-request service (docs/DOMAIN.md §4): registering with the computed deadline, the
status flow with who and when, reopening with history, permissions as for customer files,
the audit, and nothing written on a refusal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kac_desktop.models import AuditRecord, RequestStatusChange, ServiceRequest
from kac_desktop.rules.deadlines import LOCAL_TZ, FixedCalendar
from kac_desktop.services import customers as cs
from kac_desktop.services import requests as rs
from kac_desktop.services import settings as settings_service
from kac_desktop.services.errors import (
    PermissionDenied,
    ServiceError,
    StaleRecord,
    ValidationFailed,
)
from kac_desktop.services.requests import RequestInput, RequestQuery

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=LOCAL_TZ)
CODES = ["91350100M000100Y43", "91110000600037341L"]


@pytest.fixture
def customers(db, org, make_customer):
    city = cs.save_customer(
        db, org.mgr_a1, make_customer("福州华闽贸易有限公司", code=CODES[0], manager=org.mgr_a1)
    )
    rural = cs.save_customer(
        db,
        org.mgr_a1,
        make_customer(
            "闽侯县竹岐农业合作社", manager=org.mgr_a1, area="rural", nature="individual"
        ),
    )
    other = cs.save_customer(
        db, org.mgr_b1, make_customer("仓山物流有限公司", code=CODES[1], manager=org.mgr_b1)
    )
    return {"city": city.ids[0], "rural": rural.ids[0], "other": other.ids[0]}


def count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def register(db, actor, customer_id, now=NOW, **kw):
    data = RequestInput(customer_id=customer_id, description="请上门揽收20箱", **kw)
    return rs.register_request(db, actor, data, now=now).ids[0]


def test_registering_computes_the_deadline_by_the_customers_area(db, org, customers):
    """§4: city same day 18:00, rural within 2 days; the rule is kept with the request."""
    city = rs.get_request(db, org.mgr_a1, register(db, org.mgr_a1, customers["city"]))
    assert city.deadline_at == datetime(2026, 11, 23, 18, tzinfo=LOCAL_TZ)
    assert city.deadline_rule == "city" and city.status == "received"
    assert city.received_at == NOW
    rural = rs.get_request(db, org.mgr_a1, register(db, org.mgr_a1, customers["rural"]))
    assert rural.deadline_at == datetime(2026, 11, 25, 18, tzinfo=LOCAL_TZ)
    assert rural.deadline_rule == "rural:2"
    assert [s.to_status for s in city.history] == ["received"]
    assert city.history[0].by == "陈经理"


def test_late_entry_and_special_case_and_complaint(db, org, customers):
    received = NOW - timedelta(days=1, hours=-9)  # yesterday 19:00
    rid = register(db, org.mgr_a1, customers["city"], received_at=received, type="complaint")
    r = rs.get_request(db, org.mgr_a1, rid)
    assert r.deadline_at == datetime(2026, 11, 23, 18, tzinfo=LOCAL_TZ)
    assert r.first_response_due_at == received + timedelta(hours=24)
    rid = register(
        db,
        org.mgr_a1,
        customers["city"],
        now=NOW + timedelta(hours=2),
        received_at=NOW,
        special_case=True,
        confirmed_at=NOW + timedelta(hours=1),
    )
    r = rs.get_request(db, org.mgr_a1, rid)
    assert r.deadline_rule == "special:3"
    assert r.deadline_at == datetime(2026, 11, 26, 18, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"customer_id": None}, "customer_id", "请选择客户"),
        ({"description": "  "}, "description", "需求内容"),
        ({"type": "nonsense"}, "type", "工单类型"),
        ({"channel": "fax"}, "channel", "受理渠道"),
        ({"received_at": NOW + timedelta(hours=1)}, "received_at", "不能晚于现在"),
        ({"special_case": True}, "confirmed_at", "电话确认"),
        (
            {"special_case": True, "confirmed_at": NOW - timedelta(days=1)},
            "confirmed_at",
            "不能早于受理时间",
        ),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(
    db, org, customers, changes, field, words
):
    data = RequestInput(customer_id=customers["city"], description="揽收", received_at=NOW)
    for key, value in changes.items():
        setattr(data, key, value)
    with pytest.raises(ValidationFailed) as err:
        rs.register_request(db, org.mgr_a1, data, now=NOW)
    assert field in [e.field for e in err.value.errors]
    assert words in err.value.message
    assert count(db, ServiceRequest) == 0 and count(db, RequestStatusChange) == 0
    assert count(db, AuditRecord) == 3  # the three customer files only


def test_archived_customer_is_refused(db, org, customers):
    cs.set_archived(db, org.mgr_a1, customers["city"])
    with pytest.raises(ValidationFailed, match="已归档"):
        register(db, org.mgr_a1, customers["city"])


def test_working_day_mode_outside_the_calendar_is_provisional_not_refused(db, org, customers):
    """Never a dead end: beyond the calendar the deadline counts weekends only, marked."""
    settings_service.set_value(db, org.admin, "deadline.working_days", True)
    calendar = FixedCalendar(first_year=2026, last_year=2026)
    data = RequestInput(
        customer_id=customers["city"],
        description="揽收",
        received_at=datetime(2026, 12, 31, 19, tzinfo=LOCAL_TZ),
    )
    change = rs.register_request(
        db, org.mgr_a1, data, now=datetime(2027, 1, 1, tzinfo=LOCAL_TZ), calendar=calendar
    )
    r = rs.get_request(db, org.mgr_a1, change.ids[0])
    assert r.deadline_at == datetime(2027, 1, 1, 18, tzinfo=LOCAL_TZ) and r.deadline_provisional


def test_working_day_mode_uses_the_settings_and_calendar(db, org, customers):
    settings_service.set_value(db, org.admin, "deadline.working_days", True)
    friday_evening = datetime(2026, 11, 27, 19, tzinfo=LOCAL_TZ)
    deadline = rs.preview_deadline(
        db,
        org.mgr_a1,
        RequestInput(customer_id=customers["city"], description="x", received_at=friday_evening),
        now=friday_evening,
        calendar=FixedCalendar(),
    )
    assert deadline.due_at == datetime(2026, 11, 30, 18, tzinfo=LOCAL_TZ)


def test_permissions_follow_the_customer_file(db, org, customers):
    """A manager his own customers' requests, a supervisor his branch's, the admin all."""
    mine = register(db, org.mgr_a1, customers["city"])
    theirs = register(db, org.mgr_b1, customers["other"])
    with pytest.raises(PermissionDenied):
        register(db, org.mgr_a2, customers["city"])
    with pytest.raises(PermissionDenied):
        rs.get_request(db, org.mgr_a2, mine)
    with pytest.raises(PermissionDenied):
        rs.change_status(db, org.sup_b, mine, "in_progress", now=NOW)

    def ids(actor):
        return {t.id for t in rs.query_timings(db, actor, RequestQuery(scope="all"))}

    assert ids(org.mgr_a1) == {mine}
    assert ids(org.mgr_a2) == set()
    assert ids(org.sup_a) == {mine}
    assert ids(org.admin) == {mine, theirs}
    assert rs.fetch_rows(db, org.mgr_a2, [mine, theirs]) == []
    # the supervisor may act on his branch's requests
    rs.change_status(db, org.sup_a, mine, "in_progress", now=NOW)


def test_the_whole_flow_keeps_who_and_when_and_is_audited(db, org, customers):
    """§4 status: 已受理 → 处理中 → 已办结 → 已回访 → 已关闭, every change with who and when."""
    rid = register(db, org.mgr_a1, customers["city"])
    audit_before = count(db, AuditRecord)
    t = NOW
    steps = [
        ("in_progress", {}),
        ("resolved", {"resolution": "已上门揽收并交寄"}),
        ("called_back", {"satisfaction": 4}),
        ("closed", {}),
    ]
    for target, kw in steps:
        t += timedelta(hours=1)
        rs.change_status(db, org.mgr_a1, rid, target, at=t, now=t, **kw)
    r = rs.get_request(db, org.mgr_a1, rid)
    assert r.status == "closed"
    assert r.first_response_at == NOW + timedelta(hours=1)
    assert r.resolved_at == NOW + timedelta(hours=2) and r.resolution == "已上门揽收并交寄"
    assert r.satisfaction == 4 and r.closed_at == NOW + timedelta(hours=4)
    assert [(s.from_status, s.to_status) for s in r.history] == [
        (None, "received"),
        ("received", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "called_back"),
        ("called_back", "closed"),
    ]
    assert all(s.by == "陈经理" for s in r.history)
    assert r.history[2].note == "已上门揽收并交寄"
    assert "满意度：4分" in r.history[3].note
    assert count(db, AuditRecord) == audit_before + 4


def test_reopening_keeps_the_history_and_clears_the_result(db, org, customers):
    rid = register(db, org.mgr_a1, customers["city"])
    rs.change_status(db, org.mgr_a1, rid, "in_progress", now=NOW)
    rs.change_status(db, org.mgr_a1, rid, "resolved", resolution="已答复", now=NOW)
    rs.change_status(db, org.mgr_a1, rid, "called_back", satisfaction=2, now=NOW)
    rs.change_status(db, org.sup_a, rid, "in_progress", note="客户不满意，重新处理", now=NOW)
    r = rs.get_request(db, org.mgr_a1, rid)
    assert r.status == "in_progress"
    assert r.resolved_at is None and r.satisfaction is None and r.resolution == ""
    assert [s.to_status for s in r.history][-1] == "in_progress"
    assert "已答复" in [s.note for s in r.history]
    assert r.history[-1].note == "客户不满意，重新处理" and r.history[-1].by == "林支局长"
    assert r.first_response_at == NOW  # the first response stays the first
    with db.session() as s:
        actions = list(s.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)))
    assert actions[-1] == "request.reopen"


def test_refused_steps_write_nothing(db, org, customers):
    rid = register(db, org.mgr_a1, customers["city"])
    before = (count(db, RequestStatusChange), count(db, AuditRecord))
    for target, kw in [
        ("resolved", {"resolution": "x"}),
        ("closed", {}),
        ("in_progress", {"at": NOW - timedelta(hours=1)}),
        ("in_progress", {"at": NOW + timedelta(hours=1)}),
    ]:
        with pytest.raises(ValidationFailed):
            rs.change_status(db, org.mgr_a1, rid, target, now=NOW, **kw)
    rs.change_status(db, org.mgr_a1, rid, "in_progress", now=NOW)
    with pytest.raises(ValidationFailed, match="办理结果"):
        rs.change_status(db, org.mgr_a1, rid, "resolved", now=NOW)
    assert rs.get_request(db, org.mgr_a1, rid).status == "in_progress"
    assert count(db, RequestStatusChange) == before[0] + 1
    assert count(db, AuditRecord) == before[1] + 1


def test_a_stale_copy_is_refused(db, org, customers):
    rid = register(db, org.mgr_a1, customers["city"])
    version = rs.get_request(db, org.mgr_a1, rid).version
    rs.change_status(db, org.sup_a, rid, "in_progress", now=NOW)
    with pytest.raises(StaleRecord):
        rs.change_status(
            db, org.mgr_a1, rid, "resolved", resolution="x", now=NOW, expected_version=version
        )


def test_board_queries_filters_and_counts(db, org, customers):
    a = register(db, org.mgr_a1, customers["city"], now=NOW)  # due today 18:00
    b = register(db, org.mgr_a1, customers["rural"], type="complaint", now=NOW)
    late = register(db, org.mgr_a1, customers["city"], received_at=NOW - timedelta(days=2), now=NOW)
    rs.change_status(db, org.mgr_a1, late, "in_progress", now=NOW)
    q = rs.query_timings(db, org.mgr_a1, RequestQuery())
    assert [t.id for t in q] == [late, a, b]  # by deadline
    assert {t.id for t in rs.query_timings(db, org.mgr_a1, RequestQuery(type="complaint"))} == {b}
    search = RequestQuery(customer_search="竹岐")
    assert {t.id for t in rs.query_timings(db, org.mgr_a1, search)} == {b}
    pinyin = RequestQuery(customer_search="hmmy")  # 华闽贸易 by initials
    assert {t.id for t in rs.query_timings(db, org.mgr_a1, pinyin)} == {a, late}
    counts = rs.due_counts(q, NOW.astimezone(UTC))
    assert counts == rs.DueCounts(overdue=1, due_today=1)
    rows = rs.list_open(db, org.mgr_a1, NOW, None)
    assert [r.state for r in rows] == ["overdue", "on_track", "on_track"]
    assert [r.id for r in rs.list_open(db, org.mgr_a1, NOW, "overdue")] == [late]
    rs.change_status(db, org.mgr_a1, late, "resolved", resolution="x", now=NOW)
    assert late not in {t.id for t in rs.query_timings(db, org.mgr_a1, RequestQuery())}
    assert late in {t.id for t in rs.query_timings(db, org.mgr_a1, RequestQuery(scope="unclosed"))}


def test_bad_deadline_settings_give_a_clear_error(db, org, customers):
    settings_service.set_value(db, org.admin, "deadline.city_cutoff", "6 pm")
    with pytest.raises(ServiceError, match="18:00"):
        register(db, org.mgr_a1, customers["city"])


def test_demo_requests_cover_every_status_and_warning_state(db):
    """Demo data: requests in every status and every warning state, some overdue."""
    from kac_desktop.demo.build import build_demo
    from kac_desktop.services.users import actor_for

    today = date(2026, 11, 24)  # a Tuesday; the requests are placed around 10:00
    if today == datetime.now(LOCAL_TZ).date():  # on that very day, around the real now
        today -= timedelta(days=7)
    build_demo(db, customers=600, seed=3, today=today, workers=1)
    admin = actor_for(db, "admin")
    anchor = datetime(today.year, today.month, today.day, 10, tzinfo=LOCAL_TZ)
    with db.session() as s:
        statuses = set(s.scalars(select(ServiceRequest.status)))
        steps = s.scalar(select(func.count()).select_from(RequestStatusChange))
    assert statuses == {"received", "in_progress", "resolved", "called_back", "closed"}
    limits = rs.thresholds(db)
    timings = rs.query_timings(db, admin, RequestQuery(scope="all"))
    # about one request per customer a year (demo_volumes.REQUESTS_PER_CUSTOMER_YEAR)
    assert 500 <= len(timings) <= 650 and steps > len(timings)
    states = {rs.state_of(t, anchor, limits) for t in timings}
    assert states == {"overdue", "urgent", "attention", "on_track", "done_on_time", "done_late"}
    assert rs.due_counts(timings, anchor).overdue > 0
