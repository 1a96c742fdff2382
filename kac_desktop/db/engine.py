"""The SQLAlchemy engine with kac_desktop's SQLite pragmas, the ``Database`` handle every
service receives, and plain DBAPI connections for the few reads made before SQLAlchemy is
imported.  Every SQLite connection is made by ``cipher.connect`` (keyed when the file is
encrypted).  SQLAlchemy itself is imported when an engine is first made, not with this module."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kac_desktop.config import is_server_url, sqlite_path

from . import cipher, problems
from .problems import BUSY_TIMEOUT_MS  # noqa: F401 - the engine's API

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={problems.BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode, synchronous=NORMAL loses no committed transaction when the process is
    # killed (only a power cut can cost the last commits), and it avoids an fsync per commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    # SQLCipher decrypts and authenticates a page each time it is read into the page cache:
    # a cache of up to 32 MB per connection (SQLite's default is 2 MB; it fills only with
    # the pages read) keeps what a list, a customer file or the quota page reads again from
    # being decrypted again (CPU time of three heavy reads at M: 1.6x the plain file's with
    # it, 2.1x without; 64 MB gives 1.15x but would take the list at L past 300 MB)
    cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    cursor.close()


CACHE_KIB = 32 * 1024


def make_engine(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    if url.startswith("sqlite"):
        path = sqlite_path(url)
        engine = create_engine(
            url,
            # SQLCipher's driver for an encrypted file (its errors are the ones SQLAlchemy
            # wraps), sqlite3's for a plain one: cipher.py reads which off the file
            module=cipher.module_for(path),
            connect_args={"timeout": problems.BUSY_TIMEOUT_MS / 1000},
        )
        problems.install(engine, path)
        if path is not None:

            def keyed_connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
                return cipher.connect(path, **cparams)

            event.listen(engine, "do_connect", keyed_connect)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    from .server import address_of, connect_args

    # READ COMMITTED (the server's default): a write waits for another's row lock and then
    # works on what that one committed.  Where SQLite's snapshot made a check-then-write
    # safe (the duplicate check of a new customer, the imports), the service takes the audit
    # head's row lock before it reads (raw_sql.lock_for_writing), as BEGIN IMMEDIATE does
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args(url))
    problems.install(engine, None, address_of(url))
    return engine


def connect_sqlite(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection to the database file, with the engine's busy timeout
    (reads before SQLAlchemy is imported: the schema state, whether anyone can sign in)."""
    connection = cipher.connect(
        path, timeout=problems.BUSY_TIMEOUT_MS / 1000, check_same_thread=False
    )
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


class Database:
    """The database the application works on: its URL, and the SQLAlchemy engine and
    session factory, made when first used (importing SQLAlchemy then)."""

    def __init__(
        self, url: str, engine: Engine | None = None, sessions: sessionmaker[Session] | None = None
    ) -> None:
        self.url = url
        self._engine = engine
        self._sessions = sessions
        self._making = threading.RLock()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            with self._making:
                if self._engine is None:
                    self._engine = make_engine(self.url)
        return self._engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        if self._sessions is None:
            with self._making:
                if self._sessions is None:
                    from sqlalchemy.orm import sessionmaker

                    self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        return self._sessions

    @property
    def path(self) -> Path | None:
        return sqlite_path(self.url)

    @property
    def where(self) -> str:
        """The database as a person is shown it: the file's path, or the server and
        database (host:port/name, never the password)."""
        path = self.path
        if path is not None:
            return str(path)
        from .server import address_of

        return str(address_of(self.url)) if is_server_url(self.url) else self.url

    def session(self) -> Session:
        return self.sessions()

    def connect_sqlite(self) -> sqlite3.Connection | None:
        """A plain sqlite3 connection (None for another kind of database)."""
        path = self.path
        return connect_sqlite(path) if path is not None else None

    def needs_first_user(self) -> bool | None:
        """Whether the database has no user yet (the first start), read with plain sqlite3
        so that the first dialog shows before SQLAlchemy is imported; None for another kind
        of database (``users.needs_first_user`` answers then)."""
        connection = self.connect_sqlite()
        if connection is None:
            return None
        try:
            return connection.execute("SELECT 1 FROM users LIMIT 1").fetchone() is None
        finally:
            connection.close()

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.where!r})"
