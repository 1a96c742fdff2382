"""The quota report at scale (issue #8): the visits of a local month counted by the indexed
month key agree with the time range and with rules.quota at the month's edges; the count
reads one index; rows come in the page's order and the compliance figures add up as
rules.quota computes them, whatever the mix of classes and visits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import and_, func, select, update

from kac_desktop.models import Customer, Visit, new_id
from kac_desktop.rules import quota as rules
from kac_desktop.rules.quota import DEFAULT_SETTINGS, Month
from kac_desktop.services import customers as cs
from kac_desktop.services import visit_quota
from kac_desktop.services.changes import Kind

CST = rules.LOCAL_TZ
NOW = datetime(2026, 4, 20, 12, tzinfo=CST).astimezone(UTC)


def local(y, m, d, hh=0, mm=0, ss=0, us=0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, us, tzinfo=CST)


@pytest.fixture
def people(db, org, make_customer):
    """Customers of 陈经理 named so that their sort names interleave across tiers."""
    made = {}
    for name, tier in (
        ("阿里物流有限公司", "ordinary"),  # class 3: one visit a month
        ("白沙贸易有限公司", "gold"),  # class 2: two
        ("蔡氏电子有限公司", "ordinary"),
        ("丁香医药有限公司", "diamond"),  # class 1: three
        ("恩泽建材有限公司", "gold"),
    ):
        data = make_customer(name, manager=org.mgr_a1, tier=tier, nature="individual")
        made[name[:2]] = cs.save_customer(db, org.sup_a, data).first(Kind.CUSTOMER)
    with db.session() as session, session.begin():
        session.execute(
            update(Customer).values(
                created_at=datetime(2020, 1, 1, tzinfo=UTC), registered_on=date(2020, 1, 1)
            )
        )
    return made


def add_visits(db, org, visits: list[tuple[str, datetime, str]]) -> None:
    """Visits written as the service stores them, without its checks (any time, any mode)."""
    with db.session() as session, session.begin():
        for customer_id, at, mode in visits:
            session.add(
                Visit(
                    id=new_id(),
                    customer_id=customer_id,
                    branch_id=org.branch_a,
                    manager_id=org.mgr_a1.user_id,
                    visited_at=at,
                    mode=mode,
                    summary="上门拜访",
                    updated_by=org.mgr_a1.user_id,
                )
            )


EDGES = [
    local(2026, 3, 1),  # 00:00 local on the 1st: March (16:00 UTC on 28 February)
    local(2026, 2, 28, 23, 59, 59, 999999),  # the last moment of February
    local(2026, 3, 31, 23, 59, 59),  # the last second of March
    local(2026, 4, 1),  # April
    datetime(2026, 3, 1, tzinfo=UTC),  # midnight UTC: 08:00 local, March
    datetime(2026, 3, 31, 16, tzinfo=UTC),  # 00:00 local on 1 April
    datetime(2026, 3, 31, 15, 59, 59, tzinfo=UTC),  # 23:59:59 local, March
    local(2025, 12, 31, 23, 30),  # a year's edge
    local(2026, 1, 1, 0, 0, 1),
]


@pytest.mark.sqlite_only("SQLite's query plan and its month-key index")
def test_the_month_key_counts_the_visits_of_the_local_month(db, org, people):
    ids = list(people.values())
    add_visits(db, org, [(ids[i % len(ids)], at, "onsite") for i, at in enumerate(EDGES)])
    add_visits(db, org, [(ids[0], local(2026, 3, 15), "phone")])
    with db.session() as session:
        everything = [
            (cid, at, mode)
            for cid, at, mode in session.execute(
                select(Visit.customer_id, Visit.visited_at, Visit.mode)
            )
        ]
        for month in (Month(2025, 12), Month(2026, 1), Month(2026, 2), Month(2026, 3)):
            start, end = rules.month_bounds(month)
            by_key = dict(
                session.execute(
                    select(Visit.customer_id, func.count())
                    .where(visit_quota._month_condition(session, month), Visit.mode == "onsite")
                    .group_by(Visit.customer_id)
                ).all()
            )
            by_range = dict(
                session.execute(
                    select(Visit.customer_id, func.count())
                    .where(
                        and_(Visit.visited_at >= start, Visit.visited_at < end),
                        Visit.mode == "onsite",
                    )
                    .group_by(Visit.customer_id)
                ).all()
            )
            by_rules = {
                cid: n
                for cid in ids
                if (
                    n := rules.visits_in_month(
                        [(at, mode) for c, at, mode in everything if c == cid],
                        month,
                        DEFAULT_SETTINGS,
                    )
                )
            }
            assert by_key == by_range == by_rules, month
    # the key really is the indexed expression, not the time range
    with db.session() as session:
        condition = visit_quota._month_condition(session, Month(2026, 3))
        assert "strftime" in str(condition.compile(session.get_bind()))


@pytest.mark.sqlite_only("SQLite's query plan and its month-key index")
def test_the_count_reads_the_month_index(db, org, people):
    """services/visits.MONTH_KEY_SQL must stay the text of migration 0004's index."""
    with db.session() as session:
        stmt = (
            select(Visit.customer_id, func.count())
            .where(
                visit_quota._month_condition(session, Month(2026, 3)),
                Visit.mode.in_(["onsite"]),
                Visit.customer_id.in_(select(Customer.id).where(Customer.branch_id == "x")),
            )
            .group_by(Visit.customer_id)
        )
        compiled = stmt.compile(session.get_bind(), compile_kwargs={"render_postcompile": True})
        params = tuple(compiled.params[k] for k in compiled.positiontup or ())
        plan = " ".join(
            row[-1]
            for row in session.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN " + str(compiled), params
            )
        )
    assert "COVERING INDEX ix_visits_month_customer" in plan, plan
    assert "ix_customers_quota" in plan, plan


