"""The exchange from the center to a branch PC and back, through the services."""

from __future__ import annotations

from sqlalchemy import func, select

from kac_desktop.models import Customer, SyncConflict, Visit
from kac_desktop.services import customers as customer_service
from kac_desktop.services import sync as sync_service
from kac_desktop.services.changes import Kind

from .conftest import set_up_branch, sign_in


def _customer(db, actor, make_customer, name, code=""):
    return customer_service.save_customer(
        db, actor, make_customer(name, code=code, manager=actor, nature="individual")
    ).first(Kind.CUSTOMER)


def _names(db):
    with db.session() as session:
        return sorted(session.scalars(select(Customer.name)))


def test_a_branch_is_set_up_with_its_own_customers_only(db, org, make_customer, tmp_path):
    _customer(db, org.mgr_a1, make_customer, "福州华闽贸易有限公司")
    _customer(db, org.mgr_b1, make_customer, "福建海峡物流有限公司")
    site = set_up_branch(db, org.admin, "鼓楼支局", tmp_path, "gulou")
    assert _names(site.db) == ["福州华闽贸易有限公司"]
    # the branch's people sign in on the new PC with their own passwords
    actor = sign_in(site.db, "mgr_a1")
    assert actor.branch_id == org.branch_a
    # the others of the center cannot (they travel without their passwords)
    import pytest

    from kac_desktop.services.auth import SignInFailed

    with pytest.raises(SignInFailed):
        sign_in(site.db, "admin")


def test_changes_travel_both_ways_and_a_replay_is_already_had(
    db, org, make_customer, tmp_path, courier
):
    first = _customer(db, org.mgr_a1, make_customer, "福州华闽贸易有限公司")
    site = set_up_branch(db, org.admin, "鼓楼支局", tmp_path, "gulou")
    manager = sign_in(site.db, "mgr_a1")
    record = customer_service.get_customer(site.db, manager, first)
    data = record.data
    data.notes = "offline note"
    customer_service.save_customer(
        site.db, manager, data, customer_id=first, expected_version=record.version
    )
    new = _customer(site.db, manager, make_customer, "福建新大陆科技有限公司")
    package = courier.up(site.db, manager)
    result = sync_service.run_import(db, org.admin, package)
    # the new customer and its contact; the changed file
    assert (result.new, result.changed, result.conflicts) == (2, 1, 0), result.summary()
    assert "福建新大陆科技有限公司" in _names(db)
    again = sync_service.run_import(db, org.admin, package)
    assert again.already_had
    # the center's answer acknowledges: nothing of the branch's is waiting any more
    answer = courier.down(db, org.admin, "鼓楼支局")
    sync_service.run_import(site.db, manager, answer)
    status = sync_service.status(site.db, manager)
    assert status.peers[0].waiting == 0, status
    assert new


def test_a_field_changed_on_both_sides_is_a_conflict_settled_at_the_center(
    db, org, make_customer, tmp_path, courier
):
    cid = _customer(db, org.mgr_a1, make_customer, "福州华闽贸易有限公司")
    site = set_up_branch(db, org.admin, "鼓楼支局", tmp_path, "gulou")
    manager = sign_in(site.db, "mgr_a1")
    for where, actor, address, notes in (
        (site.db, manager, "鼓楼区一号", "branch note"),
        (db, org.admin, "仓山区二号", ""),
    ):
        record = customer_service.get_customer(where, actor, cid)
        data = record.data
        data.address = address
        if notes:
            data.notes = notes
        customer_service.save_customer(
            where, actor, data, customer_id=cid, expected_version=record.version
        )
    result = sync_service.run_import(db, org.admin, courier.up(site.db, manager))
    assert result.conflicts == 1
    with db.session() as session:
        customer = session.get(Customer, cid)
        assert customer.address == "仓山区二号"  # the center's stays until settled
        assert customer.notes == "branch note"  # a field changed on one side merges
    [conflict] = sync_service.list_conflicts(db, org.admin)
    assert (conflict.field, conflict.mine, conflict.theirs) == (
        "address",
        "仓山区二号",
        "鼓楼区一号",
    )
    sync_service.settle(db, org.admin, conflict.id, "theirs")
    sync_service.run_import(site.db, manager, courier.down(db, org.admin, "鼓楼支局"))
    with site.db.session() as session:
        assert session.get(Customer, cid).address == "鼓楼区一号"
    with db.session() as session:
        assert session.get(Customer, cid).address == "鼓楼区一号"
        assert session.scalars(select(SyncConflict)).one().kept == "theirs"
    assert Visit


def test_two_branches_registering_the_same_customer_are_listed_at_the_center(
    db, org, tmp_path, courier
):
    from tests.conftest import CODES, customer_data

    a = set_up_branch(db, org.admin, "鼓楼支局", tmp_path, "gulou")
    b = set_up_branch(db, org.admin, "仓山支局", tmp_path, "cangshan")
    for site, login in ((a, "mgr_a1"), (b, "mgr_b1")):
        actor = sign_in(site.db, login)
        customer_service.save_customer(
            site.db, actor, customer_data("福州华闽贸易有限公司", code=CODES[0], manager=actor)
        )
        result = sync_service.run_import(db, org.admin, courier.up(site.db, actor))
    # both files are kept (two histories), and the center is shown the pair
    assert len(result.duplicates) == 1
    assert "统一社会信用代码" in result.duplicates[0][2]
    pairs = sync_service.duplicates(db, org.admin)
    assert len(pairs) == 1 and "鼓楼支局" in "".join(pairs[0]) and "仓山支局" in "".join(pairs[0])


def test_the_branch_audit_chain_arrives_whole_and_a_rewrite_shows(db, org, tmp_path, courier):
    from kac_desktop.models import SyncForeignAudit

    site = set_up_branch(db, org.admin, "鼓楼支局", tmp_path, "gulou")
    manager = sign_in(site.db, "mgr_a1")
    sync_service.run_import(db, org.admin, courier.up(site.db, manager))
    with db.session() as session:
        records = session.scalars(select(SyncForeignAudit).order_by(SyncForeignAudit.seq)).all()
        assert records and all(r.linked for r in records)
        assert [r.seq for r in records] == list(range(1, len(records) + 1))
    # the branch's log rewritten after it was sent: the next package shows the break
    from sqlalchemy import update

    from kac_desktop.models import AuditRecord

    sync_service.run_import(site.db, manager, courier.down(db, org.admin, "鼓楼支局"))
    with site.db.session() as session, session.begin():
        newest = session.scalar(select(func.max(AuditRecord.seq)))
        session.execute(update(AuditRecord).where(AuditRecord.seq == newest).values(hash="0" * 64))
    sign_in(site.db, "mgr_a1")  # a new record chained to the rewritten one
    result = sync_service.run_import(db, org.admin, courier.up(site.db, manager))
    assert result.audit_breaks >= 1
