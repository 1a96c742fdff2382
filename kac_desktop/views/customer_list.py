"""The customer list: a lazy table model over the customer service's SQL query, and the
page around it (search, filters, count, export)."""

from __future__ import annotations

import logging
import time
import unicodedata
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QEventLoop,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFontMetricsF,
    QKeySequence,
    QPainter,
    QShortcut,
    QStaticText,
    QTransform,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.i18n import N_, _
from kac_desktop.progress import Cancelled
from kac_desktop.rules import vocab
from kac_desktop.services import customer_list as list_service
from kac_desktop.services.changes import ChangeSet, Kind
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database
from kac_desktop.services.list_types import CustomerQuery, CustomerRow, export_value

from . import jobs
from .colours import current_colours
from .paged_model import PAGE_SIZE, IdRole, PagedTableModel, SortKeyRole  # noqa: F401 - re-exported
from .table_models import Column, EmptyHint, house_table

FIRST_PAGE = 48  # rows of a new query fetched at once: more than a screen shows
WHOLE_LIST_DELAY_MS = 120  # the whole list and its count: after a pause in the typing
_ROLES = frozenset(
    int(r)
    for r in (
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.ToolTipRole,
        IdRole,
        SortKeyRole,
    )
)


COLUMNS: tuple[Column, ...] = (
    Column("name", N_("Customer name"), 260),
    Column("credit_code", N_("Credit code"), 170),
    Column("kind", N_("Kind"), 90),
    Column("tier", N_("Tier"), 60),
    Column("visit_class", N_("Visit class"), 70),
    Column("industry", N_("Industry"), 90),
    Column("area", N_("Area"), 50),
    Column("branch", N_("Branch"), 100),
    Column("manager", N_("Account manager"), 90),
    Column("contact", N_("Main contact"), 80),
    Column("phone", N_("Phone"), 120),
    Column("completeness", N_("File completeness"), 80),
)
COLUMN_INDEX = {c.key: i for i, c in enumerate(COLUMNS)}
_COMPLETENESS = COLUMN_INDEX["completeness"]  # right-aligned

_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)


_SCHEME_COLOURS: dict[str, QColor] = {}


def _colour(value: str) -> QColor:
    colour = _SCHEME_COLOURS.get(value)
    if colour is None:
        colour = _SCHEME_COLOURS[value] = QColor(value)
    return colour


def _foreground(row: CustomerRow, key: str) -> QColor | None:
    """Archived grey, the tier's colour, a thin file in the warning colour: in the light
    or dark scheme in use (rules/colours.py keeps each readable on the table)."""
    scheme = current_colours()
    if row.archived:
        return _colour(scheme.muted)
    if key == "tier":
        tier = scheme.tiers.get(row.tier)
        return _colour(tier) if tier else None
    if key == "completeness" and row.completeness < 60:
        return _colour(scheme.warning)
    return None


