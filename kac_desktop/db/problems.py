"""Why the database cannot be used, in the user's words: every error of the database a
user can meet becomes one of the ``DatabaseProblem`` kinds below, with a message that says
what happened and what to do.  No traceback reaches the window or the command line.

``classify(error, path)`` maps an error of SQLite (the standard library's sqlite3, or
SQLAlchemy's wrapper of it), of a database server (its SQLSTATE code: PostgreSQL's
psycopg), of the ORM (a lost race) or of the operating system (a full disk) to a kind, or
to None when it is none of them (a programming error stays one and goes to the error log).
The engine translates its errors through it (``install``), and the command line's and the
window's last resort use it for the errors raised outside the engine (plain sqlite3 reads,
file copies).

A database server's errors slot into the same kinds through ``_SQLSTATE``: a serialisation
failure or deadlock is a lost race, a lock not available is busy, a full disk is full, a
read-only transaction is read-only, and a lost connection is ``ServerUnavailable``.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from kac_desktop.errors import ServiceError
from kac_desktop.i18n import _

from . import cipher
from .server import ServerAddress, version_text

BUSY_TIMEOUT_MS = 5000  # how long a write waits for another's write lock


class DatabaseProblem(ServiceError):
    """A database that cannot be used for what was asked, with a message for the user.
    Nothing of the work that met it was saved."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path

    @property
    def title(self) -> str:
        return _("The database cannot be used")


class DamagedDatabase(DatabaseProblem):
    @property
    def title(self) -> str:
        return _("The database is damaged")


class LockedDatabase(DatabaseProblem):
    """Another program keeps the file locked (even reading it waits): nothing to restore,
    the other program has to let go."""

    @property
    def title(self) -> str:
        return _("The database is locked")


class DatabaseBusy(LockedDatabase):
    """Another user's or job's write kept the database locked beyond the busy timeout."""

    @property
    def title(self) -> str:
        return _("The database is busy")


class ForeignDatabase(DatabaseProblem):
    pass


class NewerDatabase(DatabaseProblem):
    pass


class ConcurrentChange(DatabaseProblem):
    """Someone else changed the same data at the same moment (a lost race)."""

    @property
    def title(self) -> str:
        return _("Changed by someone else")


class ReadOnlyDatabase(DatabaseProblem):
    @property
    def title(self) -> str:
        return _("The database is read-only")


class DiskFull(DatabaseProblem):
    @property
    def title(self) -> str:
        return _("The disk is full")


class VanishedDatabase(DatabaseProblem):
    @property
    def title(self) -> str:
        return _("The database file is gone")


class StorageFailure(DatabaseProblem):
    """The disk could not be read or written (a failing drive, a lost network share)."""

    @property
    def title(self) -> str:
        return _("The database file cannot be read or written")


class EncryptedElsewhere(DamagedDatabase):
    """An encrypted file that no key of this PC opens: encrypted on another PC, or damaged
    where SQLCipher checks the key (its first page), which no one can tell apart."""

    @property
    def title(self) -> str:
        return _("The database cannot be decrypted")


class ServerUnavailable(DatabaseProblem):
    @property
    def title(self) -> str:
        return _("The database server cannot be reached")


class ServerRefused(DatabaseProblem):
    """The server would not let this connection in: a wrong user name or password, or a PC
    the server's rules (pg_hba.conf) do not admit."""

    @property
    def title(self) -> str:
        return _("The database server refused the connection")


class UnknownDatabase(DatabaseProblem):
    """The server has no database of the name in the address."""

    @property
    def title(self) -> str:
        return _("The database is not on the server")


class UnsupportedServer(DatabaseProblem):
    @property
    def title(self) -> str:
        return _("The database server is too old")


class NotADatabaseAddress(DatabaseProblem):
    @property
    def title(self) -> str:
        return _("Not a database address")


