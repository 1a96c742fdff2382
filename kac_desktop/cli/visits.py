"""Commands for visits: ``quota`` prints a month's visit-quota compliance table."""

from __future__ import annotations

import argparse
import sys

from kac_desktop.i18n import _
from kac_desktop.rules import quota as rules
from kac_desktop.rules import vocab
from kac_desktop.rules.quota import Month
from kac_desktop.services.errors import NotFound, ServiceError
from kac_desktop.sheets import display_width

from .common import actor_from_args, add_db, add_user, open_db


def register(sub) -> list[str]:
    quota = sub.add_parser("quota", help=_("print the visit-quota compliance of a month"))
    add_db(quota)
    add_user(quota)
    quota.add_argument(
        "--month", metavar="YYYY-MM", default=None, help=_("the month (default: this month)")
    )
    quota.add_argument(
        "--manager", metavar="LOGIN", default=None, help=_("one account manager (default: all)")
    )
    quota.add_argument("--behind-only", action="store_true", help=_("only customers behind"))
    return ["quota"]


def run(args: argparse.Namespace) -> int:
    if args.command == "quota":
        return _quota(args)
    return 2


_width = display_width  # columns a text takes on a terminal: CJK counts 2


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _quota(args: argparse.Namespace) -> int:
    from kac_desktop.services import users as user_service
    from kac_desktop.services import visit_quota

    month = None
    if args.month:
        try:
            month = Month.parse(args.month)
        except ValueError as exc:
            raise ServiceError(
                _("The month {month} is not valid; write it as YYYY-MM, e.g. 2026-03.").format(
                    month=args.month
                )
            ) from exc
    db = open_db(args)
    actor = actor_from_args(db, args)
    manager_id = None
    if args.manager:
        found = [m for m in user_service.list_managers(db, actor) if m.login == args.manager]
        if not found:
            raise NotFound(
                _("There is no account manager {login} that you may see.").format(
                    login=args.manager
                )
            )
        manager_id = found[0].id
    report = visit_quota.quota_report(db, actor, month, manager_id)
    headers = [_("Customer"), _("Class"), _("Visits required"), _("Visits done"), _("State")]
    if not manager_id and actor.role != "manager":
        headers.insert(1, _("Account manager"))
    lines: list[list[str]] = []
    for row in report.rows:
        if args.behind_only and row.status.state != rules.BEHIND:
            continue
        cells = [
            row.name,
            vocab.label(vocab.VISIT_CLASSES, row.visit_class),
            str(row.status.required),
            str(row.status.done),
            rules.state_text(row.status),
        ]
        if len(headers) == 6:
            cells.insert(1, row.manager)
        lines.append(cells)
    widths = [max([_width(h)] + [_width(r[i]) for r in lines]) for i, h in enumerate(headers)]
    out = sys.stdout
    print(
        _("Visit quota {month} — {scope}").format(
            month=str(report.month),
            scope=args.manager or actor.branch_name or actor.display_name,
        ),
        file=out,
    )
    print("  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True)), file=out)
    for cells in lines:
        print("  ".join(_pad(c, w) for c, w in zip(cells, widths, strict=True)), file=out)
    for m in report.by_manager:
        c = m.compliance
        print(
            _("{manager}: {met} of {due} customers met, compliance rate {rate}").format(
                manager=m.manager, met=c.met, due=c.due, rate=rules.format_rate(c.rate)
            ),
            file=out,
        )
    if len(report.by_branch) > 1:
        for b in report.by_branch:
            c = b.compliance
            print(
                _("{manager}: {met} of {due} customers met, compliance rate {rate}").format(
                    manager=b.branch, met=c.met, due=c.due, rate=rules.format_rate(c.rate)
                ),
                file=out,
            )
    t = report.total
    print(
        _(
            "Total: {due} customers due, {met} met, {behind} behind; compliance rate {rate}; "
            "{days} days left in the month."
        ).format(
            due=t.due,
            met=t.met,
            behind=t.behind,
            rate=rules.format_rate(t.rate),
            days=report.days_left,
        ),
        file=out,
    )
    return 0
