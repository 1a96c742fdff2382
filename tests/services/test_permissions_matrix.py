"""The permission matrix, role × action × own/other file/branch, through the services and
through the command line (docs/DOMAIN.md §7: managers see their own customers, supervisors their
branch, the city center all; every export leaves an audit record)."""

from __future__ import annotations

import openpyxl
import pytest
from sqlalchemy import func, select

from kac_desktop.cli import main
from kac_desktop.models import AuditRecord, Customer
from kac_desktop.rules.credit_code import make_credit_code
from kac_desktop.services import audit, backup, customer_import, customer_list, customers, users
from kac_desktop.services.changes import Kind
from kac_desktop.services.errors import PermissionDenied

ROLES = ("mgr_a1", "mgr_a2", "sup_a", "sup_b", "admin")
FILES = ("c_a1", "c_a2", "c_b1")  # kept by mgr_a1, mgr_a2 (branch A) and mgr_b1 (branch B)

# who may touch which file: read, change, archive, see it in the list and the export
MAY_TOUCH = {
    "mgr_a1": {"c_a1"},
    "mgr_a2": {"c_a2"},
    "sup_a": {"c_a1", "c_a2"},
    "sup_b": {"c_b1"},
    "admin": set(FILES),
}
# who may transfer which file (a supervisor within his branch)
MAY_TRANSFER = {
    "mgr_a1": set(),
    "mgr_a2": set(),
    **{k: MAY_TOUCH[k] for k in ("sup_a", "sup_b", "admin")},
}
CASES = [(role, f) for role in ROLES for f in FILES]


@pytest.fixture
def world(db, org, make_customer):
    ids = {}
    for key, manager in (("c_a1", org.mgr_a1), ("c_a2", org.mgr_a2), ("c_b1", org.mgr_b1)):
        data = make_customer(f"福州{key}贸易有限公司", manager=manager, nature="individual")
        ids[key] = customers.save_customer(db, manager, data).first(Kind.CUSTOMER)
    actors = {name: getattr(org, name) for name in ROLES}
    return ids, actors


def visible(db, actor) -> set[str]:
    return set(customer_list.query_ids(db, actor, customers.CustomerQuery()))


@pytest.mark.parametrize("role, target", CASES)
def test_read(db, world, role, target):
    ids, actors = world
    allowed = target in MAY_TOUCH[role]
    if allowed:
        assert customers.get_customer(db, actors[role], ids[target]).id == ids[target]
    else:
        with pytest.raises(PermissionDenied):
            customers.get_customer(db, actors[role], ids[target])
    assert (ids[target] in visible(db, actors[role])) == allowed


@pytest.mark.parametrize("role, target", CASES)
def test_change(db, world, role, target):
    ids, actors = world
    actor = actors[role]
    owner = {"c_a1": "mgr_a1", "c_a2": "mgr_a2", "c_b1": "sup_b"}[target]
    record = customers.get_customer(db, actors["admin" if owner == "sup_b" else owner], ids[target])
    data = record.data
    data.address = "福州市台江区改过的地址1号"
    if target in MAY_TOUCH[role]:
        customers.save_customer(db, actor, data, ids[target], record.version)
    else:
        with pytest.raises(PermissionDenied):
            customers.save_customer(db, actor, data, ids[target], record.version)
        with db.session() as session:
            assert session.get(Customer, ids[target]).address != data.address


@pytest.mark.parametrize("role, target", CASES)
def test_archive(db, world, role, target):
    ids, actors = world
    if target in MAY_TOUCH[role]:
        customers.set_archived(db, actors[role], ids[target])
    else:
        with pytest.raises(PermissionDenied):
            customers.set_archived(db, actors[role], ids[target])
        with db.session() as session:
            assert not session.get(Customer, ids[target]).archived