class EmptyDatabase(DatabaseProblem):
    """A server database that was never set up for kac_desktop (only ``server init`` and
    ``demo`` set one up)."""

    @property
    def title(self) -> str:
        return _("The database is not set up yet")


# ---------------------------------------------------------------- the messages


def _where(path: Path | None) -> str:
    return str(path) if path is not None else _("the database")


def busy(path: Path | None) -> DatabaseBusy:
    return DatabaseBusy(
        _(
            "The database {path} is busy: another user's work (an import, a restore or a "
            "save) kept it locked for more than {seconds} seconds, so this was not done and "
            "nothing of it was saved. Wait a moment and try again."
        ).format(path=_where(path), seconds=max(1, round(BUSY_TIMEOUT_MS / 1000))),
        path,
    )


def locked(path: Path | None) -> LockedDatabase:
    return LockedDatabase(
        _(
            "The database {path} is locked by another program, which does not even let it be "
            "read; nothing was changed. Close the other program that has the file open (a "
            "database tool, a copy or synchronisation program) and try again."
        ).format(path=_where(path)),
        path,
    )


def concurrent(path: Path | None = None) -> ConcurrentChange:
    return ConcurrentChange(
        _(
            "Someone else changed the same data at the same moment, so your change was not "
            "saved. Reload to see the other change, then make yours again."
        ),
        path,
    )


def read_only(path: Path | None) -> ReadOnlyDatabase:
    return ReadOnlyDatabase(
        _(
            "The database file {path} may only be read here, so nothing was saved. Ask your "
            "administrator for permission to write the file and its folder, or open a copy "
            "that lies in a folder you may write to."
        ).format(path=_where(path)),
        path,
    )


def disk_full(path: Path | None) -> DiskFull:
    return DiskFull(
        _(
            "The disk that holds {path} is full, so nothing was saved. Free some space on it "
            "(remove files you do not need, or move old backups to another drive) and try "
            "again."
        ).format(path=_where(path)),
        path,
    )


def vanished(path: Path | None) -> VanishedDatabase:
    return VanishedDatabase(
        _(
            "The database file {path} is no longer there (moved, renamed or deleted, or its "
            "drive was removed), so nothing was saved. Put the file back, or start "
            "kac_desktop again and open it where it is now."
        ).format(path=_where(path)),
        path,
    )


def storage_failure(path: Path | None, error: object) -> StorageFailure:
    return StorageFailure(
        _(
            "The database file {path} could not be read or written ({error}), so nothing was "
            "saved. Check the drive (or the network connection to it) and try again."
        ).format(path=_where(path), error=error),
        path,
    )


def damaged(path: Path | None) -> DamagedDatabase:
    return DamagedDatabase(
        _(
            "The file {path} is damaged or is not a kac_desktop database. "
            "Open the latest good backup instead."
        ).format(path=_where(path)),
        path,
    )


def unknown_key(path: Path | None) -> EncryptedElsewhere:
    return EncryptedElsewhere(
        _(
            "The file {path} cannot be decrypted with any key this computer has: it is "
            "damaged, or it was encrypted on another computer, or it is not a kac_desktop "
            "database. If it is this computer's database, open the latest good backup; if it "
            "comes from another computer, take over that computer's recovery key (kac-desktop "
            "key import) and open it again. Nothing was changed."
        ).format(path=_where(path)),
        path,
    )


def no_cipher(path: Path | None) -> EncryptedElsewhere:
    return EncryptedElsewhere(
        _(
            "The file {path} is encrypted, and this installation of kac_desktop cannot "
            "decrypt it (SQLCipher is missing). Install kac_desktop with its installer, "
            "then open the file again."
        ).format(path=_where(path)),
        path,
    )


def server_unavailable(server: ServerAddress | str) -> ServerUnavailable:
    where = server.server if isinstance(server, ServerAddress) else server
    return ServerUnavailable(
        _(
            "The database server {server} cannot be reached or broke the connection, so "
            "nothing was saved. Check the network, or ask the city center whether the "
            "server is running, then try again."
        ).format(server=where or "?"),
        None,
    )


