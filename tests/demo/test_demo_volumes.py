"""The demo's history volumes (demo.volumes): exact totals when asked for, fitted
without bending the rules — requests whose deadlines and status steps are what the service
would have made, no revenue after a file was archived — and bad figures refused with
nothing written."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date, datetime

import pytest
from sqlalchemy import func, select, text

from kac_desktop.db import open_database
from kac_desktop.demo.build import build_demo
from kac_desktop.demo.requests import ORDER
from kac_desktop.demo.revenue import write_revenue
from kac_desktop.demo.volumes import Volumes, fit_counts
from kac_desktop.models import (
    AuditRecord,
    Customer,
    RequestStatusChange,
    Revenue,
    ServiceRequest,
    User,
    Visit,
)
from kac_desktop.rules.deadlines import LOCAL_TZ, DeadlineSettings, compute_deadline
from kac_desktop.services import audit
from kac_desktop.services import requests as rs
from kac_desktop.services.errors import ServiceError
from kac_desktop.services.requests import RequestQuery
from kac_desktop.services.users import actor_for

TODAY = date(2026, 6, 16)  # a Tuesday; not the day the tests run, so the anchor is 10:00
ANCHOR = datetime(2026, 6, 16, 10, tzinfo=LOCAL_TZ)
ASKED = Volumes(
    visits=3_000,
    visit_months=24,
    revenue_rows=2_500,
    revenue_months=24,
    requests=300,
    request_months=24,
)


@pytest.fixture(scope="module")
def asked(tmp_path_factory):
    database = open_database(tmp_path_factory.mktemp("volumes") / "demo.db")
    summary = build_demo(database, 200, seed=4, today=TODAY, workers=1, volumes=ASKED)
    yield database, summary
    database.dispose()


def _count(db, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_the_volumes_give_the_counts_asked_for(asked):
    db, summary = asked
    assert (_count(db, Visit), _count(db, ServiceRequest), _count(db, Revenue)) == (
        3_000,
        300,
        2_500,
    )
    assert (summary.visits, summary.service_requests, summary.revenue_rows) == (3_000, 300, 2_500)
    with db.session() as session:
        first_visit = session.scalar(select(func.min(Visit.visited_at)))
        months = session.execute(select(func.min(Revenue.month), func.max(Revenue.month))).one()
    assert first_visit.astimezone(LOCAL_TZ).date() >= date(2024, 7, 1)  # 24 months
    assert months[1] == 202605 and months[0] >= 202406
    # one audit record for the build, with the counts, and the chain checks
    with db.session() as session:
        records = session.scalars(select(AuditRecord)).all()
        assert audit.verify_chain(session) == []
    assert [r.action for r in records] == ["demo.build"]
    assert records[0].details["visits"] == 3_000


def test_fewer_than_the_rules_give_drops_phone_calls_before_quota_visits(tmp_path):
    """Asking for a few visits less than the rules make removes phone calls only: the
    quota visits, and so every compliance figure, stay what they were."""
    natural_db = open_database(tmp_path / "natural.db")
    build_demo(natural_db, 150, seed=2, today=TODAY, workers=1)
    with natural_db.session() as session:
        natural = Counter(
            dict(session.execute(select(Visit.mode, func.count()).group_by(Visit.mode)).all())
        )
    natural_db.dispose()
    assert natural["phone"] > 10
    fewer = sum(natural.values()) - natural["phone"] // 2
    fitted_db = open_database(tmp_path / "fitted.db")
    build_demo(fitted_db, 150, seed=2, today=TODAY, workers=1, volumes=Volumes(visits=fewer))
    with fitted_db.session() as session:
        fitted = Counter(
            dict(session.execute(select(Visit.mode, func.count()).group_by(Visit.mode)).all())
        )
    fitted_db.dispose()
    assert sum(fitted.values()) == fewer
    assert fitted["onsite"] == natural["onsite"] and fitted["meeting"] == natural["meeting"]
    assert fitted["phone"] == natural["phone"] - natural["phone"] // 2


def test_requests_keep_the_deadline_rule_and_a_consistent_status_history(asked):
    db, _summary = asked
    settings = DeadlineSettings()
    with db.session() as session:
        customers = {
            row.id: row
            for row in session.execute(
                select(Customer.id, Customer.area, Customer.archived, Customer.created_at)
            )
        }
        managers = set(session.scalars(select(User.id).where(User.role == "manager")))
        requests = session.scalars(select(ServiceRequest)).all()
        steps = defaultdict(list)
        for change in session.scalars(select(RequestStatusChange)):
            steps[change.request_id].append(change)
    assert len(requests) == 300
    for r in requests:
        customer = customers[r.customer_id]
        assert not customer.archived
        assert r.manager_id in managers
        assert customer.created_at <= r.received_at <= ANCHOR
        deadline = compute_deadline(
            r.received_at,
            customer.area,
            settings,
            request_type=r.type,
            special_case=r.special_case,
            confirmed_at=r.confirmed_at,
        )
        assert (r.deadline_at, r.deadline_rule) == (deadline.due_at, deadline.rule)
        assert r.first_response_due_at == deadline.first_response_due_at
        history = sorted(steps[r.id], key=lambda c: (c.at, ORDER.index(c.to_status)))
        reached = ORDER.index(r.status)
        assert [c.to_status for c in history] == list(ORDER[: reached + 1])
        assert [c.from_status for c in history] == [None, *ORDER[:reached]]
        assert r.version == len(history)
        assert all(c.at <= ANCHOR and c.by_user_id == r.manager_id for c in history)
        assert (r.first_response_at is not None) == (reached >= 1)
        assert (r.resolved_at is not None) == (reached >= 2) == bool(r.resolution)
        assert (r.satisfaction is not None) == (reached >= 3)
        assert (r.closed_at is not None) == (reached == 4)
    statuses = Counter(r.status for r in requests)
    assert statuses["closed"] > len(requests) / 2  # most are closed
    assert statuses["received"] + statuses["in_progress"] > 10  # some are open
    admin = actor_for(db, "admin")
    timings = rs.query_timings(db, admin, RequestQuery(scope="unresolved"))
    due = rs.due_counts(timings, ANCHOR)
    assert due.overdue > 0 and due.due_today > 0


def test_no_archived_customer_has_revenue_or_visits_after_it_was_archived(tmp_path):
    db = open_database(tmp_path / "archived.db")
    build_demo(db, 600, seed=5, today=TODAY, workers=1)
    with db.session() as session:
        archived = dict(
            session.execute(
                select(Customer.id, Customer.archived_at).where(Customer.archived.is_(True))
            ).all()
        )
        last_month = dict(
            session.execute(
                select(Revenue.customer_id, func.max(Revenue.month))
                .where(Revenue.customer_id.in_(archived))
                .group_by(Revenue.customer_id)
            ).all()
        )
        last_visit = dict(
            session.execute(
                select(Visit.customer_id, func.max(Visit.visited_at))
                .where(Visit.customer_id.in_(archived))
                .group_by(Visit.customer_id)
            ).all()
        )
    db.dispose()
    assert last_month  # an archived file that did carry revenue before
    for customer_id, month in last_month.items():
        at = archived[customer_id].astimezone(LOCAL_TZ)
        assert month <= at.year * 100 + at.month
    for customer_id, visited in last_visit.items():
        assert (
            visited.astimezone(LOCAL_TZ).date() <= archived[customer_id].astimezone(LOCAL_TZ).date()
        )


@pytest.mark.parametrize(
    ("volumes", "customers", "words"),
    [
        (Volumes(visit_months=0), 20, "1"),
        (Volumes(revenue_months=121), 20, "120"),
        (Volumes(requests=-1), 20, "0"),
        (Volumes(revenue_rows=1_000_000), 10, "1,000,000"),
        (Volumes(visits=5_000), 0, "5,000"),
    ],
)
def test_bad_volumes_are_refused_with_a_message_and_nothing_is_written(
    db, volumes, customers, words
):
    indexes = _indexes(db)
    with pytest.raises(ServiceError) as raised:
        build_demo(db, customers, today=TODAY, workers=1, volumes=volumes)
    assert words in raised.value.message
    for model in (Customer, User, Visit, ServiceRequest, Revenue):
        assert _count(db, model) == 0, model
    # the indexes dropped for the bulk load came back with the rollback
    assert _indexes(db) == indexes and len(indexes) > 10


def _indexes(db) -> set[str]:
    with db.session() as session:
        if session.get_bind().dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'index'"
        else:
            sql = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        return set(session.scalars(text(sql)).all())


def test_fit_counts_takes_from_the_groups_in_order_and_adds_at_random():
    rng = random.Random(1)
    groups = ([3, 4], [0, 0, 1])  # slots 3 and 4: phone calls, removed first
    counts = [2, 1, 0, 1, 1]
    assert fit_counts(rng, counts, 4, groups, range(5))
    assert counts[:3] == [2, 1, 0] and counts[3] + counts[4] == 1
    counts = [2, 1, 0, 1, 1]
    assert fit_counts(rng, counts, 3, groups, range(5))
    assert counts == [2, 1, 0, 0, 0]
    counts = [2, 1, 0, 1, 1]
    assert fit_counts(rng, counts, 1, groups, range(5))
    assert sum(counts) == 1 and counts[2:] == [0, 0, 0]
    assert fit_counts(rng, counts, 40, (), range(5))
    assert sum(counts) == 40 and min(counts) >= 0
    assert not fit_counts(rng, [3], 0, ([0],), range(1))  # groups too small: unchanged
    assert not fit_counts(rng, [0], 5, (), ())


class _Rows:
    def __init__(self):
        self.rows = []

    def tuples(self, rows):
        self.rows.extend(rows)


def test_revenue_ends_with_the_archive_month_and_starts_with_the_file():
    def customer(n, created, archived_at=None):
        return {
            "id": f"c{n}",
            "kind": "key",
            "tier": "gold",
            "product_lines": ["express", "letters"],
            "created_at": created,
            "archived": archived_at is not None,
            "archived_at": archived_at,
        }

    old = datetime(2020, 1, 1, tzinfo=LOCAL_TZ)
    customers = [
        customer(0, old),
        # archived late on the last day of a month, local time: still that month
        customer(1, old, datetime(2025, 9, 30, 23, 30, tzinfo=LOCAL_TZ)),
        customer(2, datetime(2025, 3, 12, tzinfo=LOCAL_TZ)),
        customer(3, datetime(2025, 3, 12, tzinfo=LOCAL_TZ), datetime(2025, 8, 2, tzinfo=LOCAL_TZ)),
        customer(4, old, datetime(2023, 1, 1, tzinfo=LOCAL_TZ)),  # before the window
    ]
    out = _Rows()
    written = write_revenue(out, random.Random(3), customers, TODAY, Volumes())
    assert written == len(out.rows)
    months = defaultdict(set)
    for _id, cid, month, *_rest in out.rows:
        months[cid].add(month)
    assert (min(months["c0"]), max(months["c0"])) == (202406, 202605)
    assert max(months["c1"]) == 202509
    assert min(months["c2"]) == 202503
    assert (min(months["c3"]), max(months["c3"])) == (202503, 202508)
    assert "c4" not in months
