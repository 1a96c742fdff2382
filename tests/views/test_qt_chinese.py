"""In the Chinese interface Qt's own texts are Chinese too: the standard buttons, the edit
menu of a text field, the file, input, progress and print dialogs, the calendar."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtPrintSupport import QPrintPreviewDialog
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QCalendarWidget,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressDialog,
    QWidget,
)

from kac_desktop.views import app as app_module

# a word of two or more Latin letters, once the mnemonic (&S) and file patterns are gone
ENGLISH = re.compile(r"[A-Za-z]{2,}")


def english_words(texts) -> list[str]:
    found = []
    for text in texts:
        clean = re.sub(r"&(\w)", r"\1", (text or "").split("\t")[0])
        clean = re.sub(r"\*\.\w+|\(\w\)|\bQt\b", "", clean)
        if ENGLISH.search(clean):
            found.append(text)
    return found


def widget_texts(widget: QWidget) -> list[str]:
    texts = []
    for child in [widget, *widget.findChildren(QWidget)]:
        if isinstance(child, (QLabel, QAbstractButton)) and child.isVisibleTo(widget):
            texts.append(child.text())
        if isinstance(child, QAbstractButton) and child.isVisibleTo(widget):
            texts.append(child.toolTip())
        if isinstance(child, QAbstractItemView) and child.model() is not None:
            model = child.model()
            texts += [
                str(model.headerData(c, Qt.Orientation.Horizontal) or "")
                for c in range(model.columnCount())
            ]
        for action in child.actions():
            texts += [action.text(), action.toolTip()]
    return [t for t in texts if t]


@pytest.fixture
def chinese_qt(qapp):
    before = QLocale()
    assert app_module.choose_language("zh_CN") == "zh_CN"
    yield
    app_module.install_qt_language("en")
    QLocale.setDefault(before)


def test_message_box_buttons(chinese_qt):
    box = QMessageBox(QMessageBox.Icon.Question, "标题", "要保存修改吗？")
    buttons = (
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel
        | QMessageBox.StandardButton.Ok
        | QMessageBox.StandardButton.Yes
        | QMessageBox.StandardButton.No
        | QMessageBox.StandardButton.Close
    )
    box.setStandardButtons(buttons)
    texts = [b.text() for b in box.buttons()]
    assert len(texts) == 7
    assert english_words(texts) == []
    assert box.button(QMessageBox.StandardButton.Save).text().startswith("保存")


def test_button_box_and_input_and_progress_dialogs(chinese_qt):
    bar = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    assert english_words([b.text() for b in bar.buttons()]) == []
    dialog = QInputDialog()
    dialog.setComboBoxItems(["鼓楼支局", "台江支局"])
    assert english_words(widget_texts(dialog)) == []
    progress = QProgressDialog()
    progress.setLabelText("正在导出…")
    assert english_words(widget_texts(progress)) == []


def test_text_field_edit_menus(chinese_qt):
    for field in (QLineEdit("福州"), QPlainTextEdit("备注")):
        menu = field.createStandardContextMenu()
        texts = [a.text() for a in menu.actions() if not a.isSeparator()]
        assert len(texts) >= 5
        assert english_words(texts) == [], texts


def test_file_dialog(chinese_qt, tmp_path):
    dialog = QFileDialog(None, "导出到 Excel", str(tmp_path), "Excel 工作簿 (*.xlsx)")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.show()
    try:
        texts = widget_texts(dialog)
        assert english_words(texts) == [], texts
    finally:
        dialog.close()


def test_calendar_month_and_day_names(chinese_qt):
    calendar = QCalendarWidget()
    calendar.setCurrentPage(2026, 3)
    month_button = calendar.findChild(QAbstractButton, "qt_calendar_monthbutton")
    assert month_button.text() == "三月"
    view = calendar.findChild(QAbstractItemView, "qt_calendar_calendarview")
    header = [str(view.model().data(view.model().index(0, c))) for c in range(1, 8)]
    assert english_words(header) == [] and "一" in "".join(header)


def test_print_preview(chinese_qt):
    dialog = QPrintPreviewDialog()
    texts = widget_texts(dialog)
    assert english_words(texts) == [], texts
