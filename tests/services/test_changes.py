"""Every mutation returns a change set (services/changes.py) that names what it changed, by
kind and id, so that the open pages refresh only that."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from kac_desktop.rules.customer import ContactData
from kac_desktop.rules.visits import VisitData
from kac_desktop.services import auth, backup, revenue, settings, users
from kac_desktop.services import customers as cs
from kac_desktop.services import product_lines as line_service
from kac_desktop.services import requests as rs
from kac_desktop.services import visits as vs
from kac_desktop.services.changes import EMPTY, ChangeSet, Kind, Outcome, changes_of
from kac_desktop.services.errors import ServiceError
from kac_desktop.services.requests import RequestInput
from tests.conftest import TEST_PASSWORD

NOW = datetime(2026, 3, 16, 2, tzinfo=UTC)
TODAY = date(2026, 3, 16)


# ---------------------------------------------------------------- the type


def test_a_change_set_names_ids_per_kind_and_unites():
    a = ChangeSet.of(Kind.CUSTOMER, ["c1"], created=True)
    b = ChangeSet.of(Kind.VISIT, ["v1"]) | ChangeSet.of(Kind.CUSTOMER, ["c2"])
    both = a | b
    assert both.ids(Kind.CUSTOMER) == {"c1", "c2"} and both.ids(Kind.VISIT) == {"v1"}
    assert both.kinds == {Kind.CUSTOMER, Kind.VISIT}
    assert both.touches(Kind.VISIT) and not both.touches(Kind.REQUEST)
    assert both.new(Kind.CUSTOMER) == {"c1"} and both.new(Kind.VISIT) == frozenset()
    assert not both.rows_only(Kind.CUSTOMER)  # c1 is new: membership may change
    assert both.rows_only(Kind.VISIT)
    assert both.ids(Kind.REQUEST) == frozenset()
    assert both == b | a and hash(both) == hash(b | a)
    # created is per kind: the same id as another kind's new row is not new here
    mixed = ChangeSet.of(Kind.CUSTOMER, ["x"], created=True) | ChangeSet.of(Kind.REVENUE, ["x"])
    assert mixed.new(Kind.REVENUE) == frozenset() and mixed.rows_only(Kind.REVENUE)


def test_empty_whole_and_frozen():
    assert (
        not EMPTY
        and not ChangeSet.of(Kind.CUSTOMER, [])
        and ChangeSet.of(Kind.USER, [None]) == EMPTY
    )
    assert EMPTY | EMPTY == EMPTY
    whole = ChangeSet.whole(Kind.REVENUE)
    assert whole and whole.touches(Kind.REVENUE) and whole.is_whole(Kind.REVENUE)
    assert whole.ids(Kind.REVENUE) == frozenset() and not whole.rows_only(Kind.REVENUE)
    replaced = ChangeSet.whole(Kind.DATABASE)
    assert all(replaced.touches(k) and replaced.is_whole(k) for k in Kind)
    with pytest.raises(dataclasses.FrozenInstanceError):
        whole.created = frozenset()  # type: ignore[misc]
    assert changes_of(Outcome("x", whole)) == whole and changes_of(whole) == whole
    assert changes_of(None) == EMPTY and changes_of("text") == EMPTY
    assert ChangeSet.of(Kind.VISIT, ["v"]).first(Kind.VISIT) == "v"
    with pytest.raises(KeyError):
        EMPTY.first(Kind.VISIT)


# ---------------------------------------------------------------- customers and contacts


def test_saving_a_customer_names_it_and_its_contacts(db, org, make_customer):
    created = cs.save_customer(
        db, org.mgr_a1, make_customer(manager=org.mgr_a1, nature="individual")
    )
    cid = created.first(Kind.CUSTOMER)
    assert created.new(Kind.CUSTOMER) == {cid}
    record = cs.get_customer(db, org.mgr_a1, cid)
    first_contact = record.data.contacts[0].id
    assert created.ids(Kind.CONTACT) == {first_contact}
    assert created.new(Kind.CONTACT) == {first_contact}
    assert created.kinds == {Kind.CUSTOMER, Kind.CONTACT}

    data = record.data
    data.phone = "0591-88888888"
    data.contacts = [ContactData(name="王芳", role="contact", mobile="13900000000")]
    updated = cs.save_customer(db, org.mgr_a1, data, cid, record.version)
    second = cs.get_customer(db, org.mgr_a1, cid).data.contacts[0].id
    assert updated.ids(Kind.CUSTOMER) == {cid} and not updated.new(Kind.CUSTOMER)
    assert updated.ids(Kind.CONTACT) == {first_contact, second}
    assert updated.gone(Kind.CONTACT) == {first_contact}
    assert updated.new(Kind.CONTACT) == {second}


def test_archive_and_transfer_name_the_customer(db, org, make_customer):
    cid = cs.save_customer(
        db, org.mgr_a1, make_customer(manager=org.mgr_a1, nature="individual")
    ).first(Kind.CUSTOMER)
    assert cs.set_archived(db, org.mgr_a1, cid, True) == ChangeSet.of(Kind.CUSTOMER, [cid])
    assert cs.set_archived(db, org.mgr_a1, cid, False) == ChangeSet.of(Kind.CUSTOMER, [cid])
    moved = cs.transfer_customer(db, org.sup_a, cid, org.mgr_a2.user_id)
    assert moved == ChangeSet.of(Kind.CUSTOMER, [cid])


# ---------------------------------------------------------------- visits


def test_visit_operations_name_the_visit_and_its_customer(db, org, make_customer):
    cid = cs.save_customer(
        db, org.mgr_a1, make_customer(manager=org.mgr_a1, nature="individual")
    ).first(Kind.CUSTOMER)
    data = VisitData(
        customer_id=cid,
        visited_at=datetime(2026, 3, 10, 2, tzinfo=UTC),
        summary="上门拜访",
        next_step="寄送报价",
        next_step_date=date(2026, 3, 20),
    )
    logged = vs.log_visit(db, org.mgr_a1, data, now=NOW)
    vid = logged.first(Kind.VISIT)
    assert logged.new(Kind.VISIT) == {vid} and logged.ids(Kind.CUSTOMER) == {cid}
    assert not logged.new(Kind.CUSTOMER)  # the customer's row changes, it is not new

    record = vs.get_visit(db, org.mgr_a1, vid)
    changed = dataclasses.replace(record.data, summary="电话回访确认")
    updated = vs.update_visit(db, org.mgr_a1, vid, changed, record.version, now=NOW)
    assert updated == ChangeSet.of(Kind.VISIT, [vid]) | ChangeSet.of(Kind.CUSTOMER, [cid])
    assert updated.rows_only(Kind.VISIT)

    assert vs.set_next_step_done(db, org.mgr_a1, vid) == ChangeSet.of(Kind.VISIT, [vid])
    record = vs.get_visit(db, org.mgr_a1, vid)
    removed = vs.remove_visit(db, org.mgr_a1, vid, record.version)
    assert removed.gone(Kind.VISIT) == {vid} and removed.ids(Kind.CUSTOMER) == {cid}


# ---------------------------------------------------------------- requests


def test_request_operations_name_the_request(db, org, make_customer):
    cid = cs.save_customer(
        db, org.mgr_a1, make_customer(manager=org.mgr_a1, nature="individual")
    ).first(Kind.CUSTOMER)
    received = datetime(2026, 11, 23, 1, tzinfo=UTC)
    made = rs.register_request(
        db,
        org.mgr_a1,
        RequestInput(customer_id=cid, description="上门揽收", received_at=received),
        now=received,
    )
    rid = made.first(Kind.REQUEST)
    assert made.new(Kind.REQUEST) == {rid} and made.kinds == {Kind.REQUEST}
    stepped = rs.change_status(db, org.mgr_a1, rid, "in_progress", now=received)
    assert stepped == ChangeSet.of(Kind.REQUEST, [rid]) and stepped.rows_only(Kind.REQUEST)


# ---------------------------------------------------------------- revenue, tiers, lines


def test_revenue_tier_and_product_line_changes(db, org, make_customer):
    cid = cs.save_customer(
        db, org.mgr_a1, make_customer(manager=org.mgr_a1, nature="individual")
    ).first(Kind.CUSTOMER)
    month = 202602
    entered = revenue.set_month(db, org.mgr_a1, cid, month, {"letters": D("60000")}, today=TODAY)
    assert entered == ChangeSet.of(Kind.REVENUE, [cid])
    confirmed = revenue.confirm_tiers(db, org.sup_a, 2026, [(cid, None)], today=TODAY)
    assert confirmed.ids(Kind.TIER) == {cid} and confirmed.ids(Kind.CUSTOMER) == {cid}
    line = line_service.product_lines(db)[0]
    changed = line_service.update_product_line(
        db,
        org.admin,
        line.code,
        factor=line.factor + 1,
        earns_points=line.earns_points,
        growth_rate=line.growth_rate,
        today=TODAY,
    )
    assert changed.ids(Kind.PRODUCT_LINE) == {line.code}
    assert changed.is_whole(Kind.REVENUE)  # every customer's points follow the rule
    unchanged = line_service.update_product_line(
        db,
        org.admin,
        line.code,
        factor=line.factor + 1,
        earns_points=line.earns_points,
        growth_rate=line.growth_rate,
        today=TODAY,
    )
    assert unchanged == ChangeSet.of(Kind.PRODUCT_LINE, [line.code])


# ---------------------------------------------------------------- users and settings


def test_user_operations_name_the_account(db, org):
    made = users.create_user(
        db, org.admin, "mgr_a9", "周经理", "manager", org.branch_a, "Start2026", "Start2026"
    )
    assert isinstance(made, Outcome)
    uid = made.value
    assert made.changes.new(Kind.USER) == {uid}
    reset = users.reset_password(db, org.admin, uid)
    assert reset.changes == ChangeSet.of(Kind.USER, [uid]) and len(reset.value) >= 8
    assert users.set_active(db, org.admin, uid, False) == ChangeSet.of(Kind.USER, [uid])
    assert users.set_active(db, org.admin, uid, False) == ChangeSet.of(Kind.USER, [uid])
    renamed = users.update_user(
        db, org.admin, uid, display_name="周主任", role="manager", branch_id=org.branch_a
    )
    assert renamed == ChangeSet.of(Kind.USER, [uid])
    mine = auth.change_password(db, org.mgr_a1, TEST_PASSWORD, "Chosen-2026", "Chosen-2026")
    assert mine == ChangeSet.of(Kind.USER, [org.mgr_a1.user_id])


def test_a_setting_names_its_key(db, org):
    assert settings.set_value(db, org.admin, "backup.keep_days", 30) == ChangeSet.of(
        Kind.SETTING, ["backup.keep_days"]
    )


def test_a_refused_mutation_raises_and_returns_nothing(db, org):
    with pytest.raises(ServiceError):
        settings.set_value(db, org.mgr_a1, "backup.keep_days", 30)


@pytest.mark.sqlite_only('a restore copies a SQLite file')
def test_a_restore_replaces_everything(db, org, tmp_path):
    info = backup.backup_now(db, org.admin)
    db.dispose()
    result = backup.restore(db.path, info.path, actor=org.admin)
    assert result.changes.is_whole(Kind.CUSTOMER) and result.changes.touches(Kind.USER)
