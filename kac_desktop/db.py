"""Engine, SQLite pragmas, migrations at start-up, and clear errors for bad database files."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kac_desktop.config import database_url, sqlite_path
from kac_desktop.i18n import _

MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 5000


class DatabaseProblem(Exception):
    """A database that cannot be opened, with a message for the user."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class DamagedDatabase(DatabaseProblem):
    pass


class LockedDatabase(DatabaseProblem):
    pass


class ForeignDatabase(DatabaseProblem):
    pass


class NewerDatabase(DatabaseProblem):
    pass


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL survives a killed process without losing a commit (FACTS.md)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(connection=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


@dataclass
class Database:
    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def path(self) -> Path | None:
        return sqlite_path(self.url)

    def session(self) -> Session:
        return self.sessions()

    def dispose(self) -> None:
        self.engine.dispose()


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
    text = str(error).lower()
    where = str(path) if path else ""
    if "locked" in text or "busy" in text:
        return LockedDatabase(
            _(
                "The database {path} is in use by another program and stays locked. "
                "Close the other program and try again."
            ).format(path=where),
            path,
        )
    return DamagedDatabase(
        _(
            "The file {path} is damaged or is not a kac_desktop database. "
            "Open the latest good backup instead."
        ).format(path=where),
        path,
    )


def open_database(target: str | Path | None = None, *, migrate: bool = True) -> Database:
    """Open (and create or upgrade) the database at ``target`` (a path or a URL).

    Before an existing database is migrated, a copy is kept in its ``backups`` folder.
    Raises DatabaseProblem subclasses with a message for the user.
    """
    url = database_url(target)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            tables = set(inspect(connection).get_table_names())
    except (OperationalError, SADatabaseError) as exc:
        engine.dispose()
        raise _classify(exc, path) from exc
    head = head_revision()
    if current is None and tables - {"alembic_version"}:
        engine.dispose()
        raise ForeignDatabase(
            _(
                "The file {path} holds a database of another program; kac_desktop leaves it "
                "as it is."
            ).format(path=path or url),
            path,
        )
    if current is not None and current != head:
        known = {
            rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()
        }
        if current not in known:
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
        try:
            with engine.begin() as connection:
                command.upgrade(alembic_config(connection), "head")
        except (OperationalError, SADatabaseError) as exc:
            engine.dispose()
            raise _classify(exc, path) from exc
    return Database(url, engine, sessionmaker(engine, expire_on_commit=False))
