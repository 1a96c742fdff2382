"""Sign-in, lockout, passwords and user administration (docs/DOMAIN.md §7: passwords are never
stored in a readable form; only authorised people get in)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from kac_desktop.models import AuditRecord, User
from kac_desktop.rules.clock import LOCAL_TZ
from kac_desktop.rules.passwords import password_problems
from kac_desktop.services import audit, auth, users
from kac_desktop.services.errors import PermissionDenied, ServiceError

PW = "Test-Passw0rd"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def audit_actions(db) -> list[tuple[str, str]]:
    with db.session() as session:
        return [
            (r.action, r.user_login)
            for r in session.scalars(select(AuditRecord).order_by(AuditRecord.seq))
        ]


def stored_user(db, login) -> User:
    with db.session() as session:
        return session.scalar(select(User).where(User.login == login))


# ---------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    "password, fragment",
    [
        ("short1a", "至少8个字符"),
        ("onlyletters", "字母和数字"),
        ("1234567890", "字母和数字"),
        (" abcd12345", "空格"),
    ],
)
def test_password_rule_names_what_is_wrong(password, fragment):
    """docs/DOMAIN.md §7: a password rule with clear messages."""
    problems = password_problems(password)
    assert problems and any(fragment in p for p in problems), problems


def test_password_rule_accepts_letters_and_digits_and_refuses_the_login():
    assert password_problems("Gulou2026") == []
    assert password_problems("mgr0012345", login="MGR0012345")


@pytest.mark.slow
def test_production_hasher_is_argon2_with_its_default_cost():
    """docs/DOMAIN.md §7: passwords stored only as slow, salted hashes (Argon2's defaults outside
    the tests, which swap in a cheap hasher)."""
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from kac_desktop.services import auth; h = auth.hasher; "
            "print(h.time_cost, h.memory_cost, auth.hash_password('Abc12345')[:9])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    default = PasswordHasher()
    assert out == [str(default.time_cost), str(default.memory_cost), "$argon2id"]


# ---------------------------------------------------------------- first start


def test_first_admin_gets_a_hashed_password_and_can_sign_in(db):
    """docs/DOMAIN.md §7: the password is never stored in a readable form."""
    with pytest.raises(auth.PasswordRejected) as err:
        users.create_first_admin(db, "鼓楼支局", "林主任", "lin", "abc", "abc")
    assert "至少8个字符" in err.value.message
    assert users.needs_first_user(db)
    with pytest.raises(auth.PasswordRejected) as err:
        users.create_first_admin(db, "鼓楼支局", "林主任", "lin", "Gulou2026", "Gulou2027")
    assert "两次输入的密码不一致" in err.value.message
    assert users.needs_first_user(db)
    users.create_first_admin(db, "鼓楼支局", "林主任", "lin", "Gulou2026", "Gulou2026")
    stored = stored_user(db, "lin")
    assert stored.password_hash.startswith("$argon2")
    assert "Gulou2026" not in stored.password_hash
    actor = auth.sign_in(db, "lin", "Gulou2026")
    assert actor.role == "admin" and actor.branch_name == "鼓楼支局"


# ---------------------------------------------------------------- signing in


def test_sign_in_right_and_wrong_are_audited(db, org):
    """docs/DOMAIN.md §7: sign-in and failed sign-in leave audit records."""
    actor = auth.sign_in(db, "mgr_a1", PW, now=NOW)
    assert actor == org.mgr_a1
    assert stored_user(db, "mgr_a1").last_login_at == NOW
    with pytest.raises(auth.SignInFailed) as err:
        auth.sign_in(db, "mgr_a1", "wrong-pass1", now=NOW)
    assert "登录名或密码错误" in err.value.message and "4" in err.value.message
    with pytest.raises(auth.SignInFailed) as err:
        auth.sign_in(db, "nobody", PW, now=NOW)
    assert "登录名或密码错误" in err.value.message
    actions = audit_actions(db)
    assert ("signin", "mgr_a1") in actions
    assert actions.count(("signin.failed", "")) == 2
    with db.session() as session:
        failed = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "signin.failed")
        ).all()
    assert {f.details["login"] for f in failed} == {"mgr_a1", "nobody"}
    assert all(PW not in str(f.details) and "wrong-pass1" not in str(f.details) for f in failed)


def test_five_failures_lock_the_account_for_the_set_time(db, org):
    """docs/DOMAIN.md §7 / issue: five failures lock the account for signin.lock_minutes."""
    for _i in range(4):
        with pytest.raises(auth.SignInFailed):
            auth.sign_in(db, "mgr_a1", "Wrong-pass1", now=NOW)
    with pytest.raises(auth.AccountLocked) as err:
        auth.sign_in(db, "mgr_a1", "Wrong-pass1", now=NOW)
    assert err.value.until == NOW + timedelta(minutes=15)
    # the time said in Beijing time, whatever the computer's zone (issue 20 item 11)
    assert "锁定" in err.value.message and err.value.until.astimezone(LOCAL_TZ).strftime(
        "%H:%M"
    ) in (err.value.message)
    # even the right password is refused while locked
    with pytest.raises(auth.AccountLocked):
        auth.sign_in(db, "mgr_a1", PW, now=NOW + timedelta(minutes=14))
    assert auth.sign_in(db, "mgr_a1", PW, now=NOW + timedelta(minutes=16)) == org.mgr_a1
    stored = stored_user(db, "mgr_a1")
    assert stored.failed_logins == 0 and stored.locked_until is None


def test_the_user_list_says_whether_an_account_is_locked_as_sign_in_judges_it(db, org):
    """The users page shows the state the service gives: locked while sign-in refuses the
    account, active from the minute it accepts it again."""

    def state(now):
        rows = {r.login: r for r in users.list_users(db, org.admin, now=now)}
        return rows["mgr_a1"].state

    assert state(NOW) == "active"
    for _i in range(5):
        with pytest.raises(auth.SignInFailed):
            auth.sign_in(db, "mgr_a1", "Wrong-pass1", now=NOW)
    assert state(NOW + timedelta(minutes=14)) == "locked"
    with pytest.raises(auth.AccountLocked):
        auth.sign_in(db, "mgr_a1", PW, now=NOW + timedelta(minutes=14))
    assert state(NOW + timedelta(minutes=16)) == "active"
    users.set_active(db, org.admin, org.mgr_a1.user_id, False)
    assert state(NOW) == "disabled"


def test_lock_minutes_is_a_business_setting(db, org):
    from kac_desktop.services import settings

    settings.set_value(db, org.admin, "signin.lock_minutes", 60)
    for _i in range(5):
        with pytest.raises(auth.SignInFailed):
            auth.sign_in(db, "mgr_a1", "Wrong-pass1", now=NOW)
    assert stored_user(db, "mgr_a1").locked_until == NOW + timedelta(minutes=60)


def test_disabled_user_cannot_sign_in_and_admin_enables_him(db, org):
    users.set_active(db, org.admin, org.mgr_a1.user_id, False)
    with pytest.raises(auth.AccountDisabled) as err:
        auth.sign_in(db, "mgr_a1", PW)
    assert "已停用" in err.value.message
    users.set_active(db, org.admin, org.mgr_a1.user_id, True)
    assert auth.sign_in(db, "mgr_a1", PW).login == "mgr_a1"


def test_user_without_password_is_told_to_ask_the_administrator(db, org):
    with db.session() as session, session.begin():
        session.scalar(select(User).where(User.login == "mgr_b1")).password_hash = None
    with pytest.raises(auth.SignInFailed) as err:
        auth.sign_in(db, "mgr_b1", "")
    assert "还没有密码" in err.value.message


# ---------------------------------------------------------------- changing passwords


def test_user_changes_his_password(db, org):
    with pytest.raises(auth.SignInFailed):
        auth.change_password(db, org.mgr_a1, "not-it-123", "Newpass2026", "Newpass2026")
    with pytest.raises(auth.PasswordRejected):
        auth.change_password(db, org.mgr_a1, PW, "short", "short")
    assert auth.sign_in(db, "mgr_a1", PW)  # nothing changed
    auth.change_password(db, org.mgr_a1, PW, "Newpass2026", "Newpass2026")
    with pytest.raises(auth.SignInFailed):
        auth.sign_in(db, "mgr_a1", PW)
    assert auth.sign_in(db, "mgr_a1", "Newpass2026").login == "mgr_a1"
    assert ("user.password", "mgr_a1") in audit_actions(db)


# ---------------------------------------------------------------- administration


def test_admin_creates_resets_and_disables_users(db, org):
    user_id = users.create_user(
        db, org.admin, "mgr_a3", "刘经理", "manager", org.branch_a, "Start2026", "Start2026"
    ).value
    assert auth.sign_in(db, "mgr_a3", "Start2026").branch_id == org.branch_a
    with pytest.raises(ServiceError) as err:
        users.create_user(db, org.admin, "MGR_A3", "重名", "manager", org.branch_a, "Start2026")
    assert "已被使用" in err.value.message
    for _i in range(5):
        with pytest.raises(auth.SignInFailed):
            auth.sign_in(db, "mgr_a3", "Wrong-2026")
    temporary = users.reset_password(db, org.admin, user_id).value
    assert password_problems(temporary) == []
    assert auth.sign_in(db, "mgr_a3", temporary).login == "mgr_a3"  # the lock is lifted
    users.reset_password(db, org.admin, user_id, "Chosen2026")
    assert auth.sign_in(db, "mgr_a3", "Chosen2026")
    actions = [a for a, _login in audit_actions(db)]
    assert {"user.create", "user.reset"} <= set(actions)


def test_only_the_administrator_manages_users_and_nothing_is_written(db, org):
    """docs/DOMAIN.md §7: only authorised people; a refused action writes nothing."""
    before = len(audit_actions(db))
    for actor in (org.sup_a, org.mgr_a1):
        with pytest.raises(PermissionDenied):
            users.create_user(db, actor, "x1", "某人", "manager", org.branch_a, "Start2026")
        with pytest.raises(PermissionDenied):
            users.reset_password(db, actor, org.mgr_a2.user_id)
        with pytest.raises(PermissionDenied):
            users.set_active(db, actor, org.mgr_a2.user_id, False)
    assert len(audit_actions(db)) == before
    assert auth.sign_in(db, "mgr_a2", PW)


def test_supervisor_sees_his_branch_users_manager_none(db, org):
    assert {u.login for u in users.list_users(db, org.sup_a)} == {"sup_a", "mgr_a1", "mgr_a2"}
    assert len(users.list_users(db, org.admin)) == 6
    with pytest.raises(PermissionDenied):
        users.list_users(db, org.mgr_a1)


def test_last_admin_and_oneself_cannot_be_disabled(db, org):
    with pytest.raises(ServiceError) as err:
        users.set_active(db, org.admin, org.admin.user_id, False)
    assert "自己" in err.value.message
    assert stored_user(db, "admin").active


def test_audit_viewer_scope_and_filters(db, org):
    auth.sign_in(db, "mgr_a1", PW)
    auth.sign_in(db, "mgr_b1", PW)
    with pytest.raises(auth.SignInFailed):
        auth.sign_in(db, "mgr_a2", "Wrong-2026")
    seen_by_sup_a = audit.fetch_records(
        db, org.sup_a, audit.query_seqs(db, org.sup_a, audit.AuditQuery())
    )
    assert {r.login for r in seen_by_sup_a} == {"mgr_a1", ""}  # mgr_a2's failure
    everything = audit.query_seqs(db, org.admin, audit.AuditQuery())
    assert len(everything) == 3
    assert len(audit.query_seqs(db, org.admin, audit.AuditQuery(action="signin.failed"))) == 1
    assert len(audit.query_seqs(db, org.admin, audit.AuditQuery(login="mgr_b1"))) == 1
    assert len(audit.query_seqs(db, org.admin, audit.AuditQuery(text="mgr_a2"))) == 1
    with pytest.raises(PermissionDenied):
        audit.query_seqs(db, org.mgr_a1, audit.AuditQuery())


def test_an_edit_of_the_audit_table_outside_the_application_is_reported(db, org):
    """docs/DOMAIN.md §7 / issue: each record carries its predecessor's hash; a change made to the
    file outside the application is detected."""
    for login in ("mgr_a1", "mgr_a2", "sup_a"):
        auth.sign_in(db, login, PW)
    assert audit.check_chain(db, org.admin).intact
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE audit_records SET user_login='sup_b' WHERE seq=(SELECT min(seq) + 1 "
            "FROM audit_records)"
        )
    report = audit.check_chain(db, org.admin)
    assert not report.intact and len(report.broken) == 1
    assert "被改动" in report.describe()
