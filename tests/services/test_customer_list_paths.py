"""The customer list's fast paths give exactly the rows of the plain query.

services/customer_list.py answers the first page of a list by several plans (an index walk in
display order, a lookup through the trigram index and its vocabulary, a walk of the branches
or managers in name order) and services/list_cache.py answers searches from memory.  Each
plan is forced here on a small database and compared with ``list_keys``, the plain ordered
query, for every sort, both directions and the two kinds of scope."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import text
from test_customer_service import SORT_KEYS as SORTS  # the list's columns' sort keys

from kac_desktop.db import cipher, open_database
from kac_desktop.models import Branch, User
from kac_desktop.rules.credit_code import make_credit_code
from kac_desktop.rules.customer import ContactData, CustomerData
from kac_desktop.rules.search_keys import SEPARATOR, normalise_query
from kac_desktop.services import customer_list, list_cache
from kac_desktop.services import customers as cs
from kac_desktop.services.context import Actor
from kac_desktop.services.customers import CustomerQuery
from kac_desktop.services.list_cache import ListCache
from kac_desktop.services.users import ensure_reference_data

N = 240
CITIES = ["福州", "厦门", "泉州", "漳州", "莆田", "宁德", "阿坝", "中山"]
TRADES = ["贸易", "物流", "科技", "医药", "鑫淼", "电子"]
TIERS = ["diamond", "platinum", "gold", "vip", "ordinary"]
# common, clustered, rare, absent, one character, pinyin, initials, digits
TERMS = [
    "福州",
    "有限",
    "中山",
    "鑫淼",
    "阿坝物",
    "华",
    "福",
    "z",
    "zs",
    "zsdz",
    "138",
    "0",
    "无此户",
]


def _actor(session, login, name, role, branch) -> Actor:
    user = User(login=login, display_name=name, role=role, branch_id=branch.id)
    session.add(user)
    session.flush()
    return Actor(user.id, login, name, role, branch.id, branch.name)


def _file(i: int, keeper: Actor) -> CustomerData:
    return CustomerData(
        name=f"{CITIES[i % len(CITIES)]}{TRADES[i % len(TRADES)]}{i:03d}有限公司",
        credit_code=make_credit_code("91350100MA" + f"{i:06d}"),
        kind=("key", "important", "potential")[i % 3],
        industry=("retail", "logistics")[i % 2],
        address="福州市鼓楼区五四路100号",
        area=("city", "rural")[i % 2],
        manager_id=keeper.user_id,
        branch_id=keeper.branch_id,
        business_scope="" if i % 5 == 0 else "批发零售",
        cooperation_start=date(2020, 1, 1),
        product_lines=["letters"],
        tier=TIERS[i % len(TIERS)],
        contacts=[ContactData(name=f"联系人{i % 17}", role="key_person", mobile=f"138{i:08d}")],
    )


@pytest.fixture(scope="module")
def lists(tmp_path_factory):
    db = open_database(tmp_path_factory.mktemp("lists") / "lists.db")
    with db.session() as session, session.begin():
        ensure_reference_data(session)
        a = Branch(name="鼓楼支局", level="sub")
        b = Branch(name="仓山支局", level="sub")
        session.add_all([a, b])
        session.flush()
        admin = _actor(session, "adm", "管理员", "admin", a)
        sup = _actor(session, "sup", "林支局长", "supervisor", a)
        keepers = [
            _actor(session, "m1", "陈经理", "manager", a),
            _actor(session, "m2", "王经理", "manager", a),
            _actor(session, "m3", "陈经理", "manager", b),  # the same name: a tie
        ]
    for i in range(N):
        cs.save_customer(db, admin, _file(i, keepers[i % 3]))
    yield SimpleNamespace(db=db, admin=admin, sup=sup, manager=keepers[0])
    db.dispose()


def _expected(lists, actor, q):
    return customer_list.list_keys(lists.db, actor, q)


def test_search_texts_end_with_the_separator(lists):
    with lists.db.session() as session:
        texts = session.execute(text("SELECT text FROM customer_search")).scalars().all()
    assert len(texts) == N and all(t.endswith(SEPARATOR) for t in texts)


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("descending", [False, True])
def test_the_first_page_of_every_sort_is_the_start_of_the_list(lists, sort, descending):
    for actor in (lists.admin, lists.manager):
        q = CustomerQuery(sort=sort, descending=descending)
        expected = _expected(lists, actor, q)
        for size in (1, 7, 40, N):
            page = customer_list.first_page(lists.db, actor, q, size)
            assert page.keys == expected[: len(page.keys)]
            assert page.complete == (len(expected) <= size) or page.keys == expected
            assert len(page.keys) == min(size, len(expected)) or page.complete
            assert [r.id for r in page.rows] == customer_list.query_ids(lists.db, actor, q)[
                : len(page.rows)
            ]


@pytest.mark.slow
@pytest.mark.parametrize("limits", [(4_000, 20_000), (0, 20_000), (10**9, 20_000), (0, 5)])
def test_every_search_plan_gives_the_lists_rows(lists, monkeypatch, limits):
    """Lookup through the index (a high limit), walking (none), and a walk that gives up."""
    monkeypatch.setattr(customer_list, "LOOKUP_LIMIT", limits[0])
    monkeypatch.setattr(customer_list, "_WALK_LIMIT", limits[1])
    for term in TERMS:
        for sort in ("name", "tier", "manager", "branch"):
            for descending in (False, True):
                for actor in (lists.admin, lists.sup, lists.manager):
                    q = CustomerQuery(search=term, sort=sort, descending=descending)
                    expected = _expected(lists, actor, q)
                    page = customer_list.first_page(lists.db, actor, q, 10)
                    if page.complete:
                        assert page.keys == expected, (term, sort, descending)
                    else:
                        assert page.keys == expected[:10], (term, sort, descending)


def test_a_two_character_search_finds_the_end_of_every_part(lists):
    """The trigram index answers two characters through the trigrams starting with them:
    the separator after each part makes the last two characters of a part such a start."""
    with lists.db.session() as session:
        rows = session.execute(text("SELECT text FROM customer_search")).scalars().all()
    ends = {part[-2:] for t in rows for part in t.split(SEPARATOR) if len(part) >= 2}
    for end in sorted(ends)[:60]:
        q = CustomerQuery(search=end)
        with lists.db.session() as session:
            found = customer_list._lookup(session, end)
        assert found.match is not None and found.bound  # the index answers it
        like = [k for k in _expected(lists, lists.admin, q)]
        page = customer_list.first_page(lists.db, lists.admin, q, N)
        assert page.keys == like and page.keys, end


def test_the_vocabulary_bounds_the_matches(lists):
    with lists.db.session() as session:
        for term in TERMS:
            needle = normalise_query(term)
            found = customer_list._lookup(session, needle)
            actual = len(_expected(lists, lists.admin, CustomerQuery(search=term, archived=None)))
            if found.bound is not None:
                assert found.bound >= actual, term
            if found.bound == 0:
                assert actual == 0


def test_a_newer_query_cancels_the_whole_list_while_sqlite_works(lists, monkeypatch):
    from kac_desktop.progress import Cancelled

    with pytest.raises(Cancelled):  # superseded before it started
        customer_list.list_keys(
            lists.db, lists.admin, CustomerQuery(sort="visit_class"), lambda: True
        )
    monkeypatch.setattr(customer_list, "PROGRESS_STEPS", 10)
    looks = []

    def cancelled() -> bool:  # superseded while SQLite works
        looks.append(1)
        return len(looks) > 3

    with pytest.raises(Cancelled):
        customer_list.list_keys(lists.db, lists.admin, CustomerQuery(sort="visit_class"), cancelled)
    # and the connection is usable afterwards
    assert len(customer_list.list_keys(lists.db, lists.admin, CustomerQuery())) == N


# ---------------------------------------------------------------- the search cache


@pytest.mark.parametrize(
    "scan_first, index_limit", [(0.2, 3_000), (0.01, 10**9), (1.0, 0), (0.01, 0)]
)
def test_the_cache_answers_searches_as_the_sql_does(lists, monkeypatch, scan_first, index_limit):
    """Whichever way it finds them — scanning from the top, the trigram index naming the
    customers, scanning on — the cache gives the SQL's rows."""
    # the rows scanned before the index is asked: that share of the list
    monkeypatch.setattr(list_cache, "SCAN_FIRST_ROWS", max(1, int(scan_first * N)))
    monkeypatch.setattr(list_cache, "INDEX_LIMIT", index_limit)
    named = []
    indexed = list_cache.ListCache._indexed
    monkeypatch.setattr(
        list_cache.ListCache,
        "_indexed",
        lambda self, needle, snap: named.append(needle) or indexed(self, needle, snap),
    )
    for actor in (lists.admin, lists.sup, lists.manager):
        cache = ListCache(lists.db, actor)
        assert cache.first(CustomerQuery(search="福州"), 5) is None  # not built yet
        assert cache.build() and cache.ready()
        for typed in ("福州", "zsdz", "138", "鑫淼0", "a", "无"):
            for n in range(1, len(typed) + 1):  # typed a character at a time: narrowing
                for descending in (False, True):
                    q = CustomerQuery(search=typed[:n], descending=descending)
                    expected = _expected(lists, actor, q)
                    first = cache.first(q, 10)
                    assert first is not None
                    if first.complete:
                        assert first.keys == expected
                    else:
                        assert first.keys == expected[:10] and len(expected) > 10
                    assert cache.all(q) == expected
                    cache._last = None  # and again from nothing (not narrowing)
                    assert cache.all(q) == expected
        cache.close()
    assert named or scan_first == 1.0


