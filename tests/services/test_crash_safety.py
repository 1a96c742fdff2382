"""Crash safety, shown (issue §6): a writer process is killed with SIGKILL at random moments
of a stream of saves and of an import, many times; every save it reported committed is
there, no half-import is visible, and the integrity check passes.  And two windows on one
database lose no update (issue §5)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from kac_desktop.db import open_database
from kac_desktop.models import AuditRecord, Customer
from kac_desktop.rules.credit_code import make_credit_code
from kac_desktop.services import backup, customers
from kac_desktop.services.changes import Kind
from kac_desktop.services.errors import StaleRecord

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL"),
]

RUNS = 10
IMPORT_ROWS = 400

SAVER = r"""
import sys
from kac_desktop.db import open_database
from kac_desktop.rules.customer import ContactData, CustomerData
from kac_desktop.rules.search_keys import search_text
from kac_desktop.services import customers, users
from kac_desktop.services.changes import Kind
db = open_database(sys.argv[1])
actor = users.actor_for(db, "mgr_a1")
run = sys.argv[2]
search_text("预热")  # pypinyin is imported at the first save: before the clock starts
print("ready", flush=True)
sys.stdin.readline()
i = 0
while True:
    data = CustomerData(name=f"崩溃测试{run}号第{i}户", kind="key", nature="individual",
        industry="retail", address="福州市鼓楼区五四路1号", area="city",
        contacts=[ContactData(name="李明", role="key_person", mobile="13805912345")])
    change = customers.save_customer(db, actor, data)
    print(change.first(Kind.CUSTOMER), flush=True)  # after the commit
    i += 1
"""

IMPORTER = r"""
import sys
from kac_desktop.db import open_database
from kac_desktop.services import customer_import, users
db = open_database(sys.argv[1])
actor = users.actor_for(db, "sup_a")
preview = customer_import.preview_import(db, actor, sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
print("start", flush=True)
result = customer_import.run_import(db, actor, preview, skip_invalid=False)
print("done" if result.ok else "rejected", flush=True)
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


def _start(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )


def _ready(proc: subprocess.Popen) -> None:
    """Children start all at once (Python and its imports take a second each) and wait."""
    line = proc.stdout.readline().strip()
    assert line == "ready", (line, proc.stderr.read() if proc.poll() is not None else "")


def _kill_after(proc: subprocess.Popen, delay: float, *, first: bool = False) -> list[str]:
    """Let the waiting child work ``delay`` seconds, SIGKILL it, and return every line it
    printed.  With ``first`` the delay starts after the child's first line: on a loaded
    machine its first save can take longer than any delay, and a kill before it proves
    nothing."""
    _ready(proc)
    proc.stdin.write("go\n")
    proc.stdin.flush()
    lines = [proc.stdout.readline().strip()] if first else []
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    out, _err = proc.communicate(timeout=30)
    return [line for line in lines if line] + out.split()


@pytest.mark.sqlite_only("kill -9 of a SQLite writer, then SQLite's integrity check of the file")
def test_killed_stream_of_saves_loses_no_committed_record(db, org):
    rng = random.Random(20261123)
    db.dispose()
    reported: list[str] = []
    kills = 0
    procs = [_start(SAVER, str(db.path), str(run)) for run in range(RUNS)]
    for run, proc in enumerate(procs):
        lines = _kill_after(proc, rng.uniform(0.02, 0.5), first=True)
        kills += proc.returncode == -signal.SIGKILL
        reported += lines
        assert backup.check_file(db.path).ok, f"run {run}"
    assert kills == RUNS
    with db.session() as session:
        stored = set(session.scalars(select(Customer.id)))
    assert len(reported) >= RUNS  # the saves did run: each run's first one, at least
    missing = set(reported) - stored
    assert not missing, f"{len(missing)} committed saves lost"
    # at most one save per kill was in flight: committed but killed before it printed
    assert len(stored) - len(set(reported)) <= RUNS
    print(f"saves: {RUNS} runs, {kills} kills, {len(reported)} committed saves checked")


def _workbook(path: Path) -> str:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["客户名称", "统一社会信用代码", "客户经理", "联系人", "手机"])
    for i in range(IMPORT_ROWS):
        ws.append(
            [
                f"福州导入{i}号贸易有限公司",
                make_credit_code(f"91350100MA{i:06d}"),
                "mgr_a2",
                "王强",
                "13805912346",
            ]
        )
    wb.save(path)
    return str(path)


