"""The audit trail means what it says: concurrent writers never fork it, its hash is keyed,
its head is kept outside the database, numbers are never reused, and the security tables
carry a keyed checksum.  The tampering table of issue #21, every kind detected."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from kac_desktop import keystore
from kac_desktop.db import open_database
from kac_desktop.models import AuditRecord
from kac_desktop.services import audit, auth, integrity
from kac_desktop.services import settings as settings_service
from tests.conftest import TEST_PASSWORD

WRITER = """
import sys
from kac_desktop.db import open_database
from kac_desktop.services import audit
db = open_database(sys.argv[1], migrate=False)
sys.stdin.readline()  # all start together
for i in range(int(sys.argv[2])):
    with db.session() as session, session.begin():
        audit.record(session, None, "customer.export", "customer", None, f"{sys.argv[3]} {i}")
"""


def test_several_processes_at_once_never_fork_the_chain(db, org, tmp_path):
    per, procs = 25, 4
    env = dict(os.environ)  # the same data folder and key
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, db.url, str(per), f"p{n}"],
            stdin=subprocess.PIPE,
            env=env,
            cwd=Path(__file__).parents[2],
        )
        for n in range(procs)
    ]
    for child in children:
        child.stdin.write(b"go\n")
        child.stdin.flush()
    for child in children:
        child.stdin.close()
        assert child.wait(timeout=300) == 0
    report = audit.check_chain(db, org.admin)
    assert report.intact, report.describe()
    with db.session() as session:
        seqs = list(session.scalars(select(AuditRecord.seq).order_by(AuditRecord.seq)))
        summaries = list(session.scalars(select(AuditRecord.summary)))
    assert len(seqs) == len(set(seqs)) == per * procs
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert sum(s.startswith("p") for s in summaries) == per * procs


def _sign_ins(db, org, count=12):
    for i in range(count):
        with pytest.raises(auth.SignInFailed):
            auth.sign_in(db, "mgr_a1" if i % 2 else "nosuch", "wrong")
    auth.sign_in(db, "admin", TEST_PASSWORD)


def _sql(db, *statements, **params):
    """What someone with the database but without the application does: plain SQL (a
    SQLite shell on the file, psql on the server)."""
    db.dispose()
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), params)
    db.dispose()


def _rows(db, statement):
    with db.engine.connect() as connection:
        return connection.execute(text(statement)).all()


def _details(value):
    return json.loads(value) if isinstance(value, str) else value


def _old_hash(prev, rec):
    payload = json.dumps(
        [prev, rec[0], rec[1], rec[2], rec[3], rec[4], rec[5] or "", rec[6], _details(rec[7])],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _recompute_plain(db, fix_head=True):
    """What someone with the database but without the key can do: recompute every hash
    (SHA-256 as before, or anything else he likes) and the head row."""
    rows = _rows(
        db,
        "SELECT seq, id, at, user_login, action, entity, entity_id, summary, details "
        "FROM audit_records ORDER BY seq",
    )
    db.dispose()
    prev = ""
    with db.engine.begin() as connection:
        for row in rows:
            new = _old_hash(prev, row[1:])
            connection.execute(
                text("UPDATE audit_records SET prev_hash=:prev, hash=:new WHERE seq=:seq"),
                {"prev": prev, "new": new, "seq": row[0]},
            )
            prev = new
        if fix_head:
            connection.execute(
                text(
                    "UPDATE audit_head SET seq=(SELECT max(seq) FROM audit_records), hash=:h"
                ),
                {"h": prev},
            )
    db.dispose()


def _delete_newest(n, fix_head=False):
    def tamper(db):
        statements = [
            f"DELETE FROM audit_records WHERE seq IN "
            f"(SELECT seq FROM audit_records ORDER BY seq DESC LIMIT {n})"
        ]
        if fix_head:
            statements.append(
                "UPDATE audit_head SET seq=(SELECT coalesce(max(seq),0) FROM audit_records), "
                "hash=coalesce((SELECT hash FROM audit_records ORDER BY seq DESC LIMIT 1), '')"
            )
        _sql(db, *statements)

    return tamper


def _edit_and_recompute(db):
    _sql(db, "UPDATE audit_records SET summary='改过' WHERE seq=3")
    _recompute_plain(db)


def _forge_append(db):
    ((seq, last),) = _rows(db, "SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1")
    row = ("forged", "2026-12-01 00:00:00", "admin", "user.role", "user", None, "伪造", "{}")
    new = _old_hash(last, row)
    names = ("id", "at", "user_login", "action", "entity", "entity_id", "summary", "details")
    _sql(
        db,
        "INSERT INTO audit_records (seq, id, at, user_login, action, entity, entity_id, "
        "summary, details, prev_hash, hash) VALUES (:seq, :id, :at, :user_login, :action, "
        ":entity, :entity_id, :summary, :details, :prev, :new)",
        "UPDATE audit_head SET seq=:seq, hash=:new",
        seq=seq + 1,
        **dict(zip(names, row, strict=True)),
        prev=last,
        new=new,
    )


TAMPERING = {
    "delete the newest record": _delete_newest(1),
    "delete the newest 5 records": _delete_newest(5),
    "delete every record": _delete_newest(10_000),
    "delete the newest record and fix the head row": _delete_newest(1, fix_head=True),
    "delete the newest 5 and fix the head row": _delete_newest(5, fix_head=True),
    "delete every record and fix the head row": _delete_newest(10_000, fix_head=True),
    "delete a record in the middle": lambda db: _sql(db, "DELETE FROM audit_records WHERE seq=4"),
    "edit a record": lambda db: _sql(db, "UPDATE audit_records SET summary='x' WHERE seq=5"),
    "edit a record and recompute the hashes": _edit_and_recompute,
    "recompute every hash": _recompute_plain,
    "append a forged record": _forge_append,
    "renumber a record": lambda db: _sql(db, "UPDATE audit_records SET seq=9999 WHERE seq=2"),
}


@pytest.mark.parametrize("kind", list(TAMPERING))
def test_every_tampering_of_the_chain_is_detected(db, org, kind):
    _sign_ins(db, org)
    assert audit.check_chain(db, org.admin).intact
    TAMPERING[kind](db)
    report = audit.check_chain(db, org.admin)
    assert not report.intact, kind
    # and it keeps showing however many records follow: the administrator is told as he
    # signs in, and the head kept outside does not move past the gap
    for _i in range(3):
        admin = auth.sign_in(db, "admin", TEST_PASSWORD)
    assert integrity.warnings_for(db, admin), kind
    assert not audit.check_chain(db, org.admin).intact, kind
    with db.session() as session:
        assert session.scalars(
            select(AuditRecord).where(AuditRecord.action == integrity.ACTION)
        ).first(), kind


ROW_TAMPERING = {
    "raise a manager to administrator": "UPDATE users SET role='admin' WHERE login='mgr_a1'",
    "move a manager to another branch": (
        "UPDATE users SET branch_id=(SELECT branch_id FROM users WHERE login='sup_b') "
        "WHERE login='mgr_a1'"
    ),
    "set a known password hash": (
        "UPDATE users SET password_hash='$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$AAAA' "
        "WHERE login='mgr_a1'"
    ),
    "unlock a locked account": "UPDATE users SET failed_logins=0, locked_until=NULL",
    "enable a disabled account": "UPDATE users SET active=TRUE",
    "add an administrator": (
        "INSERT INTO users (id, login, display_name, role, phone, password_hash, active, "
        "failed_logins, version, created_at, updated_at, row_mac) SELECT 'x', 'evil', 'x', "
        "'admin', '', password_hash, TRUE, 0, 1, created_at, updated_at, '' FROM users "
        "WHERE login='admin'"
    ),
    "change a setting": "UPDATE settings SET value='99' WHERE key='signin.max_failures'",
}


@pytest.mark.parametrize("kind", list(ROW_TAMPERING))
def test_an_outside_edit_of_the_security_tables_is_detected_at_sign_in(db, org, kind):
    settings_service.set_value(db, org.admin, "signin.max_failures", 5)
    from kac_desktop.services import users as users_service

    users_service.set_active(db, org.admin, org.mgr_a2.user_id, False)
    for _i in range(5):
        with pytest.raises(auth.SignInFailed):
            auth.sign_in(db, "mgr_b1", "wrong")
    assert integrity.warnings_for(db, org.admin) == []
    _sql(db, ROW_TAMPERING[kind])
    admin = auth.sign_in(db, "admin", TEST_PASSWORD)
    warnings = integrity.warnings_for(db, admin)
    assert warnings and "应用程序之外" in warnings[0], warnings
    assert not audit.check_chain(db, admin).intact  # `audit verify` says so too
    with db.session() as session:
        findings = list(
            session.scalars(select(AuditRecord).where(AuditRecord.action == integrity.ACTION))
        )
    assert len(findings) == 1
    # signing in again does not repeat the same finding
    auth.sign_in(db, "admin", TEST_PASSWORD)
    with db.session() as session:
        assert (
            session.scalar(
                select(text("count(*)"))
                .select_from(AuditRecord)
                .where(AuditRecord.action == integrity.ACTION)
            )
            == 1
        )


def test_a_raised_role_does_not_let_the_user_in(db, org):
    _sql(db, "UPDATE users SET role='admin' WHERE login='mgr_a1'")
    with pytest.raises(auth.SignInFailed) as failed:
        auth.sign_in(db, "mgr_a1", TEST_PASSWORD)
    assert "应用程序之外" in failed.value.message


def test_saving_a_user_in_the_application_accepts_the_row(db, org):
    from kac_desktop.services import users as users_service

    _sql(db, "UPDATE users SET role='supervisor' WHERE login='mgr_a1'")
    users_service.set_active(db, org.admin, org.mgr_a1.user_id, False)
    users_service.set_active(db, org.admin, org.mgr_a1.user_id, True)
    with db.session() as session:
        assert integrity.outside_edits(session) == []


def test_an_administrator_saving_the_record_unchanged_accepts_it(db, org):
    from kac_desktop.services import users as users_service

    _sql(db, "UPDATE users SET role='supervisor' WHERE login='mgr_a1'")
    with pytest.raises(auth.SignInFailed):
        auth.sign_in(db, "mgr_a1", TEST_PASSWORD)
    users_service.update_user(
        db,
        org.admin,
        org.mgr_a1.user_id,
        display_name="陈经理",
        role="supervisor",
        branch_id=org.branch_a,
    )
    with db.session() as session:
        assert integrity.outside_edits(session) == []
        accepted = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "security.accept")
        ).one()
    assert accepted.details["role"] == "supervisor"
    assert auth.sign_in(db, "mgr_a1", TEST_PASSWORD).role == "supervisor"


def test_numbers_are_never_reused(db, org):
    _sign_ins(db, org, 4)
    with db.session() as session:
        newest = session.scalar(select(AuditRecord.seq).order_by(AuditRecord.seq.desc()))
    _delete_newest(3, fix_head=False)(db)
    with pytest.raises(auth.SignInFailed):
        auth.sign_in(db, "nosuch", "x")
    with db.session() as session:
        assert session.scalar(select(AuditRecord.seq).order_by(AuditRecord.seq.desc())) > newest


def test_the_head_is_kept_in_the_key_store_and_a_copy_without_the_key_fails(
    db, org, tmp_path, monkeypatch
):
    _sign_ins(db, org, 2)
    with db.session() as session:
        head = audit.current_head(session)
    saved = keystore.saved_head(head.database_id)
    assert saved == head
    # the database on a PC without this key: no record verifies
    monkeypatch.setenv("KAC_KEY_DIR", str(tmp_path / "other-pc"))
    keystore.forget_cached_keys()
    try:
        report = audit.check_chain(db, org.admin)
        assert not report.intact and len(report.broken) == report.records
    finally:
        keystore.forget_cached_keys()


def test_an_existing_chain_is_sealed_under_the_key_at_migration(tmp_path):
    from alembic import command

    from kac_desktop.db import alembic_config, make_engine

    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0005")
    engine.dispose()
    raw = __import__("kac_desktop.db.cipher", fromlist=["connect"]).connect(path)
    prev = ""
    with raw:
        for i in range(6):
            row = (
                f"id{i}",
                f"2026-11-0{i + 1} 00:00:00",
                "admin",
                "signin",
                "user",
                None,
                f"记录{i}",
                "{}",
            )
            new = _old_hash(prev, (row[0], f"2026-11-0{i + 1}T00:00:00+00:00", *row[2:]))
            raw.execute(
                "INSERT INTO audit_records (id, at, user_login, action, entity, entity_id, "
                "summary, details, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (*row, prev, new),
            )
            prev = new
        raw.execute("UPDATE audit_records SET summary='改过' WHERE id='id4'")
    raw.close()
    db = open_database(path)
    try:
        with db.session() as session:
            assert audit.verify_chain(session) == []
            assert audit.head_problems(session) == []
            sealed = session.scalars(
                select(AuditRecord).where(AuditRecord.action == "audit.reseal")
            ).one()
        assert sealed.details == {"records": 6, "broken_before": [5]}
        assert "6" in sealed.summary
    finally:
        db.dispose()
