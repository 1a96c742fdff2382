"""The visit service (docs/DOMAIN.md §3): logging, correcting and removing visits with the
permissions of §7 and an audit record each; invalid visits write nothing; the quota report
counted in SQL; follow-ups, meetings, inactivity and the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, update

from kac_desktop.models import AuditRecord, Contact, Customer, Revenue, Visit
from kac_desktop.rules import quota as rules
from kac_desktop.rules.quota import Month
from kac_desktop.rules.visits import VisitData
from kac_desktop.services import customers as cs
from kac_desktop.services import settings as settings_service
from kac_desktop.services import visit_agenda, visit_quota
from kac_desktop.services import visits as vs
from kac_desktop.services.changes import Kind
from kac_desktop.services.errors import (
    NotFound,
    PermissionDenied,
    ServiceError,
    StaleRecord,
    ValidationFailed,
)

CST = rules.LOCAL_TZ


def local(y, m, d, hh=10, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=CST)


NOW = local(2026, 3, 20, 12).astimezone(UTC)


@pytest.fixture
def files(db, org, make_customer):
    """Three customers of 陈经理 (gold, ordinary, diamond), one of 王经理, one in branch B;
    files dated back to 2020 so that every month of 2026 is due."""
    ids = {
        "gold": cs.save_customer(
            db,
            org.sup_a,
            make_customer(
                "福州华闽贸易有限公司", manager=org.mgr_a1, tier="gold", nature="individual"
            ),
        ).first(Kind.CUSTOMER),
        "ordinary": cs.save_customer(
            db,
            org.mgr_a1,
            make_customer("福州东方电子有限公司", manager=org.mgr_a1, nature="individual"),
        ).first(Kind.CUSTOMER),
        "diamond": cs.save_customer(
            db,
            org.sup_a,
            make_customer(
                "福州大通物流有限公司", manager=org.mgr_a1, tier="diamond", nature="individual"
            ),
        ).first(Kind.CUSTOMER),
        "other": cs.save_customer(
            db,
            org.mgr_a2,
            make_customer("厦门海天科技有限公司", manager=org.mgr_a2, nature="individual"),
        ).first(Kind.CUSTOMER),
        "branch_b": cs.save_customer(
            db,
            org.mgr_b1,
            make_customer("仓山远航贸易有限公司", manager=org.mgr_b1, nature="individual"),
        ).first(Kind.CUSTOMER),
    }
    with db.session() as session, session.begin():
        session.execute(
            update(Customer).values(
                created_at=datetime(2020, 1, 1, tzinfo=UTC), registered_on=date(2020, 1, 1)
            )
        )
    return ids


def visit(customer_id, at=None, mode="onsite", **kw) -> VisitData:
    return VisitData(
        customer_id=customer_id,
        visited_at=at or local(2026, 3, 10),
        mode=mode,
        summary=kw.pop("summary", "上门拜访"),
        **kw,
    )


def counts(db) -> tuple[int, int]:
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Visit)),
            session.scalar(select(func.count()).select_from(AuditRecord)),
        )


def contact_of(db, customer_id) -> str:
    with db.session() as session:
        return session.scalar(select(Contact.id).where(Contact.customer_id == customer_id))


# ------------------------------------------------------------------ logging


def test_log_visit_is_saved_and_audited(db, org, files):
    contact = contact_of(db, files["gold"])
    change = vs.log_visit(
        db,
        org.mgr_a1,
        visit(
            files["gold"],
            contact_id=contact,
            next_step="带方案上门",
            next_step_date=date(2026, 3, 25),
        ),
        now=NOW,
    )
    assert change.new(Kind.VISIT) and files["gold"] in change.ids(Kind.CUSTOMER)
    record = vs.get_visit(db, org.mgr_a1, change.first(Kind.VISIT))
    assert record.customer_name == "福州华闽贸易有限公司"
    assert record.contact_name == "李明" and record.may_change
    assert record.data.visited_at == local(2026, 3, 10)
    with db.session() as session:
        audit = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "visit.create")
        ).one()
        assert audit.entity_id == change.first(Kind.VISIT) and audit.user_login == "mgr_a1"


@pytest.mark.parametrize(
    ("who", "target", "data", "error", "words"),
    [
        ("mgr_a1", "gold", {"at": local(2026, 3, 21)}, ValidationFailed, "将来"),
        ("mgr_a1", "gold", {"summary": "  "}, ValidationFailed, "概要"),
        ("mgr_a1", "other", {}, PermissionDenied, "其他客户经理"),
        ("mgr_a1", "branch_b", {}, PermissionDenied, "其他客户经理"),
        ("sup_a", "branch_b", {}, PermissionDenied, "其他客户经理"),
        ("mgr_a1", None, {}, ValidationFailed, "客户"),
    ],
)
def test_invalid_visits_write_nothing(db, org, files, who, target, data, error, words):
    before = counts(db)
    actor = getattr(org, who)
    data = dict(data)  # the parameters are shared by the engines' runs: pop from a copy
    at = data.pop("at", None)
    with pytest.raises(error) as raised:
        vs.log_visit(db, actor, visit(files.get(target), at=at, **data), now=NOW)
    assert words in raised.value.message
    assert counts(db) == before


def test_archived_customer_gets_a_clear_message_and_nothing_is_written(db, org, files):
    cs.set_archived(db, org.mgr_a1, files["gold"])
    before = counts(db)
    with pytest.raises(ServiceError) as raised:
        vs.log_visit(db, org.mgr_a1, visit(files["gold"]), now=NOW)
    assert "已归档" in raised.value.message
    assert counts(db) == before


def test_contact_of_another_customer_is_refused(db, org, files):
    before = counts(db)
    with pytest.raises(ValidationFailed) as raised:
        vs.log_visit(
            db,
            org.mgr_a1,
            visit(files["gold"], contact_id=contact_of(db, files["ordinary"])),
            now=NOW,
        )
    assert "联系人" in raised.value.message
    assert counts(db) == before


def test_meeting_without_customer_is_logged_for_the_branch(db, org, files):
    change = vs.log_visit(db, org.sup_a, visit(None, mode="meeting", summary="座谈会"), now=NOW)
    record = vs.get_visit(db, org.sup_a, change.first(Kind.VISIT))
    assert record.data.branch_id == org.branch_a and record.customer_name == ""


# ------------------------------------------------------------------ editing and removing


def test_edit_and_remove_own_visits_kept_in_the_audit(db, org, files):
    vid = vs.log_visit(db, org.mgr_a1, visit(files["gold"]), now=NOW).first(Kind.VISIT)
    record = vs.get_visit(db, org.mgr_a1, vid)
    data = record.data
    data.summary = "改：电话沟通后上门"
    vs.update_visit(db, org.mgr_a1, vid, data, record.version, now=NOW)
    with pytest.raises(StaleRecord):
        vs.update_visit(db, org.mgr_a1, vid, data, record.version, now=NOW)
    vs.remove_visit(db, org.mgr_a1, vid)
    with pytest.raises(NotFound):
        vs.get_visit(db, org.mgr_a1, vid)
    with db.session() as session:
        actions = {
            a: d
            for a, d in session.execute(
                select(AuditRecord.action, AuditRecord.details).where(AuditRecord.entity_id == vid)
            )
        }
    assert actions["visit.update"]["summary"] == ["上门拜访", "改：电话沟通后上门"]
    assert actions["visit.remove"]["summary"] == "改：电话沟通后上门"


def test_others_may_not_change_or_see_a_managers_visits(db, org, files):
    vid = vs.log_visit(db, org.mgr_a1, visit(files["gold"]), now=NOW).first(Kind.VISIT)
    data = vs.get_visit(db, org.mgr_a1, vid).data
    before = counts(db)
    for actor in (org.mgr_a2, org.mgr_b1, org.sup_b):
        with pytest.raises(PermissionDenied):
            vs.update_visit(db, actor, vid, data, now=NOW)
        with pytest.raises(PermissionDenied):
            vs.remove_visit(db, actor, vid)
    with pytest.raises(PermissionDenied):
        vs.get_visit(db, org.mgr_a2, vid)
    assert counts(db) == before
    # the supervisor of the branch sees and may correct it
    assert vs.get_visit(db, org.sup_a, vid).may_change
    assert vs.query_visit_ids(db, org.sup_a, vs.VisitQuery()) == [vid]
    assert vs.query_visit_ids(db, org.mgr_a2, vs.VisitQuery()) == []
    assert vs.query_visit_ids(db, org.sup_b, vs.VisitQuery()) == []


# ------------------------------------------------------------------ the quota


def test_quota_report_counts_the_counting_modes_of_the_local_month(db, org, files):
    """docs/DOMAIN.md §3 quota: per customer by class, on-site visits only by default, the month
    in local time (00:00 on the 1st belongs to it)."""
    gold, ordinary, diamond = files["gold"], files["ordinary"], files["diamond"]
    for data in (
        visit(gold, local(2026, 3, 1, 0, 0)),  # midnight local: March
        visit(gold, local(2026, 3, 19)),
        visit(ordinary, local(2026, 3, 5), mode="phone"),  # does not count
        visit(diamond, local(2026, 2, 28, 23, 59)),  # February
        visit(diamond, local(2026, 3, 2)),
    ):
        vs.log_visit(db, org.mgr_a1, data, now=NOW)
    report = visit_quota.quota_report(db, org.mgr_a1, Month(2026, 3), now=NOW)
    rows = {r.customer_id: r for r in report.rows}
    assert set(rows) == {gold, ordinary, diamond}  # only his own customers
    assert (rows[gold].visit_class, rows[gold].status.required, rows[gold].status.done) == (2, 2, 2)
    assert rows[gold].status.state == rules.MET
    # 1 visit due by 31 March, none yet on the 20th: still keeping pace
    assert rows[ordinary].status.done == 0 and rows[ordinary].status.state == rules.ON_TRACK
    assert rows[diamond].status.done == 1 and rows[diamond].status.required == 3
    assert report.days_left == 12
    assert (report.total.due, report.total.met) == (3, 1)
    # phone calls count once the setting says so
    settings_service.set_value(db, org.admin, "quota.counting_modes", ["onsite", "phone"])
    report = visit_quota.quota_report(db, org.mgr_a1, Month(2026, 3), now=NOW)
    assert {r.customer_id: r.status.done for r in report.rows}[ordinary] == 1


def test_quota_override_and_class_change_during_the_month(db, org, files, make_customer):
    """docs/DOMAIN.md §2/§3: the supervisor's override sets the class; a change of class applies
    from the month in which it was made (the class at the end of the month)."""
    record = cs.get_customer(db, org.sup_a, files["ordinary"])
    data = record.data
    data.visit_class_override = 1
    cs.save_customer(db, org.sup_a, data, files["ordinary"], record.version)
    now = datetime.now(UTC)
    this_month = Month.of(rules.local_date(now))
    current = visit_quota.quota_report(db, org.sup_a, this_month, now=now)
    assert {r.customer_id: r.visit_class for r in current.rows}[files["ordinary"]] == 1
    # the month before ended before the override was set: still class 3 there
    last = visit_quota.quota_report(db, org.sup_a, this_month.previous(), now=now)
    assert {r.customer_id: r.visit_class for r in last.rows}[files["ordinary"]] == 3


def test_supervisor_sees_the_branch_per_manager_and_may_pick_one(db, org, files):
    vs.log_visit(db, org.mgr_a2, visit(files["other"]), now=NOW)
    report = visit_quota.quota_report(db, org.sup_a, Month(2026, 3), now=NOW)
    assert len(report.rows) == 4
    assert {m.manager for m in report.by_manager} == {"陈经理", "王经理"}
    wang = next(m for m in report.by_manager if m.manager == "王经理")
    assert wang.compliance.rate == 1.0
    only = visit_quota.quota_report(db, org.sup_a, Month(2026, 3), org.mgr_a2.user_id, now=NOW)
    assert [r.customer_id for r in only.rows] == [files["other"]]
    # the city center sees every branch, rolled up per branch
    center = visit_quota.quota_report(db, org.admin, Month(2026, 3), now=NOW)
    assert {b.branch: b.compliance.due for b in center.by_branch} == {"鼓楼支局": 4, "仓山支局": 1}
    assert center.total.due == 5
    # a manager cannot look at another's quota
    mine = visit_quota.quota_report(db, org.mgr_a1, Month(2026, 3), org.mgr_a2.user_id, now=NOW)
    assert files["other"] not in {r.customer_id for r in mine.rows}


def test_customers_not_yet_on_file_or_archived_before_the_month_are_not_due(db, org, files):
    with db.session() as session, session.begin():
        session.execute(
            update(Customer)
            .where(Customer.id == files["gold"])
            .values(registered_on=date(2026, 4, 1))
        )
    cs.set_archived(db, org.mgr_a1, files["diamond"])
    ids = {
        r.customer_id
        for r in visit_quota.quota_report(db, org.mgr_a1, Month(2026, 3), now=NOW).rows
    }
    assert files["gold"] not in ids  # filed on 1 April
    assert files["diamond"] in ids  # archived after March ended: March was due
    with db.session() as session, session.begin():
        session.execute(
            update(Customer)
            .where(Customer.id == files["diamond"])
            .values(archived_at=local(2026, 2, 27).astimezone(UTC))
        )
    ids = {
        r.customer_id
        for r in visit_quota.quota_report(db, org.mgr_a1, Month(2026, 3), now=NOW).rows
    }
    assert files["diamond"] not in ids  # archived in February


# ------------------------------------------------------------------ follow-ups, meetings


def test_follow_ups_due_today_or_overdue(db, org, files):
    def step(day):
        return visit(files["gold"], next_step="回访", next_step_date=day)

    due_today = vs.log_visit(db, org.mgr_a1, step(date(2026, 3, 20)), now=NOW).first(Kind.VISIT)
    vs.log_visit(db, org.mgr_a1, step(date(2026, 3, 12)), now=NOW)
    vs.log_visit(db, org.mgr_a1, step(date(2026, 3, 21)), now=NOW)  # tomorrow: not yet
    assert visit_agenda.count_follow_ups(db, org.mgr_a1, now=NOW) == 2
    assert visit_agenda.count_follow_ups(db, org.mgr_a2, now=NOW) == 0
    assert visit_agenda.count_follow_ups(db, org.sup_a, now=NOW) == 2
    listed = visit_agenda.follow_ups(db, org.mgr_a1, now=NOW)
    assert [f.days_overdue for f in listed] == [8, 0]
    vs.set_next_step_done(db, org.mgr_a1, due_today)
    assert visit_agenda.count_follow_ups(db, org.mgr_a1, now=NOW) == 1


def test_branch_meetings_behind_the_twice_a_year_rule(db, org, files):
    """docs/DOMAIN.md §3: each branch holds a key-customer meeting at least twice a year."""
    july = local(2026, 7, 2).astimezone(UTC)
    rows = visit_agenda.meeting_report(db, org.sup_a, 2026, now=july)
    assert len(rows) == 1 and rows[0].status.behind
    vs.log_visit(db, org.sup_a, visit(None, local(2026, 4, 10), mode="meeting"), now=july)
    row = visit_agenda.meeting_report(db, org.sup_a, 2026, now=july)[0]
    assert not row.status.behind and row.status.held == 1
    assert row.last_meeting == date(2026, 4, 10)
    assert {r.branch for r in visit_agenda.meeting_report(db, org.admin, 2026, now=july)} == {
        "鼓楼支局",
        "仓山支局",
    }


# ------------------------------------------------------------------ inactivity


def test_inactive_customers_without_visit_or_revenue(db, org, files):
    """docs/DOMAIN.md §3 inactivity: no business and no contact for 30 days."""
    vs.log_visit(db, org.mgr_a1, visit(files["gold"], local(2026, 3, 10)), now=NOW)
    vs.log_visit(db, org.mgr_a1, visit(files["diamond"], local(2026, 2, 1)), now=NOW)
    with db.session() as session, session.begin():
        session.add(
            Revenue(customer_id=files["ordinary"], month=202603, product_line="letters", amount=100)
        )
    april_5 = local(2026, 4, 5).astimezone(UTC)
    rows = {r.customer_id: r for r in visit_agenda.inactive_customers(db, org.mgr_a1, now=april_5)}
    assert set(rows) == {files["diamond"]}  # gold: 26 days; ordinary: revenue in March
    assert rows[files["diamond"]].days == 63
    assert rows[files["diamond"]].last_visit == date(2026, 2, 1)
    april_29 = local(2026, 4, 29).astimezone(UTC)
    rows = {r.customer_id: r for r in visit_agenda.inactive_customers(db, org.mgr_a1, now=april_29)}
    assert set(rows) == {files["diamond"], files["gold"]}  # ordinary: 29 days since 31 March
    assert rows[files["gold"]].days == 50


# ------------------------------------------------------------------ the dialog's helpers


def test_own_customers_first_and_last_contact_met(db, org, files):
    choices = vs.customer_choices(db, org.sup_a, "")
    assert [c.own for c in choices] == [False] * 4  # the supervisor keeps none himself
    mine = vs.customer_choices(db, org.mgr_a1, "hm")  # pinyin initials of 华闽
    assert [c.name for c in mine] == ["福州华闽贸易有限公司"] and mine[0].own
    contacts, last = vs.contacts_of(db, org.mgr_a1, files["gold"])
    assert [c.name for c in contacts] == ["李明"] and last == contacts[0].id
    assert vs.contacts_of(db, org.mgr_a2, files["gold"]) == ([], None)


def test_calendar_has_visits_done_and_next_steps_planned(db, org, files):
    vs.log_visit(
        db,
        org.mgr_a1,
        visit(
            files["gold"],
            local(2026, 3, 1, 0, 0),
            next_step="送方案",
            next_step_date=date(2026, 3, 31),
        ),
        now=NOW,
    )
    entries = visit_agenda.calendar_entries(db, org.mgr_a1, Month(2026, 3))
    assert [(e.day, e.kind) for e in entries] == [
        (date(2026, 3, 1), "visit"),
        (date(2026, 3, 31), "next_step"),
    ]
    assert visit_agenda.calendar_entries(db, org.mgr_a2, Month(2026, 3)) == []


def test_quota_uses_two_queries_not_one_per_customer(db, org, files):
    """The quota page is one query for the customers, one grouped count and one for the
    names of their managers and branches, whatever the number of customers."""
    statements: list[str] = []
    from sqlalchemy import event

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        visit_quota.quota_report(db, org.sup_a, Month(2026, 3), now=NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # settings, counts, customers, names (+ audit for a past month)
    assert len(reads) <= 5, reads