def wrong_credentials(server: ServerAddress) -> ServerRefused:
    return ServerRefused(
        _(
            "The database server {server} refused the user name {user} or its password in "
            "the database address, so nothing was opened or changed. Check both with the "
            "city center's administrator, then try again."
        ).format(server=server.server, user=server.user or "?"),
        None,
    )


def not_admitted(server: ServerAddress, detail: str) -> ServerRefused:
    return ServerRefused(
        _(
            "The database server {server} refused the connection ({detail}), so nothing was "
            "opened or changed. Ask the city center's administrator to let this PC in."
        ).format(server=server.server, detail=detail),
        None,
    )


def unknown_database(server: ServerAddress) -> UnknownDatabase:
    return UnknownDatabase(
        _(
            "The database server {server} has no database named {name}, so nothing was "
            "opened or changed. Check the name in the database address; the city center "
            "makes the database once (kac-desktop server init)."
        ).format(server=server.server, name=server.database or "?"),
        None,
    )


def unsupported_server(
    server: ServerAddress, version: tuple[int, ...], minimum: tuple[int, ...]
) -> UnsupportedServer:
    return UnsupportedServer(
        _(
            "The database server {server} runs PostgreSQL {version}; kac_desktop needs "
            "PostgreSQL {minimum} or newer. Nothing was opened or changed: ask the city "
            "center to upgrade the server."
        ).format(server=server.server, version=version_text(version), minimum=version_text(minimum)),
        None,
    )


def not_a_database_address(address: str) -> NotADatabaseAddress:
    return NotADatabaseAddress(
        _(
            "{address} is not a database kac_desktop can open. Give the path of a database "
            "file, or a PostgreSQL server as postgresql://user:password@server/database."
        ).format(address=address),
        None,
    )


def foreign_server_database(server: ServerAddress, tables: list[str]) -> ForeignDatabase:
    shown = ", ".join(tables[:5]) + (" …" if len(tables) > 5 else "")
    return ForeignDatabase(
        _(
            "The database {server} holds tables of another program ({tables}); kac_desktop "
            "leaves it as it is and changed nothing. Give kac_desktop a database of its own "
            "on the server (kac-desktop server init)."
        ).format(server=server, tables=shown),
        None,
    )


def empty_database(server: ServerAddress) -> EmptyDatabase:
    return EmptyDatabase(
        _(
            "The database {server} has not been set up for kac_desktop yet, so nothing was "
            "done. The city center sets it up once with kac-desktop server init --db "
            "followed by its address."
        ).format(server=server),
        None,
    )


def server_failure(server: ServerAddress | str, error: object) -> DatabaseProblem:
    """What the server said, when it fits none of the kinds (never "the file is damaged")."""
    return DatabaseProblem(
        _(
            "The database {server} could not be used ({error}), so nothing was saved. Try "
            "again; if it happens again, tell the city center's administrator."
        ).format(server=server or "?", error=error),
        None,
    )


# ---------------------------------------------------------------- classifying


def readable(path: Path) -> bool:
    """Whether another connection may read the file right now (without waiting): false
    when another program holds it with an exclusive lock."""
    try:
        connection = cipher.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0)
    except cipher.Error:
        return False
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except cipher.Error:
        return False
    finally:
        connection.close()


def _gone(path: Path | None) -> bool:
    return path is not None and not path.exists()


def _low_space(path: Path | None) -> bool:
    if path is None:
        return False
    try:
        stats = os.statvfs(path.parent if path.parent.exists() else ".")
    except (OSError, AttributeError):
        return False
    return stats.f_bavail * stats.f_frsize < 1024 * 1024


