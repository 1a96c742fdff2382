"""The demonstration data's two years of revenue and their assessments."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from kac_desktop.demo.build import build_demo
from kac_desktop.models import Customer, Revenue, TierAssessment
from kac_desktop.services import revenue_alerts
from kac_desktop.services.users import actor_for

TODAY = date(2026, 11, 23)


def test_demo_has_two_years_of_revenue_and_realistic_levels(db):
    summary = build_demo(db, customers=400, today=TODAY, workers=1)
    with db.session() as s:
        months = s.execute(select(func.min(Revenue.month), func.max(Revenue.month))).one()
        levels = dict(
            s.execute(
                select(TierAssessment.suggested_tier, func.count())
                .where(TierAssessment.year == 2025)
                .group_by(TierAssessment.suggested_tier)
            ).all()
        )
        potential = s.scalar(
            select(func.count(Revenue.id.distinct()))
            .join(Customer, Customer.id == Revenue.customer_id)
            .where(Customer.kind == "potential")
        )
    assert months == (202411, 202610)
    assert summary.revenue_rows > 400 * 12
    assert {"vip", "gold", "platinum", "ordinary"} <= set(levels)
    assert potential < summary.revenue_rows / 20  # potential customers: little or none
    admin = actor_for(db)
    kinds = {a.kind for a in revenue_alerts.alerts(db, admin, today=TODAY)}
    assert "drop" in kinds
