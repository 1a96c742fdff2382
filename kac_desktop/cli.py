"""The command-line front door: gui (default), demo, import, ...; same services as the window."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kac_desktop.db import DatabaseProblem, open_database
from kac_desktop.i18n import _, set_language
from kac_desktop.services.errors import ServiceError


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        default=None,
        help=_("database file or URL (default: the user-data folder)"),
    )


def _add_user(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user",
        metavar="LOGIN",
        default=None,
        help=_("act as this user (default: the first administrator)"),
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kac-desktop", description=_("Key-account management"))
    parser.add_argument(
        "--lang",
        choices=["zh_CN", "en", "system"],
        default=None,
        help=_("language of the interface"),
    )
    sub = parser.add_subparsers(dest="command")

    gui = sub.add_parser("gui", help=_("start the application window (the default)"))
    _add_db(gui)
    _add_user(gui)

    demo = sub.add_parser("demo", help=_("build a database of demonstration data"))
    _add_db(demo)
    demo.add_argument("--customers", type=int, default=2000, metavar="N")
    demo.add_argument("--seed", type=int, default=1)

    imp = sub.add_parser("import", help=_("import a workbook"))
    imp_sub = imp.add_subparsers(dest="what", required=True)
    cust = imp_sub.add_parser("customers", help=_("import customer files from Excel"))
    cust.add_argument("file", metavar="FILE.xlsx")
    _add_db(cust)
    _add_user(cust)
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
        "--skip-invalid",
        action="store_true",
        help=_("import the valid rows even when some rows are rejected"),
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.lang:
        set_language(args.lang)
    command = args.command or "gui"
    if command == "gui":
        from kac_desktop.views.app import run

        return run(getattr(args, "db", None), getattr(args, "user", None), args.lang)
    try:
        if command == "demo":
            return _demo(args)
        if command == "import":
            return _import(args)
    except (DatabaseProblem, ServiceError) as exc:
        print(_("Error: {message}").format(message=exc.message), file=sys.stderr)
        return 2
    parser.print_help()
    return 2


def _demo(args: argparse.Namespace) -> int:
    from kac_desktop.services.demo import build_demo

    db = open_database(args.db)
    summary = build_demo(db, customers=args.customers, seed=args.seed, progress=_ConsoleProgress())
    print(summary.describe())
    return 0


def _import(args: argparse.Namespace) -> int:
    from kac_desktop.services import customer_import, users

    db = open_database(args.db)
    actor = users.actor_for(db, args.user)
    preview = customer_import.preview_import(
        db, actor, args.file, mapping_file=args.mapping, manager_login=args.manager
    )
    result = customer_import.run_import(
        db, actor, preview, skip_invalid=args.skip_invalid, progress=_ConsoleProgress()
    )
    print(result.describe())
    return 0 if result.ok else 1


class _ConsoleProgress:
    """Progress on stderr for long commands; Ctrl+C is the cancel."""

    def __init__(self) -> None:
        self._last = -1

    def report(self, fraction: float, message: str = "") -> None:
        percent = int(fraction * 100)
        if percent // 10 != self._last // 10 and sys.stderr.isatty():
            print(f"{percent:3d}% {message}", file=sys.stderr)
        self._last = percent

    def cancelled(self) -> bool:
        return False


if __name__ == "__main__":
    raise SystemExit(main())
