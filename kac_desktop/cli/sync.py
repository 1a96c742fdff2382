"""``kac-desktop sync …``: the data exchange between a branch PC and the city center
(docs/SYNC.md).

    sync export --db CENTER.db --for 鼓楼支局 --to FILE     # a starting package, then the answers
    sync import FILE --db NEW.db --code XXXXX-…            # sets a branch PC up (no sign-in yet)
    sync export --db BRANCH.db --to FILE                   # every change the center has not had
    sync import FILE --db CENTER.db [--preview]            # new / changed / already had / conflicts
    sync status --db DB
    sync conflicts list --db CENTER.db
    sync conflicts settle ID --keep mine|theirs --db CENTER.db
    sync duplicates --db CENTER.db
    sync revoke 鼓楼支局 --db CENTER.db

Every command signs in, except the import of a starting package into a new database (no
one exists there yet: its set-up code is what it opens with).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from kac_desktop.i18n import _
from kac_desktop.services.errors import ServiceError

from .common import ConsoleProgress, actor_from_args, add_db, add_user, open_db

CODE_VARIABLE = "KAC_SETUP_CODE"


def register(sub) -> list[str]:
    sync = sub.add_parser(
        "sync", help=_("the data exchange between a branch PC and the city center")
    )
    action = sync.add_subparsers(dest="action", required=True)

    export = action.add_parser(
        "export",
        help=_(
            "write a package: at the center for one branch (--for), at a branch PC for the center"
        ),
    )
    add_db(export)
    add_user(export)
    export.add_argument(
        "--for",
        dest="branch",
        metavar="BRANCH",
        default=None,
        help=_("at the center: the branch the package is for (its name or code)"),
    )
    export.add_argument(
        "--to", dest="target", metavar="FILE", required=True, help=_("the package file to write")
    )
    export.add_argument(
        "--new-setup",
        action="store_true",
        help=_(
            "write a new starting package for a branch whose first one was lost, or whose PC "
            "is replaced"
        ),
    )

    importing = action.add_parser("import", help=_("apply a package from the other side"))
    importing.add_argument("file", metavar="FILE")
    add_db(importing)
    add_user(importing)
    importing.add_argument(
        "--code",
        default=None,
        help=_(
            "the set-up code of a starting package (or the environment variable KAC_SETUP_CODE)"
        ),
    )
    importing.add_argument(
        "--preview",
        action="store_true",
        help=_("say what the package would bring, and write nothing"),
    )

    status = action.add_parser(
        "status", help=_("what is waiting to go and when each side last heard from the other")
    )
    add_db(status)
    add_user(status)

    conflicts = action.add_parser("conflicts", help=_("the fields changed on both sides"))
    what = conflicts.add_subparsers(dest="what", required=True)
    listing = what.add_parser("list", help=_("list the conflicts waiting to be settled"))
    add_db(listing)
    add_user(listing)
    listing.add_argument("--all", action="store_true", help=_("the settled ones too"))
    settle = what.add_parser("settle", help=_("keep one of the two values"))
    add_db(settle)
    add_user(settle)
    settle.add_argument("id", metavar="ID")
    settle.add_argument(
        "--keep",
        choices=["mine", "theirs"],
        required=True,
        help=_("mine: this database's value; theirs: the other side's"),
    )

    duplicates = action.add_parser(
        "duplicates", help=_("customers registered by two branches (the same credit code or name)")
    )
    add_db(duplicates)
    add_user(duplicates)

    revoke = action.add_parser(
        "revoke",
        help=_("refuse every package of a branch's keys from now on (a lost or stolen PC)"),
    )
    add_db(revoke)
    add_user(revoke)
    revoke.add_argument("branch", metavar="BRANCH")
    return ["sync"]


def _when(at) -> str:
    if at is None:
        return _("never")
    from kac_desktop.rules.clock import LOCAL_TZ

    return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def run(args: argparse.Namespace) -> int:
    handlers = {
        "export": _export,
        "import": _import,
        "status": _status,
        "conflicts": _conflicts,
        "duplicates": _duplicates,
        "revoke": _revoke,
    }
    return handlers[args.action](args)


def _export(args: argparse.Namespace) -> int:
    from kac_desktop.services import sync

    db = open_db(args)
    actor = actor_from_args(db, args)
    target = Path(args.target)
    if args.branch:
        result = sync.export_for_branch(
            db, actor, args.branch, target, ConsoleProgress(), new_setup=args.new_setup
        )
    else:
        result = sync.export_to_center(db, actor, target, ConsoleProgress())
    print(
        _("Package {seq} for {recipient} written to {path}: {count} records.").format(
            seq=result.seq, recipient=result.recipient, path=result.path, count=result.records
        )
    )
    if result.setup_code:
        print(_("This is the starting package of {branch}.").format(branch=result.recipient))
        print(_("Set-up code (give it to the branch by phone or on paper, never with the file):"))
        print("    " + result.setup_code)
        print(
            _("Fingerprint of the center's key: {fingerprint}").format(
                fingerprint=result.fingerprint
            )
        )
    return 0


def _code(args: argparse.Namespace) -> str:
    code = args.code or os.environ.get(CODE_VARIABLE)
    if code:
        return code
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(_("Set-up code: "))
    raise ServiceError(
        _(
            "A starting package opens with its set-up code: give it with --code or the "
            "environment variable {variable}."
        ).format(variable=CODE_VARIABLE)
    )


def _import(args: argparse.Namespace) -> int:
    from kac_desktop.services import sync
    from kac_desktop.services.database import open_database

    if sync.is_starting_package(Path(args.file)):
        # a new branch PC: the database is made here, and nobody exists yet to sign in
        code = _code(args)
        db = open_database(args.db)
        result = sync.run_import(
            db, None, Path(args.file), code=code, preview=args.preview, progress=ConsoleProgress()
        )
        print(result.summary())
        if not args.preview:
            print(_("This PC is set up. Sign in with your own login name and password."))
        return 0
    db = open_db(args)
    actor = actor_from_args(db, args)
    result = sync.run_import(
        db, actor, Path(args.file), preview=args.preview, progress=ConsoleProgress()
    )
    print(result.summary())
    return 0


def _status(args: argparse.Namespace) -> int:
    from kac_desktop.services import sync

    db = open_db(args)
    actor = actor_from_args(db, args)
    state = sync.status(db, actor)
    if state.role is None:
        print(_("This database does not take part in the data exchange yet."))
        return 0
    print(
        _("This database is the city center's.")
        if state.role == "center"
        else _("This database is a branch PC's.")
    )
    statuses = {
        "pending": _("starting package written, waiting for the branch's first package"),
        "active": _("exchanging"),
        "revoked": _("keys revoked"),
    }
    for peer in state.peers:
        print(f"{peer.name}: {statuses.get(peer.status, peer.status)}")
        print("  " + _("waiting to go: {n} records").format(n=peer.waiting))
        print(
            "  "
            + _("last package sent: number {seq}, {at} (acknowledged up to {ack})").format(
                seq=peer.sent_seq, at=_when(peer.last_sent_at), ack=peer.acked_seq
            )
        )
        print(
            "  "
            + _("last heard from them: package {seq}, {at}").format(
                seq=peer.received_seq, at=_when(peer.last_heard_at)
            )
        )
        if peer.open_conflicts:
            print("  " + _("conflicts to settle: {n}").format(n=peer.open_conflicts))
    return 0


def _value(value) -> str:
    return "" if value is None else str(value)


def _conflicts(args: argparse.Namespace) -> int:
    from kac_desktop.services import sync

    db = open_db(args)
    actor = actor_from_args(db, args)
    if args.what == "settle":
        sync.settle(db, actor, args.id, args.keep)
        print(_("Settled; the kept value travels with the next package."))
        return 0
    rows = sync.list_conflicts(db, actor, settled=args.all)
    if not rows:
        print(_("No conflicts."))
        return 0
    for row in rows:
        print(f"{row.id[:8]}\t{row.record}\t{row.field_label}\t{row.peer}")
        print(
            "  "
            + _("mine: {value} ({who}, {when})").format(
                value=_value(row.mine), who=row.mine_by, when=_when(row.mine_at)
            )
        )
        print(
            "  "
            + _("theirs: {value} ({who}, {when})").format(
                value=_value(row.theirs), who=row.theirs_by, when=_when(row.theirs_at)
            )
        )
        if row.settled:
            kept = {
                "mine": _("settled: this database's value kept"),
                "theirs": _("settled: the other side's value kept"),
                "center": _("sent to the center"),
            }
            print("  " + kept.get(row.kept, row.kept))
    return 0


def _duplicates(args: argparse.Namespace) -> int:
    from kac_desktop.services import sync

    db = open_db(args)
    actor = actor_from_args(db, args)
    pairs = sync.duplicates(db, actor)
    if not pairs:
        print(_("No customer is kept by two branches."))
    for first, second, reason in pairs:
        print(f"{first}\t{second}\t{reason}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from kac_desktop.services import sync

    db = open_db(args)
    actor = actor_from_args(db, args)
    name = sync.revoke(db, actor, args.branch)
    print(
        _(
            "The keys of {branch} are revoked: its packages are refused from now on. Write it a new starting package (sync export --for …) to set it up again."
        ).format(branch=name)
    )
    return 0
