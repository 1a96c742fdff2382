"""What every command shares: the --db and --user options, signing in, console progress."""

from __future__ import annotations

import argparse
import sys

from kac_desktop.db import Database, open_database
from kac_desktop.i18n import _
from kac_desktop.services import users
from kac_desktop.services.context import Actor


def add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        default=None,
        help=_("database file or URL (default: the user-data folder)"),
    )


def add_user(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user",
        metavar="LOGIN",
        default=None,
        help=_("act as this user (default: the first administrator)"),
    )


def open_db(args: argparse.Namespace) -> Database:
    return open_database(args.db)


def actor_from_args(db: Database, args: argparse.Namespace) -> Actor:
    """The user a command acts as: every command signs in through here."""
    return users.actor_for(db, getattr(args, "user", None))


class ConsoleProgress:
    """Progress on stderr for long commands (when it is a terminal); Ctrl+C cancels."""

    def __init__(self) -> None:
        self._last = -1

    def report(self, fraction: float, message: str = "") -> None:
        percent = int(fraction * 100)
        if percent // 10 != self._last // 10 and sys.stderr.isatty():
            print(f"{percent:3d}% {message}", file=sys.stderr)
        self._last = percent

    def cancelled(self) -> bool:
        return False
