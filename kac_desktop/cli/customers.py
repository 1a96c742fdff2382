"""Commands for customer files: demo data and the Excel import."""

from __future__ import annotations

import argparse

from kac_desktop.i18n import _

from . import revenue
from .common import (
    ConsoleProgress,
    actor_from_args,
    add_columns,
    add_db,
    add_user,
    columns_of,
    day_argument,
    keep_rejections,
    open_db,
)


def register(sub) -> list[str]:
    demo = sub.add_parser("demo", help=_("build a database of demonstration data"))
    add_db(demo)
    demo.add_argument(
        "--customers", type=int, default=2000, metavar="N", help=_("customer files to make")
    )
    demo.add_argument("--seed", type=int, default=1, help=_("the same seed makes the same data"))
    # the history: by default what the rules give; a count makes exactly that many rows
    # (the scale L: --customers 100000 --visits 2000000 --revenue-rows 1200000
    # --requests 200000 --months 24)
    demo.add_argument("--visits", type=int, default=None, metavar="N", help=_("visits to make"))
    demo.add_argument(
        "--revenue-rows", type=int, default=None, metavar="N", help=_("revenue rows to make")
    )
    demo.add_argument(
        "--requests", type=int, default=None, metavar="N", help=_("service requests to make")
    )
    demo.add_argument(
        "--months",
        type=int,
        default=None,
        metavar="N",
        help=_("months of history (visits and requests; revenue at least 24)"),
    )

    imp = sub.add_parser("import", help=_("import a workbook"))
    imp_sub = imp.add_subparsers(dest="what", required=True)
    cust = imp_sub.add_parser("customers", help=_("import customer files from Excel"))
    cust.add_argument("file", metavar="FILE.xlsx")
    add_db(cust)
    add_user(cust)
    cust.add_argument(
        "--manager", metavar="LOGIN", default=None, help=_("account manager of rows that name none")
    )
    cust.add_argument(
        "--mapping",
        metavar="FILE",
        default=None,
        help=_("column mapping saved from the import dialog"),
    )
    cust.add_argument(
        "--registered-on",
        metavar="DATE",
        default=None,
        type=day_argument,
        help=_("registration date (登记日期) of rows that give none (default: today)"),
    )
    add_columns(cust)
    cust.add_argument(
        "--skip-invalid",
        action="store_true",
        help=_("import the valid rows even when some rows are rejected"),
    )
    revenue.register_import(imp_sub)  # import revenue: cli/revenue.py
    return ["demo", "import"]


def run(args: argparse.Namespace) -> int:
    if args.command == "demo":
        return _demo(args)
    if args.command == "import" and args.what == "customers":
        return _import_customers(args)
    if args.command == "import" and args.what == "revenue":
        return revenue.run_import(args)
    return 2


def _demo(args: argparse.Namespace) -> int:
    from kac_desktop.demo.build import build_demo
    from kac_desktop.demo.volumes import Volumes

    months = 12 if args.months is None else args.months
    volumes = Volumes(
        visits=args.visits,
        visit_months=months,
        revenue_rows=args.revenue_rows,
        revenue_months=max(months, 24),
        requests=args.requests,
        request_months=months,
    )
    volumes.check()  # a clear message before the database is touched
    db = open_db(args, create=True)
    summary = build_demo(
        db,
        customers=args.customers,
        seed=args.seed,
        progress=ConsoleProgress(),
        volumes=volumes,
    )
    print(summary.describe())
    return 0


def _import_customers(args: argparse.Namespace) -> int:
    from kac_desktop.services import customer_import

    db = open_db(args)
    actor = actor_from_args(db, args)
    preview = customer_import.preview_import(
        db,
        actor,
        args.file,
        mapping_file=args.mapping,
        columns=columns_of(args),
        manager_login=args.manager,
        registered_on=args.registered_on,
    )
    result = customer_import.run_import(
        db, actor, preview, skip_invalid=args.skip_invalid, progress=ConsoleProgress()
    )
    keep_rejections(result, args.file)
    print(result.describe())
    return 0 if result.ok else 1