class CustomerCellDelegate(QStyledItemDelegate):
    """Paints the customer list's cells from the model's row texts.

    Why: the default delegate asks the model for about seven roles of every visible cell on
    every paint — a call from C++ into Python each, some 2,300 a paint of a full window —
    and lays the text out anew each time.  This one makes one call a cell (``paint_row``) and
    draws each distinct text from a laid-out QStaticText (elided once for its width), so a
    keystroke's repaint costs about half.  Its texts follow the view's font and palette as
    they were when first drawn (``restyle`` after a change: the page calls it).  What it draws follows the model's roles
    (foreground, alignment of the completeness column), and the view's own background,
    alternate rows and grid are unchanged."""

    _MARGIN = 4

    def __init__(self, model: CustomerTableModel, view: QTableView) -> None:
        super().__init__(view)
        self._model = model
        self._view = view
        self._statics: dict[tuple[str, int], tuple[QStaticText, float, int]] = {}
        self._selected: set[int] = set()
        self._needle = ""  # the search text, folded: its match is marked in the cells
        self._colours()
        view.selectionModel().selectionChanged.connect(self._selection_changed)
        model.modelReset.connect(self._selection_changed)
        model.rowsRemoved.connect(self._selection_changed)
        model.rowsInserted.connect(self._selection_changed)

    def _colours(self) -> None:
        palette = self._view.palette()
        self._text = palette.text().color()
        self._highlight = palette.highlight()
        self._highlighted_text = palette.highlightedText().color()
        # what the search matched: a marker's yellow behind the letters, light or dark
        dark = palette.base().color().lightness() < 128
        self._match = QColor(120, 96, 0) if dark else QColor(255, 226, 102)

    def set_search(self, text: str) -> None:
        """Mark where each cell holds ``text`` (what the search matched, when it matched
        the letters themselves; a pinyin match has nothing to mark)."""
        needle = unicodedata.normalize("NFKC", text).strip().lower()
        if needle != self._needle:
            self._needle = needle
            self._view.viewport().update()

    def highlight_span(self, text: str) -> tuple[int, int] | None:
        """The characters of ``text`` the search matched, as [start, end)."""
        if not self._needle or not text:
            return None
        start = unicodedata.normalize("NFKC", text).lower().find(self._needle)
        if start < 0 or len(unicodedata.normalize("NFKC", text)) != len(text):
            return None
        return start, start + len(self._needle)

    def restyle(self) -> None:
        """The view's font or palette changed: lay the texts out again."""
        self._statics.clear()
        self._colours()

    def _selection_changed(self, *_args) -> None:
        # the selected rows as a set: testing option.state costs more than the rest of a cell
        self._selected = {i.row() for i in self._view.selectionModel().selectedRows()}

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        # about 300 cells a paint: every call here is counted
        position = index.row()
        cells = self._model.paint_row(position)
        if cells is None:
            return
        column = index.column()
        text, colour = cells[column]
        x, y, width, height = option.rect.getRect()  # type: ignore[attr-defined]
        if position in self._selected:
            painter.fillRect(x, y, width, height, self._highlight)
            painter.setPen(self._highlighted_text)
        else:
            painter.setPen(self._text if colour is None else colour)
        if not text:
            return
        width -= 2 * self._MARGIN
        found = self._statics.get((text, width))
        if found is None:
            found = self._static(text, width, painter)
        static, text_width, top = found
        x += self._MARGIN
        if column == _COMPLETENESS and text_width < width:
            x += int(width - text_width)
        if self._needle:
            span = self.highlight_span(text)
            if span is not None:
                metrics = QFontMetricsF(painter.font())
                left = metrics.horizontalAdvance(text[: span[0]])
                right = metrics.horizontalAdvance(text[: span[1]])
                if right <= width:  # not in the elided part
                    pen = painter.pen()
                    painter.fillRect(QRectF(x + left, y + 3, right - left, height - 6), self._match)
                    painter.setPen(pen)
        painter.drawStaticText(x, y + (height - top) // 2, static)

    def _static(self, text: str, width: int, painter: QPainter):
        if len(self._statics) > 3_000:
            self._statics.clear()
        font = painter.font()
        static = _prepared(text, font)
        size = static.size()
        if size.width() > width:  # laid out once to know; elided once when too wide
            shown = QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideRight, width)
            static = _prepared(shown, font)
            size = static.size()
        found = (static, size.width(), round(size.height()))
        self._statics[(text, width)] = found
        return found


def _prepared(text: str, font) -> QStaticText:
    static = QStaticText(text)
    static.setTextFormat(Qt.TextFormat.PlainText)
    static.prepare(QTransform(), font)
    return static


def display_value(row: CustomerRow, key: str) -> str:
    """A cell as the list shows it: the export's labels, completeness as a percentage."""
    if key == "completeness":
        return f"{row.completeness}%"
    value = export_value(row, key)
    return "" if value is None else str(value)


# the row fields a query's filters and search look at (CustomerQuery → CustomerRow)
_FILTERED = {
    "tier": "tier",
    "visit_class": "visit_class",
    "kind": "kind",
    "industry": "industry",
    "area": "area",
    "branch_id": "branch",
    "manager_id": "manager",
}
_SEARCHED = ("name", "credit_code", "contact", "phone")


