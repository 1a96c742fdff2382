"""Windows that fit the screen they open on.

The commonest office screen is 1366×768, often at 125 % or 150 % scaling (then 1093×614 or
911×512 device-independent pixels): a window is never larger than the available area of its
screen (the task bar excluded), its content scrolls when the screen is smaller than what it
needs, and the main window comes back where it was only when that screen is still there.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QPoint, QRect, QSettings, QSize, QTimer
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QDialog, QScrollArea, QWidget

# room for the window manager's frame (title bar and borders) around a window's contents
FRAME = QSize(16, 40)
# after showing, the time the window manager takes to put its frame around a window
FRAME_KNOWN_MS = 150


def available(widget: QWidget | None = None, screen: QScreen | None = None) -> QRect:
    """The available geometry of the screen ``widget`` is (or will be) on."""
    if screen is None and widget is not None:
        parent = widget.parentWidget()
        screen = (parent.window() if parent else widget).screen()
    screen = screen or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fitted(area: QRect, wanted: QSize, frame: QSize = FRAME) -> QRect:
    """A window of ``wanted`` size (contents), no larger than ``area`` allows with its
    frame, centred in ``area``."""
    width = max(1, min(wanted.width(), area.width() - frame.width()))
    height = max(1, min(wanted.height(), area.height() - frame.height()))
    # a top-level window's position is its frame's: the frame's top left corner
    left = area.left() + max(0, (area.width() - width - frame.width()) // 2)
    top = area.top() + max(0, (area.height() - height - frame.height()) // 2)
    return QRect(left, top, width, height)


def keep_inside(widget: QWidget) -> None:
    """Once shown (the window manager's frame is known then): shrink and move ``widget`` so
    that its whole frame is inside the available area of its screen."""
    if not widget.isVisible() or widget.isMaximized() or widget.isFullScreen():
        return
    area = available(screen=widget.screen())
    frame = widget.frameGeometry()
    extra = frame.size() - widget.size()  # the real frame
    width = min(widget.width(), area.width() - extra.width())
    height = min(widget.height(), area.height() - extra.height())
    if (width, height) != (widget.width(), widget.height()):
        widget.resize(max(width, 1), max(height, 1))
        frame = widget.frameGeometry()
    x = min(max(frame.left(), area.left()), area.right() + 1 - frame.width())
    y = min(max(frame.top(), area.top()), area.bottom() + 1 - frame.height())
    if (x, y) != (frame.left(), frame.top()):
        widget.move(x, y)


def fit_window(widget: QWidget, wanted: QSize | None = None) -> QRect:
    """Size ``widget`` (before it is shown) to ``wanted`` or its size, within its screen."""
    area = available(widget)
    geometry = fitted(area, wanted or widget.size())
    widget.resize(geometry.size())
    if widget.parentWidget() is None:
        widget.move(geometry.topLeft())
    return geometry


def scroll_when_small(dialog: QDialog) -> bool:
    """When ``dialog`` needs more room than its screen has, put its contents in a scroll
    area (its buttons scroll with them) and fit it; True when it did."""
    area = available(dialog)
    need = dialog.minimumSizeHint().expandedTo(dialog.minimumSize())
    room = area.size() - FRAME
    if need.width() <= room.width() and need.height() <= room.height():
        fit_window(dialog)
        return False
    layout = dialog.layout()
    if layout is None or dialog.property("scrollsWhenSmall"):
        fit_window(dialog)
        return False
    content = QWidget()
    content.setLayout(layout)  # the layout and its widgets move onto the scrolled page
    scroll = QScrollArea(dialog)
    scroll.setObjectName("dialogScroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setWidget(content)
    dialog.setMinimumSize(QSize(0, 0))
    from PySide6.QtWidgets import QVBoxLayout

    outer = QVBoxLayout(dialog)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(scroll)
    dialog.setProperty("scrollsWhenSmall", True)
    wanted = content.sizeHint() + QSize(24, 4)
    fit_window(dialog, wanted.expandedTo(dialog.size()))
    return True


# ---------------------------------------------------------------- the main window's place


def save_place(widget: QWidget, key: str) -> None:
    settings = QSettings()
    settings.setValue(f"{key}/geometry", widget.saveGeometry())
    screen = widget.screen()
    settings.setValue(f"{key}/screen", screen.name() if screen else "")


def restore_place(widget: QWidget, key: str, wanted: QSize) -> bool:
    """Put ``widget`` where it was when that screen is still there and the place fits in it;
    else ``wanted`` fitted to the screen it opens on.  True when the saved place was used."""
    settings = QSettings()
    geometry = settings.value(f"{key}/geometry")
    name = settings.value(f"{key}/screen")
    screens = {s.name(): s for s in QGuiApplication.screens()}
    screen = screens.get(name) if isinstance(name, str) else None
    if isinstance(geometry, QByteArray) and screen is not None and widget.restoreGeometry(geometry):
        area = screen.availableGeometry()
        place = widget.geometry()
        if widget.isMaximized() or (
            area.contains(place.topLeft() - QPoint(0, FRAME.height() - 8))
            and place.width() <= area.width()
            and place.height() <= area.height()
        ):
            return True
    fit_window(widget, wanted)
    return False


class FittedDialog(QDialog):
    """A dialog that fits its screen when shown: no larger than the available area, its
    contents scrolling when the screen is smaller than they need."""

    _fitted = False

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if not self._fitted:
            self._fitted = True
            scroll_when_small(self)
            QTimer.singleShot(FRAME_KNOWN_MS, self, lambda: keep_inside(self))
        super().showEvent(event)
