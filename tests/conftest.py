"""Shared fixtures: every test builds its own temporary database; none touch the user's."""

from __future__ import annotations

import os
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

# Argon2 is slow on purpose; the tests hash with the lowest cost (a hash carries its own
# parameters, so verifying stays as cheap).  Production keeps argon2-cffi's defaults.
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


@pytest.fixture
def db(tmp_path) -> Database:
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

    made = [
        customer_service.save_customer(
            db, org.mgr_a1, make_customer(name, code=code, manager=org.mgr_a1)
        ).ids[0]
        for name, code in (("福州华闽贸易有限公司", CODES[0]), ("福建海峡物流有限公司", CODES[1]))
    ]
    return made[0], made[1]


@pytest.fixture
def make_customer():
    return customer_data