@pytest.mark.parametrize("role, target", CASES)
def test_transfer(db, org, world, role, target):
    """docs/DOMAIN.md §1: the supervisor assigns and transfers customers (of his branch)."""
    ids, actors = world
    to = org.sup_b if target == "c_b1" else org.mgr_a2 if target == "c_a1" else org.mgr_a1
    if target in MAY_TRANSFER[role]:
        customers.transfer_customer(db, actors[role], ids[target], to.user_id)
        with db.session() as session:
            assert session.get(Customer, ids[target]).manager_id == to.user_id
    else:
        with pytest.raises(PermissionDenied):
            customers.transfer_customer(db, actors[role], ids[target], to.user_id)


def test_supervisor_cannot_transfer_to_another_branch(db, org, world):
    ids, _actors = world
    with pytest.raises(PermissionDenied):
        customers.transfer_customer(db, org.sup_a, ids["c_a1"], org.mgr_b1.user_id)


@pytest.mark.parametrize("role", ROLES)
def test_export_holds_only_what_the_role_may_see(db, world, role, tmp_path):
    """docs/DOMAIN.md §7: exports are limited like the list and leave an audit record."""
    _ids, actors = world
    path = tmp_path / "导出.xlsx"
    count = customer_list.export_list(db, actors[role], customers.CustomerQuery(), str(path))
    sheet = openpyxl.load_workbook(path).active
    names = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]}
    expected = {f"福州{k}贸易有限公司" for k in MAY_TOUCH[role]}
    assert names == expected and count == len(expected)
    with db.session() as session:
        rec = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "customer.export")
        ).one()
    assert rec.user_login == role


def book(path, manager_login: str) -> str:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["客户名称", "统一社会信用代码", "客户经理"])
    ws.append(["福州新导入有限公司", make_credit_code("91350100MA000777"), manager_login])
    wb.save(path)
    return str(path)


IMPORT_CASES = [
    # actor, row's manager, allowed
    ("mgr_a1", "mgr_a1", True),
    ("mgr_a1", "mgr_a2", False),
    ("sup_a", "mgr_a2", True),
    ("sup_a", "mgr_b1", False),
    ("sup_b", "mgr_b1", True),
    ("admin", "mgr_b1", True),
]


@pytest.mark.parametrize("role, manager, allowed", IMPORT_CASES)
def test_import_assigns_only_within_the_role(db, world, tmp_path, role, manager, allowed):
    _ids, actors = world
    preview = customer_import.preview_import(db, actors[role], book(tmp_path / "a.xlsx", manager))
    result = customer_import.run_import(db, actors[role], preview, skip_invalid=False)
    assert result.ok == allowed
    with db.session() as session:
        imported = session.scalar(
            select(func.count()).select_from(Customer).where(Customer.name == "福州新导入有限公司")
        )
    assert imported == (1 if allowed else 0)


# ---------------------------------------------------------------- the same on the command line


@pytest.fixture
def signed(monkeypatch):
    monkeypatch.setenv("KAC_PASSWORD", "Test-Passw0rd")


@pytest.mark.parametrize("role, manager, allowed", IMPORT_CASES)
def test_cli_import_permissions(db, world, tmp_path, signed, capsys, role, manager, allowed):
    path = book(tmp_path / "a.xlsx", manager)
    code = main(["import", "customers", path, "--db", db.url, "--user", role])
    assert code == (0 if allowed else 1)
    with db.session() as session:
        imported = session.scalar(
            select(func.count()).select_from(Customer).where(Customer.name == "福州新导入有限公司")
        )
    assert imported == (1 if allowed else 0)
    if not allowed:
        out = capsys.readouterr().out
        assert "未导入任何客户" in out and ("无权" in out or "只能" in out)


@pytest.mark.parametrize("role", ROLES)
def test_cli_export_permissions(db, world, tmp_path, signed, role):
    path = tmp_path / "导出.xlsx"
    assert main(["export", "customers", str(path), "--db", db.url, "--user", role]) == 0
    sheet = openpyxl.load_workbook(path).active
    names = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]}
    assert names == {f"福州{k}贸易有限公司" for k in MAY_TOUCH[role]}


