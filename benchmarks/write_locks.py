"""Benchmark: the longest write lock of each long job (``python benchmarks/write_locks.py``).

While another user's long job runs, a sign-in's bookkeeping or a save elsewhere waits for
the database's write lock.  This script runs each long job on a copy of the scale's
database (M: 10,000 customers) while a probe process tries to take the write lock every
few milliseconds without waiting (``BEGIN IMMEDIATE`` with a busy timeout of 0); the
longest stretch in which the probe could not get it is the job's longest lock.

Jobs: importing customers (``--rows`` new files), importing a month of revenue for every
customer, restoring a backup, making a backup, the monthly report (workbook and PDF).
Prints a table (longest lock, whole job, ms).  ``--code DIR`` runs another checkout's code
(the same script measured the code before and after a change).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kac_desktop.db import cipher

PROBE = r"""
import sys, time
from kac_desktop.db import cipher
c = cipher.connect(sys.argv[1], timeout=0, isolation_level=None)
c.execute("PRAGMA busy_timeout=0")
print("ready", flush=True)
longest = 0.0
last = time.perf_counter()
import select
while True:
    now = time.perf_counter()
    try:
        c.execute("BEGIN IMMEDIATE")
        c.execute("ROLLBACK")
        last = time.perf_counter()
    except cipher.Error:
        longest = max(longest, now - last)
    if select.select([sys.stdin], [], [], 0.002)[0]:
        break
print(f"{longest * 1000:.0f}", flush=True)
"""

JOB = r"""
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from kac_desktop.db import open_database
from kac_desktop.services import backup, customer_import, monthly_report, revenue_import, users
kind, path, folder = sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
db = open_database(path)
print("ready", flush=True)
sys.stdin.readline()
start = time.perf_counter()
if kind == "customer import":
    actor = users.actor_for(db, "admin")
    preview = customer_import.preview_import(db, actor, folder / "customers.xlsx")
    result = customer_import.run_import(db, actor, preview, skip_invalid=True)
    assert result.imported, result.describe()[:500]
elif kind == "revenue import":
    actor = users.actor_for(db, "admin")
    preview = revenue_import.preview_import(db, actor, folder / "revenue.xlsx")
    result = revenue_import.run_import(db, actor, preview, skip_invalid=True)
    assert result.ok, result.describe()[:500]
elif kind == "restore":
    db.dispose()
    backup.restore(path, folder / "backup.db")
elif kind == "backup":
    backup.backup_now(db, None, folder / "backups")
elif kind == "report":
    actor = users.actor_for(db, "admin")
    monthly_report.make_files(db, actor, sys.argv[5], xlsx=folder / "r.xlsx", pdf=folder / "r.pdf")
print(f"{(time.perf_counter() - start) * 1000:.0f}", flush=True)
"""

JOBS = ("customer import", "revenue import", "restore", "backup", "report")


def _workbooks(db_path: Path, folder: Path, rows: int) -> str:
    """The customer workbook (new files), the revenue workbook (the latest month again, for
    every customer and line) and a backup; returns the report's month."""

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.import_customers import make_rows  # noqa: E402
    from kac_desktop.io.customer_import import FIELDS  # noqa: E402
    from kac_desktop.io.workbook import write_table  # noqa: E402

    headers = [f.header for f in FIELDS]
    data = make_rows(rows)
    write_table(folder / "customers.xlsx", headers, data, title="客户")
    raw = cipher.connect(db_path)
    month = raw.execute("SELECT max(month) FROM revenues").fetchone()[0]
    lines = dict(raw.execute("SELECT code, name FROM product_lines"))
    revenue = [
        [code or "", name if not code else "", month, lines.get(line, line), float(amount) + 1]
        for code, name, line, amount in raw.execute(
            "SELECT c.credit_code, c.name, r.product_line, r.amount FROM revenues r "
            "JOIN customers c ON c.id = r.customer_id WHERE r.month = ?",
            (month,),
        )
    ]
    raw.close()
    write_table(
        folder / "revenue.xlsx",
        ["统一社会信用代码", "客户名称", "月份", "业务种类", "收入金额"],
        revenue,
        title="收入",
    )
    return f"{month // 100}-{month % 100:02d}"


def measure(code: Path, template: Path, folder: Path, kind: str, month: str) -> tuple[int, int]:
    from kac_desktop.db import copy_database

    path = folder / "kac.db"
    for old in folder.glob("kac.db*"):
        old.unlink()
    copy_database(template, path)
    # the children open the encrypted copy with this PC's keys (KAC_KEY_DIR, inherited)
    env = dict(os.environ, PYTHONPATH=str(code), QT_QPA_PLATFORM="offscreen")
    job = subprocess.Popen(
        [sys.executable, "-c", JOB, str(code), kind, str(path), str(folder), month],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert job.stdout.readline().strip() == "ready"
    probe = subprocess.Popen(
        [sys.executable, "-c", PROBE, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert probe.stdout.readline().strip() == "ready"
    job.stdin.write("go\n")
    job.stdin.flush()
    took = int(job.stdout.readline().strip() or -1)
    job.wait()
    time.sleep(0.05)
    probe.stdin.write("stop\n")
    probe.stdin.flush()
    longest = int(probe.stdout.readline().strip())
    probe.wait()
    return longest, took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="M")
    parser.add_argument("--rows", type=int, default=5000, help="customers imported")
    parser.add_argument("--code", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--db", default=None, help="the database (default: the scale's)")
    parser.add_argument("--only", action="append", default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.generate import database
    from kac_desktop.db import copy_database

    template = Path(args.db) if args.db else database(args.scale)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        month = _workbooks(template, folder, args.rows)
        copy_database(template, folder / "backup.db")
        print(f"code: {args.code}\n")
        print("| job | longest write lock (ms) | whole job (ms) |\n|---|---:|---:|")
        for kind in args.only or JOBS:
            longest, took = measure(Path(args.code), template, folder, kind, month)
            print(f"| {kind} | {longest:,} | {took:,} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
