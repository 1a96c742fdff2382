"""The one date field: typed as users type dates, emptied with Delete, left with Tab,
kept when the user clicks elsewhere, marked when wrong, the calendar on today in Chinese."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox, QVBoxLayout, QWidget

from kac_desktop.views import widgets
from kac_desktop.views.widgets import DateField, invalid_dates, refuse_invalid_dates

TODAY = date(2026, 11, 23)


def type_text(qtbot, field, text: str) -> None:
    """Type as a user does: keys for ASCII, an input method's commit for Chinese."""
    if text.isascii():
        qtbot.keyClicks(field, text)
        return
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(field, event)


@pytest.fixture
def form(qtbot):
    page = QWidget()
    layout = QVBoxLayout(page)
    field = DateField(today=lambda: TODAY)
    other = QLineEdit()
    layout.addWidget(field)
    layout.addWidget(other)
    qtbot.addWidget(page)
    page.show()
    page.activateWindow()
    qtbot.waitExposed(page)
    field.setFocus()
    return page, field, other


def test_empty_shows_not_filled_in_without_being_in_the_text(form):
    _page, field, _other = form
    assert field.text() == "" and field.placeholderText() == "未填写"
    assert field.value() is None


@pytest.mark.parametrize("typed", ["20240315", "2024-03-15", "2024/3/15", "2024年3月15日"])
def test_typing_a_date_and_tab_leaves_with_it(form, qtbot, typed):
    _page, field, other = form
    seen = []
    field.valueChanged.connect(seen.append)
    type_text(qtbot, field, typed)
    assert field.text() == typed  # no "未填写20240315"
    qtbot.keyClick(field, Qt.Key.Key_Tab)
    assert other.hasFocus()
    assert field.value() == date(2024, 3, 15)
    assert field.text() == "2024-03-15"
    assert seen == [date(2024, 3, 15)]


def test_clicking_away_keeps_the_typed_date(form, qtbot):
    _page, field, other = form
    qtbot.keyClicks(field, "20240315")
    qtbot.mouseClick(other, Qt.MouseButton.LeftButton)
    other.setFocus()  # what the click does on a real screen
    assert field.value() == date(2024, 3, 15)


def test_a_form_reading_the_value_at_every_key_leaves_the_text_alone(form, qtbot):
    """The customer editor's live completeness check reads every field at each key: a
    text that is already a date half-way ("2024-02-3") must not be reformatted under the
    typing hand (it gave "2024-02-030")."""
    _page, field, _other = form
    seen = []
    field.textEdited.connect(lambda _text: seen.append(field.value()))
    qtbot.keyClicks(field, "2024-02-30")
    assert field.text() == "2024-02-30"
    assert date(2024, 2, 3) in seen  # it was read, as a date, on the way
    qtbot.keyClick(field, Qt.Key.Key_Tab)
    assert field.text() == "2024-02-30" and field.property("invalidDate") is True


def test_the_value_is_read_even_before_the_field_is_left(form, qtbot):
    _page, field, _other = form
    type_text(qtbot, field, "2024年3月15日")
    assert field.value() == date(2024, 3, 15)  # a dialog saving with the cursor still there


@pytest.mark.parametrize("key", [Qt.Key.Key_Delete, Qt.Key.Key_Backspace])
def test_delete_or_backspace_empties_a_shown_date(form, qtbot, key):
    _page, field, _other = form
    field.set_value(date(2024, 3, 15))
    seen = []
    field.valueChanged.connect(seen.append)
    qtbot.keyClick(field, key)
    assert field.text() == "" and field.value() is None
    assert seen == [None]


def test_backspace_while_typing_deletes_one_character(form, qtbot):
    _page, field, _other = form
    qtbot.keyClicks(field, "202403155")
    qtbot.keyClick(field, Qt.Key.Key_Backspace)
    assert field.text() == "20240315"


def test_a_wrong_date_is_marked_kept_and_refused(form, qtbot, monkeypatch):
    page, field, other = form
    qtbot.keyClicks(field, "2024-02-30")
    qtbot.keyClick(field, Qt.Key.Key_Tab)
    assert field.text() == "2024-02-30"  # kept as typed, to be corrected
    assert field.property("invalidDate") is True
    assert "2024-02-30" in field.toolTip() and "日历上没有" in field.toolTip()
    assert field.value() is None
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warned.append(a[2]))
    assert invalid_dates(page) == [field]
    assert refuse_invalid_dates(page) is True
    assert warned and "2024-02-30" in warned[0]
    # corrected: the mark goes
    field.selectAll()
    qtbot.keyClicks(field, "2024-02-29")
    qtbot.keyClick(field, Qt.Key.Key_Tab)
    assert field.property("invalidDate") is False and field.value() == date(2024, 2, 29)
    assert refuse_invalid_dates(page) is False


def test_the_calendar_opens_on_today_in_chinese_and_takes_a_click(form, qtbot):
    _page, field, _other = form
    previous = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    try:
        calendar = field.open_calendar()
    finally:
        QLocale.setDefault(previous)
    assert calendar.selectedDate().toPython() == TODAY
    assert (calendar.yearShown(), calendar.monthShown()) == (2026, 11)
    assert calendar.locale().monthName(11) == "十一月"
    assert calendar.firstDayOfWeek() == Qt.DayOfWeek.Monday
    calendar.clicked.emit(calendar.selectedDate().addDays(2))
    assert field.value() == date(2026, 11, 25) and field.text() == "2026-11-25"
    # with a date shown, the calendar opens on it
    calendar = field.open_calendar()
    assert calendar.selectedDate().toPython() == date(2026, 11, 25)
    calendar.window().close()


def test_alt_down_opens_the_calendar(form, qtbot, monkeypatch):
    _page, field, _other = form
    opened = []
    monkeypatch.setattr(DateField, "open_calendar", lambda self: opened.append(self))
    qtbot.keyClick(field, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(field, Qt.Key.Key_F4)
    assert opened == [field, field]


def test_every_date_of_the_application_is_this_field():
    """No other date editor is left in the views (QDateEdit's empty value was the trap)."""
    from pathlib import Path

    views = Path(widgets.__file__).parent
    for path in views.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "QDateEdit" not in text, path.name
        assert "OptionalDateEdit" not in text, path.name
