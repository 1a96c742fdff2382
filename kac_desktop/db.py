"""Engine, SQLite pragmas, migrations at start-up, and clear errors for bad database files.

SQLAlchemy is imported when the engine is first used, not with this module: a SQLite
database already at the schema's head is checked and opened with the standard library's
sqlite3 alone (``open_database``), so the window can paint its first page (services/first_screen.py)
before SQLAlchemy, the models and the services are imported — 0.3-0.4 s of every start.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kac_desktop import db_errors
from kac_desktop.config import database_url, sqlite_path

# the kinds of database problem, with their messages for the user, are db_errors's
from kac_desktop.db_errors import (  # noqa: F401 - re-exported
    BUSY_TIMEOUT_MS,
    ConcurrentChange,
    DamagedDatabase,
    DatabaseBusy,
    DatabaseProblem,
    DiskFull,
    ForeignDatabase,
    LockedDatabase,
    NewerDatabase,
    ReadOnlyDatabase,
    VanishedDatabase,
)
from kac_desktop.i18n import _

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={db_errors.BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL survives a killed process without losing a commit (FACTS.md)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": db_errors.BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        db_errors.install(engine, sqlite_path(url))
        return engine
    engine = create_engine(url, pool_pre_ping=True)
    db_errors.install(engine, None, engine.url.host or "")
    return engine


def alembic_config(connection=None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _alembic_script():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    from kac_desktop.migrations import head_of, revision_graph

    graph = revision_graph()
    head = head_of(graph) if graph is not None else None
    if head is None:  # what the cheap reading cannot tell (several heads), Alembic can
        head = _alembic_script().get_current_head()
    return head or ""


def known_revisions() -> set[str]:
    """Every schema revision this version of kac_desktop knows."""
    from kac_desktop.migrations import revision_graph

    graph = revision_graph()
    if graph is None:
        return {rev.revision for rev in _alembic_script().walk_revisions()}
    return set(graph)


_TABLES_SQL = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite~_%' ESCAPE '~'"
)


def _schema_state(connection) -> tuple[str | None, bool]:
    """The revision the database is at (None before the first migration) and whether it
    holds tables other than Alembic's: what Alembic's MigrationContext would say, in two
    small queries and without importing Alembic.  ``connection``: SQLAlchemy's; on SQLite
    the reading of ``_sqlite_schema_state``, on its driver connection."""
    if connection.dialect.name == "sqlite":
        return _sqlite_schema_state(connection.connection.driver_connection)
    from sqlalchemy import inspect, text

    tables = set(inspect(connection).get_table_names())
    current = None
    if "alembic_version" in tables:
        versions = sorted(
            connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        )
        current = ",".join(versions) or None
    return current, bool(tables - {"alembic_version"})


def _sqlite_schema_state(connection: sqlite3.Connection) -> tuple[str | None, bool]:
    """``_schema_state`` of a SQLite database, through the standard library's sqlite3 (the
    start's check before SQLAlchemy is imported, and the engine's own on SQLite)."""
    tables = {name for (name,) in connection.execute(_TABLES_SQL)}
    current = None
    if "alembic_version" in tables:
        versions = sorted(
            v for (v,) in connection.execute("SELECT version_num FROM alembic_version")
        )
        current = ",".join(versions) or None
    return current, bool(tables - {"alembic_version"})


def connect_sqlite(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection to the database file, with the engine's busy timeout
    (reads before SQLAlchemy is imported: services/first_screen.py)."""
    connection = sqlite3.connect(str(path), timeout=db_errors.BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
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

    def session(self) -> Session:
        return self.sessions()

    def connect_sqlite(self) -> sqlite3.Connection | None:
        """A plain sqlite3 connection (None for another kind of database)."""
        path = self.path
        return connect_sqlite(path) if path is not None else None

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.url!r})"


def backup_sqlite(source: Path, target: Path) -> Path:
    """Copy a live SQLite database through the online backup API (safe beside a WAL)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(str(source))
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
            # one self-contained file: a copy in WAL mode would grow -wal/-shm when read
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    return target


def _classify(error: Exception, path: Path | None) -> DatabaseProblem:
    """What an error met while opening the database is, for the user: a lock, a full
    disk, … (db_errors.classify), else a damaged or foreign file."""
    return db_errors.classify(error, path) or db_errors.damaged(path)


def _sqlite_at_head(path: Path) -> bool:
    """Whether the SQLite file is a kac_desktop database at the schema's head (False: the
    full check decides what it is); DatabaseProblem when SQLite cannot read it."""
    try:
        connection = connect_sqlite(path)
        try:
            current, _other = _sqlite_schema_state(connection)
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise _classify(exc, path) from exc
    return current is not None and current == head_revision()


def open_database(target: str | Path | None = None, *, migrate: bool = True) -> Database:
    """Open (and create or upgrade) the database at ``target`` (a path or a URL).

    Before an existing database is migrated, a copy is kept in its ``backups`` folder.
    Raises DatabaseProblem subclasses with a message for the user.
    """
    url = database_url(target)
    path = sqlite_path(url)
    if path is not None and "?" not in url and path.is_file() and path.stat().st_size:
        # the usual start: a database file that is already at the head needs nothing of
        # SQLAlchemy or Alembic to be checked
        if _sqlite_at_head(path):
            return Database(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    from sqlalchemy.exc import DatabaseError as SADatabaseError
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import sessionmaker

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current, other_tables = _schema_state(connection)
    except (OperationalError, SADatabaseError) as exc:
        engine.dispose()
        raise _classify(exc, path) from exc
    head = head_revision()
    if current is None and other_tables:
        engine.dispose()
        raise ForeignDatabase(
            _(
                "The file {path} holds a database of another program; kac_desktop leaves it "
                "as it is."
            ).format(path=path or url),
            path,
        )
    if current is not None and current != head:
        if current not in known_revisions():
            engine.dispose()
            raise NewerDatabase(
                _(
                    "The database {path} was made by a newer version of kac_desktop. "
                    "Install the newer version to open it."
                ).format(path=path or url),
                path,
            )
    if migrate and current != head:
        if current is not None and path is not None:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            backup_sqlite(
                path, path.parent / "backups" / f"{path.stem}-before-migration-{stamp}.db"
            )
        from alembic import command

        try:
            with engine.begin() as connection:
                command.upgrade(alembic_config(connection), "head")
        except (OperationalError, SADatabaseError) as exc:
            engine.dispose()
            raise _classify(exc, path) from exc
    return Database(url, engine, sessionmaker(engine, expire_on_commit=False))


def network_warning(db_path: Path | None) -> str | None:
    """SQLite's WAL does not work on a network file system (FACTS.md): a warning, or None."""
    if db_path is None:
        return None
    text = str(db_path)
    network = text.startswith("\\\\") or text.startswith("//")
    if not network and os.path.exists("/proc/mounts"):
        try:
            mounts = [line.split() for line in open("/proc/mounts", encoding="utf-8")]
        except OSError:
            mounts = []
        best = ("", "")
        resolved = str(Path(db_path).resolve())
        for fields in mounts:
            if (
                len(fields) >= 3
                and resolved.startswith(fields[1])
                and len(fields[1]) > len(best[0])
            ):
                best = (fields[1], fields[2])
        network = best[1] in {"nfs", "nfs4", "cifs", "smbfs", "smb3", "sshfs", "fuse.sshfs"}
    if not network:
        return None
    return _(
        "The database {path} is on a network drive. SQLite cannot keep it safe there; keep "
        "the database on this computer's own disk."
    ).format(path=db_path)
