"""The customer list's search, in memory: the default list (customers in use, by name, in
the actor's scope) with each one's search text, so that a keystroke filters strings in
memory instead of asking SQLite.

Why: at 100,000 customers a keystroke must show its first matches within a frame.  SQLite
walks the name order at about 1.5 µs a row (an index step and a lookup of the search text);
Python's substring test over texts already in that order costs about 0.1 µs a row, so a term
clustered far down the order (福州: no match before the names under "fu…") or a rare one
(no index answers one or two characters) is found in milliseconds, and the whole list of
matches — hence the count — with it.  Memory: the texts, about 34 MB at 100,000 customers
(as UTF-8 bytes they would take 22 MB, but the substring test on them is twice as slow).

Only the list as a manager types into it uses the cache: the default filters, sorted by name
(either way).  Any other query takes the SQL path of services/customers.py, and so does every
query while the cache is being built or after the database changed (``PRAGMA data_version``
on the cache's own connection moves when any other connection commits: the cache is then
stale, and the view builds it again off the UI thread)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kac_desktop.db import Database
from kac_desktop.progress import Cancelled
from kac_desktop.rules.search_keys import normalise_query

from .context import Actor
from .customers import CustomerQuery, search_texts_statement


@dataclass(frozen=True)
class Matches:
    """The keys of a search in display order: every one when ``complete``, otherwise the
    first of them."""

    keys: list[int]
    complete: bool


@dataclass(frozen=True)
class _Snapshot:
    version: int
    keys: list[int]  # in name order
    texts: list[str]  # the search text of each


_SLICE = 8192  # rows a worker checks before it lets the UI thread run


class ListCache:
    """The keys and search texts of ``actor``'s default customer list, kept in memory."""

    def __init__(self, db: Database, actor: Actor) -> None:
        self.db, self.actor = db, actor
        self._path = db.path
        self._snapshot: _Snapshot | None = None
        self._local = threading.local()  # one version connection per thread
        self._last: _Result | None = None  # the last whole search

    # -- freshness
    def _version(self) -> int | None:
        if self._path is None:
            return None
        connection = getattr(self._local, "connection", None)
        if connection is None:
            try:
                connection = sqlite3.connect(
                    f"file:{self._path}?mode=ro", uri=True, check_same_thread=False
                )
            except sqlite3.Error:
                return None
            self._local.connection = connection
        try:
            return int(connection.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            return None

    def ready(self) -> bool:
        """Whether the cache holds the database as it is now."""
        snapshot = self._snapshot
        return snapshot is not None and snapshot.version == self._version()

    def build(self) -> bool:
        """Read the default list's keys and search texts (a worker thread's job: about a
        second at 100,000 customers).  False where there is no SQLite file to watch."""
        version = self._version()
        if version is None:
            return False
        with self.db.session() as session:
            stmt = search_texts_statement(session, self.actor)
            keys: list[int] = []
            texts: list[str] = []
            for key, text in session.execute(stmt):
                keys.append(key)
                texts.append(text or "")
        self._snapshot = _Snapshot(version, keys, texts)
        self._last = None
        return True

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    # -- queries
    @staticmethod
    def serves(q: CustomerQuery) -> bool:
        """Whether ``q`` is a search of the default list (what the cache answers)."""
        return bool(normalise_query(q.search)) and q == CustomerQuery(
            search=q.search, descending=q.descending
        )

    def _current(self, q: CustomerQuery) -> _Snapshot | None:
        snapshot = self._snapshot
        if not self.serves(q) or snapshot is None or snapshot.version != self._version():
            return None
        return snapshot

    def _candidates(self, needle: str, snapshot: _Snapshot) -> Sequence[int] | None:
        """Where the matches of ``needle`` can be: the last search's matches when it was
        a part of ``needle`` (the user typed on), else everywhere; None: that search was
        ``needle`` itself (its matches are ``_last.positions``)."""
        last = self._last
        if last is None or last.snapshot is not snapshot or last.needle not in needle:
            return range(len(snapshot.texts))
        return None if last.needle == needle else last.positions

    def first(self, q: CustomerQuery, size: int) -> Matches | None:
        """The first ``size`` matches of ``q`` (every match when there are no more), or
        None when the cache cannot answer ``q`` now."""
        snapshot = self._current(q)
        if snapshot is None:
            return None
        needle = normalise_query(q.search)
        candidates = self._candidates(needle, snapshot)
        if candidates is None:
            return Matches(self._keys(snapshot, q, self._last.positions), True)  # type: ignore[union-attr]
        texts = snapshot.texts
        found: list[int] = []
        for position in reversed(candidates) if q.descending else candidates:
            if needle in texts[position]:
                found.append(position)
                if len(found) > size:
                    return Matches([snapshot.keys[p] for p in found[:size]], False)
        if q.descending:
            found.reverse()
        self._last = _Result(needle, snapshot, found)
        return Matches(self._keys(snapshot, q, found), True)

    def all(
        self, q: CustomerQuery, cancelled: Callable[[], bool] | None = None
    ) -> list[int] | None:
        """Every match of ``q`` in display order, or None when the cache cannot answer.
        A worker thread's job: it works in slices, letting the UI thread have the
        interpreter between them, and raises ``Cancelled`` once ``cancelled()``."""
        snapshot = self._current(q)
        if snapshot is None:
            return None
        needle = normalise_query(q.search)
        candidates = self._candidates(needle, snapshot)
        if candidates is None:
            positions = self._last.positions  # type: ignore[union-attr]
        else:
            texts = snapshot.texts
            positions = []
            for start in range(0, len(candidates), _SLICE):
                if cancelled is not None and cancelled():
                    raise Cancelled()
                positions.extend(
                    p for p in candidates[start : start + _SLICE] if needle in texts[p]
                )
                time.sleep(0)  # the UI thread may want the interpreter
            self._last = _Result(needle, snapshot, positions)
        return self._keys(snapshot, q, positions)

    @staticmethod
    def _keys(snapshot: _Snapshot, q: CustomerQuery, positions: list[int]) -> list[int]:
        keys = snapshot.keys
        found = [keys[p] for p in positions]
        return found[::-1] if q.descending else found


@dataclass(frozen=True)
class _Result:
    """The last whole search: its term and the positions of its matches, ascending."""

    needle: str
    snapshot: _Snapshot
    positions: list[int]
