"""The customer service (services/customers.py) against docs/DOMAIN.md §2 "The customer file" and
§7 "Confidentiality", through the service layer only (no Qt)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from kac_desktop.db import open_database
from kac_desktop.models import AuditRecord, Customer
from kac_desktop.rules.clock import business_today
from kac_desktop.rules.completeness import completeness
from kac_desktop.rules.credit_code import make_credit_code
from kac_desktop.rules.customer import ContactData, CustomerData
from kac_desktop.rules.search_keys import name_sort_key
from kac_desktop.rules.tiers import visit_class
from kac_desktop.services import audit, customer_list
from kac_desktop.services import customers as cs
from kac_desktop.services.changes import Kind
from kac_desktop.services.customers import CustomerQuery
from kac_desktop.services.errors import (
    DuplicateCustomer,
    PermissionDenied,
    StaleRecord,
    ValidationFailed,
)
from tests.helpers import LIST_SORT_KEYS

# The sort keys of the customer list's columns (views/customer_list.COLUMNS), kept in
# tests/helpers.py so that the services tests stay Qt-free; tests/views checks the two agree.
SORT_KEYS = LIST_SORT_KEYS
TIER_RANK = {"diamond": 1, "platinum": 2, "gold": 3, "vip": 4, "ordinary": 5}
TABLES = ("customers", "contacts", "customer_search", "audit_records")
CODE_A, CODE_B = "91350100M000100Y43", "91110000600037341L"


def code(i: int) -> str:
    return make_credit_code("91350100MA" + f"{i:06d}")


def counts(db) -> dict[str, int]:
    with db.session() as session:
        return {t: session.scalar(text(f"SELECT count(*) FROM {t}")) for t in TABLES}


def audits(db, entity_id: str | None = None) -> list[AuditRecord]:
    with db.session() as session:
        stmt = select(AuditRecord).order_by(AuditRecord.seq)
        if entity_id:
            stmt = stmt.where(AuditRecord.entity_id == entity_id)
        records = list(session.scalars(stmt))
        session.expunge_all()
        return records


def create(db, actor, data) -> str:
    change = cs.save_customer(db, actor, data)
    return change.first(Kind.CUSTOMER)


def without_contact_ids(data: CustomerData) -> CustomerData:
    return dataclasses.replace(
        data, contacts=[dataclasses.replace(c, id=None) for c in data.contacts]
    )


def ids_of(db, actor, **query) -> list[str]:
    return customer_list.query_ids(db, actor, CustomerQuery(**query))


def full_file(manager) -> CustomerData:
    """A file with every field of docs/DOMAIN.md §2 filled in."""
    return CustomerData(
        name="福州华闽贸易有限公司",
        credit_code=CODE_A,
        kind="key",
        nature="enterprise",
        industry="retail",
        address="福州市鼓楼区五四路100号",
        area="city",
        branch_id=manager.branch_id,
        manager_id=manager.user_id,
        business_scope="批发零售",
        cooperation_start=date(2019, 3, 1),
        registered_on=date(2025, 3, 1),
        product_lines=["letters", "express", "philately"],
        express_kinds=["domestic", "same_city"],
        geo_scope="province",
        settlement="account",
        contract_no="HT-2024-001",
        contract_start=date(2024, 1, 1),
        contract_end=date(2026, 12, 31),
        tariff_discount="国内异地快递八五折",
        pickup_times="工作日 16:00–17:00",
        special_needs="周五加揽一次",
        credit_rating="AA",
        payment_record="按月结清",
        arrears=Decimal("1234.50"),
        tier="ordinary",
        visit_class_override=None,
        notes="老客户",
        contacts=[
            ContactData(
                name="李明",
                role="key_person",
                phone="0591-87654321",
                mobile="13805912345",
                email="liming@example.com",
                birthday=date(1980, 5, 17),
                notes="财务总监",
            ),
            ContactData(name="周红", role="contact", mobile="13600001111"),
        ],
    )


# ====================================================================== create and read


def test_create_returns_a_created_change_and_reads_back_every_field(db, org):
    """§2 "A file holds": every basic, business, preference, credit field and the contacts
    are kept as entered."""
    data = full_file(org.mgr_a1)
    change = cs.save_customer(db, org.mgr_a1, data)
    assert change.touches(Kind.CUSTOMER)
    assert change.new(Kind.CUSTOMER) == change.ids(Kind.CUSTOMER)
    assert len(change.ids(Kind.CUSTOMER)) == 1

    record = cs.get_customer(db, org.mgr_a1, change.first(Kind.CUSTOMER))
    assert record.id == change.first(Kind.CUSTOMER)
    assert without_contact_ids(record.data) == data
    assert all(c.id for c in record.data.contacts)
    assert record.manager_name == "陈经理"
    assert record.branch_name == "鼓楼支局"
    assert record.archived is False
    assert record.updated_by == "陈经理"


def test_create_cleans_the_credit_code_and_trims_text(db, org, make_customer):
    """§2: the credit code is stored in its normal form (spaces gone, upper case)."""
    data = make_customer(
        "  福州华闽贸易有限公司 ", code=" 91350100-m000100y43 ", manager=org.mgr_a1
    )
    cid = create(db, org.mgr_a1, data)
    record = cs.get_customer(db, org.mgr_a1, cid)
    assert record.data.name == "福州华闽贸易有限公司"
    assert record.data.credit_code == CODE_A


def test_a_file_without_credit_code_reads_back_as_entered(db, org, make_customer):
    """§2 nature 个人: an individual has no credit code; the file reads back as entered."""
    data = make_customer("个体户陈六", manager=org.mgr_a1, nature="individual")
    cid = create(db, org.mgr_a1, data)
    assert cs.get_customer(db, org.mgr_a1, cid).data.credit_code == ""


def test_saving_an_unchanged_file_writes_no_audit_record(db, org, make_customer):
    """§7: the audit records changes; a save that changes nothing leaves no record."""
    data = make_customer("个体户陈六", manager=org.mgr_a1, nature="individual")
    cid = create(db, org.mgr_a1, data)
    record = cs.get_customer(db, org.mgr_a1, cid)
    before = counts(db)
    cs.save_customer(db, org.mgr_a1, record.data, cid, record.version)
    assert counts(db) == before


def test_saving_an_unchanged_file_with_credit_code_writes_nothing(db, org, make_customer):
    """§7: a save that changes nothing leaves no audit record and keeps the version."""
    cid = create(db, org.mgr_a1, make_customer(code=CODE_A, manager=org.mgr_a1))
    record = cs.get_customer(db, org.mgr_a1, cid)
    before = counts(db)
    cs.save_customer(db, org.mgr_a1, record.data, cid, record.version)
    assert counts(db) == before
    assert cs.get_customer(db, org.mgr_a1, cid).version == record.version


# ====================================================================== update and audit


def _set_first_contact_mobile(d: CustomerData) -> None:
    d.contacts[0].mobile = "13912340000"


def _add_contact(d: CustomerData) -> None:
    d.contacts.append(ContactData(name="吴刚", role="leader", mobile="13511112222"))


def _remove_second_contact(d: CustomerData) -> None:
    del d.contacts[1]


FIELD_EDITS = [
    (
        "name",
        lambda d: setattr(d, "name", "福州华闽商贸有限公司"),
        ["福州华闽贸易有限公司", "福州华闽商贸有限公司"],
    ),
    (
        "address",
        lambda d: setattr(d, "address", "福州市台江区八一七中路1号"),
        ["福州市鼓楼区五四路100号", "福州市台江区八一七中路1号"],
    ),
    ("industry", lambda d: setattr(d, "industry", "ecommerce"), ["retail", "ecommerce"]),
    ("area", lambda d: setattr(d, "area", "rural"), ["city", "rural"]),
    (
        "cooperation_start",
        lambda d: setattr(d, "cooperation_start", date(2021, 7, 1)),
        ["2019-03-01", "2021-07-01"],
    ),
    (
        "product_lines",
        lambda d: setattr(d, "product_lines", ["letters", "express"]),
        [["letters", "express", "philately"], ["letters", "express"]],
    ),
    ("arrears", lambda d: setattr(d, "arrears", Decimal("99.90")), ["1234.50", "99.90"]),
    ("notes", lambda d: setattr(d, "notes", "已续签"), ["老客户", "已续签"]),
    (
        "contacts.changed",
        _set_first_contact_mobile,
        {"李明": {"mobile": ["13805912345", "13912340000"]}},
    ),
    ("contacts.added", _add_contact, ["吴刚"]),
    ("contacts.removed", _remove_second_contact, ["周红"]),
]


@pytest.mark.parametrize(
    ("field", "edit", "expected"), FIELD_EDITS, ids=[f[0] for f in FIELD_EDITS]
)
def test_each_change_is_audited_with_before_and_after(db, org, field, edit, expected):
    """§7: every change leaves an audit record (who, when, what) — field by field, with the
    value before and after."""
    cid = create(db, org.mgr_a1, full_file(org.mgr_a1))
    record = cs.get_customer(db, org.mgr_a1, cid)
    data = record.data
    edit(data)
    change = cs.save_customer(db, org.mgr_a1, data, cid, record.version)
    assert not change.new(Kind.CUSTOMER)
    assert change.ids(Kind.CUSTOMER) == {cid}

    last = audits(db, cid)[-1]
    assert last.action == "customer.update"
    assert last.user_login == "mgr_a1"
    assert last.details == {field: expected}
    after = cs.get_customer(db, org.mgr_a1, cid)
    assert without_contact_ids(after.data) == without_contact_ids(data)


def test_an_update_raises_the_version(db, org, make_customer):
    """Every change of a record raises its row version (optimistic locking)."""
    cid = create(db, org.mgr_a1, make_customer(code=CODE_A, manager=org.mgr_a1))
    record = cs.get_customer(db, org.mgr_a1, cid)
    record.data.address = "福州市仓山区"
    cs.save_customer(db, org.mgr_a1, record.data, cid, record.version)
    assert cs.get_customer(db, org.mgr_a1, cid).version == record.version + 1


# ====================================================================== no double development


def _full_width(text_: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text_)


@pytest.mark.parametrize(
    "typed",
    [
        CODE_A,
        "9135 0100 M000 100Y 43",
        CODE_A.lower(),
        _full_width(CODE_A),
        _full_width(CODE_A.lower()),
        "91350100-M000100Y4-3",
    ],
)
@pytest.mark.parametrize("other", ["mgr_a2", "mgr_b1"])
def test_same_credit_code_is_refused_naming_the_keeper(db, org, make_customer, typed, other):
    """§2 "No double development": the same credit code, however typed, may not be
    registered by another manager; the refusal names who keeps the file and where."""
    first = create(
        db, org.mgr_a1, make_customer("福州华闽贸易有限公司", code=CODE_A, manager=org.mgr_a1)
    )
    actor = getattr(org, other)
    before = counts(db)
    with pytest.raises(DuplicateCustomer) as caught:
        cs.save_customer(db, actor, make_customer("华闽商行", code=typed, manager=actor))
    existing = caught.value.existing
    assert existing.customer_id == first
    assert existing.same_credit_code is True
    assert existing.manager_name == "陈经理"
    assert existing.branch_name == "鼓楼支局"
    assert "陈经理" in caught.value.message
    assert "鼓楼支局" in caught.value.message
    assert counts(db) == before


@pytest.mark.parametrize(
    "variant",
    [
        "福州华闽贸易有限公司",
        "福州华闽贸易有限责任公司",
        "福州华闽贸易集团",
        "福州华闽贸易（集团）有限公司",
        "福州华闽贸易(集团)有限公司",
        " 福州 华闽 贸易 ",
        "福州华闽贸易股份有限公司",
    ],
)
def test_same_normalised_name_is_refused_for_an_individual(db, org, make_customer, variant):
    """§2 "No double development": the same name once normalised (spaces, brackets,
    suffixes 有限公司 / 有限责任公司 / 集团 / 股份) is the same customer, also when the second
    file is an individual without credit code."""
    create(db, org.mgr_a1, make_customer("福州华闽贸易有限公司", code=CODE_A, manager=org.mgr_a1))
    before = counts(db)
    with pytest.raises(DuplicateCustomer) as caught:
        cs.save_customer(
            db, org.mgr_b1, make_customer(variant, manager=org.mgr_b1, nature="individual")
        )
    assert caught.value.existing.same_credit_code is False
    assert caught.value.existing.manager_name == "陈经理"
    assert "陈经理" in caught.value.message and "鼓楼支局" in caught.value.message
    assert counts(db) == before


def test_full_width_latin_in_a_name_is_the_same_name(db, org, make_customer):
    """§2 "No double development": full-width and half-width forms are the same name."""
    create(db, org.mgr_a1, make_customer("福州ABC物流有限公司", code=CODE_A, manager=org.mgr_a1))
    with pytest.raises(DuplicateCustomer):
        cs.save_customer(
            db, org.mgr_a2, make_customer("福州ＡＢＣ物流", manager=org.mgr_a2, nature="individual")
        )


def test_a_different_name_is_not_a_duplicate(db, org, make_customer):
    """§2 "No double development" refuses only the same customer: a branch (分公司) of it
    or an unrelated name is registered."""
    create(db, org.mgr_a1, make_customer("福州华闽贸易有限公司", code=CODE_A, manager=org.mgr_a1))
    create(
        db, org.mgr_a2, make_customer("福州华闽贸易分公司", manager=org.mgr_a2, nature="individual")
    )
    create(db, org.mgr_b1, make_customer("厦门海天科技有限公司", code=CODE_B, manager=org.mgr_b1))
    assert len(ids_of(db, org.admin)) == 3


def test_an_archived_file_still_blocks_a_duplicate(db, org, make_customer):
    """§2 "No double development": archiving a file does not free the customer for
    another manager (only a supervisor's transfer does)."""
    cid = create(
        db, org.mgr_a1, make_customer("福州华闽贸易有限公司", code=CODE_A, manager=org.mgr_a1)
    )
    cs.set_archived(db, org.mgr_a1, cid, True)
    with pytest.raises(DuplicateCustomer) as by_code:
        cs.save_customer(db, org.mgr_a2, make_customer("华闽商行", code=CODE_A, manager=org.mgr_a2))
    assert by_code.value.existing.customer_id == cid
    with pytest.raises(DuplicateCustomer) as by_name:
        cs.save_customer(
            db,
            org.mgr_a2,
            make_customer("福州华闽贸易集团", manager=org.mgr_a2, nature="individual"),
        )
    assert by_name.value.existing.customer_id == cid


def test_a_file_is_not_its_own_duplicate(db, org, make_customer):
    """§2 "No double development" compares with *other* files: updating a file keeps its
    code and name."""
    cid = create(db, org.mgr_a1, make_customer(code=CODE_A, manager=org.mgr_a1))
    record = cs.get_customer(db, org.mgr_a1, cid)
    record.data.notes = "更新"
    cs.save_customer(db, org.mgr_a1, record.data, cid, record.version)
    assert cs.get_customer(db, org.mgr_a1, cid).data.notes == "更新"


def test_an_update_that_takes_another_files_code_is_refused(db, org, make_customer):
    """§2 "No double development" applies on update too."""
    create(db, org.mgr_a1, make_customer("福州华闽贸易有限公司", code=CODE_A, manager=org.mgr_a1))
    cid = create(db, org.mgr_a2, make_customer("北方物流有限公司", code=CODE_B, manager=org.mgr_a2))
    record = cs.get_customer(db, org.mgr_a2, cid)
    record.data.credit_code = CODE_A
    before = counts(db)
    with pytest.raises(DuplicateCustomer):
        cs.save_customer(db, org.mgr_a2, record.data, cid, record.version)
    assert counts(db) == before
    assert cs.get_customer(db, org.mgr_a2, cid).data.credit_code == CODE_B


# ====================================================================== bad input


def _bad_check_char(d: CustomerData) -> None:
    d.credit_code = CODE_A[:-1] + ("3" if CODE_A[-1] != "3" else "4")


BAD_INPUTS = [
    ("bad check character", _bad_check_char, {"credit_code"}),
    ("name too short", lambda d: setattr(d, "name", "华"), {"name"}),
    (
        "bad mobile in a contact",
        lambda d: setattr(d.contacts[0], "mobile", "1380591234"),
        {"contacts[0].mobile"},
    ),
    (
        "future cooperation date",
        lambda d: setattr(d, "cooperation_start", business_today() + timedelta(days=1)),
        {"cooperation_start"},
    ),
    (
        "three at once",
        lambda d: (
            setattr(d, "name", "华"),
            _bad_check_char(d),
            setattr(d.contacts[0], "mobile", "12"),
        ),
        {"name", "credit_code", "contacts[0].mobile"},
    ),
]


@pytest.mark.parametrize(("case", "spoil", "fields"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_invalid_new_file_is_refused_and_nothing_is_written(
    db, org, make_customer, case, spoil, fields
):
    """Every bad input has a test that shows the clear error and that nothing was
    written"; §2 credit code check character, name, contact mobile, cooperation date."""
    create(db, org.mgr_a1, make_customer("已有客户有限公司", code=CODE_B, manager=org.mgr_a1))
    data = make_customer("福州华闽贸易有限公司", code=CODE_A, manager=org.mgr_a1)
    spoil(data)
    before = counts(db)
    with pytest.raises(ValidationFailed) as caught:
        cs.save_customer(db, org.mgr_a1, data)
    assert {e.field for e in caught.value.errors} == fields
    for error in caught.value.errors:
        assert error.message and error.message in caught.value.message
    assert counts(db) == before


@pytest.mark.parametrize(("case", "spoil", "fields"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_invalid_update_is_refused_and_nothing_is_written(
    db, org, make_customer, case, spoil, fields
):
    """An update with bad input leaves the stored file as it was."""
    cid = create(
        db, org.mgr_a1, make_customer("福州华闽贸易有限公司", code=CODE_A, manager=org.mgr_a1)
    )
    stored = cs.get_customer(db, org.mgr_a1, cid)
    record = cs.get_customer(db, org.mgr_a1, cid)
    data = record.data
    spoil(data)
    before = counts(db)
    with pytest.raises(ValidationFailed) as caught:
        cs.save_customer(db, org.mgr_a1, data, cid, record.version)
    assert {e.field for e in caught.value.errors} == fields
    assert counts(db) == before
    assert cs.get_customer(db, org.mgr_a1, cid) == stored


# ====================================================================== stale records


def test_a_stale_version_is_refused_naming_who_changed_it(db, org, make_customer):
    """§7 (who changed what): saving over a file someone else changed meanwhile is refused,
    the message names who, and nothing is written."""
    cid = create(db, org.mgr_a1, make_customer(code=CODE_A, manager=org.mgr_a1))
    opened = cs.get_customer(db, org.mgr_a1, cid)

    by_supervisor = cs.get_customer(db, org.sup_a, cid)
    by_supervisor.data.address = "福州市鼓楼区杨桥路1号"
    cs.save_customer(db, org.sup_a, by_supervisor.data, cid, by_supervisor.version)
    current = cs.get_customer(db, org.admin, cid)

    opened.data.notes = "我的修改"
    before = counts(db)
    with pytest.raises(StaleRecord) as caught:
        cs.save_customer(db, org.mgr_a1, opened.data, cid, opened.version)
    assert caught.value.who == "林支局长"
    assert "林支局长" in caught.value.message
    assert counts(db) == before
    assert cs.get_customer(db, org.admin, cid) == current


def test_a_contact_change_makes_older_copies_stale(db, org, make_customer):
    """§7: a change of a contact is a change of the file; a copy opened before it is stale.
    (The supervisor was also the last to change the file, so only the contact differs.)"""
    data = make_customer(code=CODE_A, manager=org.mgr_a1)
    data.contacts.append(ContactData(name="周红", role="contact", mobile="13600001111"))
    cid = create(db, org.mgr_a1, data)
    first = cs.get_customer(db, org.sup_a, cid)
    first.data.notes = "支局长看过"
    cs.save_customer(db, org.sup_a, first.data, cid, first.version)

    opened = cs.get_customer(db, org.mgr_a1, cid)
    by_supervisor = cs.get_customer(db, org.sup_a, cid)
    by_supervisor.data.contacts[1].mobile = "13600002222"
    cs.save_customer(db, org.sup_a, by_supervisor.data, cid, by_supervisor.version)

    opened.data.notes = "我的修改"
    with pytest.raises(StaleRecord):
        cs.save_customer(db, org.mgr_a1, opened.data, cid, opened.version)
    assert cs.get_customer(db, org.admin, cid).data.contacts[1].mobile == "13600002222"


# ====================================================================== permissions (§7)


@pytest.fixture
def a1_file(db, org, make_customer) -> str:
    return create(
        db, org.mgr_a1, make_customer("福州华闽贸易有限公司", code=CODE_A, manager=org.mgr_a1)
    )


def test_a_manager_cannot_open_another_managers_customer(db, org, a1_file):
    """§7: managers see their own customers only."""
    for other in (org.mgr_a2, org.mgr_b1):
        with pytest.raises(PermissionDenied):
            cs.get_customer(db, other, a1_file)


def test_a_manager_cannot_update_another_managers_customer(db, org, a1_file):
    """§7: only authorised people may change customer information — neither keeping the
    keeper nor taking the file over."""
    stored = cs.get_customer(db, org.admin, a1_file)
    record = cs.get_customer(db, org.admin, a1_file)
    before = counts(db)
    record.data.notes = "改了"
    with pytest.raises(PermissionDenied):
        cs.save_customer(db, org.mgr_a2, record.data, a1_file, record.version)
    taken = dataclasses.replace(record.data, manager_id=org.mgr_a2.user_id)
    with pytest.raises(PermissionDenied):
        cs.save_customer(db, org.mgr_a2, taken, a1_file, record.version)
    with pytest.raises(PermissionDenied):
        cs.set_archived(db, org.mgr_a2, a1_file, True)
    with pytest.raises(PermissionDenied):
        cs.transfer_customer(db, org.mgr_a2, a1_file, org.mgr_a2.user_id)
    assert counts(db) == before
    assert cs.get_customer(db, org.admin, a1_file) == stored


def test_a_manager_cannot_create_for_another_manager(db, org, make_customer):
    """§1: a supervisor assigns customers; a manager keeps only his own."""
    before = counts(db)
    with pytest.raises(PermissionDenied):
        cs.save_customer(db, org.mgr_a1, make_customer(code=CODE_A, manager=org.mgr_a2))
    assert counts(db) == before


def test_a_manager_cannot_transfer(db, org, a1_file):
    """§2 "unless a supervisor transfers it": managers do not transfer files."""
    with pytest.raises(PermissionDenied):
        cs.transfer_customer(db, org.mgr_a1, a1_file, org.mgr_a2.user_id)
    record = cs.get_customer(db, org.mgr_a1, a1_file)
    moved = dataclasses.replace(record.data, manager_id=org.mgr_a2.user_id)
    with pytest.raises(PermissionDenied):
        cs.save_customer(db, org.mgr_a1, moved, a1_file, record.version)
    assert cs.get_customer(db, org.admin, a1_file).data.manager_id == org.mgr_a1.user_id


def test_a_supervisor_edits_and_transfers_within_his_branch(db, org, a1_file):
    """§1: a supervisor sees all customers of the branch, assigns and transfers them."""
    record = cs.get_customer(db, org.sup_a, a1_file)
    record.data.tier = "gold"
    record.data.address = "福州市鼓楼区杨桥路1号"
    cs.save_customer(db, org.sup_a, record.data, a1_file, record.version)
    changed = cs.get_customer(db, org.sup_a, a1_file)
    assert changed.data.tier == "gold"
    assert changed.tier_confirmed_by == "林支局长"
    assert changed.tier_confirmed_at is not None
    assert changed.updated_by == "林支局长"

    cs.transfer_customer(db, org.sup_a, a1_file, org.mgr_a2.user_id)
    assert cs.get_customer(db, org.mgr_a2, a1_file).data.manager_id == org.mgr_a2.user_id


def test_a_supervisor_cannot_touch_another_branch(db, org, a1_file, make_customer):
    """§7: supervisors see their branch only."""
    stored = cs.get_customer(db, org.admin, a1_file)
    record = cs.get_customer(db, org.admin, a1_file)
    before = counts(db)
    with pytest.raises(PermissionDenied):
        cs.get_customer(db, org.sup_b, a1_file)
    record.data.notes = "别的支局改的"
    with pytest.raises(PermissionDenied):
        cs.save_customer(db, org.sup_b, record.data, a1_file, record.version)
    with pytest.raises(PermissionDenied):
        cs.transfer_customer(db, org.sup_b, a1_file, org.mgr_b1.user_id)
    with pytest.raises(PermissionDenied):
        cs.set_archived(db, org.sup_b, a1_file, True)
    with pytest.raises(PermissionDenied):  # nor hand his own branch's file to branch B
        cs.transfer_customer(db, org.sup_a, a1_file, org.mgr_b1.user_id)
    with pytest.raises(PermissionDenied):  # nor create files for branch A
        cs.save_customer(
            db, org.sup_b, make_customer("厦门海天科技", code=CODE_B, manager=org.mgr_a2)
        )
    assert counts(db) == before
    assert cs.get_customer(db, org.admin, a1_file) == stored


def test_the_admin_may_do_everything(db, org, a1_file, make_customer):
    """§1 / §7: the city center sees everything and may change it."""
    record = cs.get_customer(db, org.admin, a1_file)
    record.data.tier = "diamond"
    cs.save_customer(db, org.admin, record.data, a1_file, record.version)
    other = create(db, org.admin, make_customer("厦门海天科技", code=CODE_B, manager=org.mgr_b1))
    cs.transfer_customer(db, org.admin, a1_file, org.mgr_b1.user_id)
    moved = cs.get_customer(db, org.admin, a1_file)
    assert moved.data.tier == "diamond"
    assert moved.data.manager_id == org.mgr_b1.user_id
    assert moved.data.branch_id == org.branch_b
    assert moved.branch_name == "仓山支局"
    cs.set_archived(db, org.admin, other, True)
    assert cs.get_customer(db, org.admin, other).archived is True


def test_a_manager_cannot_confirm_a_tier(db, org, a1_file):
    """§2 "Tier": the application suggests a tier, a supervisor confirms it (and services
    are the only place that checks permissions, docs/ARCHITECTURE.md)."""
    record = cs.get_customer(db, org.mgr_a1, a1_file)
    record.data.tier = "diamond"
    with pytest.raises(PermissionDenied):
        cs.save_customer(db, org.mgr_a1, record.data, a1_file, record.version)


def test_a_manager_cannot_override_the_visit_class(db, org, a1_file):
    """§2 "Visit class": a supervisor may override the class per customer."""
    record = cs.get_customer(db, org.mgr_a1, a1_file)
    record.data.visit_class_override = 1
    with pytest.raises(PermissionDenied):
        cs.save_customer(db, org.mgr_a1, record.data, a1_file, record.version)


# ====================================================================== a small population


@dataclass(frozen=True)
class Spec:
    name: str
    keeper: str  # the Org attribute of the manager
    code: str = ""
    kind: str = "key"
    nature: str = "enterprise"
    industry: str = "retail"
    area: str = "city"
    tier: str = "ordinary"
    override: int | None = None
    contact: str = "李明"
    mobile: str = "13805912345"
    sparse: bool = False  # leave the optional fields empty (low completeness)


SPECS = [
    Spec(
        "福州华闽贸易有限公司",
        "mgr_a1",
        CODE_A,
        "potential",
        industry="retail",
        tier="vip",
        contact="李明",
        mobile="13957681234",
    ),
    Spec(
        "阿里巴巴福州分公司",
        "mgr_a1",
        code(1),
        "key",
        industry="ecommerce",
        tier="diamond",
        contact="孙丽",
        mobile="13811112222",
    ),
    Spec(
        "北方物流有限公司",
        "mgr_a2",
        code(2),
        "important",
        industry="logistics",
        area="rural",
        tier="gold",
        override=1,
        contact="赵强",
        mobile="13722223333",
    ),
    Spec(
        "中国邮政集团福州市分公司",
        "mgr_b1",
        code(3),
        "key",
        nature="government",
        industry="government",
        tier="platinum",
        contact="王芳",
        mobile="13633334444",
    ),
    Spec(
        "厦门海天科技",
        "mgr_b1",
        code(4),
        "potential",
        industry="manufacturing",
        area="rural",
        contact="钱进",
        mobile="13544445555",
        sparse=True,
    ),
    Spec(
        "个体户陈六",
        "mgr_a2",
        "",
        "potential",
        nature="individual",
        industry="other",
        area="rural",
        override=2,
        contact="陈六",
        mobile="13366667777",
        sparse=True,
    ),
    Spec(
        "长乐医院",
        "mgr_a1",
        code(5),
        "important",
        industry="medical",
        tier="diamond",
        override=3,
        contact="郑洁",
        mobile="18977778888",
    ),
    Spec(
        "闽江学院",
        "mgr_b1",
        code(6),
        "important",
        nature="government",
        industry="education",
        tier="gold",
        contact="冯宇",
        mobile="15088889999",
    ),
]


def build(spec: Spec, org) -> CustomerData:
    keeper = getattr(org, spec.keeper)
    sparse = spec.sparse
    return CustomerData(
        name=spec.name,
        credit_code=spec.code,
        kind=spec.kind,
        nature=spec.nature,
        industry=spec.industry,
        address="福州市鼓楼区五四路100号",
        area=spec.area,
        manager_id=keeper.user_id,
        branch_id=keeper.branch_id,
        business_scope="" if sparse else "批发零售",
        cooperation_start=date(2020, 1, 1),
        product_lines=["letters", "express"],
        express_kinds=["domestic"],
        geo_scope="" if sparse else "regional",
        settlement="" if sparse else "account",
        contract_no="" if sparse else "HT-2024-001",
        pickup_times="" if sparse else "每天 16:00",
        credit_rating="" if sparse else "AA",
        tier=spec.tier,
        visit_class_override=spec.override,
        contacts=[
            ContactData(
                name=spec.contact, role="contact" if sparse else "key_person", mobile=spec.mobile
            )
        ],
    )


def populate(db, org) -> dict[str, tuple[Spec, str]]:
    """name → (spec, id); created by each branch's supervisor (tiers are his to confirm)."""
    created = {}
    for spec in SPECS:
        supervisor = org.sup_b if spec.keeper == "mgr_b1" else org.sup_a
        created[spec.name] = (spec, create(db, supervisor, build(spec, org)))
    return created


@pytest.fixture
def population(db, org) -> dict[str, tuple[Spec, str]]:
    """The population in the test's own database, for tests that change it."""
    return populate(db, org)


@pytest.fixture(scope="module")
def world(tmp_path_factory, build_org):
    """(db, org, population) shared by the tests that only read: the same two branches and
    people as conftest's ``org``, built once for the module."""
    database = open_database(tmp_path_factory.mktemp("world") / "world.db")
    org = build_org(database)
    yield database, org, populate(database, org)
    database.dispose()


def _ids(population, predicate=lambda spec: True) -> set[str]:
    return {cid for spec, cid in population.values() if predicate(spec)}


def test_each_sees_only_his_customers(world):
    """§7: managers see their own customers, supervisors their branch, the city center all."""
    db, org, population = world
    assert set(ids_of(db, org.mgr_a1)) == _ids(population, lambda s: s.keeper == "mgr_a1")
    assert set(ids_of(db, org.mgr_a2)) == _ids(population, lambda s: s.keeper == "mgr_a2")
    assert set(ids_of(db, org.mgr_b1)) == _ids(population, lambda s: s.keeper == "mgr_b1")
    assert set(ids_of(db, org.sup_a)) == _ids(population, lambda s: s.keeper.startswith("mgr_a"))
    assert set(ids_of(db, org.sup_b)) == _ids(population, lambda s: s.keeper == "mgr_b1")
    assert set(ids_of(db, org.admin)) == _ids(population)
    # rows are scoped too, not only the id list
    foreign = sorted(_ids(population, lambda s: s.keeper != "mgr_a1"))
    assert customer_list.fetch_rows(db, org.mgr_a1, foreign) == []
    # a filter cannot widen the scope
    assert ids_of(db, org.mgr_a1, manager_id=org.mgr_b1.user_id) == []
    assert ids_of(db, org.sup_a, branch_id=org.branch_b) == []


def test_archive_and_restore(db, org, population):
    """§2 "history … kept with the file": archiving keeps the file but takes it out of the
    working list; restoring brings it back; both are audited."""
    _spec, cid = population["长乐医院"]
    cs.set_archived(db, org.mgr_a1, cid, True)
    assert cid not in ids_of(db, org.mgr_a1)
    assert ids_of(db, org.mgr_a1, archived=True) == [cid]
    assert cid in ids_of(db, org.mgr_a1, archived=None)
    assert cs.get_customer(db, org.mgr_a1, cid).archived is True
    assert [r.archived for r in customer_list.fetch_rows(db, org.mgr_a1, [cid])] == [True]

    cs.set_archived(db, org.mgr_a1, cid, False)
    assert cid in ids_of(db, org.mgr_a1)
    assert ids_of(db, org.mgr_a1, archived=True) == []
    actions = [r.action for r in audits(db, cid)]
    assert actions[-2:] == ["customer.archive", "customer.restore"]


def test_transfer_changes_the_manager_and_is_audited(db, org, population):
    """§2 "unless a supervisor transfers it" and §7 "every change leaves an audit record"."""
    _spec, cid = population["阿里巴巴福州分公司"]
    change = cs.transfer_customer(db, org.sup_a, cid, org.mgr_a2.user_id)
    assert change.ids(Kind.CUSTOMER) == {cid}
    assert cid in ids_of(db, org.mgr_a2)
    assert cid not in ids_of(db, org.mgr_a1)
    with pytest.raises(PermissionDenied):
        cs.get_customer(db, org.mgr_a1, cid)
    record = cs.get_customer(db, org.mgr_a2, cid)
    assert record.manager_name == "王经理"
    last = audits(db, cid)[-1]
    assert last.action == "customer.transfer"
    assert last.user_login == "sup_a"
    assert last.details == {"manager": ["陈经理", "王经理"]}


def test_the_audit_chain_holds_and_shows_tampering(db, org, population):
    """§7 "Every change … leaves an audit record": the chain verifies after many operations
    and shows a record edited behind the application's back."""
    for name in ("福州华闽贸易有限公司", "阿里巴巴福州分公司", "长乐医院"):
        _spec, cid = population[name]
        record = cs.get_customer(db, org.sup_a, cid)
        record.data.notes = f"{name}的备注"
        cs.save_customer(db, org.sup_a, record.data, cid, record.version)
        cs.set_archived(db, org.sup_a, cid, True)
        cs.set_archived(db, org.sup_a, cid, False)
    cs.transfer_customer(db, org.sup_a, population["长乐医院"][1], org.mgr_a2.user_id)
    records = audits(db)
    assert len(records) >= len(SPECS) + 10
    with db.session() as session:
        assert audit.verify_chain(session) == []

    victim = records[len(records) // 2]
    with db.session() as session, session.begin():
        session.execute(
            text("UPDATE audit_records SET summary = :s WHERE seq = :q"),
            {"s": "篡改", "q": victim.seq},
        )
    with db.session() as session:
        assert audit.verify_chain(session) == [victim.seq]


def test_deleting_an_audit_record_breaks_the_chain(db, org, population):
    """§7: an audit record removed behind the application's back shows as a broken link."""
    records = audits(db)
    with db.session() as session, session.begin():
        session.execute(text("DELETE FROM audit_records WHERE seq = :q"), {"q": records[3].seq})
    with db.session() as session:
        assert audit.verify_chain(session) == [records[4].seq]


# ---------------------------------------------------------------------- search


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("华闽", {"福州华闽贸易有限公司"}),
        ("华闽贸易", {"福州华闽贸易有限公司"}),
        ("huamin", {"福州华闽贸易有限公司"}),
        ("HuaMin", {"福州华闽贸易有限公司"}),
        ("fzhm", {"福州华闽贸易有限公司"}),
        ("zgyz", {"中国邮政集团福州市分公司"}),
        ("M000100", {"福州华闽贸易有限公司"}),
        ("m000100y4", {"福州华闽贸易有限公司"}),
        ("赵强", {"北方物流有限公司"}),
        ("5768123", {"福州华闽贸易有限公司"}),
        ("139 5768", {"福州华闽贸易有限公司"}),
        ("福州", {"福州华闽贸易有限公司", "阿里巴巴福州分公司", "中国邮政集团福州市分公司"}),
        ("华%贸易", set()),
        ("华_贸易", set()),
        ("闽%", {"福州华闽贸易有限公司", "闽江学院"}),
        ("没有这个客户", set()),
    ],
)
def test_search(world, query, expected):
    """Search by name also answers pinyin initials and pinyin; the list's search
    box finds by name, pinyin, initials, credit code, contact name and phone; % and _ are
    not wildcards."""
    db, org, population = world
    found = set(ids_of(db, org.admin, search=query))
    assert found == {population[name][1] for name in expected}


def test_search_stays_within_the_scope(world):
    """§7: a search does not reach another manager's customers."""
    db, org, population = world
    assert ids_of(db, org.mgr_a2, search="华闽") == []
    assert ids_of(db, org.mgr_a1, search="华闽") == [population["福州华闽贸易有限公司"][1]]


def test_search_follows_an_update(db, org, population):
    """The search text is kept on every save: a new contact is found, the old name is not."""
    _spec, cid = population["北方物流有限公司"]
    record = cs.get_customer(db, org.mgr_a2, cid)
    record.data.name = "南方快运有限公司"
    record.data.contacts.append(ContactData(name="褚卫", role="contact", mobile="13012345678"))
    cs.save_customer(db, org.mgr_a2, record.data, cid, record.version)
    assert ids_of(db, org.admin, search="褚卫") == [cid]
    assert ids_of(db, org.admin, search="nfky") == [cid]
    assert ids_of(db, org.admin, search="北方") == []


# ---------------------------------------------------------------------- sorting


def _sort_value(row: cs.CustomerRow, key: str):
    if key == "name":
        return name_sort_key(row.name)
    if key == "tier":
        return TIER_RANK[row.tier]
    value = getattr(row, key)
    return "" if value is None else value


def _expected_order(rows: list[cs.CustomerRow], key: str, descending: bool) -> list[str]:
    """The service's order: the key, then the name's pinyin (both in the asked direction),
    then the id ascending."""
    ordered = sorted(rows, key=lambda r: r.id)
    ordered = sorted(ordered, key=lambda r: name_sort_key(r.name), reverse=descending)
    ordered = sorted(ordered, key=lambda r: _sort_value(r, key), reverse=descending)
    return [r.id for r in ordered]


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("key", SORT_KEYS)
def test_sorting_by_every_column(world, key, descending):
    """The list sorts in SQL by every column, both ways (never in Python over all rows)."""
    db, org, population = world
    ids = ids_of(db, org.admin, sort=key, descending=descending)
    rows = customer_list.fetch_rows(db, org.admin, ids)
    assert [r.id for r in rows] == ids
    assert len(ids) == len(SPECS)
    assert ids == _expected_order(rows, key, descending)
    values = [_sort_value(r, key) for r in rows]
    assert len(set(map(str, values))) > 1, "the population must tell orders apart"


def test_names_sort_by_pinyin(world):
    """Users expect names in pinyin order: 阿 before 北 before 中 (not by code point:
    中 U+4E2D < 北 U+5317 < 阿 U+963F)."""
    db, org, population = world
    rows = customer_list.fetch_rows(db, org.admin, ids_of(db, org.admin, sort="name"))
    names = [r.name for r in rows]
    assert (
        names.index("阿里巴巴福州分公司")
        < names.index("北方物流有限公司")
        < names.index("中国邮政集团福州市分公司")
    )
    rows = customer_list.fetch_rows(db, org.admin, ids_of(db, org.admin, sort="name", descending=True))
    assert rows[0].name == "中国邮政集团福州市分公司"
    assert rows[-1].name == "阿里巴巴福州分公司"


def test_tiers_sort_by_rank_not_alphabet(world):
    """§2 "Tier": 钻石 Diamond, 白金 Platinum, 黄金 Gold, 贵宾 VIP, 普通 Ordinary — in that
    order, not alphabetically."""
    db, org, population = world
    rows = customer_list.fetch_rows(db, org.admin, ids_of(db, org.admin, sort="tier"))
    tiers = list(dict.fromkeys(r.tier for r in rows))
    assert tiers == ["diamond", "platinum", "gold", "vip", "ordinary"]


def test_completeness_sorts_numerically(world):
    """§2 "File completeness": the list sorts by the percentage as a number."""
    db, org, population = world
    rows = customer_list.fetch_rows(db, org.admin, ids_of(db, org.admin, sort="completeness", descending=True))
    values = [r.completeness for r in rows]
    assert values == sorted(values, reverse=True)
    assert values[0] > values[-1]


# ---------------------------------------------------------------------- filters


def _vclass(spec: Spec) -> int:
    return visit_class(spec.tier, spec.override)


FILTERS = [
    ("tier", "diamond", lambda s, o: s.tier == "diamond"),
    ("tier", "gold", lambda s, o: s.tier == "gold"),
    ("visit_class", 1, lambda s, o: _vclass(s) == 1),
    ("visit_class", 2, lambda s, o: _vclass(s) == 2),
    ("visit_class", 3, lambda s, o: _vclass(s) == 3),
    ("kind", "potential", lambda s, o: s.kind == "potential"),
    ("kind", "important", lambda s, o: s.kind == "important"),
    ("industry", "government", lambda s, o: s.industry == "government"),
    ("area", "rural", lambda s, o: s.area == "rural"),
    ("area", "city", lambda s, o: s.area == "city"),
    ("branch_id", "branch_b", lambda s, o: s.keeper == "mgr_b1"),
    ("manager_id", "mgr_a2", lambda s, o: s.keeper == "mgr_a2"),
]


@pytest.mark.parametrize(
    ("field", "value", "wanted"), FILTERS, ids=[f"{f[0]}={f[1]}" for f in FILTERS]
)
def test_filters_narrow_the_list(world, field, value, wanted):
    """The list filters by tier, visit class (the supervisor's override first, §2 "Visit
    class"), kind, industry, area, branch and manager."""
    db, org, population = world
    if field == "branch_id":
        value = getattr(org, value)
    elif field == "manager_id":
        value = getattr(org, value).user_id
    expected = _ids(population, lambda s: wanted(s, org))
    assert expected and expected != _ids(population), "the population must tell this apart"
    assert set(ids_of(db, org.admin, **{field: value})) == expected


def test_visit_class_override_wins_over_the_tier(world):
    """§2 "Visit class": Diamond → class 1 by default, but a supervisor's override to
    class 3 puts 长乐医院 (diamond) in class 3, and 北方物流 (gold, override 1) in class 1."""
    db, org, population = world
    class_1 = ids_of(db, org.admin, visit_class=1)
    class_3 = ids_of(db, org.admin, visit_class=3)
    assert population["北方物流有限公司"][1] in class_1
    assert population["长乐医院"][1] in class_3
    assert population["长乐医院"][1] not in class_1
    rows = {r.id: r for r in customer_list.fetch_rows(db, org.admin, ids_of(db, org.admin))}
    assert rows[population["长乐医院"][1]].visit_class == 3
    assert rows[population["阿里巴巴福州分公司"][1]].visit_class == 1


def test_filters_combine(world):
    """Filters combine with each other and with the search."""
    db, org, population = world
    assert set(ids_of(db, org.admin, area="rural", kind="potential")) == _ids(
        population, lambda s: s.area == "rural" and s.kind == "potential"
    )
    assert ids_of(db, org.admin, tier="diamond", search="长乐") == [population["长乐医院"][1]]
    assert ids_of(db, org.admin, tier="gold", search="长乐") == []


# ---------------------------------------------------------------------- completeness


def test_stored_completeness_equals_the_rule(world):
    """§2 "File completeness": the percentage kept on the row (for sorting the list) is the
    rule's, for complete, sparse and individual files alike."""
    db, org, population = world
    with db.session() as session:
        stored = {
            cid: pct for cid, pct in session.execute(select(Customer.id, Customer.completeness))
        }
    percents = set()
    for _spec, cid in population.values():
        record = cs.get_customer(db, org.admin, cid)
        expected = completeness(record.data).percent
        assert stored[cid] == expected == record.completeness.percent
        percents.add(expected)
    assert len(percents) > 1
    rows = customer_list.fetch_rows(db, org.admin, list(stored))
    assert {r.id: r.completeness for r in rows} == stored


def test_completeness_follows_an_update(db, org, population):
    """§2 "File completeness": filling a missing field raises the stored percentage."""
    _spec, cid = population["厦门海天科技"]
    record = cs.get_customer(db, org.mgr_b1, cid)
    assert "contract_no" in record.completeness.missing
    record.data.contract_no = "HT-2025-009"
    cs.save_customer(db, org.mgr_b1, record.data, cid, record.version)
    after = cs.get_customer(db, org.mgr_b1, cid)
    assert after.completeness.filled == record.completeness.filled + 1
    [row] = customer_list.fetch_rows(db, org.mgr_b1, [cid])
    assert row.completeness == after.completeness.percent > record.completeness.percent
