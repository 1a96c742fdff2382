"""The customer list's search, in memory: the default list (customers in use, by name, in
the actor's scope) with each one's search text, so that a keystroke filters text in memory
instead of asking SQLite.

Why: at 100,000 customers a keystroke must show its first matches within a frame.  SQLite
walks the name order at about 1.5 µs a row (an index step and a lookup of the search text);
``str.find`` over the texts laid end to end in that order passes a row in about 0.1 µs, so a
term clustered far down the order (福州: no match before the names under "fu…") still shows
its first page at once.  A term that the first 20,000 rows (a fifth of 100,000; a shorter
list whole) do not fill a page for is rare or absent: the trigram index (migration 0003) then
names its customers outright when it can match only a few, and the cache scans on otherwise.

Memory: the texts as one string (about 26 MB at 100,000 customers), where each row starts,
and each key's position.

Only the list as a manager types into it uses the cache: the default filters, sorted by name
(either way).  Any other query takes the SQL path of services/customer_list.py, and so does every
query while the cache is being built or after the database changed (``PRAGMA data_version``
on the cache's own connection moves when any other connection commits: the cache is then
stale, and the view builds it again off the UI thread; on a database server the audit
head's number, which every mutation moves: db.files.DataVersion)."""

from __future__ import annotations

import time
from array import array
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from kac_desktop.db import Database, DataVersion
from kac_desktop.progress import Cancelled
from kac_desktop.rules.search_keys import normalise_query

from .context import Actor
from .customer_list import indexed_matches, search_texts_statement, visit_class_setting
from .customers import CustomerQuery

_END = "\n"  # after each row's text; a normalised query never holds it
# the rows scanned for a first page before asking the index: a scan costs by the row, so
# the budget is in rows (a fifth of 100,000); a shorter list is scanned whole, as scanning
# it costs less than the index's round trip through SQL
SCAN_FIRST_ROWS = 20_000
INDEX_LIMIT = 3_000  # the index names the matches when there can be at most this many
_SLICE = 4096  # matches a worker collects before it lets the UI thread run


@dataclass(frozen=True)
class Matches:
    """The keys of a search in display order: every one when ``complete``, otherwise the
    first of them."""

    keys: list[str]
    complete: bool


@dataclass(frozen=True)
class _Snapshot:
    version: int
    keys: list[str]  # customer ids, in name order
    hay: str  # every search text in that order, each followed by _END
    starts: array  # where each row starts in ``hay``, and len(hay) last
    position: dict[str, int]  # key -> its row
    class_mapping: dict[str, int]  # the tier -> visit class setting at ``version``

    def row_at(self, offset: int) -> int:
        return bisect_right(self.starts, offset) - 1

    def holds(self, row: int, needle: str) -> bool:
        return self.hay.find(needle, self.starts[row], self.starts[row + 1]) >= 0


@dataclass(frozen=True)
class _Result:
    """The last whole search: its term and its rows, ascending."""

    needle: str
    snapshot: _Snapshot
    rows: list[int]


