"""The operation runner (views/operations.py): a refusal shown once, in Chinese; what an
operation changed reaches every open page, which refreshes only what it names — a change
made on one page shows on another without a reload."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget

from kac_desktop.rules import points as rules
from kac_desktop.rules.clock import business_today
from kac_desktop.services import customers as cs
from kac_desktop.services import revenue
from kac_desktop.services.changes import ChangeSet, Kind
from kac_desktop.services.errors import PermissionDenied
from kac_desktop.views import operations
from kac_desktop.views.main_window import MainWindow

TODAY = business_today()
LAST = rules.add_months(rules.month_of(TODAY), -1)


@pytest.fixture
def boxes(monkeypatch):
    shown: list[tuple[str, str, str]] = []
    for kind in ("information", "warning", "critical"):
        monkeypatch.setattr(
            QMessageBox,
            kind,
            lambda parent, title, text, *a, _k=kind, **kw: shown.append((_k, title, text)),
        )
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    return shown


@pytest.fixture
def window(qtbot, db, org):
    win = MainWindow(db, org.sup_a)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    return win


def _customer(db, org, make_customer, name="福州华闽贸易有限公司", **kw) -> str:
    data = make_customer(name, manager=org.mgr_a1, nature="individual", **kw)
    return cs.save_customer(db, org.sup_a, data).first(Kind.CUSTOMER)


def _show(window: MainWindow, page: QWidget) -> None:
    window.nav.setCurrentRow(window.pages.indexOf(page))


# ---------------------------------------------------------------- the runner


class _Page(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[ChangeSet] = []

    def apply_changes(self, changes: ChangeSet) -> None:
        self.seen.append(changes)


def test_a_refusal_is_shown_once_in_chinese_and_nothing_spreads(qtbot, boxes):
    page = _Page()
    qtbot.addWidget(page)

    def refused():
        raise PermissionDenied("只有主管可以确认客户档次。")

    assert operations.run(page, refused, title="确认档次") is None
    assert boxes == [("warning", "确认档次", "只有主管可以确认客户档次。")]
    assert page.seen == []
    # a page that shows the refusal itself gets it instead of a box
    inline = []
    assert operations.run(page, refused, refused=inline.append) is None
    assert [e.message for e in inline] == ["只有主管可以确认客户档次。"] and len(boxes) == 1


def test_what_changed_goes_to_the_nearest_page_and_through_the_window(qtbot, window):
    made = ChangeSet.of(Kind.CUSTOMER, ["x"])
    child = QWidget(window.customers)  # a dialog's button, say, inside a page
    seen = []
    window.broadcast_changes = seen.append  # type: ignore[method-assign]
    assert operations.run(child, lambda: made) == made
    assert seen == [made]
    alone = _Page()
    qtbot.addWidget(alone)
    operations.run(QWidget(alone), lambda: made)
    assert alone.seen == [made]


# ---------------------------------------------------------------- one page to another


def test_a_tier_confirmed_on_the_revenue_page_reaches_the_quota_tab(
    qtbot, db, org, make_customer, window, boxes
):
    """The known defect: the revenue page's confirmation went to the customer list only."""
    cid = _customer(db, org, make_customer)
    revenue.set_month(db, org.mgr_a1, cid, LAST, {"letters": D("60000")})  # suggests 贵宾
    visits = window.visits
    _show(window, visits)
    visits.tabs.setCurrentIndex(visits.tabs.indexOf(visits._quota_tab))
    quota = visits.quota

    def quota_row():
        rows = [quota.model.row_at(r) for r in range(quota.model.rowCount())]
        return next(r for r in rows if r.customer_id == cid)

    before = quota_row()
    assert before.tier == "ordinary"

    page = window.revenue
    _show(window, page)
    page.table.selectRow(0)
    change = page.confirm_selected(ask=False)
    assert change is not None and change.ids(Kind.TIER) == {cid}
    after = quota_row()
    assert after.tier == "vip"
    # and the customer list's row says so too, refreshed in place
    row = window.customers.model.row_of(cid)
    assert window.customers.model.row_data(row).tier == "vip"


def test_a_request_registered_on_the_board_reaches_the_audit_log(
    qtbot, db, org, make_customer, window, boxes
):
    """The known defect: the board's ``changed`` was connected to nothing."""
    _customer(db, org, make_customer)
    board = window.requests
    audit_page = window.admin.audit
    _show(window, audit_page)
    before = audit_page.model.rowCount()
    dialog = board.register_request()
    dialog.picker.search.setText("华闽")
    dialog.picker.refresh()
    dialog.description.setPlainText("今天下午有20箱货物需上门揽收")
    dialog.ok.click()
    assert board.model.rowCount() == 1
    assert audit_page.model.rowCount() == before + 1  # read again, without a reload by hand


def test_a_file_saved_in_the_editor_refreshes_its_row_in_place(
    qtbot, db, org, make_customer, window, boxes
):
    cid = _customer(db, org, make_customer)
    _customer(db, org, make_customer, "福建海峡物流有限公司")
    listing = window.customers
    model = listing.model
    model.reload()  # the files were made after the window opened
    reloads = []
    real_reload = model.reload
    model.reload = lambda: reloads.append(1) or real_reload()  # type: ignore[method-assign]
    row = model.row_of(cid)
    editor = window.open_customer(cid)
    qtbot.addWidget(editor)
    data = editor.value()
    assert data.industry == "retail" and model.row_data(row).industry == "retail"
    data.industry = "manufacturing"
    saved = operations.run(
        editor,
        lambda: cs.save_customer(db, org.sup_a, data, cid, editor.record.version),
    )
    assert saved is not None and saved.rows_only(Kind.CUSTOMER)
    assert model.row_data(row).industry == "manufacturing"
    assert reloads == []  # only that row was read again

    # a new file may go anywhere in the order: the list runs its query again
    new = operations.run(
        listing,
        lambda: cs.save_customer(
            db,
            org.sup_a,
            make_customer("阿里物流有限公司", manager=org.mgr_a1, nature="individual"),
        ),
    )
    assert reloads == [1]
    new_id = new.first(Kind.CUSTOMER)
    assert model.id_at(listing.table.currentIndex().row()) == new_id


def test_a_visit_logged_from_a_file_shows_on_the_visits_page(
    qtbot, db, org, make_customer, window, boxes
):
    from datetime import UTC, datetime

    from kac_desktop.rules.visits import VisitData
    from kac_desktop.services import visits as vs

    cid = _customer(db, org, make_customer)
    visits = window.visits
    assert visits.model.rowCount() == 0
    editor = window.open_customer(cid)
    qtbot.addWidget(editor)
    operations.run(
        editor,
        lambda: vs.log_visit(
            db,
            org.sup_a,
            VisitData(customer_id=cid, visited_at=datetime.now(UTC), summary="上门拜访"),
        ),
    )
    assert visits.model.rowCount() == 1
