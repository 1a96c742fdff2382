"""The customer list's lazy table model and the contacts model (docs/ARCHITECTURE.md: big
lists page rows from a service query, sorting and filtering happen in SQL, every item
model passes pytest-qt's qtmodeltester)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt

from kac_desktop.db import open_database
from kac_desktop.models import Branch, User
from kac_desktop.rules.credit_code import make_credit_code
from kac_desktop.rules.customer import ContactData, CustomerData
from kac_desktop.rules.search_keys import name_sort_key
from kac_desktop.services import customer_list
from kac_desktop.services import customers as cs
from kac_desktop.services.context import Actor
from kac_desktop.services.customers import CustomerQuery, CustomerRow
from kac_desktop.services.users import ensure_reference_data
from kac_desktop.views.contacts import CONTACT_COLUMNS, ContactsModel
from kac_desktop.views.customer_list import (
    COLUMNS,
    FIRST_PAGE,
    PAGE_SIZE,
    CustomerTableModel,
    IdRole,
)
from tests.helpers import LIST_SORT_KEYS

N = 600  # more than two pages of PAGE_SIZE
CITIES = [
    "福州",
    "厦门",
    "泉州",
    "漳州",
    "莆田",
    "宁德",
    "南平",
    "三明",
    "龙岩",
    "阿坝",
    "北京",
    "中山",
]
TRADES = ["贸易", "物流", "科技", "医药", "食品", "建材", "电子", "服饰"]
TIERS = ["diamond", "platinum", "gold", "vip", "ordinary"]


def _actor(session, login, name, role, branch) -> Actor:
    user = User(login=login, display_name=name, role=role, branch_id=branch.id)
    session.add(user)
    session.flush()
    return Actor(user.id, login, name, role, branch.id, branch.name)


def _file(i: int, keeper: Actor) -> CustomerData:
    sparse = i % 7 == 0
    return CustomerData(
        name=f"{CITIES[i % len(CITIES)]}{TRADES[i % len(TRADES)]}{i:03d}有限公司",
        credit_code=make_credit_code("91350100MA" + f"{i:06d}"),
        kind=("key", "important", "potential")[i % 3],
        industry="retail",
        address="福州市鼓楼区五四路100号",
        area=("city", "rural")[i % 2],
        manager_id=keeper.user_id,
        branch_id=keeper.branch_id,
        business_scope="" if sparse else "批发零售",
        cooperation_start=date(2020, 1, 1),
        product_lines=["letters"],
        contract_no="" if sparse else f"HT-{i}",
        tier=TIERS[i % len(TIERS)],
        contacts=[ContactData(name=f"联系人{i}", role="key_person", mobile=f"139{i:08d}")],
    )


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A database of N customers of two managers, built once for the module (read only)."""
    db = open_database(tmp_path_factory.mktemp("big") / "big.db")
    with db.session() as session, session.begin():
        ensure_reference_data(session)
        branch = Branch(name="鼓楼支局", level="sub")
        session.add(branch)
        session.flush()
        sup = _actor(session, "sup_a", "林支局长", "supervisor", branch)
        mgr_1 = _actor(session, "mgr_a1", "陈经理", "manager", branch)
        mgr_2 = _actor(session, "mgr_a2", "王经理", "manager", branch)
    for i in range(N):
        cs.save_customer(db, sup, _file(i, (mgr_1, mgr_2)[i % 2]))
    yield SimpleNamespace(db=db, actor=sup, manager=mgr_1)
    db.dispose()


class Recorder:
    """The service calls the model makes, to see its paging."""

    def __init__(self, db, actor) -> None:
        self.db, self.actor = db, actor
        self.queries: list[CustomerQuery] = []
        self.fetches: list[list[str]] = []

    def query_ids(self, q: CustomerQuery) -> list[str]:
        self.queries.append(q)
        return customer_list.query_ids(self.db, self.actor, q)

    def fetch_rows(self, ids: list[str]) -> list[CustomerRow]:
        self.fetches.append(list(ids))
        return customer_list.fetch_rows(self.db, self.actor, ids)


@pytest.fixture
def recorder(big) -> Recorder:
    return Recorder(big.db, big.actor)


@pytest.fixture
def model(qtbot, recorder) -> CustomerTableModel:
    model = CustomerTableModel(recorder.query_ids, recorder.fetch_rows)
    model.set_query(CustomerQuery())
    return model


