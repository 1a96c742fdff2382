"""A small database for the monthly-report tests (not a test module): six customers in two
branches with revenue, visits and service requests around March 2026, every figure chosen
so that it can be counted by hand (see the comments)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from kac_desktop.models import Customer, Revenue, ServiceRequest, Visit
from kac_desktop.rules.clock import LOCAL_TZ

MONTH = "2026-03"
# the report is made on 10 April: March is over
NOW = datetime(2026, 4, 10, 2, 0, tzinfo=UTC)
LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)


def utc(y, m, d, h=2) -> datetime:
    # 02:00 UTC is 10:00 in Fuzhou: the same local date
    return datetime(y, m, d, h, tzinfo=UTC)


@dataclass
class Sample:
    c1: str  # A, mgr_a1, key diamond: revenue, visits behind, a complaint on time
    c2: str  # A, mgr_a1, key gold: no revenue at all, an overdue pickup request
    c3: str  # A, mgr_a1, potential ordinary: a little revenue
    c4: str  # A, mgr_a2, key vip: revenue in December only (lost in March), quota met
    c5: str  # B, mgr_b1, key platinum: finance + express revenue, quota met, late request
    c6: str  # A, mgr_a1, key ordinary: registered on 15 March (new)


def _customer(session, name, manager, tier="ordinary", kind="key", created=LONG_AGO, comp=80):
    customer = Customer(
        name=name,
        name_key=name,
        name_sort=name,
        kind=kind,
        tier=tier,
        branch_id=manager.branch_id,
        manager_id=manager.user_id,
        completeness=comp,
        created_at=created,
        updated_at=created,
        registered_on=created.astimezone(LOCAL_TZ).date(),
    )
    session.add(customer)
    session.flush()
    return customer.id


def build_sample(db, org) -> Sample:
    with db.session() as session, session.begin():
        c1 = _customer(session, "福州华闽贸易有限公司", org.mgr_a1, "diamond", comp=100)
        c2 = _customer(session, "福建鼓楼建设集团", org.mgr_a1, "gold", comp=60)
        c3 = _customer(session, "鼓楼小商店", org.mgr_a1, kind="potential", comp=50)
        c4 = _customer(session, "福州三坊七巷文旅公司", org.mgr_a2, "vip", comp=90)
        c5 = _customer(session, "仓山物流有限公司", org.mgr_b1, "platinum", comp=70)
        c6 = _customer(session, "鼓楼新开发客户", org.mgr_a1, created=utc(2026, 3, 15), comp=40)
        revenue = [
            (c1, 202603, "letters", "1000.50"),
            (c1, 202603, "express", "2000.00"),
            (c1, 202601, "letters", "100.00"),
            (c1, 202503, "letters", "500.00"),
            (c3, 202603, "letters", "50.00"),
            (c4, 202512, "express", "800.00"),
            (c5, 202603, "finance", "300.00"),
            (c5, 202603, "express", "700.40"),
            (c5, 202602, "express", "3000.00"),
            (c5, 202601, "express", "3000.00"),
            (c5, 202512, "express", "3000.00"),
        ]
        for cid, month, line, amount in revenue:
            session.add(
                Revenue(customer_id=cid, month=month, product_line=line, amount=Decimal(amount))
            )
        visits = [
            (c1, org.mgr_a1, utc(2026, 3, 3), "onsite"),
            (c1, org.mgr_a1, utc(2026, 3, 20), "onsite"),
            (c1, org.mgr_a1, utc(2026, 3, 21), "phone"),  # does not count
            (c4, org.mgr_a2, utc(2026, 3, 9), "onsite"),
            (c5, org.mgr_b1, utc(2026, 3, 2), "onsite"),
            (c5, org.mgr_b1, utc(2026, 3, 12), "onsite"),
            (c5, org.mgr_b1, utc(2026, 3, 30), "onsite"),
            (c1, org.mgr_a1, utc(2026, 2, 27), "onsite"),  # February
        ]
        for cid, manager, at, mode in visits:
            session.add(
                Visit(
                    customer_id=cid,
                    branch_id=manager.branch_id,
                    manager_id=manager.user_id,
                    visited_at=at,
                    mode=mode,
                    summary="走访",
                )
            )
        requests = [
            # complaint, resolved before its deadline (first response in time too)
            dict(
                customer_id=c1,
                manager_id=org.mgr_a1.user_id,
                type="complaint",
                received_at=utc(2026, 3, 5, 1),
                deadline_at=utc(2026, 3, 5, 10),
                first_response_due_at=utc(2026, 3, 6, 1),
                first_response_at=utc(2026, 3, 5, 3),
                resolved_at=utc(2026, 3, 5, 8),
                status="called_back",
                satisfaction=4,
            ),
            # pickup never resolved: overdue
            dict(
                customer_id=c2,
                manager_id=org.mgr_a1.user_id,
                type="pickup",
                received_at=utc(2026, 3, 10, 1),
                deadline_at=utc(2026, 3, 10, 10),
                status="in_progress",
            ),
            # branch B: consultation resolved a day late
            dict(
                customer_id=c5,
                manager_id=org.mgr_b1.user_id,
                type="consultation",
                received_at=utc(2026, 3, 11, 1),
                deadline_at=utc(2026, 3, 11, 10),
                resolved_at=utc(2026, 3, 12, 10),
                status="resolved",
                satisfaction=2,
            ),
        ]
        for values in requests:
            session.add(ServiceRequest(**values))
    return Sample(c1, c2, c3, c4, c5, c6)
