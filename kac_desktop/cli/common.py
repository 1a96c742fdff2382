"""What every command shares: the --db and --user options, signing in, console progress."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from kac_desktop.i18n import _
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database, open_database
from kac_desktop.services.errors import ServiceError

PASSWORD_VARIABLE = "KAC_PASSWORD"


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
        help=_(
            "sign in as this user (default: your system login name); the password comes "
            "from the environment variable KAC_PASSWORD or is asked for"
        ),
    )


def open_db(args: argparse.Namespace, *, create: bool = False) -> Database:
    """The database of ``--db`` (default: the one in the user-data folder).  Only ``demo``
    (``create=True``) and the window's first start make a new one: a mistyped path given to
    any other command is refused before anything is written, instead of becoming a new,
    empty database that then reports a wrong password.  On a server the same holds for a
    database never set up (``server init`` sets one up)."""
    if not create:
        require_existing(args.db)
    return open_database(args.db, create=create)


def require_existing(target: str | None) -> None:
    """Raise a ServiceError naming the file when ``target`` is a SQLite file that does not
    exist (a server URL is the server's to refuse)."""
    from kac_desktop.config import database_url, sqlite_path

    path = sqlite_path(database_url(target))
    if path is not None and not path.exists():
        raise ServiceError(
            _(
                "There is no database at {path}. Check the path given with --db; a new "
                "database is made only by the first start of the window (kac-desktop "
                "without --db) or by kac-desktop demo."
            ).format(path=path)
        )


def default_login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a bare container or service
        return ""


def read_password(login: str) -> str:
    """KAC_PASSWORD, else a prompt on a terminal; a script without either gets a clear
    error instead of a hang."""
    password = os.environ.get(PASSWORD_VARIABLE)
    if password is not None:
        return password
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(_("Password for {login}: ").format(login=login))
    raise ServiceError(
        _(
            "A password is needed to sign in as {login}: set the environment variable "
            "{variable} or run the command in a terminal."
        ).format(login=login, variable=PASSWORD_VARIABLE)
    )


def actor_from_args(db: Database, args: argparse.Namespace) -> Actor:
    """The user a command acts as: every command signs in through here (with a password,
    so that the permissions hold on the command line too; failures are audited)."""
    login = getattr(args, "user", None) or default_login()
    if not login:
        raise ServiceError(_("Name the user to sign in as with --user LOGIN."))
    from kac_desktop.services import auth, integrity

    actor = auth.sign_in(db, login, read_password(login))
    for warning in integrity.warnings_for(db, actor):
        print(_("Warning: {message}").format(message=warning), file=sys.stderr)
    return actor


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


def keep_rejections(result, workbook: str) -> None:
    """When an import rejected more rows than its summary lists, the whole list goes to a
    workbook beside the imported one (``<name>-rejected-rows.xlsx``), named in the summary."""
    from pathlib import Path

    from kac_desktop.io.mapping import write_rejections
    from kac_desktop.io.rejections import SHOWN
    from kac_desktop.io.workbook import WorkbookError

    if len(result.rejected) <= SHOWN:
        return
    source = Path(workbook)
    target = source.with_name(source.stem + "-rejected-rows.xlsx")
    try:
        write_rejections(target, result.rejected)
    except WorkbookError as exc:
        print(exc.message, file=sys.stderr)
        return
    result.rejections_file = str(target)


def add_columns(parser: argparse.ArgumentParser) -> None:
    """``--column FIELD=HEADER`` (repeatable): which column holds a field, when its header
    is named in a way the import does not recognise or several columns claim it."""
    parser.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="FIELD=HEADER",
        type=_column_pair,
        help=_(
            "the column that holds a field, e.g. --column product_line=产品大类 "
            "(repeat for several fields)"
        ),
    )


def _column_pair(text: str) -> tuple[str, str]:
    field, sep, header = text.partition("=")
    if not sep or not field.strip() or not header.strip():
        raise argparse.ArgumentTypeError(
            _("“{text}” is not FIELD=HEADER, e.g. product_line=产品大类.").format(text=text)
        )
    return field.strip(), header.strip()


def columns_of(args: argparse.Namespace) -> dict[str, str]:
    """The ``--column`` pairs as field → header (the last one given for a field wins)."""
    return dict(getattr(args, "column", None) or [])


def day_argument(text: str):
    """A date option typed as users type dates (2024-03-15, 20240315, 2024年3月15日)."""
    from kac_desktop.rules.date_input import DateInputError, parse_date

    try:
        day = parse_date(text)
    except DateInputError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None
    if day is None:
        raise argparse.ArgumentTypeError(_("Give a date, e.g. 2024-03-15."))
    return day
