"""Races between real processes end in the application's own words: two saves of one
customer at the same moment — the loser is refused naming who saved first, exactly like a
later save; several processes signing in as one user at once all get in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from kac_desktop.models import AuditRecord
from kac_desktop.services import customers
from kac_desktop.services.changes import Kind
from tests.conftest import TEST_PASSWORD

ROUNDS = 5
SIGNERS = 3
SIGN_INS = 20

SAVER = r"""
import sys
from kac_desktop.db import open_database
from kac_desktop.services import customers, users
from kac_desktop.services.errors import StaleRecord
db = open_database(sys.argv[1])
actor = users.actor_for(db, sys.argv[2])
customer_id = sys.argv[3]
record = customers.get_customer(db, actor, customer_id)
record.data.address = "福州市鼓楼区" + sys.argv[2] + "第" + sys.argv[4] + "次改的地址"
from kac_desktop.rules.search_keys import search_text
search_text("预热")
print("ready", flush=True)
sys.stdin.readline()
try:
    customers.save_customer(db, actor, record.data, customer_id, record.version)
    print("saved", flush=True)
except StaleRecord as exc:
    print("refused:" + exc.message, flush=True)
"""

SIGNER = r"""
import sys
from kac_desktop.db import open_database
from kac_desktop.services import auth, bookkeeping
db = open_database(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
ok = 0
for _ in range(int(sys.argv[3])):
    auth.sign_in(db, sys.argv[2], sys.argv[4])
    ok += 1
bookkeeping.wait(30)
print("ok", ok, flush=True)
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


def _start(script: str, *args: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert process.stdout.readline().strip() == "ready", process.stderr.read()
    return process


def test_two_processes_saving_one_customer_at_once(db, org, make_customer):
    created = customers.save_customer(
        db, org.mgr_a1, make_customer("福州赛跑测试公司", manager=org.mgr_a1, nature="individual")
    )
    customer_id = created.first(Kind.CUSTOMER)
    names = {"mgr_a1": "陈经理", "sup_a": "林支局长"}
    outcomes = {"saved": 0, "refused": 0}
    for _round in range(ROUNDS):
        processes = {
            login: _start(SAVER, db.url, login, customer_id, str(_round)) for login in names
        }
        for process in processes.values():
            process.stdin.write("go\n")
            process.stdin.flush()
        results = {}
        for login, process in processes.items():
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0 and "Traceback" not in err, err
            results[login] = out.strip()
        saved = [login for login, out in results.items() if out == "saved"]
        assert len(saved) == 1, (_round, results)
        (loser,) = [login for login in names if login not in saved]
        refusal = results[loser]
        assert refusal.startswith("refused:") and names[saved[0]] in refusal, results
        assert "重新载入" in refusal or "刷新" in refusal or "重新" in refusal, refusal
        outcomes["saved"] += 1
        outcomes["refused"] += 1
        stored = customers.get_customer(db, org.admin, customer_id).data.address
        assert saved[0] in stored
    print(f"{ROUNDS} rounds: {outcomes}")


def test_concurrent_sign_ins_of_one_user_never_fail(db, org):
    processes = [
        _start(SIGNER, db.url, "mgr_a1", str(SIGN_INS), TEST_PASSWORD) for _ in range(SIGNERS)
    ]
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert out.split() == ["ok", str(SIGN_INS)], (out, err)
    with db.session() as session:
        signed = session.scalar(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "signin")
        )
    assert signed == SIGNERS * SIGN_INS


CREATOR = r"""
import sys
from kac_desktop.db import open_database
from kac_desktop.rules.customer import CustomerData
from kac_desktop.services import customers, users
from kac_desktop.services.errors import ServiceError
db = open_database(sys.argv[1])
actor = users.actor_for(db, sys.argv[2])
data = CustomerData(name="福州同时建档有限公司", credit_code="91350100M000100Y43",
                    kind="key", nature="enterprise", industry="retail", area="city",
                    manager_id=actor.user_id, branch_id=actor.branch_id)
from kac_desktop.rules.search_keys import search_text
search_text("预热")
print("ready", flush=True)
sys.stdin.readline()
try:
    customers.save_customer(db, actor, data)
    print("saved", flush=True)
except ServiceError as exc:
    print("refused:" + type(exc).__name__, flush=True)
"""


def test_two_managers_filing_the_same_new_customer_at_once_make_one_file(db, org):
    """No double development (防止重复开发), also when both press Save at the same moment:
    on SQLite the later writer's snapshot is refused, on a server the writers take turns
    before the duplicate check."""
    from kac_desktop.models import Customer

    for _round in range(ROUNDS):
        processes = [_start(CREATOR, db.url, login) for login in ("mgr_a1", "mgr_a2")]
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        results = []
        for process in processes:
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0 and "Traceback" not in err, err
            results.append(out.strip())
        assert sorted(results)[1] == "saved" and sorted(results)[0].startswith("refused:"), results
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(Customer)) == 1
            session.execute(Customer.__table__.delete())
            session.commit()
