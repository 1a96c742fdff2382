"""Small input widgets shared by the dialogs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QDate, QLocale, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QIcon,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QRegularExpressionValidator,
)
from PySide6.QtWidgets import (
    QApplication,
    QCalendarWidget,
    QComboBox,
    QFrame,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.i18n import _
from kac_desktop.rules import vocab
from kac_desktop.rules.clock import business_today
from kac_desktop.rules.date_input import DateInputError, format_date, parse_date

from .colours import current_colours


class DateField(QLineEdit):
    """The one date field of the application, empty allowed.

    A date is typed as users type them (2024-03-15, 20240315, 2024/3/15, 2024年3月15日;
    rules/date_input.py reads it) or picked in the calendar (the button at the right, or
    Alt+Down / F4), which opens on the date shown or else on today.  An empty field shows
    未填写; Delete or Backspace on a shown date empties it; Tab leaves as in any field.  The
    text is read when the field is left or Enter is pressed: a date is shown as
    yyyy-MM-dd, a text that is no date stays as typed with a red mark and the reason in its
    tooltip (``invalid_dates`` finds such fields before a dialog saves).
    """

    valueChanged = Signal(object)  # date | None

    def __init__(self, parent=None, *, today: Callable[[], date] = business_today) -> None:
        super().__init__(parent)
        self._today = today
        self._value: date | None = None
        self._error = ""
        self.setPlaceholderText(_("not filled in"))
        self.setToolTip(_("Type a date, e.g. 2024-03-15 or 20240315; Delete empties it"))
        self.setMaxLength(20)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("2024-03-15") + 56)
        self._calendar_action = self.addAction(
            _calendar_icon(self.palette().color(QPalette.ColorRole.Text)),
            QLineEdit.ActionPosition.TrailingPosition,
        )
        self._calendar_action.setToolTip(_("Pick the date in a calendar (Alt+Down)"))
        self._calendar_action.triggered.connect(self.open_calendar)
        self.editingFinished.connect(self.commit)
        self._popup: QFrame | None = None

    # ------------------------------------------------------------------ value
    def value(self) -> date | None:
        """The date in the field (None when empty, or while the text is not a date).  Read
        while the user is still typing (a form's live check) it leaves the text alone: the
        text is shown as a date only when the field is left."""
        if self.isModified():
            return self._parsed()[0]
        return self._value

    def set_value(self, value: date | None) -> None:
        self._value = value
        self._set_error("")
        self.setText(format_date(value))  # also resets isModified()

    def is_valid(self) -> bool:
        if self.isModified():
            return not self._parsed()[1]
        return not self._error

    def error(self) -> str:
        return self._parsed()[1] if self.isModified() else self._error

    def _parsed(self) -> tuple[date | None, str]:
        try:
            return parse_date(self.text()), ""
        except DateInputError as exc:
            return None, exc.message

    def commit(self) -> None:
        """Read what was typed (on leaving the field, Enter, or before the value is used)."""
        try:
            value = parse_date(self.text())
        except DateInputError as exc:
            self._set_error(exc.message)
            self.setModified(False)
            return
        self._set_error("")
        changed = value != self._value
        self._value = value
        if self.text() != format_date(value):
            self.setText(format_date(value))
        self.setModified(False)
        if changed:
            self.valueChanged.emit(value)

    def _set_value_from_user(self, value: date | None) -> None:
        changed = value != self._value
        self.set_value(value)
        if changed:
            self.valueChanged.emit(value)

    def _set_error(self, message: str) -> None:
        self._error = message
        self.setProperty("invalidDate", bool(message))
        if message:
            colours = current_colours()
            self.setStyleSheet(
                f"QLineEdit {{ border: 2px solid {colours.error_border}; "
                f"background: {colours.error_background}; color: {colours.error_text}; }}"
            )
            self.setToolTip(message)
        else:
            self.setStyleSheet("")
            self.setToolTip(_("Type a date, e.g. 2024-03-15 or 20240315; Delete empties it"))

    # ------------------------------------------------------------------ keys
    def keyPressEvent(self, event) -> None:
        key = event.key()
        plain = not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and plain and not self.isModified():
            if self.text():  # a shown date (or a marked text): empty the field at once
                self._set_value_from_user(None)
                return
        if key == Qt.Key.Key_F4 or (
            key == Qt.Key.Key_Down and event.modifiers() & Qt.KeyboardModifier.AltModifier
        ):
            self.open_calendar()
            return
        super().keyPressEvent(event)

    # ------------------------------------------------------------------ calendar
    def open_calendar(self) -> QCalendarWidget:
        """The calendar under the field, on the date shown or today, in the interface's
        language; a click (or Enter) takes the date, Esc closes it."""
        if self.isModified():
            self.commit()
        popup = QFrame(self, Qt.WindowType.Popup)
        popup.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(popup)
        layout.setContentsMargins(2, 2, 2, 2)
        calendar = QCalendarWidget(popup)
        calendar.setObjectName("dateFieldCalendar")
        calendar.setLocale(QLocale())  # the interface's (zh_CN: 三月, 周一)
        calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
        calendar.setGridVisible(True)
        shown = self._value or self._today()
        calendar.setSelectedDate(QDate(shown.year, shown.month, shown.day))
        calendar.setCurrentPage(shown.year, shown.month)
        calendar.activated.connect(lambda qd: self._picked(qd, popup))
        calendar.clicked.connect(lambda qd: self._picked(qd, popup))
        layout.addWidget(calendar)
        popup.adjustSize()
        below = self.mapToGlobal(QPoint(0, self.height()))
        screen = (self.screen() or QApplication.primaryScreen()).availableGeometry()
        x = min(max(below.x(), screen.left()), screen.right() - popup.width())
        y = (
            below.y()
            if below.y() + popup.height() <= screen.bottom()
            else (self.mapToGlobal(QPoint(0, 0)).y() - popup.height())
        )
        popup.move(x, max(y, screen.top()))
        popup.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._popup = popup
        popup.show()
        calendar.setFocus()
        return calendar

    def _picked(self, qdate: QDate, popup: QFrame) -> None:
        self._set_value_from_user(date(qdate.year(), qdate.month(), qdate.day()))
        popup.close()
        self.setFocus()


def invalid_dates(parent: QWidget) -> list[DateField]:
    """The date fields under ``parent`` whose text is not a date (marked red)."""
    bad = [f for f in parent.findChildren(DateField) if not f.is_valid()]
    for field in bad:  # marked now (a dialog's "clear the marks" may have taken the red away)
        message = field.error()
        field.commit()
        field._set_error(message)
    return bad


def refuse_invalid_dates(parent: QWidget) -> bool:
    """Before a dialog saves: when a date field holds no date, say which and focus it.
    True when something was refused."""
    bad = invalid_dates(parent)
    if not bad:
        return False
    from PySide6.QtWidgets import QMessageBox

    bad[0].setFocus()
    bad[0].selectAll()
    QMessageBox.warning(parent, _("Not a date"), bad[0].error())
    return True


def _calendar_icon(colour: QColor) -> QIcon:
    """A small calendar drawn in the text colour (no image files to ship)."""
    pixmap = QPixmap(32, 32)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(colour, 2.5)
    painter.setPen(pen)
    painter.drawRoundedRect(QRectF(4, 7, 24, 21), 3, 3)
    painter.drawLine(QPointF(4, 13), QPointF(28, 13))
    painter.drawLine(QPointF(11, 3), QPointF(11, 9))
    painter.drawLine(QPointF(21, 3), QPointF(21, 9))
    painter.setBrush(colour)
    for cx in (10, 16, 22):
        for cy in (18, 23):
            painter.drawRect(QRectF(cx - 1.5, cy - 1.5, 3, 3))
    painter.end()
    return QIcon(pixmap)


class CodeCombo(QComboBox):
    """A combo over one of the vocabularies, holding codes and showing labels."""

    def __init__(self, vocabulary: dict, *, allow_empty: bool = False, parent=None) -> None:
        super().__init__(parent)
        if allow_empty:
            self.addItem(_("(not filled in)"), "")
        for code in vocabulary:
            self.addItem(vocab.label(vocabulary, code), code)

    def value(self):
        return self.currentData()

    def set_value(self, code) -> None:
        index = self.findData(code)
        self.setCurrentIndex(index if index >= 0 else 0)


class MoneyEdit(QLineEdit):
    """Yuan with at most two decimals, kept as Decimal (never float)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setValidator(QRegularExpressionValidator(r"^\d{0,12}(\.\d{0,2})?$", self))
        self.setPlaceholderText("0.00")

    def value(self) -> Decimal | None:
        text = self.text().strip()
        if not text:
            return None
        try:
            return Decimal(text).quantize(Decimal("0.01"))
        except InvalidOperation:
            return None

    def set_value(self, value: Decimal | None) -> None:
        self.setText("" if value is None else f"{value:.2f}")
