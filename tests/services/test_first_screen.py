"""services/first_screen.py reads with plain sqlite3 what the window shows first, before SQLAlchemy
is imported; each read must give exactly what its service gives, for every role."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from kac_desktop.db import open_database
from kac_desktop.demo.build import build_demo
from kac_desktop.progress import Cancelled
from kac_desktop.services import customer_list, first_screen, users
from kac_desktop.services import settings as settings_service
from kac_desktop.services.errors import NotFound, ServiceError
from kac_desktop.services.list_types import DEFAULT_QUERY, CustomerQuery

TODAY = date(2026, 6, 15)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    database = open_database(tmp_path_factory.mktemp("first_screen") / "demo.db")
    build_demo(database, customers=240, seed=5, today=TODAY)
    yield database
    database.dispose()


@pytest.fixture
def connection(demo):
    c = demo.connect_sqlite()
    yield c
    c.close()


def _logins(db) -> list[str]:
    """The first administrator, and a supervisor and a manager of some branch."""
    with db.session() as session:
        rows = session.execute(text("SELECT login, role FROM users ORDER BY login")).all()
    by_role: dict[str, str] = {}
    for login, role in rows:
        by_role.setdefault(role, login)
    assert set(by_role) == {"admin", "supervisor", "manager"}
    return [by_role["admin"], by_role["supervisor"], by_role["manager"]]


def test_the_demo_has_what_the_reads_must_handle(demo):
    with demo.session() as session:
        archived = session.scalar(text("SELECT count(*) FROM customers WHERE archived"))
        overrides = session.scalar(
            text("SELECT count(*) FROM customers WHERE visit_class_override IS NOT NULL")
        )
    assert archived and overrides  # archived files and per-customer visit classes


def test_actor_is_the_services(demo, connection):
    for login in _logins(demo):
        assert first_screen.actor_for(connection, login) == users.actor_for(demo, login)
    assert first_screen.actor_for(connection) == users.actor_for(demo)  # the first administrator


def _refusal(read) -> ServiceError:
    with pytest.raises(ServiceError) as refused:
        read()
    return refused.value


def test_unknown_and_disabled_users_are_refused_alike(db, org):
    connection = db.connect_sqlite()
    try:
        by_service = _refusal(lambda: users.actor_for(db, "nobody"))
        by_first_screen = _refusal(lambda: first_screen.actor_for(connection, "nobody"))
        assert isinstance(by_first_screen, NotFound) and isinstance(by_service, NotFound)
        assert by_first_screen.message == by_service.message
        with db.engine.begin() as c:
            c.execute(text("UPDATE users SET active = 0 WHERE login = 'mgr_a1'"))
        by_service = _refusal(lambda: users.actor_for(db, "mgr_a1"))
        by_first_screen = _refusal(lambda: first_screen.actor_for(connection, "mgr_a1"))
        assert by_first_screen.message == by_service.message
        assert "mgr_a1" in by_first_screen.message
    finally:
        connection.close()


@pytest.mark.parametrize("with_users", [False, True])
def test_first_start_is_told_alike(db, request, with_users):
    if with_users:
        request.getfixturevalue("org")
    connection = db.connect_sqlite()
    try:
        assert (
            first_screen.needs_first_user(connection)
            is users.needs_first_user(db)
            is not with_users
        )
    finally:
        connection.close()


def test_the_opening_list_is_the_services(demo, connection):
    for login in _logins(demo):
        actor = users.actor_for(demo, login)
        expected = customer_list.list_keys(demo, actor, CustomerQuery())
        assert expected  # every role sees some customers
        assert first_screen.default_keys(connection, actor) == expected
        assert first_screen.default_keys(connection, actor, 49) == expected[:49]
        page = customer_list.first_page(demo, actor, DEFAULT_QUERY, 48)
        assert first_screen.default_keys(connection, actor, 48) == page.keys[:48]


def test_rows_are_the_services_for_any_keys(demo, connection):
    """Archived files and other managers' files too: the scope leaves out what the actor
    may not see, in both."""
    with demo.session() as session:
        every_key = list(session.scalars(text("SELECT rowid FROM customers ORDER BY rowid DESC")))
    keys = every_key[::3] + [10**9]  # and one that does not exist
    for login in _logins(demo):
        actor = users.actor_for(demo, login)
        expected = customer_list.fetch_rows_by_key(demo, actor, keys)
        assert expected
        assert first_screen.rows_by_key(connection, actor, keys) == expected
    assert first_screen.rows_by_key(connection, actor, []) == []


def test_rows_follow_the_visit_class_setting(demo, connection):
    admin = users.actor_for(demo)
    keys = customer_list.list_keys(demo, admin, CustomerQuery(archived=None))
    before = settings_service.get(demo)["visit_class.by_tier"]
    settings_service.set_value(
        demo, admin, "visit_class.by_tier", {**before, "gold": 1, "ordinary": 2}
    )
    try:
        expected = customer_list.fetch_rows_by_key(demo, admin, keys)
        assert first_screen.rows_by_key(connection, admin, keys) == expected
        assert {row.visit_class for row in expected} >= {1, 2}
    finally:
        settings_service.set_value(demo, admin, "visit_class.by_tier", before)


def test_a_superseded_list_is_cancelled(demo, connection):
    admin = users.actor_for(demo)
    with pytest.raises(Cancelled):
        first_screen.default_keys(connection, admin, cancelled=lambda: True)
    # the connection is usable afterwards, without the handler
    assert first_screen.default_keys(connection, admin, 3, cancelled=lambda: False)
    assert (
        first_screen.default_keys(connection, admin, 3)
        == customer_list.list_keys(demo, admin, CustomerQuery())[:3]
    )
