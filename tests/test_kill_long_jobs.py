"""Proof (issue #22 §7): every long job — the customer import, the revenue import, a
backup, a restore, the monthly report and the encryption of a plain database of an earlier
release — is killed with SIGKILL at random moments, 50
times each.  After every kill: no partial import (all of the workbook or none of it, with
its audit record or without), the integrity check passes, the audit chain is unbroken,
and after the next start no file is left behind (.part, .part-journal, temporary files).

The jobs run in children forked from this process (everything is imported already), on
small data, so that the 250 runs take a few minutes at most.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import time
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from kac_desktop.db import cipher, copy_database, open_database
from kac_desktop.io.workbook import write_table
from kac_desktop.models import AuditRecord, Customer, Revenue
from kac_desktop.rules.credit_code import make_credit_code
from kac_desktop.services import (
    audit,
    backup,
    customer_import,
    customers,
    monthly_report,
    revenue_import,
    users,
)
from kac_desktop.sheets import remove_stale_temporaries

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL"),
    pytest.mark.sqlite_only("kill -9 of a job on a SQLite file, then SQLite's checks of it"),
]

RUNS = int(os.environ.get("KILL_RUNS", "50"))
CUSTOMERS = 40
IMPORT_ROWS = 120
MONTH = 202609
LINES = ("函件", "速递物流", "报刊发行")
LEFTOVER = ("*.part", "*.part-journal", ".*.tmp")


def _code(n: int) -> str:
    return make_credit_code(f"91350100MA{n:06d}")


@pytest.fixture
def world(db, org, make_customer, tmp_path):
    """A template database (customers with credit codes; a backup from before they were
    made), the two workbooks."""
    made = backup.backup_now(db, org.admin)
    for i in range(CUSTOMERS):
        customers.save_customer(
            db,
            org.mgr_a1,
            make_customer(f"福州杀进程测试{i}号有限公司", code=_code(i), manager=org.mgr_a1),
        )
    book = openpyxl.Workbook()
    book.active.append(["客户名称", "客户性质", "所属行业", "区域", "联系人", "手机"])
    for i in range(IMPORT_ROWS):
        book.active.append(
            [f"福州杀进程导入{i}号店", "个人", "批发零售", "城区", "李明", "13805912345"]
        )
    book.save(tmp_path / "customers.xlsx")
    write_table(
        tmp_path / "revenue.xlsx",
        ["统一社会信用代码", "客户名称", "月份", "业务种类", "收入金额"],
        [[_code(i), "", MONTH, line, 1000 + i] for i in range(CUSTOMERS) for line in LINES],
        title="收入",
    )
    db.dispose()
    template = tmp_path / "template.db"
    copy_database(db.path, template)
    plain = tmp_path / "plain-template.db"
    if cipher.available():  # the same data unencrypted, as an earlier release kept it
        connection = cipher.connect(template)
        connection.execute("ATTACH DATABASE ? AS plain KEY ''", (str(plain),))
        connection.execute("SELECT sqlcipher_export('plain')")
        connection.execute("DETACH DATABASE plain")
        connection.close()
    return {
        "template": template,
        "plain": plain,
        "backup": made.path,
        "org": org,
        "dir": tmp_path,
    }


def _job(kind: str, path: Path, world) -> None:
    """The long job, in the child (its own engine and connections)."""
    db = open_database(path)
    folder = world["dir"]
    if kind == "customers":
        actor = users.actor_for(db, "sup_a")
        preview = customer_import.preview_import(db, actor, folder / "customers.xlsx")
        customer_import.run_import(db, actor, preview, skip_invalid=False)
    elif kind == "revenue":
        actor = users.actor_for(db, "mgr_a1")
        preview = revenue_import.preview_import(db, actor, folder / "revenue.xlsx")
        revenue_import.run_import(db, actor, preview, skip_invalid=False)
    elif kind == "backup":
        backup.backup_now(db, None)
    elif kind == "restore":
        db.dispose()
        backup.restore(path, world["backup"])
    elif kind == "encrypt":
        pass  # opening the plain database was the job
    elif kind == "report":
        actor = users.actor_for(db, "admin")
        monthly_report.make_files(
            db,
            actor,
            "2026-09",
            xlsx=folder / "work" / "report.xlsx",
            pdf=folder / "work" / "report.pdf",
        )
    db.dispose()


def _fork(kind: str, path: Path, world) -> int:
    pid = os.fork()
    if pid == 0:  # the child: the job, then out without running the parent's clean-up
        code = 0
        try:
            _job(kind, path, world)
        except BaseException:
            code = 1
        os._exit(code)
    return pid


def _full_run(kind: str, path: Path, world) -> float:
    start = time.perf_counter()
    pid = _fork(kind, path, world)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, kind
    return time.perf_counter() - start


def _leftovers(folder: Path) -> list[Path]:
    return [p for pattern in LEFTOVER for p in folder.rglob(pattern)]


def _state(path: Path) -> dict[str, int]:
    raw = cipher.connect(str(path))
    try:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return {
            "customers": raw.execute("SELECT count(*) FROM customers").fetchone()[0],
            "revenue": raw.execute("SELECT count(*) FROM revenues").fetchone()[0],
            "imports": raw.execute(
                "SELECT count(*) FROM audit_records WHERE action = 'import.customers'"
            ).fetchone()[0],
            "revenue_imports": raw.execute(
                "SELECT count(*) FROM audit_records WHERE action LIKE 'import.revenue%'"
            ).fetchone()[0],
        }
    finally:
        raw.close()


@pytest.mark.parametrize(
    "kind", ["customers", "revenue", "backup", "restore", "report", "encrypt"]
)
def test_kill_9_at_random_moments(kind, world, tmp_path):
    if kind == "encrypt" and not cipher.available():
        pytest.skip("SQLCipher is not installed")
    work = tmp_path / "work"
    work.mkdir()
    path = work / "kac.db"
    backups = work / "backups"
    rng = random.Random(f"kill-{kind}")
    before = None
    durations = []
    outcomes: Counter[str] = Counter()
    left_by_kills = 0
    for run in range(RUNS + 1):
        for stale in [*work.glob("kac*"), *backups.glob("*")]:
            stale.unlink()
        if kind == "encrypt":
            shutil.copy(world["plain"], path)
        else:
            copy_database(world["template"], path)
        if before is None:
            before = _state(path)
            # one uninterrupted run: how long the job takes, and what it ends with
            durations.append(_full_run(kind, path, world))
            after = _state(path)
            continue
        pid = _fork(kind, path, world)
        time.sleep(rng.uniform(0, durations[0] * 1.1))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        left_by_kills += len(_leftovers(work))
        # the next start removes what the killed job left, and opens a sound database (a
        # report's temporary files go with the next report written to the same file)
        if kind == "report":
            for name in ("report.xlsx", "report.pdf"):
                remove_stale_temporaries(work / name)
        db = open_database(path)
        try:
            with db.session() as session:
                assert audit.verify_chain(session) == [], f"run {run}: chain broken"
                session.scalar(select(func.count()).select_from(Customer))
        finally:
            db.dispose()
        assert _leftovers(work) == [], f"run {run}: {_leftovers(work)}"
        state = _state(path)
        if kind == "customers":
            assert state in (before, after), f"run {run}: partial import {state}"
            outcomes["all" if state == after else "nothing"] += 1
        elif kind == "revenue":
            assert state["revenue"] in (before["revenue"], after["revenue"]), state
            assert (state["revenue"] == after["revenue"]) == (
                state["revenue_imports"] == after["revenue_imports"]
            ), f"run {run}: rows and audit disagree {state}"
            outcomes["all" if state == after else "nothing"] += 1
        elif kind == "backup":
            made = backup.list_backups(backups, "kac")
            for info in made:
                assert backup.check_file(info.path).ok, f"run {run}: bad backup {info.path}"
            outcomes[f"{len(made)} backups"] += 1
            for info in made:
                info.path.unlink()
        elif kind == "restore":
            assert state["customers"] in (before["customers"], after["customers"]), state
            for kept in work.glob("kac-replaced-*.db"):
                assert backup.check_file(kept).ok, f"run {run}: bad kept copy"
            outcomes["restored" if state == after else "as before"] += 1
        elif kind == "encrypt":
            # the next start finished (or redid) the encryption: all the data, encrypted
            assert state == before, f"run {run}: {state}"
            assert cipher.is_plain(path) is False, f"run {run}: still plain"
            outcomes["encrypted"] += 1
        elif kind == "report":
            for name in ("report.xlsx", "report.pdf"):
                made_file = work / name
                if made_file.exists():
                    assert made_file.stat().st_size > 0
                    if name.endswith(".xlsx"):
                        openpyxl.load_workbook(made_file, read_only=True).close()
                    else:
                        assert made_file.read_bytes().rstrip().endswith(b"%%EOF")
                    outcomes[f"{name} complete"] += 1
                    made_file.unlink()
            outcomes["runs"] += 1
    print(
        f"\n{kind}: {RUNS} kills ({durations[0]:.2f} s per job): {dict(outcomes)}; "
        f"files left by the kills {left_by_kills}, after the next start 0; "
        "0 partial, 0 integrity errors, 0 chain breaks"
    )


def test_the_revenue_template_rows_are_importable(world, tmp_path):
    """The revenue workbook the proof kills the import of imports completely."""
    path = tmp_path / "work-check.db"
    copy_database(world["template"], path)
    db = open_database(path)
    try:
        actor = users.actor_for(db, "mgr_a1")
        preview = revenue_import.preview_import(db, actor, world["dir"] / "revenue.xlsx")
        result = revenue_import.run_import(db, actor, preview, skip_invalid=False)
        assert result.ok, result.describe()
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(Revenue)) == CUSTOMERS * 3
            assert session.scalar(select(func.count()).select_from(AuditRecord)) > 0
    finally:
        db.dispose()
