"""Demonstration visits: a year of visits up to yesterday, meetings and follow-ups, so that
the visit pages and the quota are full on a demo database; deterministic for a seed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from kac_desktop.db import open_database
from kac_desktop.demo.build import build_demo
from kac_desktop.models import Customer, Visit
from kac_desktop.rules import quota as rules
from kac_desktop.rules.quota import Month
from kac_desktop.services import users, visit_agenda, visit_quota

TODAY = date(2026, 10, 20)
NOW = datetime(2026, 10, 20, 12, tzinfo=rules.LOCAL_TZ)


def test_demo_has_a_realistic_year_of_visits(tmp_path):
    db = open_database(tmp_path / "demo.db")
    summary = build_demo(db, 150, seed=3, today=TODAY, workers=1)
    with db.session() as session:
        rows = session.execute(select(Visit.visited_at, Visit.mode, Visit.customer_id)).all()
        customers = session.scalar(select(func.count()).select_from(Customer))
    assert summary.visits == len(rows)
    assert 8 * customers <= len(rows) <= 16 * customers
    days = [rules.local_date(at) for at, _m, _c in rows]
    assert max(days) < TODAY  # nothing logged in the future
    assert min(days) >= date(2025, 11, 1)  # a year: this month and the eleven before
    assert {m for _a, m, _c in rows} >= {"onsite", "phone", "meeting"}
    assert all(c is None for _a, m, c in rows if m == "meeting")

    admin = users.actor_for(db, "admin")
    last = visit_quota.quota_report(db, admin, Month(2026, 9), now=NOW)
    assert last.total.due > 100
    assert 0.4 < (last.total.rate or 0) < 0.95  # most, not all, met their quota
    current = visit_quota.quota_report(db, admin, Month(2026, 10), now=NOW)
    assert current.days_left == 12
    assert 0 < current.total.met < current.total.due  # partly done by the 20th
    assert current.total.behind < current.total.due // 2
    assert visit_agenda.follow_ups(db, admin, now=NOW)  # some next steps still open
    db.dispose()


def test_demo_visits_are_deterministic(tmp_path):
    def visits(name):
        db = open_database(tmp_path / name)
        build_demo(db, 40, seed=5, today=TODAY, workers=1)
        with db.session() as session:
            result = session.execute(
                select(Visit.id, Visit.visited_at, Visit.mode).order_by(Visit.id)
            ).all()
        db.dispose()
        return result

    assert visits("a.db") == visits("b.db")