def _sqlite(error: Exception, path: Path | None) -> DatabaseProblem | None:
    if isinstance(error, cipher.UnknownKey):
        return unknown_key(path)
    if isinstance(error, cipher.NoCipher):
        return no_cipher(path)
    name = getattr(error, "sqlite_errorname", "") or ""
    text = str(error).lower()
    if name == "SQLITE_BUSY_SNAPSHOT":
        return concurrent(path)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or (
        not name and ("locked" in text or "busy" in text)
    ):
        if path is not None and path.exists() and not readable(path):
            return locked(path)
        return busy(path)
    if name == "SQLITE_READONLY_DBMOVED" or (name.startswith("SQLITE_READONLY") and _gone(path)):
        return vanished(path)
    if name.startswith("SQLITE_READONLY") or "readonly database" in text:
        return read_only(path)
    if name == "SQLITE_FULL" or "database or disk is full" in text:
        return disk_full(path)
    if name.startswith("SQLITE_IOERR") or "disk i/o error" in text:
        if _gone(path):
            return vanished(path)
        if _low_space(path):
            return disk_full(path)
        return storage_failure(path, error)
    if name.startswith("SQLITE_CANTOPEN") or "unable to open database" in text:
        if path is not None and not path.parent.exists():
            return vanished(path)
        if path is not None and path.exists() and not os.access(path, os.W_OK):
            return read_only(path)
        return vanished(path) if _gone(path) else storage_failure(path, error)
    if (
        name in ("SQLITE_CORRUPT", "SQLITE_NOTADB")
        or "malformed" in text
        or ("not a database" in text)
    ):
        return damaged(path)
    if "no such table" in text and (_gone(path) or (path is not None and _empty(path))):
        return vanished(path)
    return None


def _empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except OSError:
        return True


# SQLSTATE classes and codes of a database server (PostgreSQL), for the center's server
_SQLSTATE = {
    "40001": "concurrent",  # serialization_failure
    "40P01": "concurrent",  # deadlock_detected
    "55P03": "busy",  # lock_not_available (lock_timeout)
    "57014": "busy",  # query_canceled (statement_timeout)
    "53100": "full",  # disk_full
    "25006": "read_only",  # read_only_sql_transaction
    "3D000": "vanished",  # invalid_catalog_name: the database is not there
}


# what libpq says when a connection is not made (it gives no SQLSTATE then): the server's
# own words come in its language (lc_messages), English by default; the Chinese are
# PostgreSQL's zh_CN translations
_PASSWORD_WORDS = (
    "password authentication failed",
    "authentication failed",
    "no password supplied",
    "password is required",
    "role \"",  # role "x" does not exist
    "口令认证失败",
    "认证失败",
)
_DATABASE_WORDS = ("does not exist", "不存在")
_UNREACHABLE_WORDS = (
    "connection refused",
    "could not translate host name",
    "name or service not known",
    "timeout expired",
    "no route to host",
    "network is unreachable",
    "could not connect",
    "server closed the connection",
    "connection timed out",
    "is the server running",
    "ssl negotiation",
)


def _connection_failure(error: BaseException, server: ServerAddress) -> DatabaseProblem:
    text = str(error)
    lower = text.lower()
    said = text.split("FATAL:", 1)[1].strip() if "FATAL:" in text else ""
    if said:
        said_lower = said.lower()
        if any(word in said_lower for word in _PASSWORD_WORDS):
            return wrong_credentials(server)
        if "database" in said_lower or "数据库" in said:
            if any(word in said_lower for word in _DATABASE_WORDS):
                return unknown_database(server)
        if "pg_hba.conf" in said_lower:
            return not_admitted(server, said.splitlines()[0])
        if "too many" in said_lower or "starting up" in said_lower or "shutting down" in said_lower:
            return server_unavailable(server)
        return not_admitted(server, said.splitlines()[0])
    if any(word in lower for word in _UNREACHABLE_WORDS):
        return server_unavailable(server)
    return server_unavailable(server)


