"""Table models and views shared by the pages: a read-only table model over rows of text, for
small previews (import rows, rejections); a column description and a base for models with
named columns; and a table view set up the house way."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QWidget

from kac_desktop.i18n import _


class TextTableModel(QAbstractTableModel):
    """Rows of text.  Not paged: small previews (import rows, rejections, backups) that a
    page fills whole."""

    def __init__(
        self, headers: Sequence[str] = (), rows: Sequence[Sequence[object]] = (), parent=None
    ) -> None:
        super().__init__(parent)
        self._headers = list(headers)
        self._rows = [list(r) for r in rows]

    def set_rows(self, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        self.beginResetModel()
        self._headers = list(headers)
        self._rows = [list(r) for r in rows]
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._headers[section] if 0 <= section < len(self._headers) else None
        return str(section + 1)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        row = self._rows[index.row()]
        value = row[index.column()] if index.column() < len(row) else ""
        return "" if value is None else str(value)


@dataclass(frozen=True)
class Column:
    """A column of a table page: ``key`` names what it shows (for a lazy list also the sort
    key the service understands), ``title`` is the N_-marked title, ``width`` in pixels."""

    key: str
    title: str
    width: int


class ColumnTableModel(QAbstractTableModel):
    """A flat table with named columns: ``titles`` are the untranslated column titles
    (msgids, marked with ``N_``), translated when the header is shown.  A subclass says how
    many rows it holds (``row_total``) and gives ``data``; rowCount, columnCount and
    headerData follow.  With ``number_rows`` the vertical header numbers the rows from 1."""

    number_rows = True

    def __init__(self, titles: Sequence[str], parent=None) -> None:
        super().__init__(parent)
        self._titles = tuple(titles)

    def row_total(self) -> int:
        raise NotImplementedError

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self.row_total()

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._titles)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return _(self._titles[section]) if 0 <= section < len(self._titles) else None
        return str(section + 1) if self.number_rows else None


def house_table(
    model: QAbstractItemModel,
    name: str = "",
    *,
    selection: QAbstractItemView.SelectionMode = QAbstractItemView.SelectionMode.SingleSelection,
    widths: Sequence[int] | Mapping[int, int] = (),
    row_height: int | None = None,
    alternating: bool = True,
    resize_mode: QHeaderView.ResizeMode = QHeaderView.ResizeMode.Interactive,
    stretch_last: bool = True,
) -> QTableView:
    """A read-only table over ``model`` the house way: whole rows selected, no editing, no
    vertical header, alternating row colours; ``widths`` are the column widths in pixels (in
    column order, or by column number), ``row_height`` the height of a row."""
    table = QTableView()
    # the viewport Qt would make, made here: a QWidget that C++ made is resolved to its
    # Python type by trying every widget class there is (10-13 ms, at the first viewport()
    # of the process — before the first paint, as the window watches for it)
    table.setViewport(QWidget())
    if name:
        table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(selection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(alternating)
    table.verticalHeader().setVisible(False)
    if row_height is not None:
        table.verticalHeader().setDefaultSectionSize(row_height)
    header = table.horizontalHeader()
    header.setSectionResizeMode(resize_mode)
    header.setStretchLastSection(stretch_last)
    pairs = widths.items() if isinstance(widths, Mapping) else enumerate(widths)
    for column, width in pairs:
        table.setColumnWidth(column, width)
    return table


class EmptyHint(QObject):
    """The words an empty table shows instead of blank rows: why it is empty and what to do
    (issue 20 item 11).  ``text()`` is asked each time the table becomes empty, so that it
    can tell "nothing matches the search" from "nothing yet"."""

    def __init__(self, table: QTableView, text: Callable[[], str]) -> None:
        super().__init__(table)
        self._table = table
        self._text = text
        self.label = QLabel(table.viewport())
        self.label.setObjectName("emptyHint")
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setStyleSheet("color: palette(placeholder-text); font-size: 14px;")
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        model = table.model()
        for signal in (
            model.modelReset,
            model.rowsInserted,
            model.rowsRemoved,
            model.layoutChanged,
        ):
            signal.connect(self.update)
        table.viewport().installEventFilter(self)
        self.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        area = self._table.viewport().rect()
        self.label.setGeometry(area.adjusted(24, 24, -24, -24))

    def update(self, *_args) -> None:
        empty = self._table.model().rowCount() == 0
        if empty:
            self.label.setText(self._text())
            self._place()
        self.label.setVisible(empty)
