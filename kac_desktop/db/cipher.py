"""Encryption at rest: every SQLite database file this PC makes, its WAL and its backups are
encrypted with SQLCipher (AES-256, each page authenticated by an HMAC), under this PC's
database key (``keystore.database_key``: the credential store, or a key file only this user
may read, never beside the database).

Which driver opens a file is read off the file itself: a file that starts with SQLite's own
header ("SQLite format 3") is a plain database (one made by a release before encryption, or
on a PC without SQLCipher) and is opened with the standard library's sqlite3; any other
non-empty file is tried with each key this PC knows (its own, the ones it had before a
re-key, those taken over from other PCs' recovery sheets); a new or empty file is made
encrypted.  The key is given raw (``x'…'``), so opening costs no key derivation.

``convert_to_encrypted`` turns a plain database into an encrypted one (SQLCipher's
``sqlcipher_export``), checked table by table before it replaces the plain file;
``rekey`` encrypts a database under a new key in place.

Where SQLCipher is not installed (a platform without its wheel) databases stay plain and
``available()`` says so, for the window to tell the user.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kac_desktop import keystore

try:  # the maintained binding's wheel: sqlcipher3-binary (Linux), sqlcipher3 (Windows)
    from sqlcipher3 import dbapi2 as _sqlcipher
except ImportError:  # pragma: no cover - a platform without a wheel
    _sqlcipher = None

PLAIN_HEADER = b"SQLite format 3\x00"

# the errors of both drivers, for ``except`` clauses that do not care which opened the file
Error: tuple[type[Exception], ...] = (sqlite3.Error,) + (
    (_sqlcipher.Error,) if _sqlcipher is not None else ()
)
DatabaseError: tuple[type[Exception], ...] = (sqlite3.DatabaseError,) + (
    (_sqlcipher.DatabaseError,) if _sqlcipher is not None else ()
)


class UnknownKey(sqlite3.DatabaseError):
    """The file is encrypted, and no key this PC knows opens it (a database or backup of
    another PC, or a file that is not a database at all)."""


class NoCipher(sqlite3.DatabaseError):
    """The file is encrypted, and this installation has no SQLCipher to open it."""


_plain_only = False  # tests of the fallback set this: as on a PC without SQLCipher
_key_of: dict[str, bytes] = {}  # which known key opened a file (tried first next time)
_lock = threading.Lock()


def available() -> bool:
    """Whether this installation encrypts its databases."""
    return _sqlcipher is not None and not _plain_only


def is_plain(path: Path) -> bool | None:
    """True for a plain SQLite file, False for an encrypted (or foreign) one, None for a
    file that is missing or empty (a new database)."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(PLAIN_HEADER))
    except OSError:
        return None
    if not header:
        return None
    return header == PLAIN_HEADER


def module_for(path: Path | None) -> Any:
    """The DBAPI module that opens ``path``: sqlcipher3 unless the file is plain."""
    if path is None or not available() or is_plain(path):
        return sqlite3
    return _sqlcipher


def _hex(key: bytes) -> str:
    return f"\"x'{key.hex()}'\""


def _keyed(target: str, key: bytes, kwargs: dict[str, Any]) -> Any:
    assert _sqlcipher is not None
    connection = _sqlcipher.connect(target, **kwargs)
    try:
        # SQLCipher logs a failed key to stderr by default; its error reaches the caller
        connection.execute("PRAGMA cipher_log_level = NONE")
        connection.execute(f"PRAGMA key = {_hex(key)}")
        # the database header: SQLCipher decrypts and authenticates the first page, which
        # fails ("not a database") under a wrong key
        connection.execute("PRAGMA user_version").fetchone()
    except BaseException:
        connection.close()
        raise
    return connection


def _file_of(target: str, uri: bool) -> Path:
    if uri and target.startswith("file:"):
        rest = target[len("file:") :].split("?", 1)[0]
        if rest.startswith("//"):
            from urllib.parse import unquote, urlparse

            rest = unquote(urlparse(target.split("?", 1)[0]).path)
        return Path(rest)
    return Path(target)


def connect(target: str | Path, *, uri: bool = False, **kwargs: Any) -> Any:
    """A DBAPI connection to the database file ``target`` (a path, or a ``file:`` URI with
    ``uri=True``), keyed when the file is encrypted; ``kwargs`` as for sqlite3.connect.

    Raises UnknownKey when the file is encrypted under a key this PC does not know,
    NoCipher when it is encrypted and this installation cannot decrypt."""
    target = str(target)
    path = _file_of(target, uri)
    plain = is_plain(path)
    if plain or (plain is None and not available()):
        return sqlite3.connect(target, uri=uri, **kwargs)
    if not available():
        raise NoCipher(str(path))
    if plain is None:  # a new database: this PC's own key
        return _keyed(target, keystore.database_key(), {"uri": uri, **kwargs})
    name = str(path.resolve())
    keys = keystore.database_keys()
    known = _key_of.get(name)
    if known is not None and known in keys:
        keys = [known, *(key for key in keys if key != known)]
    last: Exception | None = None
    for key in keys:
        try:
            connection = _keyed(target, key, {"uri": uri, **kwargs})
        except _sqlcipher.DatabaseError as exc:
            if "not a database" not in str(exc):
                raise  # locked, busy, unreadable: the caller's kinds
            last = exc
            continue
        with _lock:
            _key_of[name] = key
        return connection
    raise UnknownKey(str(path)) from last