def _watched_fields(query: CustomerQuery) -> set[str]:
    """The fields of a row whose change may move it in ``query``'s order or take it in or
    out of the list: the sort column, the filters set, the searched texts, archived."""
    watched = {"archived", "name"}  # name: the list's tie-breaker and default order
    if query.sort in CustomerRow._fields:
        watched.add(query.sort)
    watched.update(f for attr, f in _FILTERED.items() if getattr(query, attr) is not None)
    if query.search.strip():
        watched.update(_SEARCHED)
    return watched


class _ListSource:
    """How the model reads the list.  Built from ``query_ids``/``fetch_rows`` alone (the
    tests' recorders) it reads the whole id list at once; ``SqlListSource`` adds the fast
    first page and the whole list on a worker thread."""

    background = False

    def __init__(self, query_ids, fetch_rows) -> None:
        self.query_ids = query_ids
        self.fetch_rows = fetch_rows

    def first_page(self, query: CustomerQuery):
        return self.query_ids(query), None, True

    def all_keys(self, query: CustomerQuery, cancelled=None) -> list:
        return self.query_ids(query)

    def rows(self, keys: list) -> list[CustomerRow]:
        return self.fetch_rows(keys)

    def rows_of_ids(self, customer_ids: list[str]) -> list[CustomerRow]:
        """The rows of these customers that the user sees (whatever the list's query)."""
        return self.fetch_rows(customer_ids)

    def load_services(self) -> None:
        """Nothing to load: the callables read the list."""


class SqlListSource(_ListSource):
    """The customer service's list path (services/customer_list.py), with the search
    of the default list answered from memory (services/list_cache.py) once its cache is
    built — on a thread of its own, again whenever the database changed.  The keys are the
    customers' ids."""

    background = True

    def __init__(self, db: Database, actor: Actor) -> None:
        from kac_desktop.services.list_cache import ListCache

        self.db, self.actor = db, actor
        self.cache = ListCache(db, actor)
        self._building: jobs.Job | None = None

    def load_services(self) -> None:
        """The services are imported with this module (the sign-in dialog imports them
        while the password is typed)."""

    def warm(self, wait: bool = False) -> None:
        """Build the search cache off the UI thread unless it is fresh or being built;
        ``wait``: until it is built (benchmarks, tests)."""
        if self._building is not None and self._building.running():
            if wait:
                self._building.wait()
            return
        cache = self.cache
        if cache.ready():
            return

        def build() -> None:
            try:
                cache.build()
            except Exception as exc:  # the SQL path keeps answering
                logging.getLogger(__name__).warning("customer list: search cache: %s", exc)

        self._building = jobs.start(lambda _handle: build(), name="customer-search-cache")
        if wait:
            self._building.wait()

    def first_page(self, query: CustomerQuery):
        found = self.cache.first(query, FIRST_PAGE)
        if found is not None:
            shown = found.keys[:FIRST_PAGE]
            rows = list_service.fetch_rows_by_key(
                self.db, self.actor, shown, class_mapping=self.cache.class_mapping()
            )
            return found.keys, rows if len(rows) == len(shown) else None, found.complete
        if self.cache.serves(query):
            self.warm()
        page = list_service.first_page(self.db, self.actor, query, FIRST_PAGE)
        return page.keys, page.rows or None, page.complete

    def all_keys(self, query: CustomerQuery, cancelled=None) -> list:
        found = self.cache.all(query, cancelled)
        if found is not None:
            return found
        return list_service.list_keys(self.db, self.actor, query, cancelled)

    def rows(self, keys: list) -> list[CustomerRow]:
        return list_service.fetch_rows_by_key(self.db, self.actor, keys)

    def rows_of_ids(self, customer_ids: list[str]) -> list[CustomerRow]:
        return list_service.fetch_rows_by_key(self.db, self.actor, list(customer_ids))


