"""The demonstration-data generator (kac_desktop.demo): valid, unique, complete enough, the same
for a seed, and never mixed into a database that holds real data."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from pypinyin import Style, lazy_pinyin
from sqlalchemy import func, select

from kac_desktop.cli import main
from kac_desktop.db import open_database
from kac_desktop.demo.build import build_demo
from kac_desktop.models import (
    Branch,
    Contact,
    Customer,
    CustomerSearch,
    ProductLine,
    Revenue,
    ServiceRequest,
    User,
    Visit,
)
from kac_desktop.progress import Cancelled
from kac_desktop.rules.credit_code import credit_code_error
from kac_desktop.rules.names import normalise_name
from kac_desktop.rules.validation import validate_customer
from kac_desktop.services import customer_list, users
from kac_desktop.services import customers as customer_service
from kac_desktop.services.errors import ServiceError

TODAY = date(2026, 6, 15)
N = 300


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    database = open_database(tmp_path_factory.mktemp("demo") / "demo.db")
    summary = build_demo(database, customers=N, seed=3, today=TODAY)
    yield database, summary
    database.dispose()


def _rows(db, *columns, model=Customer):
    with db.session() as session:
        return session.execute(select(*columns).select_from(model)).all()


def test_builds_the_organisation_and_customers(demo):
    db, summary = demo
    with db.session() as session:
        count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert count(Customer) == N == summary.customers
        assert count(CustomerSearch) == N
        assert count(Contact) == summary.contacts
        assert count(ProductLine) == 7
        assert count(User) == summary.users
        archived = session.scalar(select(func.count()).where(Customer.archived.is_(True)))
    assert archived == summary.archived
    assert summary.key_customers + summary.important_customers + summary.potential_customers == N
    assert 0.55 < summary.key_customers / N < 0.85
    text = summary.describe()
    assert "mgr001" in text and "admin" in text and "sup_gulou" in text


def test_credit_codes_are_valid_and_unique(demo):
    db, _summary = demo
    codes = [code for (code,) in _rows(db, Customer.credit_code) if code]
    assert len(codes) > N * 0.8
    assert all(credit_code_error(code) is None for code in codes)
    assert len(set(codes)) == len(codes)
    assert {code[:2] for code in codes} >= {"91", "11", "12"}


def test_names_are_unique_by_the_duplicate_check(demo):
    db, _summary = demo
    rows = _rows(db, Customer.name, Customer.name_key)
    assert all(key == normalise_name(name) for name, key in rows)
    assert len({key for _name, key in rows}) == N


@pytest.mark.slow
def test_every_file_validates_and_stores_what_the_service_would(demo):
    """Incomplete is not invalid: even the deliberately incomplete files have no errors."""
    db, _summary = demo
    admin = users.actor_for(db, "admin")
    with db.session() as session:
        stored = {
            row.id: row
            for row in session.execute(
                select(
                    Customer.id,
                    Customer.name_sort,
                    Customer.primary_contact,
                    Customer.primary_phone,
                    Customer.completeness,
                    CustomerSearch.text,
                ).join(CustomerSearch, CustomerSearch.customer_id == Customer.id)
            )
        }
        branch_of = dict(session.execute(select(User.id, User.branch_id)).all())
    assert len(stored) == N
    incomplete = 0
    for customer_id, row in stored.items():
        record = customer_service.get_customer(db, admin, customer_id)
        data = record.data
        assert validate_customer(data, TODAY) == [], data.name
        assert branch_of[data.manager_id] == data.branch_id
        derived = customer_service.derived_columns(data)
        assert (row.name_sort, row.primary_contact, row.primary_phone, row.completeness) == (
            derived["name_sort"],
            derived["primary_contact"],
            derived["primary_phone"],
            derived["completeness"],
        )
        assert row.text == customer_service.search_row_text(data)
        incomplete += row.completeness < 100
    assert 0.1 < incomplete / N < 0.35


def test_each_sub_branch_has_a_supervisor_and_managers(demo):
    db, summary = demo
    with db.session() as session:
        subs = session.scalars(select(Branch.id).where(Branch.level == "sub")).all()
        roles = Counter(session.execute(select(User.branch_id, User.role)).all())
        levels = Counter(session.scalars(select(Branch.level)))
    assert len(subs) == summary.sub_branches >= 8
    assert levels["city"] == 1 and 2 <= levels["county"] <= 3
    for branch_id in subs:
        assert roles[(branch_id, "supervisor")] == 1
        assert roles[(branch_id, "manager")] >= 1
    assert len(summary.supervisor_logins) == len(subs)


def test_rural_customers_belong_to_rural_sub_branches(demo):
    db, _summary = demo
    with db.session() as session:
        rows = session.execute(
            select(Branch.name, Customer.area).join(Branch, Branch.id == Customer.branch_id)
        ).all()
    by_branch: dict[str, set[str]] = {}
    for name, area in rows:
        by_branch.setdefault(name, set()).add(area)
    assert all(len(areas) == 1 for areas in by_branch.values())
    assert {"rural"} in by_branch.values() and {"city"} in by_branch.values()


def test_pinyin_initials_find_a_generated_customer(demo):
    db, _summary = demo
    admin = users.actor_for(db, "admin")
    with db.session() as session:
        customer_id, name = session.execute(
            select(Customer.id, Customer.name)
            .where(Customer.nature == "enterprise", Customer.archived.is_(False))
            .order_by(Customer.name_sort)
            .limit(1)
        ).one()
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER))
    found = customer_list.query_ids(db, admin, customer_service.CustomerQuery(search=initials))
    assert customer_id in found


def _snapshot(db):
    with db.session() as session:
        customers = session.execute(select(Customer.__table__).order_by(Customer.id)).all()
        contacts = session.execute(select(Contact.__table__).order_by(Contact.id)).all()
        people = session.execute(
            select(User.login, User.display_name, User.id).order_by(User.login)
        ).all()
    return customers, contacts, people


@pytest.mark.slow
def test_the_same_seed_builds_the_same_data(tmp_path):
    first = open_database(tmp_path / "a.db")
    second = open_database(tmp_path / "b.db")
    third = open_database(tmp_path / "c.db")
    try:
        build_demo(first, customers=120, seed=7, today=TODAY)
        # worker processes compute the pinyin columns: same result as computing them here
        build_demo(second, customers=120, seed=7, today=TODAY, workers=2)
        build_demo(third, customers=120, seed=8, today=TODAY)
        assert _snapshot(first) == _snapshot(second)
        assert _snapshot(first)[0] != _snapshot(third)[0]
    finally:
        for database in (first, second, third):
            database.dispose()


def test_refuses_a_database_with_customers(db, org, make_customer):
    customer_service.save_customer(
        db, org.mgr_a1, make_customer(code="91350100M000100Y43", manager=org.mgr_a1)
    )
    with pytest.raises(ServiceError) as raised:
        build_demo(db, customers=50)
    assert "1" in raised.value.message
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 1
        assert session.scalar(select(func.count()).select_from(User)) == 6


def test_refuses_to_build_twice(demo):
    db, _summary = demo
    with pytest.raises(ServiceError):
        build_demo(db, customers=10)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == N


def test_cancelling_writes_nothing(db):
    class CancelSoon:
        calls = 0

        def report(self, fraction, message=""):
            pass

        def cancelled(self):
            self.calls += 1
            return self.calls > 3

    with pytest.raises(Cancelled):
        build_demo(db, customers=3000, progress=CancelSoon(), workers=1)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 0
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_refuses_a_negative_count(db):
    with pytest.raises(ServiceError):
        build_demo(db, customers=-1)


def test_command_line_demo(tmp_path, capsys):
    path = tmp_path / "cli.db"
    assert main(["demo", "--db", str(path), "--customers", "200"]) == 0
    out = capsys.readouterr().out
    assert "mgr001" in out
    database = open_database(path)
    try:
        with database.session() as session:
            assert session.scalar(select(func.count()).select_from(Customer)) == 200
    finally:
        database.dispose()


def test_command_line_demo_with_volumes(tmp_path, capsys):
    """``kac-desktop demo`` makes the history asked for, exactly (as the benchmarks' scale L
    does through build_demo), and refuses figures out of range before touching a file."""
    path = tmp_path / "volumes.db"
    args = ["demo", "--db", str(path), "--customers", "60", "--visits", "500"]
    args += ["--revenue-rows", "700", "--requests", "90", "--months", "6"]
    assert main(args) == 0
    database = open_database(path)
    try:
        with database.session() as session:
            for model, count in ((Customer, 60), (Visit, 500), (Revenue, 700)):
                assert session.scalar(select(func.count()).select_from(model)) == count
            assert session.scalar(select(func.count()).select_from(ServiceRequest)) == 90
    finally:
        database.dispose()

    refused = tmp_path / "refused.db"
    assert main(["demo", "--db", str(refused), "--customers", "10", "--months", "0"]) == 2
    assert "月" in capsys.readouterr().err  # the message names the months, in Chinese
    assert not refused.exists()