def test_the_column_keys_are_the_services_sort_keys():
    """tests/services/test_customer_service.py sorts by these keys (tests/helpers.py); the
    list's columns and the rows it shows must stay in step with it."""
    keys = [c.key for c in COLUMNS]
    assert keys == LIST_SORT_KEYS
    fields = set(CustomerRow._fields)
    assert set(keys) <= fields


@pytest.mark.slow
def test_customer_model_passes_the_model_tester(qtmodeltester, model):
    """Every item model passes pytest-qt's qtmodeltester — over more than two
    pages of rows."""
    assert model.rowCount() == N > 2 * PAGE_SIZE
    assert model.columnCount() == len(COLUMNS)
    qtmodeltester.check(model)


@pytest.mark.slow
def test_customer_model_passes_the_model_tester_after_sort_and_search(qtmodeltester, model):
    model.sort(
        COLUMNS.index(next(c for c in COLUMNS if c.key == "completeness")),
        Qt.SortOrder.DescendingOrder,
    )
    model.set_query(CustomerQuery(search="厦门", sort="tier"))
    assert 0 < model.rowCount() < N
    qtmodeltester.check(model)


def test_rows_are_fetched_a_page_at_a_time(model, recorder, big):
    """Rows are fetched lazily: the id list is read once; rows come a page at a time,
    only for the pages asked for, and each page once."""
    assert recorder.fetches == []
    ids = customer_list.query_ids(big.db, big.actor, CustomerQuery())

    beyond = PAGE_SIZE + 44
    assert (
        model.data(model.index(beyond, 0))
        == customer_list.fetch_rows(big.db, big.actor, [ids[beyond]])[0].name
    )
    assert recorder.fetches == [ids[PAGE_SIZE : 2 * PAGE_SIZE]]
    model.data(model.index(beyond + 1, 3))
    model.data(model.index(PAGE_SIZE, 1))
    assert len(recorder.fetches) == 1

    last = model.data(model.index(N - 1, 0))
    assert last == customer_list.fetch_rows(big.db, big.actor, [ids[-1]])[0].name
    assert recorder.fetches[-1] == ids[2 * PAGE_SIZE :]
    assert len(recorder.fetches) == 2


def test_data_beyond_the_first_page_matches_the_service(model, big):
    """Rows past the first page show the same values as the service's rows."""
    ids = customer_list.query_ids(big.db, big.actor, CustomerQuery())
    for row in (0, PAGE_SIZE - 1, PAGE_SIZE, 2 * PAGE_SIZE + 1, N - 1):
        [expected] = customer_list.fetch_rows(big.db, big.actor, [ids[row]])
        shown = [model.data(model.index(row, col)) for col in range(len(COLUMNS))]
        assert shown[0] == expected.name
        assert shown[1] == expected.credit_code
        assert (
            shown[COLUMNS.index(next(c for c in COLUMNS if c.key == "manager"))] == expected.manager
        )
        assert shown[-1] == f"{expected.completeness}%"
    assert model.data(model.index(N, 0)) is None


def test_id_role_returns_the_id(model, big):
    ids = customer_list.query_ids(big.db, big.actor, CustomerQuery())
    for row in (0, 1, PAGE_SIZE + 7, N - 1):
        for col in (0, len(COLUMNS) - 1):
            assert model.data(model.index(row, col), IdRole) == ids[row] == model.id_at(row)
    assert len(set(ids)) == N


def test_sort_reorders_through_the_service(qtbot, model, recorder, big):
    """Sorting happens in SQL: sort() re-runs the query with the
    column's key and direction and announces a new layout."""
    before = [model.id_at(r) for r in range(N)]
    with qtbot.waitSignals([model.layoutAboutToBeChanged, model.layoutChanged]):
        model.sort(0, Qt.SortOrder.DescendingOrder)
    assert recorder.queries[-1].sort == "name"
    assert recorder.queries[-1].descending is True
    after = [model.id_at(r) for r in range(N)]
    assert after != before
    assert sorted(after) == sorted(before)
    keys = [name_sort_key(model.data(model.index(r, 0))) for r in range(0, N, 37)]
    assert keys == sorted(keys, reverse=True)

    tier_column = COLUMNS.index(next(c for c in COLUMNS if c.key == "tier"))
    model.sort(tier_column, Qt.SortOrder.AscendingOrder)
    assert recorder.queries[-1].sort == "tier"
    rows = customer_list.fetch_rows(big.db, big.actor, [model.id_at(r) for r in range(N)])
    ranks = [TIERS.index(r.tier) for r in rows]
    assert ranks == sorted(ranks)
    assert ranks[0] == 0 and ranks[-1] == len(TIERS) - 1


