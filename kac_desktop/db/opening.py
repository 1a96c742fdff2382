"""Opening a database at start-up: create or upgrade it, keep a copy before a migration,
and turn what goes wrong into a message for the user.

A SQLite database already at the schema's head is checked and opened with the standard
library's sqlite3 alone, so the window can paint before SQLAlchemy, the models and the
services are imported (0.3-0.4 s of every start).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from kac_desktop.config import data_dir, database_url, is_server_url, sqlite_path
from kac_desktop.i18n import _
from kac_desktop.keystore import private_folder

from . import cipher, problems, server
from .engine import Database, connect_sqlite, make_engine
from .files import FileOrOSError, copy_database, make_private_file, remove_stale_parts
from .problems import DatabaseProblem, ForeignDatabase, NewerDatabase
from .problems import opening_problem as classify
from .schema import (
    alembic_config,
    head_revision,
    known_revisions,
    schema_state,
    sqlite_schema_state,
)


def _sqlite_at_head(path: Path) -> bool:
    """Whether the SQLite file is a kac_desktop database at the schema's head (False: the
    full check decides what it is); DatabaseProblem when SQLite cannot read it."""
    try:
        connection = connect_sqlite(path)
        try:
            current, _other = sqlite_schema_state(connection)
        finally:
            connection.close()
    except cipher.Error as exc:
        raise classify(exc, path) from exc
    return current is not None and current == head_revision()


def encrypt_plain_files(
    path: Path, progress: Callable[[float], None] | None = None
) -> list[Path]:
    """Encrypt the plain database ``path`` and the plain backups in its ``backups`` folder
    (files of a release before encryption), each checked before it replaces the plain
    one; returns the files encrypted.  Nothing to do without SQLCipher."""
    if not cipher.available():
        return []
    backups = path.parent / "backups"
    plain = [path] if cipher.is_plain(path) else []
    if backups.is_dir():
        plain += sorted(p for p in backups.glob("*.db") if cipher.is_plain(p))
    sizes = [max(1, p.stat().st_size) for p in plain]
    total, done = sum(sizes) or 1, 0
    converted = []
    for each, size in zip(plain, sizes, strict=True):

        def step(fraction: float, start: int = done, size: int = size) -> None:
            if progress is not None:
                progress((start + fraction * size) / total)

        try:
            if cipher.convert_to_encrypted(each, step=step):
                converted.append(each)
        except Exception as exc:
            if not isinstance(exc, FileOrOSError):
                raise
            raise classify(exc, each) from exc
        done += size
    return converted


_MIGRATION_LOCK = 0x6B6163  # "kac": the advisory lock two PCs upgrading one server take


def _masked(text: str) -> str:
    """An address as a message may show it: a password in it replaced by ***."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", text)


def open_database(
    target: str | Path | None = None,
    *,
    migrate: bool = True,
    create: bool = True,
    progress: Callable[[float], None] | None = None,
) -> Database:
    """Open (and create or upgrade) the database at ``target`` (a path or a URL).

    A plain SQLite file (a release before encryption) is encrypted first, with its plain
    backups (``progress(fraction)`` follows that).  Before an existing SQLite database is
    migrated, a copy is kept in its ``backups`` folder; a server's database is migrated in
    place, under an advisory lock (its backups are the server's).  ``create=False``: an
    empty server database is refused instead of set up (only ``server init`` and ``demo``
    set one up).
    Raises DatabaseProblem subclasses with a message for the user.
    """
    url = database_url(target)
    path = sqlite_path(url)
    address = server.address_of(url) if is_server_url(url) else None
    if path is None and address is None and not url.startswith("sqlite"):
        raise problems.not_a_database_address(_masked(str(target)))
    if path is not None:
        # what a backup or restore killed half-way left beside the file or its backups
        remove_stale_parts(path.parent)
        remove_stale_parts(path.parent / "backups")
        if migrate and path.is_file() and cipher.is_plain(path):
            encrypt_plain_files(path, progress)
    if path is not None and "?" not in url and path.is_file() and path.stat().st_size:
        # the usual start: a database file that is already at the head needs nothing of
        # SQLAlchemy or Alembic to be checked
        if _sqlite_at_head(path):
            make_private_file(path)
            return Database(url)
    if path is not None:
        if path.parent == data_dir():
            private_folder(path.parent, ours=True)
        make_private_file(path)
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
    from sqlalchemy.exc import DatabaseError as SADatabaseError
    from sqlalchemy.orm import sessionmaker

    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise problems.not_a_database_address(_masked(str(target))) from exc
    try:
        with engine.connect() as connection:
            if address is not None:
                _check_server(connection, address)
            current, other_tables = schema_state(connection)
            if address is not None and current is None and other_tables:
                from sqlalchemy import inspect

                names = sorted(set(inspect(connection).get_table_names()) - {"alembic_version"})
                raise problems.foreign_server_database(address, names)
    except (OperationalError, SADatabaseError) as exc:
        engine.dispose()
        raise classify(exc, path, address) from exc
    except DatabaseProblem:
        engine.dispose()
        raise
    head = head_revision()
    if address is not None and current is None and not create:
        engine.dispose()
        raise problems.empty_database(address)
    if current is None and other_tables:
        engine.dispose()
        raise ForeignDatabase(
            _(
                "The file {path} holds a database of another program; kac_desktop leaves it "
                "as it is."
            ).format(path=path or str(address or _masked(url))),
            path,
        )
    if current is not None and current != head:
        if current not in known_revisions():
            engine.dispose()
            raise NewerDatabase(
                _(
                    "The database {path} was made by a newer version of kac_desktop. "
                    "Install the newer version to open it."
                ).format(path=path or str(address or _masked(url))),
                path,
            )
    if migrate and current != head:
        if current is not None and path is not None:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            try:
                copy_database(
                    path, path.parent / "backups" / f"{path.stem}-before-migration-{stamp}.db"
                )
            except FileOrOSError as exc:
                engine.dispose()
                raise DatabaseProblem(
                    _(
                        "Before upgrading {path}, kac_desktop keeps a copy of it, and the copy "
                        "failed ({error}). Nothing was changed."
                    ).format(path=path, error=exc),
                    path,
                ) from exc
        from alembic import command

        try:
            with engine.begin() as connection:
                if address is not None:
                    # another PC may be upgrading the same server: wait for it, then go
                    # on from where it left the schema
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
                command.upgrade(alembic_config(connection), "head")
        except (OperationalError, SADatabaseError) as exc:
            engine.dispose()
            raise classify(exc, path, address) from exc
    return Database(url, engine, sessionmaker(engine, expire_on_commit=False))


def _check_server(connection, address: server.ServerAddress) -> None:
    """Refuse a server older than the schema needs, before anything is read or written."""
    version = tuple(connection.dialect.server_version_info or (0,))
    if version < server.MIN_VERSION:
        raise problems.unsupported_server(address, version, server.MIN_VERSION)
