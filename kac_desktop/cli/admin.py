"""Commands for keeping the data safe and the people in their place: backup, restore and
check of the database file, user administration, the audit chain, and the customer export.

Every command signs in: a backup is a copy of the whole file, every branch's customers in
it, so it is made by a supervisor or an administrator only (a scheduled task gives the
password in ``KAC_PASSWORD``).  ``check`` signs in too when the file opens; a file too damaged
to open is checked without, since the check then shows nothing but the damage."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from kac_desktop.i18n import _
from kac_desktop.rules import vocab
from kac_desktop.services import audit, users
from kac_desktop.services import backup as backup_service
from kac_desktop.services.database import DatabaseProblem, open_database
from kac_desktop.services.errors import PermissionDenied, ServiceError

from .common import (
    ConsoleProgress,
    actor_from_args,
    add_db,
    add_user,
    open_db,
    require_existing,
)

NEW_PASSWORD_VARIABLE = "KAC_NEW_PASSWORD"


def register(sub) -> list[str]:
    bak = sub.add_parser("backup", help=_("back up the database through SQLite's backup API"))
    add_db(bak)
    add_user(bak)
    bak.add_argument(
        "--to", metavar="DIR", default=None, help=_("folder (default: backups beside the file)")
    )

    res = sub.add_parser("restore", help=_("replace the database with a checked backup"))
    add_db(res)
    add_user(res)
    res.add_argument("backup", metavar="BACKUP.db", nargs="?", default=None)
    res.add_argument("--latest", action="store_true", help=_("the newest sound backup"))

    chk = sub.add_parser("check", help=_("check the database file for damage"))
    add_db(chk)
    add_user(chk)

    usr = sub.add_parser("users", help=_("list, create, disable and reset users"))
    usr_sub = usr.add_subparsers(dest="what", required=True)
    for name, text in (
        ("list", _("list the users")),
        ("add", _("create a user (the password from KAC_NEW_PASSWORD or asked for)")),
        ("disable", _("disable a user")),
        ("enable", _("enable a user again")),
        ("reset", _("reset a password (a temporary one unless KAC_NEW_PASSWORD is set)")),
    ):
        p = usr_sub.add_parser(name, help=text)
        add_db(p)
        add_user(p)
        if name != "list":
            p.add_argument("login", metavar="LOGIN")
        if name == "add":
            p.add_argument("--name", required=True, help=_("the user's name"))
            p.add_argument("--role", required=True, choices=list(vocab.ROLES))
            p.add_argument("--branch", required=True, help=_("the branch's name"))

    aud = sub.add_parser("audit", help=_("the audit log"))
    aud_sub = aud.add_subparsers(dest="what", required=True)
    ver = aud_sub.add_parser("verify", help=_("check the audit chain for changes"))
    add_db(ver)
    add_user(ver)

    key = sub.add_parser(
        "key",
        help=_(
            "this PC's keys: the one that encrypts the database and the one that seals the audit log"
        ),
    )
    key_sub = key.add_subparsers(dest="what", required=True)
    sheet = key_sub.add_parser("sheet", help=_("print the recovery key to a PDF (administrators)"))
    sheet.add_argument("file", metavar="FILE.pdf")
    add_db(sheet)
    add_user(sheet)
    imp = key_sub.add_parser("import", help=_("take over the key from another PC's recovery sheet"))
    imp.add_argument("--check", metavar="CODE", default=None, help=_("the sheet's check code"))
    rekey = key_sub.add_parser(
        "rekey", help=_("encrypt the database under a new key (administrators)")
    )
    add_db(rekey)
    add_user(rekey)

    exp = sub.add_parser("export", help=_("export to Excel"))
    exp_sub = exp.add_subparsers(dest="what", required=True)
    cust = exp_sub.add_parser("customers", help=_("the customers you may see, to a workbook"))
    cust.add_argument("file", metavar="FILE.xlsx")
    add_db(cust)
    add_user(cust)
    cust.add_argument("--search", default="", help=_("only customers matching this text"))
    return ["backup", "restore", "check", "users", "audit", "key", "export"]


def run(args: argparse.Namespace) -> int:
    handler = {
        "backup": _backup,
        "restore": _restore,
        "check": _check,
        "users": _users,
        "audit": _audit,
        "key": _key,
        "export": _export,
    }.get(args.command)
    return handler(args) if handler else 2


def _existing_file(args: argparse.Namespace) -> Path:
    from kac_desktop.config import database_url, sqlite_path

    path = sqlite_path(database_url(args.db))
    if path is None:
        raise ServiceError(_("Only a database file can be backed up, checked or restored."))
    require_existing(args.db)
    return path


def _backup(args: argparse.Namespace) -> int:
    _existing_file(args)
    db = open_db(args)
    try:
        actor = actor_from_args(db, args)
        if not backup_service.may_back_up(actor):
            raise PermissionDenied(_("Only supervisors and administrators may make backups."))
        info = backup_service.backup_now(db, actor, Path(args.to) if args.to else None)
    finally:
        db.dispose()
    print(
        _("Backup written: {path} ({size} KB)").format(
            path=info.path, size=f"{info.size // 1024:,}"
        )
    )
    note = backup_service.whole_file_note(actor)
    if note:
        print(note)
    return 0


def _restore(args: argparse.Namespace) -> int:
    path = _existing_file(args)
    if args.latest:
        info = backup_service.latest_good_backup(path)
        if info is None:
            raise ServiceError(
                _("There is no sound backup in {folder}.").format(
                    folder=backup_service.backups_dir(path)
                )
            )
        source = info.path
    elif args.backup:
        source = Path(args.backup)
    else:
        raise ServiceError(_("Name the backup file, or use --latest."))
    result = backup_service.restore(path, source, actor=_restorer(args, path, source))
    print(_("Database restored from {file}.").format(file=result.restored_from))
    if result.replaced:
        print(_("The replaced database is kept as {file}.").format(file=result.replaced))
    return 0


def _restorer(args: argparse.Namespace, path: Path, source: Path):
    """Sign in against the database; when it cannot be opened (damaged), against a scratch
    copy of the backup, whose users are the ones the restored database will have."""
    try:
        db = open_database(path, migrate=False)
    except DatabaseProblem:
        import tempfile

        scratch = Path(tempfile.mkdtemp()) / "signin.db"
        backup_service.make_copy(source, scratch)
        db = open_database(scratch, migrate=False)
    try:
        return actor_from_args(db, args)
    finally:
        db.dispose()


def _check(args: argparse.Namespace) -> int:
    path = _existing_file(args)
    if backup_service.check_file(path, full=False).ok:
        db = open_db(args)
        try:
            actor_from_args(db, args)
        finally:
            db.dispose()
    result = backup_service.check_file(path)
    if result.ok:
        print(_("{path}: no damage found.").format(path=path))
        return 0
    print("\n".join(result.problems))
    return 1


def _new_password(login: str) -> str | None:
    password = os.environ.get(NEW_PASSWORD_VARIABLE)
    if password is not None:
        return password
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass(_("New password for {login}: ").format(login=login))
        second = getpass.getpass(_("Repeat the new password: "))
        if first != second:
            raise ServiceError(_("The two passwords are not the same."))
        return first
    return None


def _users(args: argparse.Namespace) -> int:
    db = open_db(args)
    try:
        actor = actor_from_args(db, args)
        if args.what == "list":
            for row in users.list_users(db, actor):
                state = "" if row.active else _("disabled")
                print(
                    f"{row.login:<16} {row.display_name:<8} {row.role_label:<10} "
                    f"{row.branch_name:<12} {state}".rstrip()
                )
            return 0
        if args.what == "add":
            branches = {b.name: b.id for b in users.list_branches(db, actor)}
            if args.branch not in branches:
                raise ServiceError(_("There is no branch named {name}.").format(name=args.branch))
            password = _new_password(args.login)
            if password is None:
                raise ServiceError(
                    _(
                        "Give the new user's password in the environment variable {variable} "
                        "or run the command in a terminal."
                    ).format(variable=NEW_PASSWORD_VARIABLE)
                )
            users.create_user(
                db, actor, args.login, args.name, args.role, branches[args.branch], password
            )
            print(_("User {login} created.").format(login=args.login))
            return 0
        user_id = users.user_id_for(db, actor, args.login)
        if args.what in ("disable", "enable"):
            users.set_active(db, actor, user_id, args.what == "enable")
            print(
                (
                    _("User {login} enabled")
                    if args.what == "enable"
                    else _("User {login} disabled")
                ).format(login=args.login)
            )
            return 0
        given = os.environ.get(NEW_PASSWORD_VARIABLE)
        password = users.reset_password(db, actor, user_id, given).value
        if given is None:
            print(
                _("Temporary password of {login}: {password}").format(
                    login=args.login, password=password
                )
            )
        else:
            print(_("Password of {login} reset").format(login=args.login))
        return 0
    finally:
        db.dispose()


def _audit(args: argparse.Namespace) -> int:
    db = open_db(args)
    try:
        report = audit.check_chain(db, actor_from_args(db, args))
    finally:
        db.dispose()
    print(report.describe())
    return 0 if report.intact else 1


RECOVERY_KEY_VARIABLE = "KAC_RECOVERY_KEY"


def _key(args: argparse.Namespace) -> int:
    from kac_desktop.services import keys

    if args.what == "sheet":
        db = open_db(args)
        try:
            path = keys.print_recovery_sheet(db, actor_from_args(db, args), args.file)
        finally:
            db.dispose()
        print(_("Recovery key written to {file}. Print it and lock it away.").format(file=path))
        return 0
    if args.what == "rekey":
        db = open_db(args)
        try:
            code = keys.rekey_database(db, actor_from_args(db, args))
        finally:
            db.dispose()
        print(
            _(
                "The database is now encrypted under a new key (check code {code}); a backup "
                "was made first, and the earlier backups still open on this PC. Print the new "
                "recovery sheet now: kac-desktop key sheet FILE.pdf"
            ).format(code=code)
        )
        return 0
    text = os.environ.get(RECOVERY_KEY_VARIABLE)
    if text is None:
        if sys.stdin is None or not sys.stdin.isatty():
            raise ServiceError(
                _(
                    "Give the recovery key in the environment variable {variable} or run the "
                    "command in a terminal."
                ).format(variable=RECOVERY_KEY_VARIABLE)
            )
        text = getpass.getpass(_("Recovery key (as printed on the sheet): "))
    code = keys.import_recovery_key(text, args.check)
    print(_("Key taken over (check code {code}).").format(code=code))
    return 0


def _export(args: argparse.Namespace) -> int:
    from kac_desktop.services import customer_list, customers

    db = open_db(args)
    try:
        actor = actor_from_args(db, args)
        count = customer_list.export_list(
            db,
            actor,
            customers.CustomerQuery(search=args.search),
            args.file,
            progress=ConsoleProgress(),
        )
    finally:
        db.dispose()
    print(_("{count} customers exported to {file}").format(count=count, file=args.file))
    return 0
