"""One set of searches — names, pinyin, initials, credit codes, contacts, phones — that gives
the same answers, in the same order, on a SQLite file and on a PostgreSQL server (each test
runs on both: tests/conftest.py).

The answers are worked out here in Python from the rules (``search_text``: the substring
the LIKE finds; ``name_sort_key`` then the id: the order, by code point as SQLite and Python
compare text).  A server whose database collates by its locale (en_US, zh_CN) would sort
阿紫 ("a zi") after 爱 ("ai"), ignoring the space; migration 0011 keeps code point order."""

from __future__ import annotations

import pytest

from kac_desktop.rules.credit_code import make_credit_code
from kac_desktop.rules.customer import ContactData
from kac_desktop.rules.search_keys import name_sort_key, normalise_query, search_text
from kac_desktop.services import audit, customer_list
from kac_desktop.services import customers as customer_service
from kac_desktop.services.changes import Kind
from kac_desktop.services.customers import CustomerQuery

# (name, contact, mobile): names whose pinyin keys sort differently by code point than by a
# locale's collation (spaces, digits, latin letters, polyphonic characters)
CUSTOMERS = [
    ("福州华闽贸易有限公司", "李明", "13805912345"),
    ("福建海峡物流有限公司", "王芳", "13959100001"),
    ("阿紫花店", "张三", "0591-87654321"),
    ("爱心药房", "赵丽", "13600000002"),
    ("3M中国福州分公司", "Tom Lee", "13800000003"),
    ("中国邮政EMS福州营业部", "陈经理", "13800000004"),
    ("重庆银行福州分行", "林涛", "13800000005"),
    ("绿地(福建)置业", "黄林涛", "13800000006"),
    ("ABC科技", "abc", "13800000007"),
    ("abd商贸", "ABD", "13800000008"),
    ("长乐长城电子", "长安", "13800000009"),
    ("鑫淼鑫贸易", "吴一", "13800000010"),
]
QUERIES = [
    "福州",  # name, several
    "fuzhou",  # pinyin
    "FuZhou",  # pinyin in capitals: folded
    "fz",  # initials
    "hmmy",  # initials of 华闽贸易
    "zgyzems",  # initials with latin kept whole
    "chongqing",  # the polyphonic 重 of 重庆
    "changle",  # 长乐
    "lv",  # ü as v
    "3m",  # digits and latin
    "abc",
    "ABD",  # latin in capitals
    "林涛",  # a contact, and the end of another
    "13800000",  # phones
    "0591 8765",  # a phone typed with a space
    "华闽（贸易）",  # punctuation dropped
    "鑫",  # one character
    "xinmiao",
    "无此户",  # none
    "z",
]


@pytest.fixture
def searched(db, org, make_customer):
    """The customers, with credit codes, saved through the service; name → id."""
    ids = {}
    for number, (name, contact, mobile) in enumerate(CUSTOMERS, start=1):
        data = make_customer(
            name,
            code=make_credit_code(f"91350100MA{number:06d}"),
            manager=org.mgr_a1,
            contacts=[
                ContactData(name=contact, role="key_person", mobile=mobile)
                if mobile.startswith("1")
                else ContactData(name=contact, role="key_person", phone=mobile)
            ],
        )
        made = customer_service.save_customer(db, org.mgr_a1, data)
        ids[name] = made.first(Kind.CUSTOMER)
    return ids


def _expected(ids, query: str) -> list[str]:
    needle = normalise_query(query)
    found = []
    for number, (name, contact, mobile) in enumerate(CUSTOMERS, start=1):
        code = make_credit_code(f"91350100MA{number:06d}")
        if needle in search_text(name, code, contact, mobile):
            found.append((name_sort_key(name), ids[name], name))
    return [entry[1] for entry in sorted(found)]


def test_every_search_finds_the_same_customers_in_the_same_order(db, org, searched):
    # one database for all the queries: saving the customers is the slow part
    for query in QUERIES:
        expected = _expected(searched, query)
        q = CustomerQuery(search=query)
        assert customer_list.list_keys(db, org.mgr_a1, q) == expected, query
        assert customer_list.query_ids(db, org.mgr_a1, q) == expected, query
        page = customer_list.first_page(db, org.mgr_a1, q, size=5)
        assert page.keys == expected[: len(page.keys)], query
        assert len(page.keys) >= min(5, len(expected)), query
        assert [row[0] for row in page.rows] == page.keys[:5], query
        backwards = CustomerQuery(search=query, descending=True)
        assert customer_list.list_keys(db, org.mgr_a1, backwards) == expected[::-1], query
    assert len(_expected(searched, "福州")) > 3 and _expected(searched, "无此户") == []

    # credit codes, whole and in part
    code = make_credit_code("91350100MA000003")
    for query in (code, code.lower(), code[:10], code[-6:]):
        keys = customer_list.list_keys(db, org.mgr_a1, CustomerQuery(search=query))
        assert keys == _expected(searched, query) and searched["阿紫花店"] in keys, query
    # the whole list
    keys = customer_list.list_keys(db, org.mgr_a1, CustomerQuery())
    assert keys == [
        searched[name] for name in sorted(searched, key=lambda n: (name_sort_key(n), searched[n]))
    ]
    assert keys.index(searched["阿紫花店"]) < keys.index(searched["爱心药房"])  # "a zi" < "ai"
    # by the contact's name: latin capitals before small letters, Chinese by code point (a
    # zh_CN or ICU collation puts "abc" before "ABD" and sorts hanzi by their pinyin)
    by_contact = customer_list.list_keys(db, org.mgr_a1, CustomerQuery(sort="contact"))
    contact_of = {name: contact for name, contact, _mobile in CUSTOMERS}
    assert by_contact == [
        searched[name]
        for name in sorted(searched, key=lambda n: (contact_of[n], name_sort_key(n), searched[n]))
    ]
    # the audit log's free-text search: A-Z as a-z, nothing else folded (SQLite's LIKE)
    seqs = audit.query_seqs(db, org.admin, audit.AuditQuery(text="MGR_A1"))
    assert seqs and seqs == audit.query_seqs(db, org.admin, audit.AuditQuery(text="mgr_a1"))
    families = [
        audit.query_seqs(db, org.admin, audit.AuditQuery(action=a))
        for a in ("customer.", "CUSTOMER.")
    ]
    assert len(families[0]) == len(CUSTOMERS) and families[1] == families[0]
    # other letters are not folded, on either database
    assert audit.query_seqs(db, org.admin, audit.AuditQuery(text="ＭＧＲ_Ａ1")) == []
