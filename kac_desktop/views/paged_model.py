"""The house's list model: the ordered keys of the current query, rows fetched a page at a
time when a view first shows them, columns and roles named once.

Every list of records builds on ``PagedTableModel``.  A list says how its service answers
three questions and nothing more:

* ``query_keys(query)``: the keys of the records the query shows, in display order — the
  service filters and sorts them in SQL;
* ``fetch_rows(keys)``: the rows of some of those keys, in any order, less any that vanished
  or are no longer the actor's;
* ``row_key(row)``: the key of a fetched row.

Keys are what every database has: a record's primary key (a UUID text for most records) or
an ordered integer column of its own (the audit trail's sequence number) — never SQLite's
``rowid``.  ``data(index, IdRole)`` is a row's key in every list.

After a change ``reload()`` asks the query again (rows may have entered or left it) and
``refresh_keys(keys)`` fetches again only the rows of those keys (their texts changed; a key
whose record is gone leaves the list).  A list whose rows move with the clock (the service
board) or that a page fills from an in-memory result of a few dozen rows says why in its own
docstring; the shared pieces (roles, columns) are the same for them.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal

from .table_models import Column, ColumnTableModel

# The roles every model of the application answers beside Qt's own: one name each.
IdRole = Qt.ItemDataRole.UserRole + 1  # the key of the row's record (a customer id, …)
SortKeyRole = Qt.ItemDataRole.UserRole + 2  # the value the column sorts by
StateRole = Qt.ItemDataRole.UserRole + 3  # a row's state code (warning state, quota state)
FractionRole = Qt.ItemDataRole.UserRole + 4  # a share 0..1 (quota progress)
EntryRole = Qt.ItemDataRole.UserRole + 5  # what a calendar item stands for

PAGE_SIZE = 256  # rows fetched at a time while scrolling

_ID = int(IdRole)


class PagedTableModel(ColumnTableModel):
    """Ordered keys of the current query; rows fetched a page at a time as they are shown.

    Subclasses give ``query_keys``, ``fetch_rows``, ``row_key`` and ``cell``; they may give
    ``sorted_query`` to sort by a header click (in SQL: the query names the order)."""

    countChanged = Signal(int)
    page_size = PAGE_SIZE

    def __init__(self, columns: Sequence[Column], query: Any = None, parent=None) -> None:
        super().__init__([c.title for c in columns], parent)
        self.columns: tuple[Column, ...] = tuple(columns)
        self._query = query
        self._keys: list = []
        self._rows: dict[int, Any] = {}  # row number -> fetched row

    # -- what a list says (override)
    def query_keys(self, query: Any) -> list:
        """The keys of ``query``'s records in display order."""
        raise NotImplementedError

    def fetch_rows(self, keys: list) -> Iterable[Any]:
        """The rows of ``keys`` (any order; vanished ones left out)."""
        raise NotImplementedError

    def row_key(self, row: Any) -> Hashable:
        """The key of a fetched row (by default its ``id``)."""
        return row.id

    def cell(self, row: Any, column: int, role: int) -> Any:
        """What ``row`` shows in ``column`` for ``role`` (None: nothing)."""
        return None

    def sorted_query(self, query: Any, column: int, descending: bool) -> Any:
        """``query`` ordered by ``column``, or None when the list does not sort by it."""
        return None

    # -- the query
    @property
    def query(self) -> Any:
        return self._query

    def set_query(self, query: Any) -> None:
        self.beginResetModel()
        self._query = query
        self._keys = list(self.query_keys(query))
        self._rows = {}
        self.endResetModel()
        self.countChanged.emit(len(self._keys))

    def reload(self) -> None:
        """Ask the query again: after a change that may add rows or take them away."""
        self.set_query(self._query)

    def refresh_keys(self, keys: Iterable[Hashable]) -> None:
        """Fetch again the rows of ``keys`` that the list shows (their texts changed); a key
        whose record is gone (or no longer the actor's) leaves the list.  Keys the list does
        not hold are ignored: whether a new record belongs to the query is ``reload``'s to
        say."""
        wanted = set(keys)
        if not wanted:
            return
        positions = [(row, key) for row, key in enumerate(self._keys) if key in wanted]
        if not positions:
            return
        fetched = {self.row_key(r): r for r in self.fetch_rows([key for _row, key in positions])}
        gone = []
        for row, key in positions:
            data = fetched.get(key)
            if data is None:
                gone.append(row)
                continue
            self._rows[row] = data
            self._row_refreshed(row)
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))
        for row in reversed(gone):
            self._remove_row(row)
        if gone:
            self.countChanged.emit(len(self._keys))

    def _row_refreshed(self, row: int) -> None:
        """A row's data was replaced (subclasses drop what they derived from it)."""

    def _remove_row(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._keys[row]
        self._rows = {(r if r < row else r - 1): d for r, d in self._rows.items() if r != row}
        self.endRemoveRows()

    # -- rows
    def key_at(self, row: int) -> Hashable | None:
        return self._keys[row] if 0 <= row < len(self._keys) else None

    def id_at(self, row: int) -> Any:
        """The key of the record at ``row`` (None outside the list)."""
        return self.key_at(row)

    def row_of(self, key: Hashable) -> int:
        try:
            return self._keys.index(key)
        except ValueError:
            return -1

    def row_data(self, row: int) -> Any:
        """The fetched row at ``row``, fetching its page when it is not held yet."""
        if not 0 <= row < len(self._keys):
            return None
        cached = self._rows.get(row)
        if cached is None and self._keys[row] is not None:
            self._fetch_page(row)
            cached = self._rows.get(row)
        return cached

    def _fetch_page(self, row: int) -> None:
        start = row - row % self.page_size
        page = [
            (start + offset, key)
            for offset, key in enumerate(self._keys[start : start + self.page_size])
            if key is not None and (start + offset) not in self._rows
        ]
        if not page:
            return
        fetched = {self.row_key(r): r for r in self.fetch_rows([key for _row, key in page])}
        for position, key in page:
            data = fetched.get(key)
            if data is not None:
                self._rows[position] = data

    # -- Qt
    def row_total(self) -> int:
        return len(self._keys)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if not index.isValid():
            return None
        row = self.row_data(index.row())
        if row is None:
            return None
        if role == _ID:
            return self.row_key(row)
        return self.cell(row, index.column(), role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        query = self.sorted_query(self._query, column, order == Qt.SortOrder.DescendingOrder)
        if query is None or query == self._query:
            return
        self.layoutAboutToBeChanged.emit()
        held = [(index, self.key_at(index.row())) for index in self.persistentIndexList()]
        self._query = query
        self._keys = list(self.query_keys(query))
        self._rows = {}
        self._move_persistent(held)
        self.layoutChanged.emit()
        self.countChanged.emit(len(self._keys))

    def _move_persistent(self, held: list) -> None:
        """Each held (index, key) to its key's new row; an index whose key is not (yet)
        in the list becomes invalid rather than point at another record."""
        wanted = {key for _index, key in held if key is not None}
        rows: dict = {}
        for row, key in enumerate(self._keys) if wanted else ():
            if key is None:  # the rest of a long list's order is not known yet
                break
            if key in wanted:
                rows[key] = row
                if len(rows) == len(wanted):
                    break
        for index, key in held:
            row = rows.get(key)
            target = self.index(row, index.column()) if row is not None else QModelIndex()
            self.changePersistentIndex(index, target)
