"""``server init``: the city center sets up its PostgreSQL database once (docs/POSTGRESQL.md).

It makes the schema in an empty database (or upgrades one made by an older release) and,
on a database without users, the first administrator — the same account the window's first
start makes on a PC.  The PCs then open the server with ``--db postgresql://…``; they never
set up a database themselves (an empty one is refused with a message naming this command).
"""

from __future__ import annotations

import argparse

from kac_desktop.config import database_url, is_server_url
from kac_desktop.i18n import _
from kac_desktop.services import users
from kac_desktop.services.database import open_database, schema_revisions
from kac_desktop.services.errors import ServiceError

from .admin import NEW_PASSWORD_VARIABLE, _new_password


def register(sub) -> list[str]:
    server = sub.add_parser("server", help=_("the city center's database server"))
    what = server.add_subparsers(dest="what", required=True)
    init = what.add_parser(
        "init",
        help=_("set up (or upgrade) the database on the server, with its first administrator"),
    )
    init.add_argument(
        "--db",
        metavar="URL",
        required=True,
        help=_("the server's database: postgresql://user:password@server/database"),
    )
    init.add_argument(
        "--unit", default="", help=_("the administrator's unit (on a database without users)")
    )
    init.add_argument(
        "--name", default="", help=_("the administrator's name (on a database without users)")
    )
    init.add_argument(
        "--login",
        default="admin",
        help=_("the administrator's login name (default: admin)"),
    )
    return ["server"]


def run(args: argparse.Namespace) -> int:
    if not is_server_url(database_url(args.db)):
        raise ServiceError(
            _(
                "server init sets up a database on a PostgreSQL server: give its address with "
                "--db postgresql://user:password@server/database."
            )
        )
    db = open_database(args.db, create=True)
    try:
        current, _head = schema_revisions(db)
        if users.needs_first_user(db):
            if not args.unit.strip() or not args.name.strip():
                raise ServiceError(
                    _(
                        "The database {where} has no users yet: name its first administrator "
                        "with --unit, --name and --login."
                    ).format(where=db.where)
                )
            password = _new_password(args.login)
            if password is None:
                raise ServiceError(
                    _(
                        "A password is needed for the first administrator: set the environment "
                        "variable {variable} or run the command in a terminal."
                    ).format(variable=NEW_PASSWORD_VARIABLE)
                )
            users.create_first_admin(db, args.unit, args.name, args.login, password)
            print(
                _("Administrator {login} created.").format(login=args.login.strip()),
            )
        print(
            _(
                "The database {where} is ready (schema {revision}). Start kac_desktop on each "
                "PC with --db and the same address."
            ).format(where=db.where, revision=current or "?")
        )
    finally:
        db.dispose()
    return 0