class ListCache:
    """The keys and search texts of ``actor``'s default customer list, kept in memory."""

    def __init__(self, db: Database, actor: Actor) -> None:
        self.db, self.actor = db, actor
        self._path = db.path
        self._snapshot: _Snapshot | None = None
        self._data_version = DataVersion(self._path, db)  # one connection per thread
        self._last: _Result | None = None

    # -- freshness
    def _version(self) -> int | None:
        return self._data_version.read()

    def ready(self) -> bool:
        """Whether the cache holds the database as it is now."""
        snapshot = self._snapshot
        return snapshot is not None and snapshot.version == self._version()

    def build(self) -> bool:
        """Read the default list's keys and search texts (a worker thread's job: about a
        second at 100,000 customers).  False where the database's version cannot be read."""
        version = self._version()
        if version is None:
            return False
        keys: list[str] = []
        texts: list[str] = []
        with self.db.session() as session:
            class_mapping = visit_class_setting(session)
            for key, text in session.execute(search_texts_statement(session, self.actor)):
                keys.append(key)
                texts.append(text or "")
        starts = array("q", [0])
        offset = 0
        for text in texts:
            offset += len(text) + 1
            starts.append(offset)
        hay = _END.join(texts) + _END
        del texts
        position = {key: row for row, key in enumerate(keys)}
        self._snapshot = _Snapshot(version, keys, hay, starts, position, class_mapping)
        self._last = None
        return True

    def close(self) -> None:
        self._data_version.close()

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

    def _earlier(self, needle: str, snapshot: _Snapshot) -> _Result | None:
        """The last whole search when ``needle`` holds its term (the user typed on): the
        matches are among its rows."""
        last = self._last
        if last is not None and last.snapshot is snapshot and last.needle in needle:
            return last
        return None

    def class_mapping(self) -> dict[str, int] | None:
        """The tier -> visit class setting as the database holds it now (None when the
        cache is not current)."""
        snapshot = self._snapshot
        if snapshot is None or snapshot.version != self._version():
            return None
        return snapshot.class_mapping

    def first(self, q: CustomerQuery, size: int) -> Matches | None:
        """The first ``size`` matches of ``q`` (every match when there are no more), or
        None when the cache cannot answer ``q`` now."""
        snapshot = self._current(q)
        if snapshot is None:
            return None
        needle = normalise_query(q.search)
        earlier = self._earlier(needle, snapshot)
        if earlier is not None:
            if earlier.needle == needle:
                return Matches(self._keys(snapshot, q, earlier.rows), True)
            rows: list[int] = []
            for row in reversed(earlier.rows) if q.descending else earlier.rows:
                if snapshot.holds(row, needle):
                    rows.append(row)
                    if len(rows) > size:
                        return Matches(self._keys(snapshot, q, rows[:size], ordered=True), False)
            return self._complete(needle, snapshot, q, rows)
        # a new term: SCAN_FIRST_ROWS from where the page starts, then the index, then
        # the rest
        count = len(snapshot.keys)
        part = max(1, min(count, SCAN_FIRST_ROWS))
        starts = snapshot.starts
        if q.descending:
            rows = self._scan_down(
                needle, snapshot, starts[count - part], len(snapshot.hay), size + 1
            )
        else:
            rows = self._scan_up(needle, snapshot, 0, starts[part], size + 1)
        if len(rows) <= size and part < count:
            named = self._indexed(needle, snapshot)
            if named is not None:
                return self._complete(needle, snapshot, q, named[::-1] if q.descending else named)
            if q.descending:
                rows += self._scan_down(
                    needle, snapshot, 0, starts[count - part], size + 1 - len(rows)
                )
            else:
                rows += self._scan_up(
                    needle, snapshot, starts[part], len(snapshot.hay), size + 1 - len(rows)
                )
        if len(rows) > size:
            return Matches(self._keys(snapshot, q, rows[:size], ordered=True), False)
        return self._complete(needle, snapshot, q, rows)

    def all(
        self, q: CustomerQuery, cancelled: Callable[[], bool] | None = None
    ) -> list[str] | None:
        """Every match of ``q`` in display order, or None when the cache cannot answer.
        A worker thread's job: it works in slices, letting the UI thread have the
        interpreter between them, and raises ``Cancelled`` once ``cancelled()``."""
        snapshot = self._current(q)
        if snapshot is None:
            return None
        needle = normalise_query(q.search)
        earlier = self._earlier(needle, snapshot)
        if earlier is not None and earlier.needle == needle:
            return self._keys(snapshot, q, earlier.rows)
        rows: list[int] = []
        if earlier is not None:
            candidates = earlier.rows
            for start in range(0, len(candidates), _SLICE):
                _pause(cancelled)
                rows.extend(
                    r for r in candidates[start : start + _SLICE] if snapshot.holds(r, needle)
                )
        else:
            offset, end = 0, len(snapshot.hay)
            while True:
                _pause(cancelled)
                found = self._scan_up(needle, snapshot, offset, end, _SLICE)
                rows.extend(found)
                if len(found) < _SLICE:
                    break
                offset = snapshot.starts[found[-1] + 1]
        self._last = _Result(needle, snapshot, rows)
        return self._keys(snapshot, q, rows)

    # -- helpers
    @staticmethod
    def _scan_up(needle: str, snapshot: _Snapshot, offset: int, end: int, limit: int) -> list[int]:
        """The first ``limit`` rows holding ``needle`` in hay[offset:end], ascending."""
        starts, find = snapshot.starts, snapshot.hay.find
        rows: list[int] = []
        while len(rows) < limit:
            at = find(needle, offset, end)
            if at < 0:
                break
            row = bisect_right(starts, at) - 1
            rows.append(row)
            offset = starts[row + 1]
        return rows

    @staticmethod
    def _scan_down(
        needle: str, snapshot: _Snapshot, offset: int, end: int, limit: int
    ) -> list[int]:
        """The last ``limit`` rows holding ``needle`` in hay[offset:end], descending."""
        starts, rfind = snapshot.starts, snapshot.hay.rfind
        rows: list[int] = []
        while len(rows) < limit:
            at = rfind(needle, offset, end)
            if at < 0:
                break
            row = bisect_right(starts, at) - 1
            rows.append(row)
            end = starts[row]
        return rows

    def _indexed(self, needle: str, snapshot: _Snapshot) -> list[int] | None:
        """The rows holding ``needle`` by the trigram index (ascending), or None when it
        cannot name them cheaply."""
        with self.db.session() as session:
            keys = indexed_matches(session, needle, INDEX_LIMIT)
        if keys is None:
            return None
        position = snapshot.position
        rows = sorted(position[k] for k in keys if k in position)
        # the index agrees with the text by construction; checking costs microseconds
        return [r for r in rows if snapshot.holds(r, needle)]

    def _complete(
        self, needle: str, snapshot: _Snapshot, q: CustomerQuery, rows: list[int]
    ) -> Matches:
        ascending = rows[::-1] if q.descending else rows
        self._last = _Result(needle, snapshot, ascending)
        return Matches(self._keys(snapshot, q, ascending), True)

    @staticmethod
    def _keys(
        snapshot: _Snapshot, q: CustomerQuery, rows: list[int], ordered: bool = False
    ) -> list[str]:
        """The keys of ``rows`` in display order (``rows`` ascending, or already in display
        order when ``ordered``)."""
        keys = snapshot.keys
        found = [keys[r] for r in rows]
        return found[::-1] if q.descending and not ordered else found


def _pause(cancelled: Callable[[], bool] | None) -> None:
    if cancelled is not None and cancelled():
        raise Cancelled()
    time.sleep(0)  # the UI thread may want the interpreter