def test_sort_keeps_the_filter(model, recorder):
    model.set_query(CustomerQuery(search="厦门"))
    count = model.rowCount()
    model.sort(
        COLUMNS.index(next(c for c in COLUMNS if c.key == "completeness")),
        Qt.SortOrder.DescendingOrder,
    )
    assert model.rowCount() == count
    assert recorder.queries[-1].search == "厦门"
    values = [int(model.data(model.index(r, len(COLUMNS) - 1)).rstrip("%")) for r in range(count)]
    assert values == sorted(values, reverse=True)
    assert values[0] > values[-1]


def test_set_query_with_a_search_updates_the_count(qtbot, model):
    """The search narrows the list and the page's count follows through countChanged."""
    expected = sum(1 for i in range(N) if i % len(CITIES) == 1)  # 厦门…
    with qtbot.waitSignal(model.countChanged) as signal:
        model.set_query(CustomerQuery(search="厦门"))
    assert signal.args == [expected]
    assert model.rowCount() == expected
    assert all("厦门" in model.data(model.index(r, 0)) for r in range(expected))

    with qtbot.waitSignal(model.countChanged) as signal:
        model.set_query(CustomerQuery(search="xiamen"))
    assert signal.args == [expected]

    with qtbot.waitSignal(model.countChanged) as signal:
        model.set_query(CustomerQuery(search="没有这个客户"))
    assert signal.args == [0]
    assert model.rowCount() == 0

    with qtbot.waitSignal(model.countChanged) as signal:
        model.reload()
    assert signal.args == [0]


def test_the_model_shows_only_the_actors_customers(qtbot, big):
    """§7: the model asks the service with the actor; a manager's list holds his own."""
    model = CustomerTableModel(
        lambda q: customer_list.query_ids(big.db, big.manager, q),
        lambda ids: customer_list.fetch_rows(big.db, big.manager, ids),
    )
    model.set_query(CustomerQuery())
    assert model.rowCount() == N // 2
    manager_column = COLUMNS.index(next(c for c in COLUMNS if c.key == "manager"))
    assert {model.data(model.index(r, manager_column)) for r in range(model.rowCount())} == {
        "陈经理"
    }


# ---------------------------------------------------------------------- contacts

CONTACTS = [
    ContactData(
        name="李明",
        role="key_person",
        mobile="13805912345",
        email="li@example.com",
        birthday=date(1980, 5, 17),
        id="c1",
    ),
    ContactData(name="周红", role="contact", phone="0591-87654321", id="c2"),
    ContactData(name="吴刚", role="leader", mobile="13511112222", notes="董事长"),
]


def test_contacts_model_passes_the_model_tester(qtmodeltester):
    model = ContactsModel(CONTACTS)
    assert model.rowCount() == 3
    qtmodeltester.check(model)
    model.add(ContactData(name="郑洁", role="contact", mobile="18977778888"))
    model.remove(0)
    model.replace(0, ContactData(name="周红", role="leader", phone="0591-87654321"))
    qtmodeltester.check(model)
    assert model.rowCount() == 3


def test_contacts_model_shows_and_returns_the_contacts():
    model = ContactsModel(CONTACTS)
    column = {key: i for i, (key, _title) in enumerate(CONTACT_COLUMNS)}
    assert model.data(model.index(0, column["name"])) == "李明"
    assert model.data(model.index(0, column["birthday"])) == "1980-05-17"
    assert model.data(model.index(1, column["birthday"])) == ""
    assert model.data(model.index(1, column["phone"])) == "0591-87654321"
    assert model.contacts() == CONTACTS
    # the model keeps copies: editing what it returned does not change it
    model.contacts()[0].name = "改了"
    assert model.contact(0).name == "李明"


# ---------------------------------------------------------------------- the fast path


