"""``kac-desktop report``: the monthly report to the city center as a workbook and a PDF,
for supervisors and scheduled jobs (the same service as the report page)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kac_desktop.i18n import _
from kac_desktop.services.errors import NotFound, ServiceError

from .common import ConsoleProgress, actor_from_args, add_db, add_user, open_db


def register(sub) -> list[str]:
    report = sub.add_parser(
        "report",
        help=_("make the monthly report to the city center as Excel and PDF"),
    )
    add_db(report)
    add_user(report)
    report.add_argument("--month", metavar="YYYY-MM", required=True, help=_("the month"))
    report.add_argument(
        "--branch",
        metavar="NAME",
        default=None,
        help=_("one branch, by name (city center only; default: every branch)"),
    )
    report.add_argument("--xlsx", metavar="FILE", default=None, help=_("the workbook to write"))
    report.add_argument("--pdf", metavar="FILE", default=None, help=_("the PDF to write"))
    return ["report"]


def run(args: argparse.Namespace) -> int:
    from kac_desktop.services import monthly_report as report_service

    if not args.xlsx and not args.pdf:
        raise ServiceError(_("Name at least one file to write: --xlsx FILE and/or --pdf FILE."))
    month = report_service.parse_month(args.month)
    db = open_db(args)
    try:
        actor = actor_from_args(db, args)
        branch_id = None
        if args.branch:
            found = [
                bid
                for bid, name in report_service.branch_choices(db, actor)
                if name == args.branch.strip()
            ]
            if not found:
                raise NotFound(
                    _("There is no branch {name} that you may make a report of.").format(
                        name=args.branch
                    )
                )
            branch_id = found[0]
        made = report_service.make_files(
            db,
            actor,
            month,
            branch_id=branch_id if actor.is_admin else None,
            xlsx=Path(args.xlsx) if args.xlsx else None,
            pdf=Path(args.pdf) if args.pdf else None,
            progress=ConsoleProgress(),
        )
    finally:
        db.dispose()
    s = made.report.summary
    print(
        _(
            "Monthly report {month} of {unit}: {customers} customers, key-customer revenue "
            "{revenue}."
        ).format(
            month=made.report.month,
            unit=made.report.title_branch,
            customers=f"{s.customers:,}",
            revenue=f"¥{s.revenue_key:,.2f}",
        )
    )
    for path in (made.xlsx, made.pdf):
        if path:
            print(_("Written: {path}").format(path=path))
    sys.stdout.flush()
    return 0
