"""The quota tab of the 走访 page (issue #8): built when first shown, opened on a chosen
month, its rows in the service's order under every filter and after any sort."""

from __future__ import annotations

from datetime import UTC, date, datetime

from PySide6.QtCore import Qt
from sqlalchemy import update

from kac_desktop.models import Customer
from kac_desktop.rules import quota as rules
from kac_desktop.rules.quota import Month
from kac_desktop.rules.visits import VisitData
from kac_desktop.services import customers as cs
from kac_desktop.services import visits as vs
from kac_desktop.services.changes import ChangeSet, Kind
from kac_desktop.views.quota_page import COLUMN_INDEX, QuotaPage
from kac_desktop.views.visits_page import VisitsPage

TODAY = date(2026, 4, 20)
NOW = datetime(2026, 4, 20, 4, tzinfo=UTC)


def _customers(db, org, make_customer) -> list[str]:
    ids = []
    for name, tier in (
        ("阿里物流有限公司", "ordinary"),
        ("白沙贸易有限公司", "gold"),
        ("蔡氏电子有限公司", "diamond"),
        ("丁香医药有限公司", "ordinary"),
    ):
        data = make_customer(name, manager=org.mgr_a1, tier=tier, nature="individual")
        ids.append(cs.save_customer(db, org.sup_a, data).first(Kind.CUSTOMER))
    with db.session() as session, session.begin():
        session.execute(
            update(Customer).values(
                created_at=datetime(2020, 1, 1, tzinfo=UTC), registered_on=date(2020, 1, 1)
            )
        )
    return ids


def test_the_quota_is_built_when_its_tab_is_first_shown(qtbot, db, org, make_customer):
    _customers(db, org, make_customer)
    page = VisitsPage(db, org.admin)
    qtbot.addWidget(page)
    assert page._quota is None  # the page opens on the visit list
    page.apply_changes(ChangeSet.whole(Kind.VISIT))  # nothing to refresh yet
    assert page._quota is None
    page.tabs.setCurrentIndex(page.tabs.indexOf(page._quota_tab))
    assert isinstance(page._quota, QuotaPage) and page.quota is page._quota
    assert page.quota.model.rowCount() == 4
    assert page.quota.parentWidget() is page._quota_tab


def test_the_page_opens_on_the_month_asked_for(qtbot, db, org, make_customer):
    ids = _customers(db, org, make_customer)
    vs.log_visit(
        db,
        org.mgr_a1,
        VisitData(
            customer_id=ids[0],
            visited_at=datetime(2026, 3, 9, 2, tzinfo=UTC),
            summary="上门拜访",
        ),
        now=NOW,
    )
    page = QuotaPage(db, org.sup_a, today=TODAY, month=Month(2026, 3))
    qtbot.addWidget(page)
    assert page.selected_month() == Month(2026, 3)
    assert page.report is not None and page.report.month == Month(2026, 3)
    assert page.month_index(Month(2026, 4)) == 0 and page.month_index(Month(1999, 1)) == -1
    done = {page.model.row_at(r).customer_id: page.model.row_at(r).status.done for r in range(4)}
    assert done[ids[0]] == 1


def test_rows_keep_the_service_order_under_filters_and_sorts(qtbot, db, org, make_customer):
    _customers(db, org, make_customer)
    page = QuotaPage(db, org.sup_a, today=TODAY, month=Month(2026, 3))
    qtbot.addWidget(page)
    assert page.report is not None
    service = [r.customer_id for r in page.report.rows]
    shown = [page.model.row_at(r).customer_id for r in range(page.model.rowCount())]
    assert shown == service
    # a closed month without visits: everybody behind, the most missing first
    assert [page.model.row_at(r).status.missing for r in range(4)] == [3, 2, 1, 1]
    page.table.sortByColumn(COLUMN_INDEX["name"], Qt.SortOrder.DescendingOrder)
    names = [page.model.row_at(r).name_sort for r in range(4)]
    assert names == sorted(names, reverse=True)
    page.table.sortByColumn(COLUMN_INDEX["state"], Qt.SortOrder.AscendingOrder)
    assert [page.model.row_at(r).customer_id for r in range(4)] == service
    page.search.setText("有限")
    page.behind_only.setChecked(True)
    page.reload()
    assert [page.model.row_at(r).customer_id for r in range(4)] == service
    index = page.model.index(0, COLUMN_INDEX["state"])
    assert index.data() == "▲ 未达标"
    assert (
        index.data(Qt.ItemDataRole.ForegroundRole).color().name()
        == rules.STATE_COLOURS[rules.BEHIND]
    )


def test_the_quota_search_finds_by_pinyin_and_initials_as_the_customer_list_does(
    qtbot, db, org, make_customer
):
    """The quota page's search is the service's (the customers' search texts, in SQL): the
    initials 'alwl' and the pinyin 'baisha' find 阿里物流 and 白沙贸易, as on the list."""
    ids = _customers(db, org, make_customer)
    page = QuotaPage(db, org.sup_a, today=TODAY, month=Month(2026, 3))
    qtbot.addWidget(page)
    for text, expected in (("alwl", [ids[0]]), ("baisha", [ids[1]]), ("有限", None)):
        page.search.setText(text)
        shown = [page.model.row_at(r).customer_id for r in range(page.model.rowCount())]
        assert shown == (expected or [r.customer_id for r in page.report.rows]), text
    page.search.setText("alwl")
    page.behind_only.setChecked(True)
    assert page.model.rowCount() == 1  # behind and found


def test_the_pages_open_on_the_business_day_not_the_computers(qtbot, db, org, monkeypatch):
    """31 December 16:30 UTC is 1 January in the branches: the quota opens on January, the
    report offers January first (and December as the month to report), the revenue page
    opens on the new year — on a PC kept on UTC as on one kept on China time."""
    import time

    from kac_desktop.rules import clock
    from kac_desktop.views.report_page import ReportPage
    from kac_desktop.views.revenue_page import RevenuePage

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        moment = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
        monkeypatch.setattr(clock, "now", lambda: moment)
        quota = QuotaPage(db, org.sup_a)
        qtbot.addWidget(quota)
        assert quota.selected_month() == Month(2027, 1)
        report = ReportPage(db, org.admin)
        qtbot.addWidget(report)
        assert report.month.itemData(0) == Month(2027, 1)
        assert report.month.currentData() == Month(2026, 12)
        revenue = RevenuePage(db, org.admin)
        qtbot.addWidget(revenue)
        assert revenue.today == date(2027, 1, 1) and revenue.year.currentData() == 2027
    finally:
        monkeypatch.undo()
        time.tzset()