def test_the_sql_source_shows_a_first_page_then_the_whole_list(qtbot, qtmodeltester, big):
    """A long list shows its first page at once; the whole ordered list and the count come
    from a worker thread and match the service's query."""
    from kac_desktop.views.customer_list import SqlListSource

    model = CustomerTableModel(source=SqlListSource(big.db, big.actor))
    with qtbot.waitSignal(model.countChanged, timeout=10_000) as signal:
        model.set_query(CustomerQuery())
        assert model.rowCount() in (FIRST_PAGE, N)
    assert signal.args == [N]
    assert model.rowCount() == N and model.complete
    ids = customer_list.query_ids(big.db, big.actor, CustomerQuery())
    assert [model.id_at(r) for r in range(N)] == ids
    qtmodeltester.check(model)

    column = COLUMNS.index(next(c for c in COLUMNS if c.key == "completeness"))
    model.sort(column, Qt.SortOrder.DescendingOrder)
    assert model.rowCount() == N
    assert model.wait_until_complete(10)
    expected = customer_list.query_ids(big.db, big.actor, CustomerQuery(sort="completeness", descending=True))
    assert [model.id_at(r) for r in range(N)] == expected
    assert model.row_of(expected[-1]) == N - 1

    model.set_query(CustomerQuery(search="厦门"))  # 50 matches: one page, no worker
    assert model.complete and model.rowCount() == sum(1 for i in range(N) if i % 12 == 1)


def test_a_newer_query_supersedes_an_older_result(qtbot, big):
    from kac_desktop.views.customer_list import SqlListSource

    model = CustomerTableModel(source=SqlListSource(big.db, big.actor))
    counts: list[int] = []
    model.countChanged.connect(counts.append)
    model.set_query(CustomerQuery())
    model.set_query(CustomerQuery(search="有限"))  # every one: a full first page again
    assert model.wait_until_complete(10)
    qtbot.wait(200)  # the first query's result, if any, arrives and is dropped
    assert counts == [N]
    assert model.rowCount() == N


def test_the_selection_follows_its_customer_through_a_sort(qtbot, model):
    """After a sort the selected row is the same customer in its new place, so that Enter
    opens the file the user chose."""
    from PySide6.QtWidgets import QTableView

    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.selectRow(3)
    chosen = model.id_at(3)
    model.sort(0, Qt.SortOrder.DescendingOrder)
    current = view.currentIndex()
    assert current.isValid() and current.row() != 3
    assert model.id_at(current.row()) == chosen
    assert [model.id_at(i.row()) for i in view.selectionModel().selectedRows()] == [chosen]


def test_a_selection_beyond_the_first_page_is_never_another_customer(qtbot, big):
    """On a long list the new order beyond the first page arrives from the worker: until
    then a selected customer who moved there is no longer selected (not some other one)."""
    from PySide6.QtWidgets import QTableView

    from kac_desktop.views.customer_list import SqlListSource

    model = CustomerTableModel(source=SqlListSource(big.db, big.actor))
    model.set_query(CustomerQuery())
    assert model.wait_until_complete()
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    for row, expect_kept in ((2, False), (N - 3, True)):
        model.sort(0, Qt.SortOrder.AscendingOrder)
        assert model.wait_until_complete()
        view.selectRow(row)
        chosen = model.id_at(row)
        model.sort(0, Qt.SortOrder.DescendingOrder)  # row 2 moves to the end, N - 3 to row 2
        current = view.currentIndex()
        if expect_kept:
            assert model.id_at(current.row()) == chosen and current.row() < FIRST_PAGE
        else:
            assert not current.isValid() or model.id_at(current.row()) == chosen
            assert model.wait_until_complete()
            assert chosen in {model.id_at(r) for r in range(N - 5, N)}


def test_sort_by_column_asks_for_the_new_order_once(qtbot, big):
    """QTableView.sortByColumn on a sorting view calls sort() twice; the list is asked for
    the new order once, and the selection survives both calls."""
    from PySide6.QtWidgets import QTableView

    from kac_desktop.views.customer_list import SqlListSource

    source = SqlListSource(big.db, big.actor)
    asked = []
    first_page = source.first_page
    source.first_page = lambda q: asked.append(q) or first_page(q)
    model = CustomerTableModel(source=source)
    model.set_query(CustomerQuery())
    assert model.wait_until_complete()
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
    view.setSortingEnabled(True)  # as the page sets it up: the list's order already
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert model.complete
    view.selectRow(N - 2)
    chosen = model.id_at(N - 2)
    asked.clear()
    view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert [(q.sort, q.descending) for q in asked] == [("name", True)]
    assert model.id_at(view.currentIndex().row()) == chosen
    assert view.currentIndex().row() == 1