class _Results(QObject):
    """Delivers a worker thread's result to the UI thread (a queued signal)."""

    arrived = Signal(int, object)


class CustomerTableModel(PagedTableModel):
    """The paged list model (views/paged_model.py) whose keys are customer ids.

    With a ``SqlListSource`` a new query shows its first page at once (one LIMIT query) and
    the whole ordered key list, hence the count, comes from a worker thread; a newer query
    supersedes an older one's result (a generation number).  Until it arrives the model has
    the first page's rows (search) or the known count with blank rows beyond the first page
    (sort).  The worker opens its own database session."""

    def __init__(
        self,
        query_ids: Callable[[CustomerQuery], list[str]] | None = None,
        fetch_rows: Callable[[list[str]], list[CustomerRow]] | None = None,
        parent=None,
        *,
        source: _ListSource | None = None,
    ) -> None:
        super().__init__(COLUMNS, CustomerQuery(), parent)
        self._source = source or _ListSource(query_ids, fetch_rows)
        # self._keys: None for a row whose key is not known yet
        self._texts: dict[int, tuple[CustomerRow, list[tuple[str, QColor | None]]]] = {}
        self._complete = True
        self._queried = False  # no query yet: sorting only notes the order
        self._generation = 0
        self._results = _Results(self)
        self._results.arrived.connect(self._whole_list_arrived)
        self._whole_list_timer = QTimer(self)
        self._whole_list_timer.setSingleShot(True)
        self._whole_list_timer.setInterval(WHOLE_LIST_DELAY_MS)
        self._whole_list_timer.timeout.connect(self._submit_whole_list)

    # -- the query
    @property
    def source(self) -> _ListSource:
        return self._source

    @property
    def complete(self) -> bool:
        """Whether the whole list (and so the count) is known."""
        return self._complete

    def set_query(self, query: CustomerQuery) -> None:
        # The old rows leave and the new ones come (as a filter proxy signals a new filter),
        # rather than a model reset: a reset makes the view drop its layout and paint at
        # once, so a keystroke painted the list twice — in the same event-loop turn as the
        # search box, and again after the view's deferred layout.
        self._queried = True
        self._generation += 1
        keys, rows, complete = self._source.first_page(query)
        old = len(self._keys)
        if old:
            self.beginRemoveRows(QModelIndex(), 0, old - 1)
            self._query = query
            self._install([], None, complete)
            self.endRemoveRows()
        self._query = query
        if keys:
            self.beginInsertRows(QModelIndex(), 0, len(keys) - 1)
            self._install(keys, rows, complete)
            self.endInsertRows()
        else:
            self._install(keys, rows, complete)
        self._after_first_page()

    def _install(self, keys: list, rows: list[CustomerRow] | None, complete: bool) -> None:
        # ``rows`` are those of the first keys (None: fetched when shown)
        self._keys = list(keys)
        self._rows = dict(enumerate(rows)) if rows is not None else {}
        self._texts = {}
        self._complete = complete

    def _after_first_page(self) -> None:
        if self._complete:
            self.countChanged.emit(len(self._keys))
        else:
            self._start_whole_list()

    def _start_whole_list(self) -> None:
        # while the user types, each keystroke supersedes the last: the whole list (a second
        # core's work, but it competes for the interpreter with the painting) waits for a
        # pause in the typing
        self._whole_list_timer.start()

    def _submit_whole_list(self) -> None:
        if self._complete:
            return
        generation, query, results = self._generation, self._query, self._results
        source = self._source
        current = lambda: self._generation  # noqa: E731 - read at run time

        def work(_handle) -> None:
            if current() != generation:
                return  # superseded while it waited
            try:
                keys = source.all_keys(query, lambda: current() != generation)
            except Cancelled:
                return  # a newer query superseded it while SQLite worked
            except Exception as exc:  # handed to the UI thread, shown as an empty list
                keys = exc
            results.arrived.emit(generation, keys)

        jobs.start(work, name="customer-list")

    def _whole_list_arrived(self, generation: int, keys) -> None:
        if generation != self._generation:
            return
        if isinstance(keys, Exception):
            # the first page stays on screen; the count is what is known
            logging.getLogger(__name__).warning("customer list: whole list failed: %s", keys)
            self._keys = [k for k in self._keys if k is not None]
            self._complete = True
            self.countChanged.emit(len(self._keys))
            return
        known = len(self._keys)
        prefix = [k for k in self._keys if k is not None]
        if keys[: len(prefix)] != prefix:
            # the data changed between the two queries: start over with the whole list
            self.beginResetModel()
            self._keys, self._rows, self._complete = list(keys), {}, True
            self.endResetModel()
        elif len(keys) == known:
            self._keys, self._complete = list(keys), True
            if known:
                self.dataChanged.emit(
                    self.index(len(prefix), 0), self.index(known - 1, len(COLUMNS) - 1)
                )
        elif len(keys) > known:
            self.beginInsertRows(QModelIndex(), known, len(keys) - 1)
            self._keys, self._complete = list(keys), True
            self.endInsertRows()
        else:
            self.beginResetModel()
            self._keys, self._rows, self._complete = list(keys), {}, True
            self.endResetModel()
        self.countChanged.emit(len(self._keys))

    def warm(self, wait: bool = False) -> None:
        """Prepare what makes the next searches fast (the source's search cache)."""
        warm = getattr(self._source, "warm", None)
        if warm is not None:
            warm(wait)

    def wait_until_complete(self, timeout: float = 30.0) -> bool:
        """Process events until the whole list is known (tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        while not self._complete and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
            if not self._complete:
                time.sleep(0.001)
        return self._complete

    def reload(self) -> None:
        """The whole list now (after a change: the selection must find its row)."""
        self._generation += 1
        self.beginResetModel()
        keys = self._source.all_keys(self._query)
        self._install(keys, None, True)
        self.endResetModel()
        self.countChanged.emit(len(self._keys))

    def apply_changes(self, changes: ChangeSet) -> None:
        """Refresh after one operation: refetch the rows of the customers it names (a
        manager's new name: every row, which is a reload); the whole query runs again when
        rows may enter, leave or move (views/operations.py)."""
        if changes.is_whole(Kind.CUSTOMER) or changes.touches(Kind.USER):
            self.reload()
        elif changes.touches(Kind.CUSTOMER):
            if changes.new(Kind.CUSTOMER) or changes.gone(Kind.CUSTOMER):
                self.reload()
            else:
                self.refresh_keys(changes.ids(Kind.CUSTOMER))

    def refresh_keys(self, customer_ids) -> None:
        """Refetch the rows of ``customer_ids`` in place (one dataChanged per row).  When a
        change may move a row or take it in or out of the list — a field the list is
        sorted or filtered by, or a customer not on the list yet — the query runs again
        (``reload``), which is the only way to know."""
        query = self._query
        positions: dict = {}
        outside = []
        for customer_id in customer_ids:
            row = self.row_of(customer_id)
            if row >= 0:
                positions[row] = self._keys[row]
            else:
                outside.append(customer_id)
        if outside and (not self._complete or self._source.rows_of_ids(outside)):
            # a customer this user sees that is not on the list: it may belong there now
            self.reload()
            return
        if not positions:
            return
        fetched = self._source.rows([positions[row] for row in sorted(positions)])
        if len(fetched) != len(positions):  # one left the user's scope
            self.reload()
            return
        watched = _watched_fields(query)
        for row, new in zip(sorted(positions), fetched, strict=True):
            old = self._rows.get(row)
            if old is not None and any(getattr(old, f) != getattr(new, f) for f in watched):
                self.reload()
                return
        for row, new in zip(sorted(positions), fetched, strict=True):
            self._rows[row] = new
            self._texts.pop(row, None)
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    # -- the base's hooks
    def query_keys(self, query: CustomerQuery) -> list:
        return self._source.all_keys(query)

    def fetch_rows(self, keys: list) -> list[CustomerRow]:
        return self._source.rows(keys)

    def _row_refreshed(self, row: int) -> None:
        self._texts.pop(row, None)

    def _remove_row(self, row: int) -> None:
        self._texts = {}
        super()._remove_row(row)

    def _row_texts(self, position: int, row: CustomerRow) -> list[tuple[str, QColor | None]]:
        cached = self._texts.get(position)
        if cached is None or cached[0] is not row:  # a row object is replaced on refetch
            if len(self._texts) > 4096:
                self._texts.clear()
            cells = [(display_value(row, c.key), _foreground(row, c.key)) for c in COLUMNS]
            cached = (row, cells)
            self._texts[position] = cached
        return cached[1]

    def paint_row(self, position: int) -> list[tuple[str, QColor | None]] | None:
        """What the list's delegate paints in each cell of a row: its text and its colour
        (None: the palette's) — the display and foreground roles of a row in one call."""
        row = self.row_data(position)
        if row is None:
            return None
        return self._row_texts(position, row)

    # -- Qt
    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ):
        # A view asks for a dozen roles of every visible cell on every paint: answer the
        # roles this model has nothing for before any lookup, and keep each row's texts.
        if role not in _ROLES or not index.isValid():
            return None
        position = index.row()
        row = self.row_data(position)
        if row is None:
            return None
        column = index.column()
        key = COLUMNS[column].key
        if role == _DISPLAY:
            return self._row_texts(position, row)[column][0]
        if role == IdRole:
            return row.id
        if role == SortKeyRole:
            value = getattr(row, key)
            return value if isinstance(value, (int, str)) else str(value)
        if role == _FOREGROUND:
            return _foreground(row, key)
        if role == _ALIGNMENT:
            return _RIGHT if key == "completeness" else None
        if role == _TOOLTIP and key == "name" and row.archived:
            return _("Archived")
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        query = replace(
            self._query, sort=COLUMNS[column].key, descending=order == Qt.SortOrder.DescendingOrder
        )
        if not self._queried:  # the view set up its header before the first query
            self._query = query
            return
        if query == self._query:
            # QTableView.sortByColumn sorts a second time when sorting is enabled: the
            # list is in that order already
            return
        if not self._complete:  # the count is not known yet: a new query
            self.set_query(query)
            return
        self._generation += 1
        count = len(self._keys)
        self.layoutAboutToBeChanged.emit()
        # the views' selection and current row follow their customers to the new order
        held = [(index, self.key_at(index.row())) for index in self.persistentIndexList()]
        self._query = query
        keys, rows, complete = self._source.first_page(query)
        if complete or len(keys) >= count:
            self._install(keys, rows, True)
        else:
            # the same rows in a new order: the first page now, the rest from the worker
            self._install(list(keys) + [None] * (count - len(keys)), None, False)
            self._rows = dict(enumerate(rows)) if rows is not None else {}
        self._move_persistent(held)
        self.layoutChanged.emit()
        if len(self._keys) != count:  # the data changed meanwhile
            self.beginResetModel()
            self.endResetModel()
            self.countChanged.emit(len(self._keys))
        if not self._complete:
            self._start_whole_list()


class _Filter(QComboBox):
    """A combo whose first entry means 'any'."""

    def __init__(self, any_text: str, items: list[tuple[object, str]], parent=None) -> None:
        super().__init__(parent)
        self.addItem(any_text, None)
        for code, text in items:
            self.addItem(text, code)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

    def value(self):
        return self.currentData()


class CustomerListPage(QWidget):
    openCustomer = Signal(str)
    newCustomer = Signal()
    importRequested = Signal()
    countChanged = Signal(int)
    logVisit = Signal(str)  # the row's context menu: 记录走访… for this customer
    registerRequest = Signal(str)  # … and 登记工单…

    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.model = CustomerTableModel(source=SqlListSource(db, actor), parent=self)

        self.search = QLineEdit()
        self.search.setPlaceholderText(
            _("Search: name, pinyin or initials, credit code, contact, phone")
        )
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(320)
        self.search.setObjectName("customerSearch")

        def options(vocabulary: dict) -> list[tuple[object, str]]:
            return [(code, vocab.label(vocabulary, code)) for code in vocabulary]

        self.tier = _Filter(_("All tiers"), options(vocab.TIERS))
        self.visit_class = _Filter(_("All visit classes"), options(vocab.VISIT_CLASSES))
        self.kind = _Filter(_("All kinds"), options(vocab.KINDS))
        self.industry = _Filter(_("All industries"), options(vocab.INDUSTRIES))
        self.area = _Filter(_("City and rural"), options(vocab.AREAS))
        # branches and managers are read with the services (load_services), after the
        # first paint; only the city center sees more than one branch
        self.branch = _Filter(_("All branches"), [])
        self.manager = _Filter(_("All managers"), [])
        self.archived = QComboBox()
        self.archived.addItem(_("In use"), False)
        self.archived.addItem(_("Archived"), True)
        self.archived.addItem(_("In use and archived"), None)
        self.branch.setVisible(actor.is_admin)
        self.manager.setVisible(actor.role != "manager")
        self._services_loaded = False

        self.count = QLabel()
        self.count.setObjectName("matchCount")
        new_button = QPushButton(_("New customer"))
        new_button.setObjectName("newCustomer")
        import_button = QPushButton(_("Import from Excel…"))
        export_button = QPushButton(_("Export list to Excel…"))
        new_button.clicked.connect(self.newCustomer)
        import_button.clicked.connect(self.importRequested)
        export_button.clicked.connect(self.export)

        self.table = house_table(self.model, widths=[c.width for c in COLUMNS], row_height=26)
        self.delegate = CustomerCellDelegate(self.model, self.table)
        self.table.setItemDelegate(self.delegate)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.doubleClicked.connect(self._open_index)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self._open_current)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.search.setFocus)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self.context_menu)
        self.menu: QMenu | None = None

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count)
        top.addStretch()
        top.addWidget(new_button)
        top.addWidget(import_button)
        top.addWidget(export_button)
        filters = QHBoxLayout()
        for combo in (
            self.tier,
            self.visit_class,
            self.kind,
            self.industry,
            self.area,
            self.branch,
            self.manager,
            self.archived,
        ):
            filters.addWidget(combo)
            combo.currentIndexChanged.connect(self._query_changed)
        filters.addStretch()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)

        self.search.textChanged.connect(self._query_changed)
        self.model.countChanged.connect(self._show_count)
        self._query_changed()
        self.empty_hint = EmptyHint(self.table, self._empty_text)

    def _empty_text(self) -> str:
        """Why the list is empty and what to do about it."""
        query = self.current_query()
        if query.search.strip():
            return _(
                "No customer matches “{text}”. Check the spelling, try the pinyin initials "
                "or part of the credit code, or clear the search."
            ).format(text=query.search.strip())
        if not query.is_default:
            return _("No customer matches these filters. Set the filters back to “All”.")
        if self.actor.role == "manager":
            return _(
                "You keep no customer files yet. Press “New customer” to register one, or "
                "“Import from Excel…” to bring in your existing files."
            )
        return _(
            "There are no customer files yet. Press “New customer” to register one, or "
            "“Import from Excel…” to bring in the branch's existing files."
        )

    def load_services(self) -> None:
        """What the list needs beyond its first page: the branch and manager filters (the
        window calls this after its first paint; any query other than the opening one calls
        it first), and — a moment later — the search cache (a second at 100,000
        customers)."""
        if self._services_loaded:
            return
        self._services_loaded = True
        self.model.source.load_services()
        from kac_desktop.services import users as user_service

        branches = user_service.list_branches(self.db, self.actor)
        managers = user_service.list_managers(self.db, self.actor)
        for combo, items in (
            (self.branch, [(b.id, b.name) for b in branches]),
            (self.manager, [(m.id, m.display_name) for m in managers]),
        ):
            combo.blockSignals(True)
            for code, text in items:
                combo.addItem(text, code)
            combo.blockSignals(False)
        self.branch.setVisible(self.actor.is_admin and len(branches) > 1)
        QTimer.singleShot(500, self.model.warm)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.PaletteChange):
            self.delegate.restyle()
        super().changeEvent(event)

    def current_query(self) -> CustomerQuery:
        return CustomerQuery(
            search=self.search.text(),
            tier=self.tier.value(),
            visit_class=self.visit_class.value(),
            kind=self.kind.value(),
            industry=self.industry.value(),
            area=self.area.value(),
            branch_id=self.branch.value(),
            manager_id=self.manager.value(),
            archived=self.archived.currentData(),
            sort=self.model.query.sort,
            descending=self.model.query.descending,
        )

    def _query_changed(self, *_args) -> None:
        query = self.current_query()
        if not query.is_default:
            self.load_services()
        self.model.set_query(query)
        # the count of a long list comes from a worker a moment later: the old one greys
        self.count.setEnabled(self.model.complete)
        self.delegate.set_search(query.search)
        if hasattr(self, "empty_hint"):  # an empty list says why: the search may have changed
            self.empty_hint.update()

    def _show_count(self, n: int) -> None:
        self.count.setEnabled(True)
        self.count.setText(_("{count} customers").format(count=f"{n:,}"))
        self.countChanged.emit(n)

    def context_menu(self, position, *, show: bool = True) -> QMenu:
        """The row's menu (right click): open the file, log a visit, register a request;
        and, anywhere in the list, a new file or the export."""
        menu = QMenu(self)
        index = self.table.indexAt(position)
        customer_id = self.model.id_at(index.row()) if index.isValid() else None
        if customer_id:
            self.table.selectRow(index.row())
            opened = menu.addAction(_("Open…"))
            opened.triggered.connect(lambda: self.openCustomer.emit(customer_id))
            visit = menu.addAction(_("Log a visit…"))
            visit.triggered.connect(lambda: self.logVisit.emit(customer_id))
            request = menu.addAction(_("Register a request…"))
            request.triggered.connect(lambda: self.registerRequest.emit(customer_id))
            menu.addSeparator()
        menu.addAction(_("New customer")).triggered.connect(self.newCustomer)
        menu.addAction(_("Export list to Excel…")).triggered.connect(self.export)
        self.menu = menu
        if show:
            menu.popup(self.table.viewport().mapToGlobal(position))
        return menu

    def _open_index(self, index: QModelIndex) -> None:
        customer_id = self.model.id_at(index.row())
        if customer_id:
            self.openCustomer.emit(customer_id)

    def _open_current(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self._open_index(index)

    def apply_changes(self, changes: ChangeSet) -> None:
        selected = self.model.id_at(self.table.currentIndex().row())
        self.model.apply_changes(changes)
        new = sorted(changes.new(Kind.CUSTOMER))
        target = new[0] if new else selected
        if target:
            row = self.model.row_of(target)
            if row >= 0:
                self.table.selectRow(row)
                self.table.scrollTo(self.model.index(row, 0))

    def export(self) -> None:
        from PySide6.QtWidgets import QFileDialog, QMessageBox

        from kac_desktop.services import customer_list

        from . import operations

        path, _filter = QFileDialog.getSaveFileName(
            self,
            _("Export list to Excel"),
            _("customer list") + ".xlsx",
            _("Excel workbook (*.xlsx)"),
        )
        if not path:
            return
        if not path.lower().endswith(".xlsx"):
            path += ".xlsx"
        query = self.current_query()
        count = operations.run_long(
            self,
            _("Exporting the customer list…"),
            lambda progress: customer_list.export_list(
                self.db, self.actor, query, path, progress=progress
            ),
            title=_("Export failed"),
            cancelled_message=_("The export was cancelled; no file was written."),
        )
        if count is None:
            return
        QMessageBox.information(
            self,
            _("Export finished"),
            _("{count} customers were written to {path}.").format(count=count, path=path),
        )
