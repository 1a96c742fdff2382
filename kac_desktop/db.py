"""Engine, SQLite pragmas, migrations at start-up, and clear errors for bad database files."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kac_desktop.config import database_url, sqlite_path
from kac_desktop.i18n import _

if TYPE_CHECKING:
    from alembic.config import Config

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


def _schema_state(connection) -> tuple[str | None, bool]:
    """The revision the database is at (None before the first migration) and whether it
    holds tables other than Alembic's: what Alembic's MigrationContext would say, in two
    small queries and without importing Alembic."""
    tables = set(inspect(connection).get_table_names())
    current = None
    if "alembic_version" in tables:
        versions = sorted(
            connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        )
        current = ",".join(versions) or None
    return current, bool(tables - {"alembic_version"})


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
