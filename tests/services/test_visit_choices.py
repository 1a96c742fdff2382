"""The visit dialog's customer picker reads through the customer list's fast first page; it
must offer exactly what a plain query of the search texts offers: the actor's own customers
first, then the others he may see, by name, archived files left out."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import case, select, text
from sqlalchemy.orm import aliased

from kac_desktop.db import open_database
from kac_desktop.demo.build import build_demo
from kac_desktop.models import Customer, CustomerSearch, User
from kac_desktop.rules.search_keys import normalise_query
from kac_desktop.services import customer_list, customers, users
from kac_desktop.services import visits as vs

TODAY = date(2026, 6, 15)
TERMS = ["", "福州", "有限", "华", "fz", "fzhm", "138", "无此户", "a"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db = open_database(tmp_path_factory.mktemp("choices") / "demo.db")
    build_demo(db, customers=400, seed=9, today=TODAY)
    with db.session() as session:
        sup_login, sup_id = session.execute(
            text("SELECT login, id FROM users WHERE role = 'supervisor' ORDER BY login LIMIT 1")
        ).one()
        mgr_login = session.scalar(
            text(
                "SELECT u.login FROM users u JOIN customers c ON c.manager_id = u.id "
                "WHERE u.role = 'manager' GROUP BY u.id ORDER BY count(*) DESC LIMIT 1"
            )
        )
    supervisor = users.actor_for(db, sup_login)
    # a supervisor who keeps a few files himself: they come first in his picker
    kept = customer_list.list_keys(db, supervisor, customers.CustomerQuery())[::9]
    for row in customer_list.fetch_rows_by_key(db, supervisor, kept):
        customers.transfer_customer(db, supervisor, row.id, sup_id)
    yield db, [users.actor_for(db).login, sup_login, mgr_login]
    db.dispose()


def _plain(db, actor, search: str, limit: int = 50) -> list[vs.CustomerChoice]:
    """The picker's former query: every search text matched with LIKE."""
    with db.session() as session:
        manager = aliased(User)
        own = case((Customer.manager_id == actor.user_id, 0), else_=1)
        stmt = (
            select(Customer.id, Customer.name, manager.display_name, own)
            .join(manager, manager.id == Customer.manager_id)
            .where(Customer.archived.is_(False))
        )
        stmt = customers.scope_customers(stmt, actor)
        needle = normalise_query(search)
        if needle:
            stmt = stmt.where(
                Customer.id.in_(
                    select(CustomerSearch.customer_id).where(
                        CustomerSearch.text.like(customer_list.like_pattern(needle), escape="\\")
                    )
                )
            )
        stmt = stmt.order_by(own, Customer.name_sort, Customer.id).limit(limit)
        return [vs.CustomerChoice(i, n, m, o == 0) for i, n, m, o in session.execute(stmt)]


def test_the_picker_offers_what_the_plain_query_offers(demo):
    db, logins = demo
    seen_own = False
    for login in logins:
        actor = users.actor_for(db, login)
        for term in TERMS:
            for limit in (50, 7):
                expected = _plain(db, actor, term, limit)
                assert vs.customer_choices(db, actor, term, limit) == expected, (login, term)
                seen_own |= any(c.own for c in expected) and not all(c.own for c in expected)
    assert seen_own  # some list mixed own and other customers


def test_archived_files_are_not_offered(demo):
    db, logins = demo
    admin = users.actor_for(db, logins[0])
    with db.session() as session:
        archived = session.execute(
            select(Customer.name).where(Customer.archived.is_(True)).limit(3)
        ).scalars()
        names = list(archived)
    assert names
    for name in names:
        assert all(c.name != name for c in vs.customer_choices(db, admin, name))
