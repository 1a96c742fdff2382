"""Shared fixtures: every test builds its own temporary database; none touch the user's."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest

# Headless Qt and a fixed language, set before anything imports Qt or i18n.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["KAC_LANGUAGE"] = "zh_CN"

from kac_desktop.db import Database, open_database  # noqa: E402
from kac_desktop.i18n import current_language, set_language  # noqa: E402
from kac_desktop.models import Branch, User  # noqa: E402
from kac_desktop.rules.customer import ContactData, CustomerData  # noqa: E402
from kac_desktop.services import auth  # noqa: E402
from kac_desktop.services.context import Actor  # noqa: E402
from kac_desktop.services.users import ensure_reference_data  # noqa: E402
from tests import postgres  # noqa: E402

# Argon2 is slow on purpose; the tests hash with the lowest cost (a hash carries its own
# parameters, so verifying stays as cheap).  Production keeps argon2-cffi's defaults.
# One sealing key for the whole session (keystore.py), also for the databases that
# module-scoped fixtures build before a test's own data folder is set.
os.environ.setdefault("KAC_KEY_DIR", tempfile.mkdtemp(prefix="kac-test-keys-"))

FAST_HASHER = auth.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
TEST_PASSWORD = "Test-Passw0rd"
TEST_PASSWORD_HASH = FAST_HASHER.hash(TEST_PASSWORD)


@pytest.fixture(autouse=True)
def _isolate(tmp_path, monkeypatch):
    monkeypatch.setenv("KAC_DATA_DIR", str(tmp_path / "userdata"))
    monkeypatch.setattr(auth, "hasher", FAST_HASHER)
    set_language("zh_CN")
    yield
    set_language("zh_CN")


@pytest.fixture
def english() -> Iterator[None]:
    """English for one test, for assertions that read the source messages."""
    previous = current_language()
    set_language("en")
    yield
    set_language(previous)


# ---------------------------------------------------------------- the two engines
#
# Every test that takes ``db`` (directly or through ``org`` …) runs on a SQLite file and on
# the PostgreSQL test server (tests/postgres.py): test ids end in [sqlite] and [postgresql].
# ``@pytest.mark.sqlite_only("why")`` keeps a test on SQLite (file copies, WAL, file modes,
# kill -9 of a SQLite writer).

ENGINES = ("sqlite", "postgresql")
_pg_variants: list[str] = []  # the node ids of the PostgreSQL variants that run
_left_out: list[str] = []  # those left out: no server


def pytest_addoption(parser):
    parser.addoption(
        "--pg-url",
        default="",
        help=f"the PostgreSQL test database (also ${postgres.ENV}), e.g. "
        "postgresql://kac:kac@localhost/kac_test",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "sqlite_only(reason): the test is about SQLite's file (copies, WAL, modes, kill -9); "
        "its db runs on SQLite only",
    )
    if postgres.in_ci() and not postgres.configured_url(config):
        raise pytest.UsageError(
            f"CI=true but no PostgreSQL test server: set {postgres.ENV} "
            "(e.g. postgresql://kac:kac@localhost/kac_test); .ci/run makes one"
        )


def pytest_generate_tests(metafunc):
    if "db" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("sqlite_only") is not None:
        metafunc.parametrize("db", ["sqlite"], indirect=True)
        return
    metafunc.parametrize("db", ENGINES, indirect=True)


def _runs_on_postgresql(item) -> bool:
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("db") == "postgresql":
        return True
    names = getattr(item, "fixturenames", ())
    return "pg_server" in names and "db" not in names


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Without a server the PostgreSQL half is left out as a whole (not one "skipped" line
    per test): the run's last line says how many tests that is."""
    if postgres.configured_url(config):
        return
    kept = [item for item in items if not _runs_on_postgresql(item)]
    left_out = [item for item in items if _runs_on_postgresql(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept
    _left_out[:] = [item.nodeid for item in left_out]


def pytest_collection_finish(session):
    _pg_variants[:] = [item.nodeid for item in session.items if _runs_on_postgresql(item)]


def pytest_unconfigure(config):
    """The run's last line says whether the PostgreSQL half ran (after pytest's summary)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    if _pg_variants:
        where = postgres.configured_url(config).rpartition("@")[2]
        reporter.write_line(f"PostgreSQL half: {len(_pg_variants)} tests ran on {where}")
    elif _left_out:
        reporter.write_line(
            f"PostgreSQL half SKIPPED: {len(_left_out)} tests did not run on PostgreSQL "
            f"(no test server; set {postgres.ENV}=postgresql://user:password@host/database)",
            yellow=True,
            bold=True,
        )


@pytest.fixture(scope="session")
def pg_server(request) -> postgres.Server:
    """The PostgreSQL test database, migrated once for the session."""
    url = postgres.configured_url(request.config)
    if not url:
        pytest.skip(f"PostgreSQL half: no test server (set {postgres.ENV})")
    server = postgres.Server(postgres.sqlalchemy_url(url))
    try:
        server.prepare()
    except Exception as exc:  # the server named is not usable: every PG test fails with this
        pytest.fail(f"PostgreSQL test server {url.rpartition('@')[2]} not usable: {exc}")
    return server


@pytest.fixture
def db(request, tmp_path) -> Iterator[Database]:
    engine = getattr(request, "param", "sqlite")
    if engine == "postgresql":
        server = request.getfixturevalue("pg_server")
        server.reset()
        database = open_database(server.url)
    else:
        database = open_database(tmp_path / "test.db")
    yield database
    database.dispose()


@dataclass
class Org:
    """Two branches; each with a supervisor and two managers; one city-center admin.
    Every user's password is TEST_PASSWORD ("Test-Passw0rd")."""

    admin: Actor
    sup_a: Actor
    mgr_a1: Actor
    mgr_a2: Actor
    sup_b: Actor
    mgr_b1: Actor
    branch_a: str
    branch_b: str


def _user(session, login, name, role, branch) -> Actor:
    user = User(
        login=login,
        display_name=name,
        role=role,
        branch_id=branch.id,
        password_hash=TEST_PASSWORD_HASH,
    )
    session.add(user)
    session.flush()
    return Actor(user.id, login, name, role, branch.id, branch.name)


def _build_org(db: Database) -> Org:
    with db.session() as session, session.begin():
        ensure_reference_data(session)
        center = Branch(name="福州市大客户中心", level="city")
        session.add(center)
        session.flush()
        a = Branch(name="鼓楼支局", level="sub", parent_id=center.id)
        b = Branch(name="仓山支局", level="sub", parent_id=center.id)
        session.add_all([a, b])
        session.flush()
        return Org(
            admin=_user(session, "admin", "系统管理员", "admin", center),
            sup_a=_user(session, "sup_a", "林支局长", "supervisor", a),
            mgr_a1=_user(session, "mgr_a1", "陈经理", "manager", a),
            mgr_a2=_user(session, "mgr_a2", "王经理", "manager", a),
            sup_b=_user(session, "sup_b", "黄支局长", "supervisor", b),
            mgr_b1=_user(session, "mgr_b1", "张经理", "manager", b),
            branch_a=a.id,
            branch_b=b.id,
        )


@pytest.fixture
def org(db) -> Org:
    return _build_org(db)


@pytest.fixture(scope="session")
def build_org():
    """``org``'s branches and people in another database (a module's shared one)."""
    return _build_org


# Valid GB 32100-2015 codes for tests.
CODES = ["91350100M000100Y43", "91110000600037341L"]


def customer_data(
    name: str = "福州华闽贸易有限公司", *, code: str = "", manager: Actor | None = None, **overrides
) -> CustomerData:
    data = CustomerData(
        name=name,
        credit_code=code,
        kind="key",
        nature="enterprise",
        industry="retail",
        address="福州市鼓楼区五四路100号",
        area="city",
        manager_id=manager.user_id if manager else None,
        branch_id=manager.branch_id if manager else None,
        business_scope="批发零售",
        cooperation_start=date(2020, 1, 1),
        product_lines=["letters", "express"],
        express_kinds=["domestic"],
        geo_scope="regional",
        settlement="account",
        contract_no="HT-2024-001",
        pickup_times="每天 16:00",
        credit_rating="AA",
        contacts=[ContactData(name="李明", role="key_person", mobile="13805912345")],
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


@pytest.fixture
def two_customers(db, org, make_customer) -> tuple[str, str]:
    """Two companies of mgr_a1 with valid credit codes: (福州华闽贸易, 福建海峡物流) ids."""
    from kac_desktop.services import customers as customer_service
    from kac_desktop.services.changes import Kind

    made = [
        customer_service.save_customer(
            db, org.mgr_a1, make_customer(name, code=code, manager=org.mgr_a1)
        ).first(Kind.CUSTOMER)
        for name, code in (("福州华闽贸易有限公司", CODES[0]), ("福建海峡物流有限公司", CODES[1]))
    ]
    return made[0], made[1]


@pytest.fixture
def make_customer():
    return customer_data
