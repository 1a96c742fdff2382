"""The customer pages as a user meets them: the main window's list, its search, opening a
file, saving with the checks of docs/DOMAIN.md §2, closing with unsaved changes, who may edit
the tier, and the language of the list."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import text

from kac_desktop.i18n import _, set_language
from kac_desktop.rules.credit_code import credit_code_error, make_credit_code
from kac_desktop.rules.customer import ContactData
from kac_desktop.services import customers as cs
from kac_desktop.views import customer_editor
from kac_desktop.views.customer_editor import CustomerEditor
from kac_desktop.views.customer_list import COLUMNS, CustomerTableModel
from kac_desktop.views.main_window import MainWindow

CODE_A, CODE_B = "91350100M000100Y43", "91110000600037341L"
CJK = re.compile(r"[\u4e00-\u9fff]")
NAMES = [
    "福州华闽贸易有限公司",
    "阿里巴巴福州分公司",
    "北方物流有限公司",
    "长乐医院",
    "中国邮政集团福州市分公司",
]


@pytest.fixture
def files(db, org, make_customer) -> dict[str, str]:
    """name → id: five customers of 陈经理 (mgr_a1), one of 王经理."""
    ids = {}
    for i, name in enumerate(NAMES):
        code = CODE_A if i == 0 else ""
        nature = "enterprise" if code else "individual"
        data = make_customer(name, code=code, manager=org.mgr_a1, nature=nature)
        ids[name] = cs.save_customer(db, org.mgr_a1, data).ids[0]
    ids["王经理的客户"] = cs.save_customer(
        db, org.mgr_a2, make_customer("厦门海天科技有限公司", code=CODE_B, manager=org.mgr_a2)
    ).ids[0]
    return ids


def close_editors(window: MainWindow) -> None:
    for editor in window.findChildren(CustomerEditor):
        editor._dirty = False  # no question at teardown
        editor.close()


@pytest.fixture
def window(qtbot, db, org, files):
    window = MainWindow(db, org.mgr_a1)
    qtbot.addWidget(window, before_close_func=close_editors)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def warnings(monkeypatch) -> list[tuple[str, str]]:
    """The editor's warnings as (title, text), instead of modal boxes."""
    calls: list[tuple[str, str]] = []

    def warning(_parent, title, message, *args, **kwargs):
        calls.append((title, message))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(customer_editor.QMessageBox, "warning", warning)
    return calls


def customers_in_db(db) -> int:
    with db.session() as session:
        return session.scalar(text("SELECT count(*) FROM customers"))


def open_editors(window: MainWindow, customer_id: str | None = None) -> list[CustomerEditor]:
    """The window's editors on screen (earlier tests' windows may linger until deleted)."""
    return [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, CustomerEditor)
        and w.parent() is window
        and w.isVisible()
        and (customer_id is None or w.customer_id == customer_id)
    ]


def count_text(n: int) -> str:
    return _("{count} customers").format(count=f"{n:,}")


def shown_names(page) -> list[str]:
    return [page.model.data(page.model.index(r, 0)) for r in range(page.model.rowCount())]


# ---------------------------------------------------------------------- the list


def test_the_list_shows_the_managers_customers_and_their_count(window):
    """§7: a manager's list holds his own customers; the page says how many."""
    page = window.customers
    assert sorted(shown_names(page)) == sorted(NAMES)
    assert page.count.text() == count_text(len(NAMES))
    assert str(len(NAMES)) in page.count.text()
    assert str(len(NAMES)) in window.count_label.text()


def test_typing_in_the_search_box_narrows_the_list(qtbot, window):
    """Search by name also answers pinyin initials and pinyin."""
    page = window.customers
    qtbot.keyClicks(page.search, "huamin")
    assert shown_names(page) == ["福州华闽贸易有限公司"]
    assert page.count.text() == count_text(1)

    page.search.clear()
    assert page.model.rowCount() == len(NAMES)
    assert page.count.text() == count_text(len(NAMES))

    qtbot.keyClicks(page.search, "fz")  # initials: 福州… twice and 阿里巴巴福州…, 中国…福州…
    assert sorted(shown_names(page)) == sorted(
        ["福州华闽贸易有限公司", "阿里巴巴福州分公司", "中国邮政集团福州市分公司"]
    )
    qtbot.keyClicks(page.search, "hm")  # now "fzhm"
    assert shown_names(page) == ["福州华闽贸易有限公司"]

    page.search.clear()
    qtbot.keyClicks(page.search, "xiamen")  # 王经理's customer is not his
    assert shown_names(page) == []
    assert page.count.text() == count_text(0)


