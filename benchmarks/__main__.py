"""``python -m benchmarks run --scale S|M|L [--only NAME ...] [--quick]``"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the cases and write benchmarks/results/latest.json")
    run.add_argument("--scale", choices=["S", "M", "L"], default="M")
    run.add_argument("--only", action="append", metavar="NAME", help="run only this case")
    run.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke test)")
    run.add_argument("--db", help="use this database instead of the cached one")
    run.add_argument("--json", help="write the results here instead of results/latest.json")
    run.add_argument(
        "--plain",
        action="store_true",
        help="databases without encryption, as on a PC without SQLCipher (its cost)",
    )
    sub.add_parser("list", help="the registered cases")
    args = parser.parse_args(argv)

    from pathlib import Path

    from benchmarks import generate, suite

    if getattr(args, "plain", False):
        from kac_desktop.db import cipher

        cipher._plain_only = True

    if args.command == "list":
        for name, case in suite.load_cases().items():
            print(f"{name:<22}{case.target}")
        return 0
    path = Path(args.db) if args.db else generate.database(args.scale)
    ctx = suite.Context(args.scale, path, args.quick, notes=generate.notes(args.scale, path))
    if args.only:
        unknown = set(args.only) - set(suite.load_cases())
        if unknown:
            parser.error(f"unknown case: {', '.join(sorted(unknown))}")
    print(f"scale {args.scale}: {path}", flush=True)
    results = suite.run(ctx, args.only)
    print(suite.table(results, ctx.notes))
    out = suite.write_json(ctx, results, Path(args.json) if args.json else None)
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
