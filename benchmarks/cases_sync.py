"""The data exchange's case (issue #15): the starting package of the unit with the most
customers of the scale's database — every record of its scope — written at the center and
applied into a new, empty database, as ``kac-desktop sync export --for`` and ``sync import``
do it (checked, merged, committed), beside its floor: the same rows written to a file as
JSON lines, read back, and inserted with executemany into bare tables of the same columns.

(The issue's figure is a package of 10,000 changed customers, 50,000 visits and 20,000
revenue rows at M; the starting package of the largest unit is the nearest the demo data
gives without a branch PC's week of edits, and every one of its rows takes the insert path
of an import.)"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from kac_desktop.db import cipher

from .cases_import import copy_database
from .suite import Context, case


def _largest_unit(path: Path) -> str:
    connection = cipher.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (name,) = connection.execute(
            "SELECT b.name FROM branches b JOIN customers c ON c.branch_id = b.id "
            "WHERE b.level != 'city' GROUP BY b.id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        return name
    finally:
        connection.close()


def _exchange(ctx: Context) -> list[float]:
    """[export, import] seconds: a center's copy writes the package, a new database takes it."""
    from kac_desktop.db import open_database
    from kac_desktop.io import sync_package
    from kac_desktop.services import sync
    from kac_desktop.services.users import actor_for

    with tempfile.TemporaryDirectory(prefix="kac-bench-sync-") as folder:
        center_path = Path(folder) / "center.db"
        copy_database(ctx.db_path, center_path)
        center = open_database(center_path)
        branch = open_database(Path(folder) / "branch.db")
        try:
            unit = _largest_unit(center_path)
            package = Path(folder) / "setup.kacsync"
            started = time.perf_counter()
            made = sync.export_for_branch(center, actor_for(center), unit, package)
            exported = time.perf_counter()
            # scrypt of the code is a fixed cost paid once per branch PC, not per record
            sync_package.setup_key(made.setup_code or "", b"0" * 16)
            begun = time.perf_counter()
            result = sync.run_import(branch, None, package, code=made.setup_code)
            ended = time.perf_counter()
        finally:
            center.dispose()
            branch.dispose()
    if result.new != made.records:
        raise RuntimeError("the package was not applied whole")
    ctx.notes[:] = [n for n in ctx.notes if not n.startswith("sync_package")] + [
        f"sync_package: {made.records:,} records, export {exported - started:.2f} s, "
        f"import {ended - begun:.2f} s"
    ]
    return [(exported - started) + (ended - begun)]


def _floor(ctx: Context) -> float:
    """The unit's rows of the big tables (its customers, their contacts, visits, requests,
    request steps and revenue months) written as JSON lines, read back and inserted with
    executemany into bare tables."""
    source = cipher.connect(f"file:{ctx.db_path}?mode=ro", uri=True)
    tables = [
        "customers",
        "contacts",
        "visits",
        "service_requests",
        "request_status_changes",
        "revenues",
    ]
    unit = _largest_unit(ctx.db_path)
    mine = "SELECT c.id FROM customers c JOIN branches b ON b.id = c.branch_id WHERE b.name = ?"
    where = {
        "customers": f"id IN ({mine})",
        "request_status_changes": (
            f"request_id IN (SELECT id FROM service_requests WHERE customer_id IN ({mine}))"
        ),
    }
    try:
        data = {
            t: source.execute(
                f"SELECT * FROM {t} WHERE {where.get(t, f'customer_id IN ({mine})')}",  # noqa: S608
                (unit,),
            ).fetchall()
            for t in tables
        }
        columns = {t: [r[1] for r in source.execute(f"PRAGMA table_info({t})")] for t in tables}
    finally:
        source.close()
    with tempfile.TemporaryDirectory(prefix="kac-bench-sync-floor-") as folder:
        target = cipher.connect(Path(folder) / "floor.db")
        target.execute("PRAGMA journal_mode=WAL")
        target.execute("PRAGMA synchronous=NORMAL")
        for t in tables:
            target.execute(f"CREATE TABLE {t} ({', '.join(columns[t])})")
        lines = Path(folder) / "rows.jsonl"
        started = time.perf_counter()
        with open(lines, "w", encoding="utf-8") as handle:
            for t in tables:
                for row in data[t]:
                    handle.write(json.dumps([t, list(row)], ensure_ascii=False, default=str))
                    handle.write("\n")
        read: dict[str, list] = {t: [] for t in tables}
        with open(lines, encoding="utf-8") as handle:
            for line in handle:
                t, row = json.loads(line)
                read[t].append(row)
        with target:
            for t in tables:
                marks = ", ".join("?" for _ in columns[t])
                target.executemany(f"INSERT INTO {t} VALUES ({marks})", read[t])
        elapsed = time.perf_counter() - started
        target.close()
    return elapsed


case(
    "sync_package",
    baseline=_floor,
    target="export ≤ 5 s, import ≤ 10 s at M (the issue: 10,000 customers, 50,000 visits, "
    "20,000 revenue rows)",
    repeat=3,
)(_exchange)