def key_of(path: Path) -> bytes | None:
    """The key that opens ``path`` (None for a plain, new or unreadable file)."""
    if not available() or is_plain(path) is not False:
        return None
    name = str(Path(path).resolve())
    if name not in _key_of:
        try:
            connect(path).close()
        except Error:
            return None
    return _key_of.get(name)


def connect_like(source: Path, target: str | Path, **kwargs: Any) -> Any:
    """A connection to the new (empty) file ``target`` that will hold a copy of ``source``:
    plain when the source is plain, else under the key that opens the source (SQLite's
    backup API copies pages as they are, so both sides must be alike)."""
    key = key_of(source)
    if key is None:
        if available() and is_plain(source) is False:
            raise UnknownKey(str(source))
        return sqlite3.connect(str(target), **kwargs)
    return _keyed(str(target), key, kwargs)


def convert_to_encrypted(
    path: Path, *, step: Callable[[float], None] | None = None
) -> bool:
    """Encrypt the plain database ``path`` in place under this PC's key: exported to
    ``<name>.encrypting`` beside it, compared table by table, then moved over the plain file
    (its WAL and shared memory go with it).  False when there was nothing to do (already
    encrypted, new, or no SQLCipher here).  ``step(fraction)`` reports the export's
    progress; an exception leaves the plain file as it was."""
    if not available() or is_plain(path) is not True:
        return False
    assert _sqlcipher is not None
    from .files import PART, claim, release

    path = Path(path)
    # a ".part": what a conversion killed half-way left goes with the next start
    partial = path.with_name(path.name + ".encrypting" + PART)
    partial.unlink(missing_ok=True)
    held = claim(partial)  # another process's start sees this conversion running
    try:
        return _convert(path, partial, step)
    finally:
        release(held)


def _convert(path: Path, partial: Path, step: Callable[[float], None] | None) -> bool:
    assert _sqlcipher is not None
    size = max(1, path.stat().st_size)
    source = _sqlcipher.connect(str(path))
    try:
        source.execute("PRAGMA cipher_log_level = NONE")
        source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        tables = _tables(source)
        counts = {table: _count(source, table) for table in tables}
        if step is not None:

            def progress() -> int:
                try:
                    done = partial.stat().st_size / size
                except OSError:
                    done = 0.0
                step(min(0.95, done))
                return 0

            source.set_progress_handler(progress, 50_000)
        source.execute(
            f"ATTACH DATABASE ? AS encrypted KEY {_hex(keystore.database_key())}",
            (str(partial),),
        )
        source.execute("SELECT sqlcipher_export('encrypted')")
        source.execute("DETACH DATABASE encrypted")
        source.set_progress_handler(None, 0)
    except BaseException:
        source.close()
        partial.unlink(missing_ok=True)
        raise
    source.close()
    try:
        check = connect(partial)
        try:
            problems = check.execute("PRAGMA quick_check").fetchone()[0]
            if problems != "ok" or {t: _count(check, t) for t in tables} != counts:
                raise sqlite3.DatabaseError(f"the encrypted copy differs: {problems}")
            check.execute("PRAGMA journal_mode=WAL")
        finally:
            check.close()
        keystore.restrict(partial)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    with _lock:
        _key_of[str(path.resolve())] = keystore.database_key()
    if step is not None:
        step(1.0)
    return True


class InUse(sqlite3.OperationalError):
    """Another connection has the database open: it cannot be re-keyed now."""


def rekey(path: Path, key: bytes) -> None:
    """Encrypt the database ``path`` under ``key`` in place (SQLCipher's ``PRAGMA rekey``
    rewrites every page in one transaction).  Leaving WAL mode first needs the only
    connection to the file: InUse when another one has it open (its next read would fail
    under the new key)."""
    connection = connect(path, timeout=1)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        try:
            mode = connection.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        except Error as exc:
            raise InUse(str(path)) from exc
        if str(mode).lower() != "delete":
            raise InUse(str(path))
        connection.execute(f"PRAGMA rekey = {_hex(key)}")
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()
    with _lock:
        _key_of[str(Path(path).resolve())] = key


def _tables(connection: Any) -> Sequence[str]:
    rows = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return sorted(str(row[0]) for row in rows)


def _count(connection: Any, table: str) -> int:
    quoted = '"' + table.replace('"', '""') + '"'
    return int(connection.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0])


def forget_keys() -> None:
    """Forget which key opened which file (after the keys changed)."""
    with _lock:
        _key_of.clear()


__all__ = [
    "DatabaseError",
    "Error",
    "InUse",
    "NoCipher",
    "UnknownKey",
    "available",
    "connect",
    "convert_to_encrypted",
    "forget_keys",
    "is_plain",
    "key_of",
    "connect_like",
    "module_for",
    "rekey",
]