def test_cli_wrong_password_exits_2_writes_nothing_and_is_audited(
    db, world, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("KAC_PASSWORD", "wrong-Passw0rd")
    path = tmp_path / "导出.xlsx"
    assert main(["export", "customers", str(path), "--db", db.url, "--user", "admin"]) == 2
    assert "登录名或密码错误" in capsys.readouterr().err
    assert not path.exists()
    with db.session() as session:
        assert (
            session.scalar(select(AuditRecord.action).order_by(AuditRecord.seq.desc()).limit(1))
            == "signin.failed"
        )


def test_cli_without_a_password_in_a_script_fails_clearly(db, world, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("KAC_PASSWORD", raising=False)
    path = tmp_path / "导出.xlsx"
    assert main(["export", "customers", str(path), "--db", db.url, "--user", "admin"]) == 2
    assert "KAC_PASSWORD" in capsys.readouterr().err
    assert not path.exists()


def test_cli_user_defaults_to_the_system_login(db, world, tmp_path, signed, monkeypatch, capsys):
    monkeypatch.setattr("getpass.getuser", lambda: "sup_b")
    path = tmp_path / "导出.xlsx"
    assert main(["export", "customers", str(path), "--db", db.url]) == 0
    assert openpyxl.load_workbook(path).active.max_row == 2  # header + c_b1


# ---------------------------------------------------------------- users, audit, backups


USER_ADMIN = {"mgr_a1": False, "sup_a": False, "admin": True}


@pytest.mark.parametrize("role", ROLES)
def test_users_audit_and_backups_by_role(db, world, role):
    _ids, actors = world
    actor = actors[role]
    supervisor = role in ("sup_a", "sup_b", "admin")
    if supervisor:
        branch_users = users.list_users(db, actor)
        assert all(u.branch_id == actor.branch_id for u in branch_users) or role == "admin"
        audit.query_seqs(db, actor, audit.AuditQuery())
        if db.path is not None:
            backup.backup_now(db, actor)
        else:  # a server's backups are the server's (docs/POSTGRESQL.md)
            with pytest.raises(backup.BackupError):
                backup.backup_now(db, actor)
    else:
        for call in (
            lambda: users.list_users(db, actor),
            lambda: audit.query_seqs(db, actor, audit.AuditQuery()),
            lambda: audit.check_chain(db, actor),
            lambda: backup.backup_now(db, actor),
        ):
            with pytest.raises(PermissionDenied):
                call()
    if role != "admin":
        with pytest.raises(PermissionDenied):
            users.create_user(db, actor, "new1", "新人", "manager", actor.branch_id, "Start2026")
        with pytest.raises(PermissionDenied):
            users.reset_password(db, actor, actors["mgr_a2"].user_id)


@pytest.mark.parametrize("role, allowed", [("mgr_a1", False), ("sup_a", False), ("admin", True)])
def test_cli_users_add_only_by_the_administrator(
    db, world, signed, monkeypatch, capsys, role, allowed
):
    monkeypatch.setenv("KAC_NEW_PASSWORD", "Start2026")
    code = main(
        [
            "users",
            "add",
            "mgr_a9",
            "--name",
            "新经理",
            "--role",
            "manager",
            "--branch",
            "鼓楼支局",
            "--db",
            db.url,
            "--user",
            role,
        ]
    )
    assert code == (0 if allowed else 2)
    assert any(u.login == "mgr_a9" for u in users.list_users(db, world[1]["admin"])) == allowed


def test_cli_users_reset_prints_a_temporary_password_that_signs_in(db, world, signed, capsys):
    from kac_desktop.services import auth

    assert main(["users", "reset", "mgr_a2", "--db", db.url, "--user", "admin"]) == 0
    temporary = capsys.readouterr().out.strip().rsplit("：", 1)[-1]
    assert auth.sign_in(db, "mgr_a2", temporary).login == "mgr_a2"


def test_cli_audit_verify(db, world, signed, capsys):
    assert main(["audit", "verify", "--db", db.url, "--user", "sup_a"]) == 0
    assert "审计链完整" in capsys.readouterr().out
    with db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE audit_records SET summary='x' WHERE seq=1")
    assert main(["audit", "verify", "--db", db.url, "--user", "sup_a"]) == 1
    assert main(["audit", "verify", "--db", db.url, "--user", "mgr_a1"]) == 2
