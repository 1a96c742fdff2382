"""The monthly report's figures (docs/DOMAIN.md §6) against figures counted independently: by
hand from the sample (tests/report_data.py) and with plain SQL over the same tables."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from kac_desktop.models import AuditRecord
from kac_desktop.progress import Cancelled
from kac_desktop.services import monthly_report as service
from kac_desktop.services.errors import PermissionDenied, ServiceError
from tests.report_data import MONTH, NOW, build_sample


@pytest.fixture
def sample(db, org):
    return build_sample(db, org)


def _sql_sum(db, where: str, **params) -> Decimal:
    with db.engine.connect() as c:
        value = c.execute(
            text(
                "SELECT COALESCE(SUM(r.amount), 0) FROM revenues r "
                "JOIN customers c ON c.id = r.customer_id WHERE " + where
            ),
            params,
        ).scalar()
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_supervisor_summary_matches_hand_count_and_sql(db, org, sample):
    report = service.build_report(db, org.sup_a, MONTH, now=NOW)
    s = report.summary
    assert report.scope == "branch" and report.title_branch == "鼓楼支局"
    assert s.customers == 5  # c1, c2, c3, c4, c6 (c5 is in branch B)
    assert s.key_customers == 4  # c3 is a potential customer
    total = _sql_sum(db, "r.month = 202603 AND c.branch_id = :b", b=org.branch_a)
    key = _sql_sum(db, "r.month = 202603 AND c.branch_id = :b AND c.kind = 'key'", b=org.branch_a)
    assert s.revenue_total == total == Decimal("3050.50")
    assert s.revenue_key == key == Decimal("3000.50")
    assert s.key_share == pytest.approx(3000.50 / 3050.50)
    assert s.new_key_customers == 1  # c6, made on 15 March
    assert s.lost_key_customers == 1  # c4: December, then nothing for three months
    # retention: of the key customers with revenue in March 2025 (c1), c1 has revenue now
    assert (s.retained, s.retention_base, s.retention_rate) == (1, 1, 1.0)
    # development: one new file against c1, c2, c4 at the start of the month
    assert s.development_base == 3 and s.development_rate == pytest.approx(1 / 3)
    # month on month: no key-customer revenue in February: no base, no invented rate
    assert s.revenue_key_previous_month == 0 and s.growth_month_on_month is None
    assert s.growth_year_on_year == pytest.approx((3000.50 - 500) / 500)
    assert s.completeness == pytest.approx((100 + 60 + 90 + 40) / 4 / 100)
    # quota: c1 class 1 (2 of 3), c2 class 2 (0 of 2), c3/c6 class 3 (0 of 1), c4 met
    assert (s.quota_due, s.quota_met, s.quota_rate) == (5, 1, pytest.approx(0.2))
    assert s.visits_done == 3  # the phone call and February's visit do not count
    # service: the complaint on time, the pickup overdue
    assert (s.requests, s.requests_on_time, s.requests_judged) == (2, 1, 2)
    assert s.on_time_rate == 0.5 and s.complaints == 1 and s.complaint_rate == 0.5
    assert s.satisfaction == 4 and s.satisfaction_count == 1
    tiers = {t.tier: (t.customers, t.revenue) for t in s.by_tier}
    assert tiers["diamond"] == (1, Decimal("3000.50"))
    assert tiers["gold"] == (1, Decimal("0"))
    assert sum(n for n, _r in tiers.values()) == s.key_customers
    assert report.branches == []  # only the city center's report has the per-branch table


def test_customer_rows_points_and_growth(db, org, sample):
    report = service.build_report(db, org.sup_a, MONTH, now=NOW)
    rows = {r.customer_id: r for r in report.customers}
    codes = [code for code, _label in report.product_lines]
    c1 = rows[sample.c1]
    assert c1.by_line[codes.index("letters")] == Decimal("1000.50")
    assert c1.by_line[codes.index("express")] == Decimal("2000.00")
    assert c1.month_total == Decimal("3000.50")
    assert c1.year_to_date == Decimal("3100.50")  # January's 100 too
    assert c1.last_year_to_date == Decimal("500.00")
    assert c1.growth == pytest.approx((3100.50 - 500) / 500)
    # points: floor per month (rules.points): March 3000, January 100
    assert (c1.points_month, c1.points_year) == (3000, 3100)
    # a customer without any revenue: zeros that are true, no growth rate
    c2 = rows[sample.c2]
    assert c2.month_total == 0 and c2.year_to_date == 0 and c2.growth is None
    assert (c2.points_month, c2.points_year, c2.club_level) == (0, 0, "ordinary")
    assert sum(r.month_total for r in report.customers) == report.summary.revenue_total


def test_finance_earns_no_points_and_drop_is_flagged(db, org, sample):
    report = service.build_report(db, org.admin, MONTH, now=NOW)
    c5 = next(r for r in report.customers if r.customer_id == sample.c5)
    assert c5.month_total == Decimal("1000.40")
    assert c5.points_month == 700  # agency finance earns nothing; 700.40 rounds down
    drops = {d.customer: d for d in report.drops}
    # March 1000.40 against 3000 a month before: −66.7 %
    assert drops["仓山物流有限公司"].change == pytest.approx(1000.40 / 3000 - 1)
    assert drops["仓山物流有限公司"].average_before == Decimal("3000.00")


def test_visits_per_manager_and_behind_list(db, org, sample):
    report = service.build_report(db, org.sup_a, MONTH, now=NOW)
    by_manager = {v.manager: v for v in report.visits}
    chen = by_manager["陈经理"]  # c1, c2, c3, c6
    assert (chen.customers_due, chen.required, chen.done, chen.met) == (4, 7, 2, 0)
    assert chen.rate == 0
    wang = by_manager["王经理"]
    assert (wang.customers_due, wang.met, wang.rate) == (1, 1, 1.0)
    behind = {b.customer: b for b in report.behind}
    assert set(behind) == {
        "福州华闽贸易有限公司",
        "福建鼓楼建设集团",
        "鼓楼小商店",
        "鼓楼新开发客户",
    }
    assert (behind["福州华闽贸易有限公司"].required, behind["福州华闽贸易有限公司"].done) == (3, 2)
    assert all(b.days_left == 0 for b in report.behind)  # March is over


def test_service_by_type_and_overdue_list(db, org, sample):
    report = service.build_report(db, org.admin, MONTH, now=NOW)
    by_type = {r.type: r for r in report.requests}
    assert by_type["complaint"].on_time == 1 and by_type["complaint"].on_time_rate == 1.0
    assert by_type["pickup"].overdue == 1 and by_type["pickup"].on_time_rate == 0.0
    assert by_type["consultation"].late == 1 and by_type["consultation"].satisfaction == 2
    assert [o.customer for o in report.overdue] == ["福建鼓楼建设集团"]
    assert report.overdue[0].manager == "陈经理"


def test_city_center_covers_every_branch_with_per_branch_summary(db, org, sample):
    report = service.build_report(db, org.admin, MONTH, now=NOW)
    assert report.scope == "city" and report.summary.customers == 6
    total = _sql_sum(db, "r.month = 202603")
    assert report.summary.revenue_total == total == Decimal("4050.90")
    branches = {b.branch: b for b in report.branches}
    assert set(branches) == {"鼓楼支局", "仓山支局"}
    assert branches["仓山支局"].revenue_total == Decimal("1000.40")
    assert sum(b.revenue_total for b in report.branches) == report.summary.revenue_total
    assert sum(b.customers for b in report.branches) == report.summary.customers
    assert branches["仓山支局"].quota_rate == 1.0
    assert branches["仓山支局"].on_time_rate == 0.0  # its one request was late
    one = service.build_report(db, org.admin, MONTH, org.branch_b, now=NOW)
    assert one.scope == "branch" and one.summary.customers == 1 and one.branches == []


def test_a_manager_sees_only_his_customers(db, org, sample):
    report = service.build_report(db, org.mgr_a1, MONTH, now=NOW)
    assert report.scope == "manager" and report.manager == "陈经理"
    assert {r.customer_id for r in report.customers} == {
        sample.c1,
        sample.c2,
        sample.c3,
        sample.c6,
    }
    with pytest.raises(PermissionDenied):
        service.build_report(db, org.mgr_a1, MONTH, org.branch_b, now=NOW)
    with pytest.raises(PermissionDenied):
        service.build_report(db, org.sup_a, MONTH, org.branch_b, now=NOW)


def test_empty_month_says_so_instead_of_inventing_figures(db, org, sample):
    # before any file existed: nothing at all
    report = service.build_report(db, org.sup_a, "2024-06", now=NOW)
    s = report.summary
    assert s.customers == 0 and report.customers == []
    assert s.key_share is None and s.retention_rate is None and s.development_rate is None
    assert s.quota_rate is None and s.on_time_rate is None and s.satisfaction is None
    assert s.completeness is None
    assert not (report.present.has_revenue or report.present.has_visits)
    assert not report.present.has_requests


def test_a_month_without_visits_or_requests(db, org, sample):
    report = service.build_report(db, org.sup_a, "2026-01", now=NOW)
    assert not report.present.has_visits and report.summary.visits_done == 0
    assert report.summary.requests == 0 and report.requests == []
    assert report.present.has_revenue  # January's 100 of c1
    # the quota still stands: customers due and none met (a fact, not an invention)
    assert report.summary.quota_due == 4 and report.summary.quota_met == 0


def test_bad_and_future_months_are_refused(db, org, sample):
    with pytest.raises(ServiceError):
        service.build_report(db, org.sup_a, "2026-13", now=NOW)
    with pytest.raises(ServiceError):
        service.build_report(db, org.sup_a, "2026-05", now=NOW)


def test_the_current_month_is_cut_at_now(db, org, sample):
    report = service.build_report(db, org.sup_a, "2026-04", now=NOW)
    assert report.as_of == NOW


def test_make_files_is_audited_and_cancel_leaves_nothing(db, org, sample, tmp_path):
    made = service.make_files(
        db, org.sup_a, MONTH, xlsx=tmp_path / "r.xlsx", pdf=tmp_path / "r.pdf", now=NOW
    )
    assert (tmp_path / "r.xlsx").exists() and (tmp_path / "r.pdf").exists()
    assert made.report.summary.revenue_total == Decimal("3050.50")
    with db.session() as session:
        actions = [a.action for a in session.query(AuditRecord).all()]
    assert actions.count("report.make") == 1

    class Cancel:
        def report(self, fraction, message=""):
            pass

        def cancelled(self):
            return True

    with pytest.raises(Cancelled):
        service.make_files(db, org.sup_a, MONTH, xlsx=tmp_path / "c.xlsx", progress=Cancel())
    assert not (tmp_path / "c.xlsx").exists()
    with db.session() as session:
        actions = [a.action for a in session.query(AuditRecord).all()]
    assert actions.count("report.make") == 1


def test_printing_is_audited(db, org, sample):
    report = service.build_report(db, org.sup_a, MONTH, now=NOW)
    service.record_print(db, org.sup_a, report)
    with db.session() as session:
        printed = session.query(AuditRecord).filter_by(action="report.print").one()
    assert printed.user_login == "sup_a" and printed.details["month"] == MONTH
