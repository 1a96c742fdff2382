"""Windows fit the screen they open on (1366×768 and smaller at 125 %/150 %), the main
window comes back where it was only onto a screen that is still there."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSettings, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from kac_desktop.views.main_window import MainWindow
from kac_desktop.views.screen_fit import FRAME, FittedDialog, fitted


def _area():
    return QGuiApplication.primaryScreen().availableGeometry()


def _inside(widget, area) -> bool:
    return widget.width() + FRAME.width() <= area.width() and (
        widget.height() + FRAME.height() <= area.height()
    )


def test_fitted_to_an_office_screen():
    area = QRect(0, 0, 1366, 728)  # 1366×768 less a 40-pixel task bar
    place = fitted(area, QSize(1360, 820))
    assert place.height() + FRAME.height() <= 728
    assert place.width() + FRAME.width() <= 1366
    assert area.contains(place)
    # at 150 %: 911×512 device-independent pixels
    small = QRect(0, 0, 911, 485)
    assert small.contains(fitted(small, QSize(1360, 820)))
    # a big screen keeps the size wanted
    assert fitted(QRect(0, 0, 1920, 1040), QSize(1360, 820)).size() == QSize(1360, 820)


def test_the_main_window_fits_the_screen_it_opens_on(qtbot, db, org):
    area = _area()
    window = MainWindow(db, org.mgr_a1)
    qtbot.addWidget(window)
    assert _inside(window, area), (window.size(), area)
    assert area.contains(window.geometry().topLeft())
    # no page forces the window wider or taller than a 150 % laptop screen
    assert window.minimumSizeHint().width() <= 900 and window.minimumSizeHint().height() <= 480


def test_the_window_remembers_its_size_and_place(qtbot, db, org):
    window = MainWindow(db, org.mgr_a1)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.resize(640, 480)
    window.move(30, 40)
    window.close()
    again = MainWindow(db, org.mgr_a1)
    qtbot.addWidget(again)
    assert again.size() == QSize(640, 480)


def test_a_place_on_a_screen_that_is_gone_is_not_used(qtbot, db, org):
    window = MainWindow(db, org.mgr_a1)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.resize(640, 480)
    window.close()
    QSettings().setValue("main/screen", "HDMI-2 (unplugged)")
    again = MainWindow(db, org.mgr_a1)
    qtbot.addWidget(again)
    assert again.size() != QSize(640, 480)
    assert _inside(again, _area())


class _Big(FittedDialog):
    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        inner = QLabel("很大的内容")
        inner.setMinimumSize(2000, 1500)
        layout.addWidget(inner)
        layout.addWidget(QLabel("底部"))


def test_a_dialog_larger_than_the_screen_scrolls(qtbot):
    dialog = _Big()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.property("scrollsWhenSmall") is True
    assert _inside(dialog, _area())
    assert dialog.findChild(QWidget, "dialogScroll") is not None


def test_the_customer_editor_fits(qtbot, db, org):
    from kac_desktop.views.customer_editor import CustomerEditor

    editor = CustomerEditor(db, org.mgr_a1, None)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitExposed(editor)
    assert _inside(editor, _area()), (editor.size(), _area())