def _imported(path: Path) -> tuple[int, int]:
    db = open_database(path)
    try:
        with db.session() as session:
            count = session.scalar(
                select(func.count()).select_from(Customer).where(Customer.name.like("福州导入%"))
            )
            audited = session.scalar(
                select(func.count())
                .select_from(AuditRecord)
                .where(AuditRecord.action == "import.customers")
            )
        return count or 0, audited or 0
    finally:
        db.dispose()


@pytest.mark.sqlite_only("kill -9 of a SQLite writer, then SQLite's integrity check of the file")
def test_killed_import_is_all_or_nothing(db, org, tmp_path):
    rng = random.Random(7)
    book = _workbook(tmp_path / "导入.xlsx")
    db.dispose()
    template = tmp_path / "template.db"
    backup.make_copy(db.path, template)
    # the first run is not killed: it measures how long the import takes
    targets = [tmp_path / f"run{run}.db" for run in range(RUNS + 1)]
    for target in targets:
        backup.make_copy(template, target)
    procs = [_start(IMPORTER, str(target), book) for target in targets]
    target, proc = targets[0], procs[0]
    _ready(proc)
    proc.stdin.write("go\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "start"
    started = time.perf_counter()
    assert proc.stdout.readline().strip() == "done", proc.stderr.read()
    duration = time.perf_counter() - started
    proc.wait(timeout=30)
    assert _imported(target) == (IMPORT_ROWS, 1)
    outcomes = {"nothing": 0, "all": 0}
    # kill moments spread over the whole import and a little after its end
    moments = [duration * 1.3 * (k + rng.random()) / RUNS for k in range(RUNS)]
    rng.shuffle(moments)
    for run in range(1, RUNS + 1):
        target, proc = targets[run], procs[run]
        lines = _kill_after(proc, moments[run - 1])
        assert proc.returncode == -signal.SIGKILL or lines[-1] == "done"
        assert backup.check_file(target).ok, f"run {run}"
        count, audited = _imported(target)
        assert (count, audited) in ((0, 0), (IMPORT_ROWS, 1)), f"run {run}: {count} rows"
        if "done" in lines:
            assert count == IMPORT_ROWS, f"run {run}: reported done, {count} rows"
        outcomes["all" if count else "nothing"] += 1
    print(f"import: {RUNS} killed runs ({duration:.2f} s each), outcomes {outcomes}")


def test_two_windows_lose_no_update(db, org, make_customer):
    """Issue §5: a save of a record changed meanwhile by the other window is refused with
    who changed it; after a reload the save goes through."""
    created = customers.save_customer(
        db, org.mgr_a1, make_customer("福州双窗口公司", manager=org.mgr_a1, nature="individual")
    )
    cid = created.first(Kind.CUSTOMER)
    first = customers.get_customer(db, org.mgr_a1, cid)  # window 1 opens the file
    second = customers.get_customer(db, org.sup_a, cid)  # window 2 opens it too
    second.data.address = "福州市鼓楼区支局长改的地址"
    customers.save_customer(db, org.sup_a, second.data, cid, second.version)
    first.data.pickup_times = "每天 9:00"
    with pytest.raises(StaleRecord) as err:
        customers.save_customer(db, org.mgr_a1, first.data, cid, first.version)
    assert "林支局长" in err.value.message
    reloaded = customers.get_customer(db, org.mgr_a1, cid)
    assert reloaded.data.address == "福州市鼓楼区支局长改的地址"
    reloaded.data.pickup_times = "每天 9:00"
    customers.save_customer(db, org.mgr_a1, reloaded.data, cid, reloaded.version)
    final = customers.get_customer(db, org.admin, cid).data
    assert (final.address, final.pickup_times) == ("福州市鼓楼区支局长改的地址", "每天 9:00")
