"""Small input widgets shared by the dialogs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QDate
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QComboBox, QDateEdit, QLineEdit

from kac_desktop.i18n import _
from kac_desktop.rules import vocab

_EMPTY_DATE = QDate(1900, 1, 1)


class OptionalDateEdit(QDateEdit):
    """A date that may be left empty: the minimum date stands for 'not filled in'."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        self.setMinimumDate(_EMPTY_DATE)
        self.setSpecialValueText(_("not filled in"))
        self.set_value(None)

    def value(self) -> date | None:
        qdate = self.date()
        if qdate == _EMPTY_DATE:
            return None
        return date(qdate.year(), qdate.month(), qdate.day())

    def set_value(self, value: date | None) -> None:
        if value is None:
            self.setDate(_EMPTY_DATE)
        else:
            self.setDate(QDate(value.year, value.month, value.day))


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
