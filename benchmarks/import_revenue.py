"""Benchmark: import a 120,000-row revenue workbook into a demo database
(``python benchmarks/import_revenue.py [--customers 10000] [--months 12]``).

Builds a demo database (with its own two years of revenue), writes a workbook of
customers × months × one product line (customers by credit code, or by name without one),
then times the preview (read + check + compare), the import (replacing those months), an
identical re-import (must change nothing), and beside them the floor: python-calamine
reading the same workbook and sqlite3 executemany of as many rows into a bare table.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from kac_desktop.db import open_database  # noqa: E402
from kac_desktop.io.revenue_import import FIELDS  # noqa: E402
from kac_desktop.io.workbook import write_table  # noqa: E402
from kac_desktop.models import Customer  # noqa: E402
from kac_desktop.rules import points as rules  # noqa: E402
from kac_desktop.services import revenue_import  # noqa: E402
from kac_desktop.services.demo import build_demo  # noqa: E402
from kac_desktop.services.users import actor_for  # noqa: E402

LINES = ("函件", "速递物流", "报刊", "集邮", "代理")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kac-revenue-bench-"))
    db = open_database(folder / "bench.db")
    today = date.today()
    started = time.perf_counter()
    build_demo(db, customers=args.customers, today=today)
    print(f"demo database, {args.customers:,} customers: {time.perf_counter() - started:.1f} s")
    with db.session() as session:
        customers = list(session.execute(select(Customer.credit_code, Customer.name)))
    last = rules.add_months(rules.month_of(today), -1)
    months = rules.months_between(rules.add_months(last, -(args.months - 1)), last)
    rows = []
    for i, (code, name) in enumerate(customers):
        for month in months:
            rows.append([code or "", "" if code else name, month, LINES[i % 5], 1000 + i % 977])
    workbook = folder / "revenue.xlsx"
    write_table(workbook, [f.header for f in FIELDS], rows, title="收入")
    print(f"workbook: {len(rows):,} rows")

    actor = actor_for(db)
    t = time.perf_counter()
    preview = revenue_import.preview_import(db, actor, workbook, today=today)
    t_preview = time.perf_counter() - t
    assert not preview.rejections, preview.rejections[:3]
    t = time.perf_counter()
    result = revenue_import.run_import(db, actor, preview, skip_invalid=False)
    t_run = time.perf_counter() - t
    print(f"preview (read + check + compare): {t_preview:.2f} s")
    print(
        f"import (replace {len(months)} months): {t_run:.2f} s — new {result.new:,}, "
        f"changed {result.changed:,}, removed {result.removed:,}"
    )
    t = time.perf_counter()
    preview = revenue_import.preview_import(db, actor, workbook, today=today)
    again = revenue_import.run_import(db, actor, preview, skip_invalid=False)
    print(
        f"identical re-import (preview + import): {time.perf_counter() - t:.2f} s — new "
        f"{again.new}, changed {again.changed}, removed {again.removed}, unchanged "
        f"{again.unchanged:,}"
    )

    from python_calamine import load_workbook

    t = time.perf_counter()
    with load_workbook(workbook) as wb:
        cells = wb.get_sheet_by_index(0).to_python()
    t_read = time.perf_counter() - t
    conn = sqlite3.connect(folder / "floor.db")
    conn.execute("create table r (id text, customer_id text, month int, line text, amount real)")
    t = time.perf_counter()
    with conn:
        conn.executemany(
            "insert into r values (?, ?, ?, ?, ?)",
            ((str(i), c[0] or c[1], c[2], c[3], c[4]) for i, c in enumerate(cells[1:])),
        )
    t_insert = time.perf_counter() - t
    print(f"floor: calamine read {t_read:.2f} s + sqlite3 executemany {t_insert:.2f} s")


if __name__ == "__main__":
    main()
