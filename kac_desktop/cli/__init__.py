"""The command-line front door: gui (the default), demo, import, …  Each feature's commands
live in a module of this package with ``register(subparsers)`` and ``run(args) -> int``;
they use the same services as the window."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from kac_desktop import __version__
from kac_desktop.i18n import _, set_language
from kac_desktop.progress import Cancelled
from kac_desktop.services.database import DatabaseProblem
from kac_desktop.services.errors import ServiceError

from . import argparse_words

# feature modules, in the order their commands are listed in --help
COMMAND_MODULES = (
    "customers",
    "visits",
    "requests",
    "revenue",
    "report",
    "settings",
    "admin",
    "server",
    "sync",
    "self_check",
)


def _modules():
    return [importlib.import_module(f"{__name__}.{name}") for name in COMMAND_MODULES]


def build_parser(commands: bool = True) -> argparse.ArgumentParser:
    """The parser of every command; with ``commands=False`` only ``gui``'s (whose start must
    not wait for the other commands' modules and the services they import)."""
    from .common import add_db, add_user

    parser = argparse.ArgumentParser(prog="kac-desktop", description=_("Key-account management"))
    parser.add_argument(
        "--version",
        action="version",
        version=f"kac-desktop {__version__}",
        help=_("show the version and exit"),
    )
    parser.add_argument(
        "--lang",
        choices=["zh_CN", "en", "system"],
        default=None,
        help=_("language of the interface"),
    )
    sub = parser.add_subparsers(dest="command", title=_("commands"), metavar=_("COMMAND"))
    gui = sub.add_parser("gui", help=_("start the application window (the default)"))
    add_db(gui)
    add_user(gui)
    handlers: dict[str, object] = {}
    for module in _modules() if commands else []:
        for name in module.register(sub):
            handlers[name] = module.run
    parser.set_defaults(_handlers=handlers)
    return parser


def _starts_the_window(argv: list[str]) -> bool:
    """Whether ``argv`` asks for the window: no command, or ``gui``, and no help."""
    rest = list(argv)
    while rest[:1] == ["--lang"] or (rest and rest[0].startswith("--lang=")):
        rest = rest[2:] if rest[0] == "--lang" else rest[1:]
    if any(a in ("-h", "--help") for a in rest):
        return False
    return not rest or rest[0] == "gui"


def _language_asked(argv: list[str]) -> str | None:
    """The value of a leading ``--lang`` (read before the parser is built: its help texts
    and argparse's own words are taken in the language of that moment)."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
        if not arg.startswith("-"):
            return None  # a command: --lang belongs before it
    return None


def main(argv: Sequence[str] | None = None) -> int:
    # whatever the user's umask: every file and folder this process makes (database, WAL,
    # backups, exports, keys) is readable by the user alone (0600 / 0700)
    os.umask(0o077)
    argv = list(sys.argv[1:] if argv is None else argv)
    asked = _language_asked(argv)
    if asked in ("zh_CN", "en", "system"):
        set_language(asked)
    argparse_words.install()
    parser = build_parser(commands=not _starts_the_window(argv))
    args = parser.parse_args(argv)
    if args.lang:
        set_language(args.lang)
    command = args.command or "gui"
    if command == "gui":
        from kac_desktop.platform_libraries import check_platform

        if getattr(args, "db", None) is not None:  # only the default database is made here
            from .common import require_existing

            try:
                require_existing(args.db)
            except ServiceError as exc:
                print(_("Error: {message}").format(message=exc.message), file=sys.stderr)
                return 2

        problem = check_platform()
        if problem is not None:  # Qt would abort the process with an English message
            print(problem.message(), file=sys.stderr)
            return 1
        from kac_desktop.views.app import run

        return run(getattr(args, "db", None), getattr(args, "user", None), args.lang)
    handler = args._handlers.get(command)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except (ServiceError, Cancelled) as exc:  # database problems (DatabaseProblem) too
        print(_("Error: {message}").format(message=exc.message), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(_("Cancelled; nothing was changed."), file=sys.stderr)
        return 130
    except Exception as exc:
        # what was raised outside the engine's translation (a plain sqlite3 read, a lost
        # race in the ORM, a full disk while writing a file): in words, never a traceback
        problem = database_problem(exc, getattr(args, "db", None))
        if problem is None:
            raise
        print(_("Error: {message}").format(message=problem.message), file=sys.stderr)
        return 2


def database_problem(error: BaseException, target: str | None) -> DatabaseProblem | None:
    from kac_desktop.config import database_url, sqlite_path
    from kac_desktop.services.database import problem_of as classify

    try:
        path = sqlite_path(database_url(target))
    except Exception:  # a URL that cannot even be read: no path for the message
        path = None
    return classify(error, path)


if __name__ == "__main__":
    raise SystemExit(main())
