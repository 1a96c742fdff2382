"""A dark colour scheme: the navigation keeps every entry readable, the status bar's
warnings and the tables' colours come from the dark scheme (rules/colours.py)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from kac_desktop.rules import colours
from kac_desktop.rules.colours import contrast_ratio
from kac_desktop.views.colours import apply_scheme, current_colours, palette_for
from kac_desktop.views.main_window import MainWindow
from kac_desktop.views.request_board import style_due_label


@pytest.fixture
def dark(qapp):
    before = qapp.palette()
    qapp.setPalette(palette_for(colours.DARK))
    yield
    qapp.setPalette(before)


def _item_contrast(nav, row: int) -> float:
    """The strongest contrast between a pixel of the entry and the entry's background."""
    image = nav.viewport().grab(nav.visualItemRect(nav.item(row))).toImage()
    counts: dict[int, int] = {}
    for y in range(image.height()):
        for x in range(image.width()):
            rgb = image.pixel(x, y)
            counts[rgb] = counts.get(rgb, 0) + 1
    background = QColor(max(counts, key=counts.get)).name()
    return max(contrast_ratio(QColor(rgb).name(), background) for rgb in counts)


def test_every_navigation_entry_is_readable_in_the_dark(dark, qtbot, db, org):
    window = MainWindow(db, org.mgr_a1)
    qtbot.addWidget(window)
    window.resize(1200, 700)
    window.show()
    qtbot.waitExposed(window)
    assert current_colours().name == "dark"
    nav = window.nav
    assert nav.count() >= 5
    weak = [
        (nav.item(row).text(), round(_item_contrast(nav, row), 2))
        for row in range(nav.count())
        if row != nav.currentRow()
    ]
    assert [w for w in weak if w[1] < 4.5] == []
    assert _item_contrast(nav, nav.currentRow()) >= 4.5


def test_the_navigation_follows_a_switch_of_scheme(qapp, qtbot, db, org):
    before = qapp.palette()
    window = MainWindow(db, org.mgr_a1)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        assert apply_scheme(qapp, Qt.ColorScheme.Dark).name == "dark"
        qapp.processEvents()
        assert colours.DARK.nav_background in window.nav.styleSheet()
        assert _item_contrast(window.nav, 1) >= 4.5
        assert apply_scheme(qapp, Qt.ColorScheme.Light).name == "light"
        qapp.processEvents()
        assert colours.LIGHT.nav_background in window.nav.styleSheet()
        assert _item_contrast(window.nav, 1) >= 4.5
    finally:
        qapp.setPalette(before)


def test_status_bar_warnings_use_the_dark_schemes_red(dark, qtbot):
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    qtbot.addWidget(label)
    style_due_label(label, 3, 1)
    assert colours.DARK.danger in label.styleSheet()
    assert contrast_ratio(colours.DARK.danger, colours.DARK.window) >= 4.5


def test_tier_and_state_colours_of_the_tables_follow_the_scheme(dark):
    from kac_desktop.views import customer_list

    class Row:
        archived = False
        tier = "gold"
        completeness = 90

    assert customer_list._foreground(Row(), "tier").name() == colours.DARK.tiers["gold"]
