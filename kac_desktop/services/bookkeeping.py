"""Writes that can wait: the bookkeeping of a sign-in (its login time and audit record).

``write(db, work)`` runs ``work(session)`` in its own short transaction when the database
takes a write at once (within ``QUICK_MS``); when another user's write holds the lock, the
work is queued and a background thread writes it as soon as the lock is free, so that the
user who signs in does not wait for the other's import or restore.  At the end of the
process the queue is given the busy timeout to drain; what is still locked out then is
left unwritten and logged (a login time, never a change of data).
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
from collections.abc import Callable
from contextlib import contextmanager

from sqlalchemy.orm import Session

from kac_desktop.db import ConcurrentChange, Database, DatabaseProblem, LockedDatabase, problems

QUICK_MS = 250
log = logging.getLogger("kac_desktop")

Work = Callable[[Session], None]
_queue: queue.Queue[tuple[Database, Work]] = queue.Queue()
_worker: threading.Thread | None = None
_lock = threading.Lock()
_idle = threading.Event()
_idle.set()


@contextmanager
def _busy_timeout(connection, milliseconds: int):
    """The SQLite busy timeout of one pooled connection for the duration of a block."""
    raw = connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
    if raw is not None:
        raw.execute(f"PRAGMA busy_timeout={int(milliseconds)}")
    try:
        yield
    finally:
        if raw is not None:
            raw.execute(f"PRAGMA busy_timeout={problems.BUSY_TIMEOUT_MS}")


def _run(db: Database, work: Work, timeout_ms: int) -> None:
    with db.engine.connect() as connection, _busy_timeout(connection, timeout_ms):
        with Session(bind=connection) as session, session.begin():
            work(session)


# A lost race (SQLite's BUSY_SNAPSHOT, a server's deadlock or serialization failure: a
# ConcurrentChange) is no reason to lose a login time: the work reads again and is written.
RETRIES = 5


def write(db: Database, work: Work) -> bool:
    """Write ``work`` now if the database is free (True), else queue it (False)."""
    try:
        _run_again_after_a_lost_race(db, work, QUICK_MS)
        return True
    except LockedDatabase:
        _later(db, work)
        return False
    except DatabaseProblem as exc:
        # a read-only file or a full disk: the user may still read; the work he does
        # next meets the problem in its own words
        log.warning("bookkeeping not written: %s", exc.message)
        return False


def _run_again_after_a_lost_race(db: Database, work: Work, timeout_ms: int) -> None:
    for attempt in range(RETRIES):
        try:
            _run(db, work, timeout_ms)
            return
        except ConcurrentChange:
            if attempt == RETRIES - 1:
                raise LockedDatabase("still busy after retries") from None


def _later(db: Database, work: Work) -> None:
    global _worker
    with _lock:
        _idle.clear()
        _queue.put((db, work))
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_drain, name="bookkeeping", daemon=True)
            _worker.start()


def _drain() -> None:
    while True:
        with _lock:
            if _queue.empty():
                _idle.set()
                return
        db, work = _queue.get()
        while True:
            try:
                _run_again_after_a_lost_race(db, work, problems.BUSY_TIMEOUT_MS)
                break
            except LockedDatabase:
                continue  # still locked: wait again
            except Exception:  # the file is gone, the disk full: nothing to keep waiting for
                log.exception("bookkeeping left unwritten")
                break


def wait(timeout: float | None = None) -> bool:
    """Whether everything queued was written within ``timeout`` seconds."""
    return _idle.wait(timeout)


@atexit.register
def _at_exit() -> None:
    if not _idle.is_set() and not wait(problems.BUSY_TIMEOUT_MS / 1000 + 1):
        log.warning("a sign-in's bookkeeping was left unwritten: the database stayed locked")
