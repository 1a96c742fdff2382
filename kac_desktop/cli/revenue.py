"""Commands for revenue and points: ``import revenue`` (registered by the ``import``
command of cli/customers.py) and ``points``."""

from __future__ import annotations

import argparse

from kac_desktop.i18n import _
from kac_desktop.rules import vocab
from kac_desktop.rules.clock import business_today

from .common import (
    ConsoleProgress,
    actor_from_args,
    add_columns,
    add_db,
    add_user,
    columns_of,
    keep_rejections,
    open_db,
)


def register_import(imp_sub) -> None:
    """``import revenue FILE.xlsx``: a sub-command of ``import``."""
    rev = imp_sub.add_parser("revenue", help=_("import monthly revenue from Excel"))
    rev.add_argument("file", metavar="FILE.xlsx")
    add_db(rev)
    add_user(rev)
    rev.add_argument(
        "--mapping",
        metavar="FILE",
        default=None,
        help=_("column mapping saved from the import dialog"),
    )
    add_columns(rev)
    rev.add_argument(
        "--skip-invalid",
        action="store_true",
        help=_("import the valid rows even when some rows are rejected"),
    )


def register(sub) -> list[str]:
    points = sub.add_parser("points", help=_("list customers' points, club levels and targets"))
    add_db(points)
    add_user(points)
    points.add_argument("--year", type=int, default=None, metavar="YYYY")
    points.add_argument("--manager", metavar="LOGIN", default=None)
    points.add_argument(
        "--mismatch", action="store_true", help=_("only suggestions that differ from the tier")
    )
    return ["points"]


def run(args: argparse.Namespace) -> int:
    if args.command == "points":
        return _points(args)
    return 2


def run_import(args: argparse.Namespace) -> int:
    from kac_desktop.services import revenue_import

    db = open_db(args)
    actor = actor_from_args(db, args)
    preview = revenue_import.preview_import(
        db, actor, args.file, mapping_file=args.mapping, columns=columns_of(args)
    )
    result = revenue_import.run_import(
        db, actor, preview, skip_invalid=args.skip_invalid, progress=ConsoleProgress()
    )
    keep_rejections(result, args.file)
    print(result.describe())
    return 0 if result.ok else 1


def _percent(value) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _points(args: argparse.Namespace) -> int:
    from kac_desktop.services import revenue, users

    db = open_db(args)
    actor = actor_from_args(db, args)
    year = args.year or business_today().year
    manager_id = None
    if args.manager:
        manager_id = users.user_id_for(db, args.manager)
    q = revenue.PointsQuery(year=year, manager_id=manager_id, mismatch_only=args.mismatch)
    ids = revenue.query_ids(db, actor, q)
    headers = [
        _("Customer name"),
        _("Account manager"),
        _("Points {year}").format(year=year),
        _("Club level"),
        _("Gap to the next level"),
        _("Suggested tier"),
        _("Confirmed tier"),
        _("Revenue"),
        _("Maintenance target"),
        _("Completion"),
    ]
    print("\t".join(headers))
    for start in range(0, len(ids), 1000):
        for row in revenue.fetch_rows(db, actor, year, ids[start : start + 1000]):
            gap = (
                f"{vocab.label(vocab.TIERS, row.next_level)} {row.gap:,}"
                if row.next_level and row.gap is not None
                else "-"
            )
            print(
                "\t".join(
                    [
                        row.name,
                        row.manager,
                        f"{row.points:,}",
                        vocab.label(vocab.TIERS, row.level),
                        gap,
                        vocab.label(vocab.TIERS, row.suggested_tier),
                        vocab.label(vocab.TIERS, row.confirmed_tier),
                        f"{row.revenue:,.2f}",
                        f"{row.target:,.2f}",
                        _percent(row.completion),
                    ]
                )
            )
    print(_("{count} customers.").format(count=f"{len(ids):,}"))
    return 0
