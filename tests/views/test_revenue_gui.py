"""The 收入与积分 page, the customer file's revenue tab, the revenue import dialog and the
product-line settings."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from kac_desktop.io.workbook import write_table
from kac_desktop.models import Revenue
from kac_desktop.rules import points as rules
from kac_desktop.rules.clock import business_today
from kac_desktop.services import revenue
from kac_desktop.services.changes import Kind
from kac_desktop.views import revenue_import as dialog_module
from kac_desktop.views import revenue_page as page_module
from kac_desktop.views.product_lines import ProductLinesBox
from kac_desktop.views.revenue_import import RevenueImportDialog
from kac_desktop.views.revenue_page import RevenuePage
from kac_desktop.views.revenue_tab import RevenueTab

CODES = ["91350100M000100Y43", "91110000600037341L"]

TODAY = business_today()
LAST = rules.add_months(rules.month_of(TODAY), -1)
YEAR = LAST // 100


@pytest.fixture
def customers(db, org, two_customers):
    a, b = two_customers
    revenue.set_month(db, org.mgr_a1, a, LAST, {"letters": D("60000")})
    revenue.set_month(db, org.mgr_a1, b, LAST, {"express": D("100")})
    return a, b


@pytest.fixture
def messages(monkeypatch):
    shown = []
    for module in (dialog_module, page_module):
        for kind in ("information", "warning"):
            monkeypatch.setattr(
                module.QMessageBox,
                kind,
                lambda parent, title, text, *a, _k=kind, **kw: shown.append((_k, text)),
            )
    return shown


def test_page_lists_points_levels_and_the_batch_review(qtbot, qtmodeltester, db, org, customers):
    page = RevenuePage(db, org.sup_a, today=TODAY)
    qtbot.addWidget(page)
    qtmodeltester.check(page.model)
    assert page.model.rowCount() == 2
    first = [page.model.index(0, c).data() for c in range(page.model.columnCount())]
    assert first[0] == "福州华闽贸易有限公司" and first[2] == "60,000" and first[3] == "贵宾"
    assert first[4] == "差90,000分到黄金"
    page.mismatch.setChecked(True)
    assert page.model.rowCount() == 1
    page.table.selectRow(0)
    change = page.confirm_selected(ask=False)
    assert change is not None and change.ids(Kind.TIER) == {customers[0]}
    assert page.model.rowCount() == 0
    page.mismatch.setChecked(False)
    assert page.model.index(0, 6).data() == "贵宾" and "林支局长" in page.model.index(0, 7).data()


def test_a_manager_has_no_confirm_button(qtbot, db, org, customers):
    page = RevenuePage(db, org.mgr_a1, today=TODAY)
    qtbot.addWidget(page)
    assert page.confirm_button.isHidden()


def test_alerts_and_manager_completion_tabs(qtbot, db, org, customers):
    page = RevenuePage(db, org.sup_a, today=TODAY)
    qtbot.addWidget(page)
    page.tabs.setCurrentIndex(1)
    assert page.managers_model.rowCount() == 1
    assert page.managers_model.index(0, 0).data() == "陈经理"
    page.tabs.setCurrentIndex(2)
    assert "提醒" in page.alerts_note.text()


def test_revenue_tab_shows_points_and_level_in_chinese_and_corrects_a_month(
    qtbot, qtmodeltester, db, org, customers
):
    tab = RevenueTab(db, org.mgr_a1, customers[0], today=TODAY)
    qtbot.addWidget(tab)
    qtmodeltester.check(tab.model)
    assert tab.model.rowCount() == 24 and tab.model.index(0, 0).data() == "60,000.00"
    assert tab.labels["points"].text().startswith("60,000")
    assert tab.labels["level"].text() == "贵宾"
    assert tab.labels["gap"].text() == "差90,000分到黄金"
    assert tab.model.headerData(0, page_module.Qt.Orientation.Horizontal) == "函件"
    tab.edit_month(LAST, {"letters": D("150000")})
    assert tab.labels["level"].text() == "黄金"
    grab = tab.grab()
    assert not grab.isNull()


def test_revenue_tab_in_the_customer_file_only_when_saved(qtbot, db, org, customers):
    from kac_desktop.views.customer_editor import CustomerEditor

    editor = CustomerEditor(db, org.mgr_a1, customers[0])
    qtbot.addWidget(editor)
    titles = [editor.tabs.tabText(i) for i in range(editor.tabs.count())]
    assert "收入与积分" in titles
    new = CustomerEditor(db, org.mgr_a1, None)
    qtbot.addWidget(new)
    assert "收入与积分" not in [new.tabs.tabText(i) for i in range(new.tabs.count())]


def _count(db):
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Revenue))


def test_import_dialog_preview_rejections_and_import(qtbot, db, org, customers, tmp_path, messages):
    path = tmp_path / "rev.xlsx"
    write_table(
        path,
        ["信用代码", "单位名称", "账期", "业务", "金额"],
        [
            [CODES[0], "", LAST, "函件", 100],
            [CODES[1], "", LAST, "彩票", 5],
        ],
        title="收入",
    )
    before = _count(db)
    dialog = RevenueImportDialog(db, org.mgr_a1)
    qtbot.addWidget(dialog)
    changes = []
    dialog.imported.connect(changes.append)
    dialog.open_file(str(path))
    assert dialog.combos["month"].currentText() == "账期"
    assert dialog.rows_model.rowCount() == 1 and dialog.rejections_model.rowCount() == 1
    assert dialog.rejections_model.index(0, 1).data() == "业务"
    assert not dialog.import_all.isEnabled() and dialog.import_valid.isEnabled()
    out = tmp_path / "rejected.xlsx"
    dialog.save_rejections(str(out))
    assert out.exists()
    assert _count(db) == before
    result = dialog.run_import(skip_invalid=True)
    assert result.ok and changes and changes[0].touches(Kind.REVENUE)
    # the month of customer 0 is replaced: 60,000 → 100
    assert _count(db) == before
    assert messages[-1][0] == "information"


def test_product_lines_admin_edits_others_read(qtbot, db, org, customers):
    box = ProductLinesBox(db, org.sup_a)
    qtbot.addWidget(box)
    assert box.save_button.isHidden() and not box.factors["letters"].isEnabled()
    admin = ProductLinesBox(db, org.admin)
    qtbot.addWidget(admin)
    assert not admin.earns["finance"].isChecked()
    admin.factors["letters"].setValue(2)
    admin.save()
    [row] = revenue.fetch_rows(db, org.sup_a, YEAR, [customers[0]])
    assert row.points == 120_000
