"""Default business settings (the numbers of docs/DOMAIN.md); an administrator's changes are
stored in the database (services.settings) and override these."""

from __future__ import annotations

from decimal import Decimal

from kac_desktop.i18n import N_

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


# What each setting means, in the user's words, and its unit (for `settings list` and the
# settings page); every key of DEFAULTS has one (tests/rules/test_defaults.py).
SETTING_INFO: dict[str, tuple[str, str]] = {
    "visit_class.by_tier": (N_("Visit class of each customer tier"), N_("class 1-3")),
    "quota.per_class": (N_("Visits a month each visit class requires"), N_("visits")),
    "quota.counting_modes": (N_("Visit modes that count towards the quota"), ""),
    "meetings.per_year": (N_("Customer meetings a year"), N_("meetings")),
    "inactivity.days": (N_("Days without a visit before a customer is flagged"), N_("days")),
    "revenue.drop_threshold": (
        N_("Fall of a month's revenue against the three months before that raises an alert"),
        N_("fraction"),
    ),
    "deadline.city_cutoff": (N_("End of the working day for city requests"), N_("hh:mm")),
    "deadline.rural_days": (N_("Days a rural request may take"), N_("days")),
    "deadline.special_days": (N_("Days a special request may take"), N_("days")),
    "deadline.complaint_first_response_hours": (
        N_("Hours until a complaint's first response"),
        N_("hours"),
    ),
    "deadline.working_days": (N_("Deadlines count working days only"), N_("yes/no")),
    "warning.attention_fraction": (
        N_("Share of the allowed time left when a request turns yellow"),
        N_("fraction"),
    ),
    "warning.urgent_fraction": (
        N_("Share of the allowed time left when a request turns red"),
        N_("fraction"),
    ),
    "warning.urgent_hours": (N_("Hours left when a request turns red at the latest"), N_("hours")),
    "key_customer.min_annual_revenue": (
        N_("Annual revenue that makes a key customer"),
        N_("yuan a year"),
    ),
    "signin.max_failures": (N_("Failed sign-ins before an account is locked"), N_("times")),
    "signin.lock_minutes": (N_("Minutes an account stays locked"), N_("minutes")),
    "backup.keep_days": (N_("Days automatic backups are kept"), N_("days")),
}
