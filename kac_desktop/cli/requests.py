"""``kac-desktop requests``: the open service requests with deadline, warning state and time
left, at a moment of your choice (default now)."""

from __future__ import annotations

import argparse
from datetime import datetime

from kac_desktop.i18n import _
from kac_desktop.rules import vocab
from kac_desktop.rules.clock import now as utcnow
from kac_desktop.rules.deadlines import LOCAL_TZ, first_response_hours, rule_label
from kac_desktop.rules.service_states import OPEN_STATES, WARNING_STATES, time_left_text
from kac_desktop.services.errors import ServiceError

from .common import actor_from_args, add_db, add_user, open_db


def register(sub) -> list[str]:
    cmd = sub.add_parser("requests", help=_("list the open service requests with their deadlines"))
    add_db(cmd)
    add_user(cmd)
    cmd.add_argument(
        "--at",
        metavar="ISO_TIME",
        default=None,
        help=_("compute the states at this time (local time unless it names a zone; default now)"),
    )
    cmd.add_argument(
        "--state",
        choices=OPEN_STATES,
        default=None,
        help=_("only requests in this warning state"),
    )
    return ["requests"]


def parse_at(text: str | None) -> datetime:
    if not text:
        return utcnow()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ServiceError(
            _('"{value}" is not a time; write it like 2026-11-23T17:30.').format(value=text)
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment


def run(args: argparse.Namespace) -> int:
    from kac_desktop.services import requests as request_service

    now = parse_at(args.at)
    db = open_db(args)
    actor = actor_from_args(db, args)
    rows = request_service.list_open(db, actor, now, args.state)
    local_now = now.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    print(_("Open service requests at {time}: {count}").format(time=local_now, count=len(rows)))
    for r in rows:
        deadline = r.deadline_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
        rule = rule_label(
            r.deadline_rule,
            first_response_hours(r.received_at, r.first_response_due_at),
            r.deadline_provisional,
        )
        print(
            "\t".join(
                [
                    _(WARNING_STATES[r.state]),
                    time_left_text(r.due_at, now, None, r.first_response),
                    deadline,
                    rule,
                    r.customer,
                    vocab.label(vocab.REQUEST_TYPES, r.type),
                    vocab.label(vocab.REQUEST_STATUSES, r.status),
                    r.manager,
                ]
            )
        )
    return 0