def test_the_cache_answers_only_the_default_list(lists):
    cache = ListCache(lists.db, lists.admin)
    cache.build()
    assert cache.first(CustomerQuery(search="福州", tier="gold"), 10) is None
    assert cache.first(CustomerQuery(search="福州", sort="tier"), 10) is None
    assert cache.first(CustomerQuery(search="福州", archived=None), 10) is None
    assert cache.first(CustomerQuery(), 10) is None  # no search: the SQL walk
    cache.close()


def test_the_cache_goes_stale_when_the_database_changes(lists, tmp_path):
    """Another connection's commit (here: another process's, through sqlite3) makes the
    cache stale; built again it sees the change."""
    cache = ListCache(lists.db, lists.admin)
    cache.build()
    q = CustomerQuery(search="福州")
    before = cache.all(q)
    assert before is not None
    first_key = before[0]
    raw = cipher.connect(lists.db.path)
    try:
        with raw:
            raw.execute(
                "UPDATE customer_search SET text = 'xx' || text WHERE customer_id = ?",
                (first_key,),
            )
        assert not cache.ready()
        assert cache.first(q, 10) is None and cache.all(q) is None
        cache.build()
        assert cache.first(replace(q, search="xx福州"), 10).keys == [first_key]
    finally:
        with raw:
            raw.execute("UPDATE customer_search SET text = substr(text, 3) WHERE text LIKE 'xx%'")
        raw.close()
        cache.close()


def test_the_cache_stops_when_cancelled(lists):
    from kac_desktop.progress import Cancelled

    cache = ListCache(lists.db, lists.admin)
    cache.build()
    with pytest.raises(Cancelled):
        cache.all(CustomerQuery(search="有限"), lambda: True)
    assert cache.all(CustomerQuery(search="有限")) == _expected(
        lists, lists.admin, CustomerQuery(search="有限")
    )
    cache.close()
