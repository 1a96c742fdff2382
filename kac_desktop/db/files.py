"""SQLite database files as files: the one atomic copy, writing a copy into a live
database, read-only connections for checks, change detection, and where a file lives.

Every copy of a database goes through SQLite's online backup API, which reads a consistent
snapshot even while another connection writes and a WAL sits beside the file; a plain file
copy could catch a half-written page or leave committed transactions behind in the WAL.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kac_desktop.i18n import _
from kac_desktop.keystore import private_folder, restrict
from kac_desktop.temporary_files import remove_stale_temporaries_in

from . import cipher

# The drivers' errors (sqlite3's and SQLCipher's) under names the services can catch
# without speaking sqlite3.
FileError = cipher.Error
FileDatabaseError = cipher.DatabaseError
FileOrOSError: tuple[type[BaseException], ...] = (*cipher.Error, OSError)

COPY_TIMEOUT_S = 10


def _fsync(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def make_private_file(path: Path) -> None:
    """Create ``path`` (and the folders missing above it) readable by the user alone before
    SQLite opens it: SQLite gives its WAL and shared-memory files the database's mode.  An
    existing file (and its WAL) is set to that mode too."""
    path = Path(path)
    if not path.parent.exists():
        private_folder(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    except OSError:
        return  # read-only folders and the like: SQLite says what is wrong
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if each.exists():
            restrict(each)


# pages per step of a copy that reports its progress (4 MB at SQLite's 4 KB page)
STEP_PAGES = 1024


def copy_database(
    source: Path, target: Path, step: Callable[[int, int], None] | None = None
) -> Path:
    """Copy the SQLite database ``source`` to ``target``, atomically: the copy is written
    beside the target as ``<name>.part``, made one self-contained file (rollback journal, so
    that reading it grows no -wal/-shm), flushed to disk and only then renamed over
    ``target``.  A crash or an error leaves either the old target or none, never half a copy.

    ``step(done, total)`` (pages) is called after every ``STEP_PAGES`` pages; an exception
    it raises (a cancel) stops the copy, removes the part and propagates.
    """
    source, target = Path(source), Path(target)
    # a copy holds every customer: readable by the user alone (a backups folder is ours)
    private_folder(target.parent, ours=target.parent.name == "backups")
    partial = target.with_name(target.name + PART)
    partial.unlink(missing_ok=True)
    Path(str(partial) + "-journal").unlink(missing_ok=True)
    held = claim(partial)  # held until the copy is in place: not stale meanwhile
    make_private_file(partial)
    try:
        try:
            src = cipher.connect(source, timeout=COPY_TIMEOUT_S)
        except (cipher.UnknownKey, cipher.NoCipher) as exc:
            from .problems import classify

            raise (classify(exc, source) or exc) from exc
        try:
            # an encrypted source is copied encrypted, under the key that opened it
            dst = cipher.connect_like(source, partial)
            try:
                if step is None:
                    src.backup(dst)
                else:
                    src.backup(
                        dst,
                        pages=STEP_PAGES,
                        progress=lambda _status, left, total: step(total - left, total),
                    )
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        _fsync(partial)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        release(held)
    if os.name == "posix":  # the rename itself is durable once the folder is flushed
        _fsync(target.parent)
    return target


PART = ".part"


def claim(partial: Path) -> int | None:
    """An open, exclusively locked handle on the copy being written (POSIX: flock, which
    SQLite's own locks do not touch; on Windows an open file cannot be deleted anyway)."""
    try:
        fd = os.open(partial, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)
    except (ImportError, OSError):
        pass
    return fd


def release(fd: int | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)


def _in_use(partial: Path) -> bool:
    try:
        import fcntl
    except ImportError:
        return False  # Windows: deleting a file another process has open fails instead
    try:
        fd = os.open(partial, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


def remove_stale_parts(folder: Path) -> list[Path]:
    """Remove what copies and writes killed half-way left in ``folder`` (``*.part`` and
    their ``*.part-journal``, the dead writers' ``.*.tmp``): a copy still being written
    holds its claim, a write still running names its living process, and both are left
    alone."""
    folder = Path(folder)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for partial in sorted(folder.glob("*" + PART)):
        if _in_use(partial):
            continue
        for path in (partial, Path(str(partial) + "-journal")):
            try:
                path.unlink()
                removed.append(path)
            except FileNotFoundError:
                pass
            except OSError:  # open elsewhere (Windows): in use after all
                break
    for journal in sorted(folder.glob("*" + PART + "-journal")):
        partial = Path(str(journal)[: -len("-journal")])
        if not partial.exists():
            with contextlib.suppress(OSError):
                journal.unlink()
                removed.append(journal)
    # and the temporaries of files written beside their target (a backup's sealed head, a
    # report) whose writer was killed before it moved them into place
    removed.extend(remove_stale_temporaries_in(folder))
    return removed


def copy_into(source: Path, live_target: Path) -> None:
    """Write the database ``source`` into the existing, sound database ``live_target``
    through the backup API: SQLite replaces its pages in one transaction, its WAL stays
    consistent, and other connections see the new content (a restore over a live file).
    ``source`` is a scratch copy: encrypted under another key, it is re-keyed to the
    target's first."""
    if cipher.available() and cipher.key_of(source) != cipher.key_of(live_target):
        # pages are copied as they are: the source (a scratch copy) takes the target's key
        target_key = cipher.key_of(live_target)
        if target_key is None:
            raise cipher.UnknownKey(str(live_target))
        cipher.rekey(source, target_key)
    src = cipher.connect(source)
    try:
        dst = cipher.connect(live_target, timeout=COPY_TIMEOUT_S)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def connect_read_only(path: Path, timeout: float = 5) -> sqlite3.Connection:
    """A connection that cannot change the file (for checking a database or a backup)."""
    return cipher.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)


class DataVersion:
    """A number that moves whenever another connection commits a change, so that a cache
    can tell that it is stale; ``read()`` is None when it cannot be read.

    A SQLite file: ``PRAGMA data_version``, read on a connection of its own per thread.  A
    database server (``server``, the Database): the audit head's number, which every
    mutation of the application moves in its own transaction (services/audit.py), read as
    committed — a change committed after the reading moves it again."""

    def __init__(self, path: Path | None, server: Any = None) -> None:
        self._path = path
        self._server = server if path is None else None
        self._local = threading.local()

    def read(self) -> int | None:
        if self._path is None:
            return self._read_server()
        connection = getattr(self._local, "connection", None)
        if connection is None:
            try:
                connection = cipher.connect(
                    f"{Path(self._path).resolve().as_uri()}?mode=ro",
                    uri=True,
                    check_same_thread=False,
                )
            except cipher.Error:
                return None
            self._local.connection = connection
        try:
            return int(connection.execute("PRAGMA data_version").fetchone()[0])
        except cipher.Error:
            return None

    def _read_server(self) -> int | None:
        from sqlalchemy.exc import SQLAlchemyError

        from .problems import DatabaseProblem

        server = self._server
        if server is None:
            return None
        try:
            with server.engine.connect() as connection:
                seq = connection.exec_driver_sql(
                    "SELECT seq FROM audit_head WHERE id = 1"
                ).scalar()
        except (SQLAlchemyError, DatabaseProblem):
            return None
        return int(seq) if seq is not None else None

    def close(self) -> None:
        """Close this thread's connection (the next ``read`` opens another)."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


_NETWORK_FILE_SYSTEMS = {"nfs", "nfs4", "cifs", "smbfs", "smb3", "sshfs", "fuse.sshfs"}


def network_warning(db_path: Path | None) -> str | None:
    """A warning when the database file is on a network drive, else None.  SQLite's WAL
    keeps its index in shared memory, which a network file system does not share between
    computers: two PCs writing the same file there can corrupt it."""
    if db_path is None:
        return None
    text = str(db_path)
    network = text.startswith("\\\\") or text.startswith("//")
    if not network and os.path.exists("/proc/mounts"):
        try:
            with open("/proc/mounts", encoding="utf-8") as mounts_file:
                mounts = [line.split() for line in mounts_file]
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
        network = best[1] in _NETWORK_FILE_SYSTEMS
    if not network:
        return None
    return _(
        "The database {path} is on a network drive. SQLite cannot keep it safe there; keep "
        "the database on this computer's own disk."
    ).format(path=db_path)
