"""Default business settings (the numbers of docs/DOMAIN.md); an administrator's changes are
stored in the database (services.settings) and override these."""

from __future__ import annotations

from decimal import Decimal

DEFAULTS: dict[str, object] = {
    # §2 visit class by tier
    "visit_class.by_tier": {"diamond": 1, "platinum": 1, "gold": 2, "vip": 3, "ordinary": 3},
    # §3 monthly visit quota per class, and which modes count
    "quota.per_class": {"1": 3, "2": 2, "3": 1},
    "quota.counting_modes": ["onsite"],
    "meetings.per_year": 2,
    "inactivity.days": 30,
    "revenue.drop_threshold": -0.30,
    # §4 deadlines
    "deadline.city_cutoff": "18:00",
    "deadline.rural_days": 2,
    "deadline.special_days": 3,
    "deadline.complaint_first_response_hours": 24,
    "deadline.working_days": False,
    # §4 warning colours: attention at 50 % of the allowed time left, urgent at 10 % or 1 h
    "warning.attention_fraction": 0.5,
    "warning.urgent_fraction": 0.1,
    "warning.urgent_hours": 1,
    # §2 key customer threshold (yuan a year)
    "key_customer.min_annual_revenue": 10000,
    # §7 sign-in and backups
    "signin.max_failures": 5,
    "signin.lock_minutes": 15,
    "backup.keep_days": 14,
}

# §5 product lines: code, Chinese name, points factor, earns points, maintenance growth rate
PRODUCT_LINE_DEFAULTS: tuple[tuple[str, str, Decimal, bool, Decimal], ...] = (
    ("letters", "函件", Decimal("1"), True, Decimal("0.1465")),
    ("express", "速递物流", Decimal("1"), True, Decimal("0.21")),
    ("newspapers", "报刊", Decimal("1"), True, Decimal("0.0264")),
    ("philately", "集邮", Decimal("1"), True, Decimal("0")),
    ("finance", "代理金融", Decimal("0"), False, Decimal("0")),
    ("agency", "代理", Decimal("1"), True, Decimal("0")),
    ("ecommerce", "电商", Decimal("1"), True, Decimal("0")),
)
