"""The revenue import's time phase by phase (``python benchmarks/import_revenue.py [--db FILE]
[--runs 3]``): the case ``revenue_import`` of ``cases_import.py`` — the same workbook, a copy
of the same database — split where the service reports its progress (read, check, compare;
plan, write, assessments, audit and commit), beside the two parts of the floor.  Medians of
``--runs`` runs; ``--profile FILE`` keeps a cProfile of the last one.  The suite's
``python -m benchmarks run --only revenue_import`` gives the ratio; this says where the
time goes."""

from __future__ import annotations

import argparse
import cProfile
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import cases_import, generate  # noqa: E402
from benchmarks.suite import Context  # noqa: E402

PREVIEW = (("read", 0.0), ("check", 0.3), ("compare", 0.8))
RUN = (("plan", 0.0), ("write", 0.1), ("assessments", 0.7), ("audit+commit", 0.98))


class Clock:
    """A progress handle that notes when each fraction was reported."""

    def __init__(self) -> None:
        self.marks: list[tuple[float, float]] = []

    def report(self, fraction: float, message: str = "") -> None:
        self.marks.append((time.perf_counter(), fraction))

    def cancelled(self) -> bool:
        return False

    def phases(self, bounds: tuple[tuple[str, float], ...], end: float) -> dict[str, float]:
        starts = [next(t for t, f in self.marks if f >= low) for _name, low in bounds]
        return {
            name: b - a
            for (name, _low), a, b in zip(bounds, starts, [*starts[1:], end], strict=True)
        }


def one_run(ctx: Context, book: Path, profile: cProfile.Profile | None) -> dict[str, float]:

    from kac_desktop.db import open_database
    from kac_desktop.services import revenue_import
    from kac_desktop.services.users import actor_for

    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="kac-bench-revenue-db-") as folder:
        copy = Path(folder) / "import.db"
        cases_import.copy_database(ctx.db_path, copy)
        db = open_database(copy)
        try:
            actor = actor_for(db)
            if profile is not None:
                profile.enable()
            before, during = Clock(), Clock()
            preview = revenue_import.preview_import(
                db, actor, book, today=generate.TODAY, progress=before
            )
            times.update(before.phases(PREVIEW, time.perf_counter()))
            result = revenue_import.run_import(
                db, actor, preview, skip_invalid=False, progress=during
            )
            times.update(during.phases(RUN, time.perf_counter()))
            if profile is not None:
                profile.disable()
        finally:
            db.dispose()
    assert result.ok, result.describe()
    times["TOTAL"] = sum(times.values())

    times["floor: calamine"], times["floor: executemany"] = cases_import.floor(book)
    times["FLOOR"] = times["floor: calamine"] + times["floor: executemany"]
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", help="the database (default: the cached scale M one)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", help="write a cProfile of the last run here")
    args = parser.parse_args()
    path = Path(args.db) if args.db else generate.database("M")
    ctx = Context("M", path, quick=False)
    book = cases_import._workbook(ctx)
    print(f"{path}: {os.getloadavg()[0]:.1f} load", flush=True)
    runs = []
    for n in range(args.runs):
        profile = cProfile.Profile() if args.profile and n == args.runs - 1 else None
        runs.append(one_run(ctx, book, profile))
        if profile is not None:
            profile.dump_stats(args.profile)
    for name in runs[0]:
        median = statistics.median(r[name] for r in runs)
        print(f"{name:<20}{median * 1000:>9.0f} ms")
    ratio = statistics.median(r["TOTAL"] / r["FLOOR"] for r in runs)
    print(f"ratio TOTAL / FLOOR (median of the runs): {ratio:.2f}; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
