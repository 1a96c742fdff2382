"""The revenue import's case (issue #8, "Speed at scale"): a workbook of 12 months × every
customer of the scale's database (120,000 rows at M), previewed and imported as the window
and ``kac-desktop import revenue`` do it, beside its floor: python-calamine reading the same
workbook plus sqlite3 executemany of as many rows into a bare table."""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from pathlib import Path

from kac_desktop.db import cipher

from .generate import TODAY
from .suite import Context, case

MONTHS = 12
_PHASES = "revenue_import phases"


def _workbook(ctx: Context) -> Path:
    """12 months × the customers of ``ctx.db_path``: by credit code, or by name without one;
    each customer's main product line as the demo data uses it (its first line); written
    once per run of the suite into a folder deleted at exit."""

    def make() -> tuple[tempfile.TemporaryDirectory, Path]:
        import json

        from kac_desktop.io.revenue_import import FIELDS
        from kac_desktop.io.workbook import write_table
        from kac_desktop.rules import points as rules

        connection = cipher.connect(f"file:{ctx.db_path}?mode=ro", uri=True)
        try:
            names = dict(connection.execute("SELECT code, name FROM product_lines"))
            customers = connection.execute(
                "SELECT credit_code, name, product_lines FROM customers ORDER BY rowid"
            ).fetchall()
        finally:
            connection.close()
        last = rules.add_months(rules.month_of(TODAY), -1)
        months = rules.months_between(rules.add_months(last, -(MONTHS - 1)), last)
        rng = random.Random(8)
        rows: list[list[object]] = []
        for code, name, lines in customers:
            known = [c for c in json.loads(lines or "[]") if c in names] or ["express"]
            line = names[known[0]]
            for month in months:
                rows.append(
                    [
                        code or "",
                        "" if code else name,
                        month,
                        line,
                        round(rng.uniform(200, 20_000), 2),
                    ]
                )
        folder = tempfile.TemporaryDirectory(prefix="kac-bench-revenue-")
        path = Path(folder.name) / "revenue.xlsx"
        write_table(path, [f.header for f in FIELDS], rows, title="收入")
        return folder, path

    return ctx.once("revenue workbook", make)[1]


def _note(ctx: Context, preview: float, run: float) -> None:
    phases = ctx.cache.setdefault(_PHASES, [])
    phases.append((preview, run))
    ordered = sorted(phases, key=sum)
    median = ordered[len(ordered) // 2]
    text = (
        f"{_PHASES}: preview {median[0] * 1000:.0f} ms + import {median[1] * 1000:.0f} ms "
        f"(the sample of median total, of {len(phases)})"
    )
    ctx.notes[:] = [n for n in ctx.notes if not n.startswith(_PHASES)] + [text]


def copy_database(source: Path, target: Path) -> None:
    """A copy through SQLite's backup API (whatever the source's journal holds; the source
    is only read), brought to the current schema and on disk before a clock starts: else
    the writes of the copy and of a migration (the application keeps a backup before one)
    would still be going to the disk while the import is timed."""
    from kac_desktop.db import open_database

    reading = cipher.connect(f"file:{source}?mode=ro", uri=True)
    writing = cipher.connect(target)
    try:
        reading.backup(writing)
    finally:
        writing.close()
        reading.close()
    open_database(target).dispose()  # migrated, its WAL checkpointed
    shutil.rmtree(target.parent / "backups", ignore_errors=True)
    with open(target, "rb+") as written:
        os.fsync(written.fileno())


def _import(ctx: Context) -> float:
    """Preview + import, checked and committed, into a copy of the scale's database (the copy
    and opening it are not timed)."""
    from kac_desktop.db import open_database
    from kac_desktop.services import revenue_import
    from kac_desktop.services.users import actor_for

    path = _workbook(ctx)
    with tempfile.TemporaryDirectory(prefix="kac-bench-revenue-db-") as folder:
        copy = Path(folder) / "import.db"
        copy_database(ctx.db_path, copy)
        db = open_database(copy)
        try:
            actor = actor_for(db)  # the first administrator: every customer is in reach
            started = time.perf_counter()
            preview = revenue_import.preview_import(db, actor, path, today=TODAY)
            previewed = time.perf_counter()
            result = revenue_import.run_import(db, actor, preview, skip_invalid=False)
            ended = time.perf_counter()
        finally:
            db.dispose()
    if not result.ok or preview.rejections:
        raise RuntimeError(f"the benchmark workbook was refused: {preview.rejections[:3]}")
    if result.new + result.changed + result.unchanged != preview.total_rows:
        raise RuntimeError("not every row of the benchmark workbook was imported")
    _note(ctx, previewed - started, ended - previewed)
    return ended - started


def floor(path: Path) -> tuple[float, float]:
    """The floor's two parts, in seconds: python-calamine reading the workbook at ``path``,
    and sqlite3 executemany of its rows into a bare table with the revenues' columns (no
    index), in a new file with the application's journal settings (WAL, synchronous
    NORMAL), one transaction."""
    from python_calamine import load_workbook

    stamp = "2026-11-23 08:00:00.000000"
    with tempfile.TemporaryDirectory(prefix="kac-bench-revenue-floor-") as folder:
        connection = cipher.connect(Path(folder) / "floor.db")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(
            "CREATE TABLE revenues (id VARCHAR(36), customer_id VARCHAR(36), month INTEGER, "
            "product_line VARCHAR(20), amount NUMERIC(14, 2), created_at DATETIME, "
            "updated_at DATETIME, updated_by VARCHAR(36), version INTEGER)"
        )
        try:
            started = time.perf_counter()
            with load_workbook(path) as workbook:
                cells = workbook.get_sheet_by_index(0).to_python()
            read = time.perf_counter() - started
            started = time.perf_counter()
            with connection:
                connection.executemany(
                    "INSERT INTO revenues VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        (f"{i:036d}", c[0] or c[1], c[2], c[3], c[4], stamp, stamp, "u", 1)
                        for i, c in enumerate(cells[1:])
                    ),
                )
            return read, time.perf_counter() - started
        finally:
            connection.close()


def _floor(ctx: Context) -> float:
    return sum(floor(_workbook(ctx)))


case(
    "revenue_import",
    baseline=_floor,
    target="≤ 2× the floor (calamine read + sqlite3 executemany)",
    repeat=5,
)(_import)