def test_double_click_opens_the_file(qtbot, window, files):
    page = window.customers
    row = page.model.row_of(files["北方物流有限公司"])
    rect = page.table.visualRect(page.model.index(row, 0))
    window.activateWindow()
    qtbot.waitActive(window)
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    [editor] = open_editors(window, files["北方物流有限公司"])
    assert editor.name.text() == "北方物流有限公司"
    assert editor.record is not None and editor.record.id == files["北方物流有限公司"]


def test_enter_opens_the_selected_file(qtbot, window, files):
    page = window.customers
    row = page.model.row_of(files["长乐医院"])
    page.table.selectRow(row)
    window.activateWindow()
    qtbot.waitActive(window)
    page.table.setFocus()
    qtbot.waitUntil(page.table.hasFocus)
    assert open_editors(window) == []
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    [editor] = open_editors(window)
    assert editor.customer_id == files["长乐医院"]
    assert editor.name.text() == "长乐医院"


# ---------------------------------------------------------------------- saving


def fill_new_file(editor: CustomerEditor, name: str, code: str) -> None:
    editor.name.setText(name)
    editor.credit_code.setText(code)
    editor.industry.set_value("logistics")
    editor.address.setText("福州市台江区八一七中路1号")
    editor.contacts_model.add(ContactData(name="赵强", role="key_person", mobile="13722223333"))


def test_an_invalid_credit_code_is_refused_then_the_fixed_file_is_listed(
    qtbot, db, window, warnings
):
    """§2 credit code with its GB 32100 check character; every bad input has a test
    that shows the clear error and that nothing was written"; the saved file appears in the
    open list (open views refresh from what changed)."""
    page = window.customers
    before = customers_in_db(db)
    editor = window.new_customer()
    assert open_editors(window) == [editor]
    fill_new_file(editor, "福州顺达物流有限公司", "91350100M000100Y44")  # last char wrong

    assert editor.save() is False
    assert len(warnings) == 1
    title, message = warnings[0]
    assert title == _("The file cannot be saved yet")
    assert credit_code_error("91350100M000100Y44") in message
    assert editor.credit_code.property("invalid") is True
    assert customers_in_db(db) == before
    assert page.model.rowCount() == len(NAMES)
    assert editor.isVisible()

    editor.credit_code.setText(make_credit_code("91350100MA000001"))
    with qtbot.waitSignal(editor.saved) as saved:
        assert editor.save() is True
    change = saved.args[0]
    assert change.created is True
    assert len(warnings) == 1
    assert customers_in_db(db) == before + 1
    assert "福州顺达物流有限公司" in shown_names(page)
    assert page.count.text() == count_text(len(NAMES) + 1)
    assert page.model.id_at(page.table.currentIndex().row()) == change.ids[0]
    assert editor.customer_id == change.ids[0]
    assert editor.contacts_model.contacts()[0].id  # reloaded from the database


def test_a_duplicate_is_refused_naming_the_keeper(qtbot, db, org, files, warnings):
    """§2 "No double development": show who keeps the existing file and refuse."""
    window = MainWindow(db, org.mgr_a2)
    qtbot.addWidget(window, before_close_func=close_editors)
    before = customers_in_db(db)
    editor = window.new_customer()
    fill_new_file(editor, "华闽商行", "9135 0100 m000 100y 43")  # 陈经理's code, typed loosely
    assert editor.save() is False
    [(title, message)] = warnings
    assert title == _("Customer already kept")
    assert "陈经理" in message and "鼓楼支局" in message
    assert editor.credit_code.property("invalid") is True
    assert customers_in_db(db) == before

    editor.credit_code.clear()
    editor.nature.set_value("individual")
    editor.name.setText("福州华闽贸易（集团）")
    assert editor.save() is False
    assert warnings[-1][0] == _("Customer already kept")
    assert "陈经理" in warnings[-1][1]
    assert customers_in_db(db) == before


# ---------------------------------------------------------------------- closing


def test_closing_with_unsaved_changes_asks_first(qtbot, window, files, monkeypatch):
    asked: list[str] = []
    answer = {"button": QMessageBox.StandardButton.Cancel}

    def question(_parent, title, *args, **kwargs):
        asked.append(title)
        return answer["button"]

    monkeypatch.setattr(customer_editor.QMessageBox, "question", question)
    editor = window.open_customer(files["长乐医院"])
    # ASCII only: QTest aborts the interpreter on a non-ASCII key (qasciikey.cpp assert)
    qtbot.keyClicks(editor.name, " 2")
    assert editor.is_dirty()

    editor.close()
    assert asked == [_("Unsaved changes")]
    assert editor.isVisible()
    assert open_editors(window, files["长乐医院"]) == [editor]

    answer["button"] = QMessageBox.StandardButton.Discard
    editor.close()
    assert len(asked) == 2
    assert open_editors(window, files["长乐医院"]) == []
    assert cs.get_customer(window.db, window.actor, files["长乐医院"]).data.name == "长乐医院"