def _server(error: BaseException, server: ServerAddress | str) -> DatabaseProblem | None:
    code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None) or ""
    if code == "28P01" or code == "28000":  # invalid_password, invalid_authorization
        return wrong_credentials(_address(server))
    if code == "3D000":
        return unknown_database(_address(server))
    kind = _SQLSTATE.get(code)
    if kind is None and (code.startswith("08") or code.startswith("57P")):
        kind = "unavailable"
    if kind is None:
        if not code and str(error).lower().startswith("connection failed"):
            return _connection_failure(error, _address(server))
        if not code and "connect" in str(error).lower():
            kind = "unavailable"
        else:
            return None
    return {
        "concurrent": lambda: concurrent(None),
        "busy": lambda: busy(None),
        "full": lambda: disk_full(None),
        "read_only": lambda: read_only(None),
        "vanished": lambda: server_unavailable(server),
        "unavailable": lambda: server_unavailable(server),
    }[kind]()


def _address(server: ServerAddress | str) -> ServerAddress:
    if isinstance(server, ServerAddress):
        return server
    return ServerAddress(server, None, "", "")


def classify(
    error: BaseException, path: Path | None = None, server: ServerAddress | str = ""
) -> DatabaseProblem | None:
    """The kind of database problem ``error`` is, with its message; None when it is not one
    (``path``: the SQLite file, ``server``: a server's host, for the message)."""
    if isinstance(error, DatabaseProblem):
        return error
    if type(error).__name__ in ("StaleDataError", "ConcurrentModificationError"):
        return concurrent(path)
    original = getattr(error, "orig", None)
    if original is not None and isinstance(original, BaseException):
        if isinstance(original, cipher.Error):
            return _sqlite(original, path)
        found = _server(original, server)
        if found is None and getattr(error, "connection_invalidated", False):
            return server_unavailable(server)
        return found
    if isinstance(error, cipher.Error):
        return _sqlite(error, path)
    if hasattr(error, "sqlstate") or hasattr(error, "pgcode"):
        # a server driver's own error (what the engine's handle_error hands over)
        return _server(error, server)
    if isinstance(error, OSError):
        if error.errno == errno.ENOSPC:
            where = Path(error.filename) if error.filename else path
            return disk_full(where)
        if error.errno == errno.EROFS:
            return read_only(Path(error.filename) if error.filename else path)
    return None


def install(engine, path: Path | None, server: ServerAddress | str = "") -> None:
    """Translate every error of ``engine`` into its DatabaseProblem kind; on a SQLite file
    that existed when the engine was made, a file that vanished (moved or deleted while
    open) is found before a connection writes to what is left of it."""
    from sqlalchemy import event

    def translate(context) -> None:
        problem = classify(context.original_exception, path, server)
        if problem is not None:
            raise problem from context.original_exception

    event.listen(engine, "handle_error", translate)
    if path is None or not path.exists():
        return
    identity = _identity(path)

    def before_connect(_dialect, _record, _cargs, _cparams) -> None:
        if _identity(path) is None:
            raise vanished(path)

    def on_checkout(_dbapi, _record, _proxy) -> None:
        now = _identity(path)
        if now is None or (identity is not None and now != identity):
            raise vanished(path)

    event.listen(engine, "do_connect", before_connect)
    event.listen(engine, "checkout", on_checkout)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def opening_problem(
    error: Exception, path: Path | None, server: ServerAddress | None = None
) -> DatabaseProblem:
    """What an error met while opening the database is, for the user: a lock, a full
    disk, … (``classify``), else a damaged or foreign file; on a server, what the server
    said (a server's database is never "a damaged file")."""
    if server is not None:
        return classify(error, None, server) or server_failure(server, _first_line(error))
    return classify(error, path) or damaged(path)


def _first_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    return (str(original).strip().splitlines() or [type(original).__name__])[0]