def test_rows_come_in_the_page_order_and_the_figures_add_up(db, org, people):
    """Behind first, then by what is missing, then by name — across classes whose quotas
    differ (阿 and 蔡 miss one visit of one, 白 one of two); compliance per manager, branch
    and in total as rules.quota counts it row by row."""
    march = [
        (people["白沙"], local(2026, 3, 3), "onsite"),  # 1 of 2
        (people["丁香"], local(2026, 3, 4), "onsite"),  # 1 of 3
        (people["恩泽"], local(2026, 3, 5), "onsite"),  # 2 of 2: met
        (people["恩泽"], local(2026, 3, 6), "onsite"),
    ]
    add_visits(db, org, march)
    report = visit_quota.quota_report(db, org.sup_a, Month(2026, 3), now=NOW)
    names = [r.name[:2] for r in report.rows]
    assert names == ["丁香", "阿里", "白沙", "蔡氏", "恩泽"]
    assert [r.status.missing for r in report.rows] == [2, 1, 1, 1, 0]
    order = {rules.BEHIND: 0, rules.ON_TRACK: 1, rules.MET: 2}
    assert report.rows == sorted(
        report.rows,
        key=lambda r: (order[r.status.state], -r.status.missing, r.name_sort, r.customer_id),
    )
    for m in report.by_manager:
        mine = [r.status for r in report.rows if r.manager_id == m.manager_id]
        assert m.compliance == rules.compliance(mine)
    assert report.total == rules.compliance(r.status for r in report.rows)
    assert [b.compliance for b in report.by_branch] == [report.total]
    # rows of one status share one status object (a handful for 17,000 customers)
    assert len({id(r.status) for r in report.rows}) == len({r.status for r in report.rows})


def test_a_supervisor_picking_a_manager_and_the_city_center_see_the_same_rows(
    db, org, people, make_customer
):
    other = cs.save_customer(
        db,
        org.mgr_b1,
        make_customer("仓山远航贸易有限公司", manager=org.mgr_b1, nature="individual"),
    ).first(Kind.CUSTOMER)
    with db.session() as session, session.begin():
        session.execute(
            update(Customer).values(
                created_at=datetime(2020, 1, 1, tzinfo=UTC), registered_on=date(2020, 1, 1)
            )
        )
    add_visits(db, org, [(other, local(2026, 3, 9), "onsite")])
    month = Month(2026, 3)
    branch = visit_quota.quota_report(db, org.sup_a, month, now=NOW)
    picked = visit_quota.quota_report(db, org.sup_a, month, org.mgr_a1.user_id, now=NOW)
    center = visit_quota.quota_report(db, org.admin, month, now=NOW)
    assert [r.customer_id for r in picked.rows] == [r.customer_id for r in branch.rows]
    assert {r.customer_id for r in center.rows} == set(people.values()) | {other}
    assert {b.branch: b.compliance.due for b in center.by_branch} == {"鼓楼支局": 5, "仓山支局": 1}
    assert center.total.met == 1 and center.total.due == 6
    assert timedelta(0) == rules.month_bounds(month)[0].utcoffset()