def test_closing_an_unchanged_file_does_not_ask(qtbot, window, files, monkeypatch):
    asked: list[object] = []
    monkeypatch.setattr(
        customer_editor.QMessageBox,
        "question",
        lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Cancel,
    )
    editor = window.open_customer(files["长乐医院"])
    assert not editor.is_dirty()
    editor.close()
    assert asked == []
    assert open_editors(window, files["长乐医院"]) == []


# ---------------------------------------------------------------------- who may edit what


def test_a_managers_editor_cannot_confirm_the_tier(qtbot, db, org, files):
    """§2 "Tier": a supervisor confirms it; a manager sees it but cannot change it."""
    editor = CustomerEditor(db, org.mgr_a1, files["长乐医院"])
    qtbot.addWidget(editor)
    assert not editor.tier.isEnabled()
    assert not editor.class_override.isEnabled()
    assert not editor.manager.isEnabled()

    editor = CustomerEditor(db, org.sup_a, files["长乐医院"])
    qtbot.addWidget(editor)
    assert editor.tier.isEnabled()
    assert editor.class_override.isEnabled()
    assert editor.manager.isEnabled()


def test_the_editor_shows_the_visit_class_of_the_administrators_mapping(qtbot, db, org, files):
    """The list and the editor agree on a customer's visit class: both take the tier ->
    class mapping the administrator set (here 普通 → class 1), not the defaults (class 3)."""
    from kac_desktop.rules import vocab
    from kac_desktop.rules.defaults import DEFAULTS
    from kac_desktop.services import customer_list
    from kac_desktop.services import settings as settings_service

    mapping = {**DEFAULTS["visit_class.by_tier"], "ordinary": 1}
    settings_service.set_value(db, org.admin, "visit_class.by_tier", mapping)
    customer_id = files["长乐医院"]
    (row,) = customer_list.fetch_rows(db, org.sup_a, [customer_id])
    assert row.tier == "ordinary" and row.visit_class == 1  # the list
    editor = CustomerEditor(db, org.sup_a, customer_id)
    qtbot.addWidget(editor)
    assert editor.class_info.text() == vocab.label(vocab.VISIT_CLASSES, 1)
    assert editor.class_value.value() == 1
    editor._dirty = False


# ---------------------------------------------------------------------- language


def test_the_list_speaks_chinese(qtbot, window):
    """Simplified Chinese is the users' language; the headers
    and the count follow the catalogue, and switch with the language."""
    set_language("zh_CN")
    model: CustomerTableModel = window.customers.model
    headers = [model.headerData(i, Qt.Orientation.Horizontal) for i in range(len(COLUMNS))]
    assert headers[0] == _("Customer name")
    assert all(CJK.search(h) for h in headers), headers
    assert CJK.search(window.customers.count.text())

    set_language("en")
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Customer name"


def test_the_delegate_paints_what_the_roles_say(qtbot, window):
    """The list's delegate draws each cell from ``paint_row``: the same text and colour as
    the display and foreground roles, the selected row in the palette's highlight."""
    page = window.customers
    model = page.model
    for row in range(model.rowCount()):
        cells = model.paint_row(row)
        for column, (shown, colour) in enumerate(cells):
            index = model.index(row, column)
            assert shown == model.data(index)
            assert colour == model.data(index, Qt.ItemDataRole.ForegroundRole)
    page.table.selectRow(1)
    assert page.delegate._selected == {1}
    image = page.table.viewport().grab().toImage()
    rect = page.table.visualRect(model.index(1, 2))
    assert (
        image.pixelColor(rect.right() - 2, rect.center().y())
        == page.table.palette().highlight().color()
    )
    page.table.clearSelection()
    assert page.delegate._selected == set()


def test_searches_come_from_memory_once_the_cache_is_built(qtbot, window):
    """The default list's searches are answered by the search cache (services/list_cache.py)
    once built, with the same rows as the SQL path, and a saved change makes it stale."""
    page = window.customers
    source = page.model._source
    source.warm()
    qtbot.waitUntil(source.cache.ready, timeout=5_000)
    calls = []
    first = source.cache.first
    source.cache.first = lambda q, size: calls.append(q.search) or first(q, size)
    qtbot.keyClicks(page.search, "fz")
    assert calls and source.cache.first(page.current_query(), 48) is not None
    assert sorted(shown_names(page)) == sorted(
        ["福州华闽贸易有限公司", "阿里巴巴福州分公司", "中国邮政集团福州市分公司"]
    )
    assert page.count.text() == count_text(3)
