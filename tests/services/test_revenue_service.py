"""Points, levels, tier suggestion and confirmation, targets, alerts, manual entry and
product-line settings (docs/DOMAIN.md §5, §2 "Tier", §3 "Inactivity")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from kac_desktop.models import AuditRecord, Customer, Revenue, TierAssessment
from kac_desktop.services import customers as customer_service
from kac_desktop.services import product_lines, revenue, revenue_alerts
from kac_desktop.services.errors import PermissionDenied, ServiceError

# valid GB 32100-2015 codes (as tests/conftest.py CODES)
CODES = ["91350100M000100Y43", "91110000600037341L"]
TODAY = date(2026, 11, 23)


@pytest.fixture
def cid(db, org, make_customer):
    return customer_service.save_customer(
        db, org.mgr_a1, make_customer(code=CODES[0], manager=org.mgr_a1)
    ).ids[0]


def put(db, actor, cid, month, **amounts):
    return revenue.set_month(
        db, actor, cid, month, {k: D(str(v)) for k, v in amounts.items()}, today=TODAY
    )


def assessment(db, cid, year):
    with db.session() as s:
        return s.scalar(
            select(TierAssessment).where(
                TierAssessment.customer_id == cid, TierAssessment.year == year
            )
        )


def test_year_points_and_suggested_tier_at_the_threshold_exactly(db, org, cid):
    put(db, org.mgr_a1, cid, 202601, letters=100_000)
    put(db, org.mgr_a1, cid, 202602, express=49_999.99, finance=500_000)
    # 100,000 + 49,999 (rounded down), finance earns nothing: 149,999 → VIP
    assert assessment(db, cid, 2026).points == 149_999
    assert assessment(db, cid, 2026).suggested_tier == "vip"
    put(db, org.mgr_a1, cid, 202603, letters=1)
    assert assessment(db, cid, 2026).points == 150_000
    assert assessment(db, cid, 2026).suggested_tier == "gold"


def test_year_boundary_december_and_january_count_for_their_own_years(db, org, cid):
    put(db, org.mgr_a1, cid, 202512, letters=60_000)
    put(db, org.mgr_a1, cid, 202601, letters=10)
    assert assessment(db, cid, 2025).points == 60_000
    assert assessment(db, cid, 2026).points == 10
    # 2025's letters set 2026's maintenance target: 60,000 × 1.1465
    assert assessment(db, cid, 2026).target == D("68790.00")


def test_manual_correction_replaces_the_month_and_is_audited(db, org, cid):
    put(db, org.mgr_a1, cid, 202601, letters=1000, express=2000)
    put(db, org.mgr_a1, cid, 202601, letters=500)  # express left out: removed
    with db.session() as s:
        rows = {r.product_line: r.amount for r in s.scalars(select(Revenue))}
        audits = list(s.scalars(select(AuditRecord.action)))
    assert rows == {"letters": D("500")}
    assert audits.count("revenue.edit") == 2
    assert assessment(db, cid, 2026).points == 500


def test_manual_entry_by_another_manager_is_refused_and_writes_nothing(db, org, cid):
    with pytest.raises(PermissionDenied):
        put(db, org.mgr_a2, cid, 202601, letters=1000)
    with pytest.raises(ServiceError):
        put(db, org.mgr_a1, cid, 202613, letters=1000)
    with pytest.raises(ServiceError):
        put(db, org.mgr_a1, cid, 202601, letters=-1)
    with db.session() as s:
        assert s.scalar(select(Revenue.id)) is None


def test_customer_revenue_shows_24_months_points_level_gap_target(db, org, cid):
    put(db, org.mgr_a1, cid, 202510, letters=40_000)
    put(db, org.mgr_a1, cid, 202610, letters=60_000)
    data = revenue.customer_revenue(db, org.mgr_a1, cid, today=TODAY)
    assert len(data.months) == 24 and data.months[-1] == 202610 and data.months[0] == 202411
    assert data.amounts[(202610, "letters")] == D("60000.00")
    assert data.standing.points == 60_000 and data.standing.level == "vip"
    assert data.standing.next_level == "gold" and data.standing.gap == 90_000
    assert data.target == D("45860.00")  # 40,000 × 1.1465
    assert data.completion == D("1.3083")


def test_supervisor_confirms_or_overrides_and_who_and_when_are_kept(db, org, cid):
    put(db, org.mgr_a1, cid, 202601, letters=60_000)
    with pytest.raises(PermissionDenied):
        revenue.confirm_tiers(db, org.mgr_a1, 2026, [(cid, None)])
    revenue.confirm_tiers(db, org.sup_a, 2026, [(cid, None)])
    ta = assessment(db, cid, 2026)
    assert ta.confirmed_tier == "vip" and ta.confirmed_by == org.sup_a.user_id
    assert ta.confirmed_at is not None
    with db.session() as s:
        customer = s.get(Customer, cid)
        assert customer.tier == "vip" and customer.tier_confirmed_by == org.sup_a.user_id
    record = customer_service.get_customer(db, org.sup_a, cid)
    assert record.suggested_tier == "vip" and record.tier_confirmed_by == "林支局长"
    revenue.confirm_tiers(db, org.sup_a, 2026, [(cid, "gold")])  # an override
    assert assessment(db, cid, 2026).confirmed_tier == "gold"
    with pytest.raises(PermissionDenied):  # another branch's supervisor
        revenue.confirm_tiers(db, org.sup_b, 2026, [(cid, None)])


def test_batch_review_lists_only_mismatches_and_confirms_them(db, org, cid, make_customer):
    other = customer_service.save_customer(
        db, org.mgr_a1, make_customer("福建海峡物流有限公司", code=CODES[1], manager=org.mgr_a1)
    ).ids[0]
    put(db, org.mgr_a1, cid, 202601, letters=60_000)  # suggests VIP, tier ordinary
    put(db, org.mgr_a1, other, 202601, letters=100)  # ordinary = ordinary
    q = revenue.PointsQuery(year=2026, mismatch_only=True)
    assert revenue.query_ids(db, org.sup_a, q) == [cid]
    revenue.confirm_tiers(
        db, org.sup_a, 2026, [(i, None) for i in revenue.query_ids(db, org.sup_a, q)]
    )
    assert revenue.query_ids(db, org.sup_a, q) == []
    [row] = revenue.fetch_rows(db, org.sup_a, 2026, [cid])
    assert (row.suggested_tier, row.confirmed_tier, row.confirmed_by) == ("vip", "vip", "林支局长")
    # a manager sees only his own customers
    assert revenue.query_ids(db, org.mgr_a2, revenue.PointsQuery(year=2026)) == []


def test_manager_completion(db, org, cid):
    put(db, org.mgr_a1, cid, 202501, express=10_000)
    put(db, org.mgr_a1, cid, 202601, express=6_050)
    [m] = revenue.manager_completion(db, org.sup_a, 2026)
    assert m.manager == "陈经理" and m.target == D("12100.00") and m.completion == D("0.5")


def test_alerts_revenue_drop_and_no_business(db, org, cid, make_customer):
    other = customer_service.save_customer(
        db, org.mgr_a1, make_customer("福建海峡物流有限公司", code=CODES[1], manager=org.mgr_a1)
    ).ids[0]
    for month in (202607, 202608, 202609):
        put(db, org.mgr_a1, cid, month, letters=1000)
    put(db, org.mgr_a1, cid, 202610, letters=700)  # exactly −30 %
    put(db, org.mgr_a1, other, 202608, letters=5000)  # nothing since August
    rows = revenue_alerts.alerts(db, org.mgr_a1, today=TODAY)
    kinds = {(r.customer_id, r.kind) for r in rows}
    assert (cid, "drop") in kinds
    drop = next(r for r in rows if r.kind == "drop" and r.customer_id == cid)
    assert drop.change == D("-0.3") and drop.average == D("1000.00") and drop.month == 202610
    quiet = [r for r in rows if r.customer_id == other and r.kind != "drop"]
    assert quiet and quiet[0].kind in ("no_business", "inactive") and quiet[0].days == 84


def test_product_line_factor_change_by_admin_recomputes_points(db, org, cid):
    put(db, org.mgr_a1, cid, 202601, express=1000)
    with pytest.raises(PermissionDenied):
        product_lines.update_product_line(
            db, org.sup_a, "express", factor="2", earns_points=True, growth_rate="0.21"
        )
    product_lines.update_product_line(
        db, org.admin, "express", factor="1.5", earns_points=True, growth_rate="0.21", today=TODAY
    )
    assert assessment(db, cid, 2026).points == 1500
    product_lines.update_product_line(
        db, org.admin, "express", factor="1.5", earns_points=False, growth_rate="0.21", today=TODAY
    )
    assert assessment(db, cid, 2026).points == 0
    with pytest.raises(ServiceError):
        product_lines.update_product_line(
            db, org.admin, "express", factor="abc", earns_points=True, growth_rate="0"
        )
    lines = {p.code: p for p in product_lines.product_lines(db)}
    assert lines["finance"].earns_points is False and lines["letters"].growth_rate == D("0.1465")
