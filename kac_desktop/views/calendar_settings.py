"""The settings tab 工作日历: the years the deadlines know, and the schedule of a year —
typed into the table, pasted from the State Council's notice, or read from a workbook —
saved as a whole by an administrator.  The services check it, audit it and recompute the
provisional deadlines; this page shows what they say."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.i18n import _
from kac_desktop.rules.calendar import (
    HOLIDAY,
    KINDS,
    CalendarEntry,
    kind_label,
    weekday_name,
)
from kac_desktop.rules.clock import LOCAL_TZ
from kac_desktop.rules.clock import now as utcnow
from kac_desktop.services import calendar as calendar_service
from kac_desktop.services import settings as settings_service
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database
from kac_desktop.services.errors import ServiceError, ValidationFailed

DAY, WEEKDAY, KIND, NAME = range(4)
WARNING_STYLE = (
    "QLabel { background: #fff4e5; color: #7a4100; border: 1px solid #f0b45c;"
    " padding: 6px 10px; border-radius: 4px; }"
)
PROBLEM_STYLE = "QLabel { color: #b00020; }"
DONE_STYLE = "QLabel { color: #0b6e4f; }"


class PasteNoticeDialog(QDialog):
    """Paste the notice's text; 读取 reads it into the year's table."""

    def __init__(self, year: int, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Paste the State Council's notice"))
        self.resize(760, 460)
        self.text = QPlainTextEdit()
        self.text.setObjectName("noticeText")
        self.text.setPlaceholderText(
            _(
                "Paste the notice (国务院办公厅关于{year}年部分节假日安排的通知) here, e.g.\n"
                "一、元旦：1月1日（周五）放假，与周末连休。\n"
                "二、春节：2月6日至12日放假调休，共7天。2月14日（周日）、2月20日（周六）上班。"
            ).format(year=year)
        )
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(PROBLEM_STYLE)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.read_button = buttons.addButton(_("Read"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.read_button.setObjectName("readNotice")
        buttons.accepted.connect(self._read)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.problems)
        layout.addWidget(buttons)
        self.year = year
        self.schedules: dict[int, list[CalendarEntry]] = {}

    def _read(self) -> None:
        try:
            self.schedules = calendar_service.parse_text(self.text.toPlainText(), self.year)
        except ValidationFailed as exc:
            self.problems.setText(exc.message)
            return
        self.accept()


class CalendarSettings(QWidget):
    """The 工作日历 tab (administrators)."""

    changed = Signal(object)  # the Change of a saved schedule

    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self._schedules: dict[int, calendar_service.YearSchedule] = {}
        self._year: int | None = None
        self._schedules_text = ""  # the notice as pasted: kept with the saved year

        self.mode = QCheckBox(
            _(
                "Count deadlines in working days (skip weekends and public holidays, count "
                "adjusted working days)"
            )
        )
        self.mode.setObjectName("workingDaysMode")
        self.mode.toggled.connect(self._mode_changed)
        self.outlook = QLabel()
        self.outlook.setObjectName("calendarOutlook")
        self.outlook.setWordWrap(True)
        self.outlook.setStyleSheet(WARNING_STYLE)

        self.years = QListWidget()
        self.years.setObjectName("calendarYears")
        self.years.setFixedWidth(250)
        self.years.currentItemChanged.connect(self._year_chosen)
        self.new_year_button = QPushButton(_("New year…"))
        self.new_year_button.setObjectName("newCalendarYear")
        self.new_year_button.clicked.connect(self.new_year)

        self.title = QLabel()
        self.title.setObjectName("calendarYearTitle")
        self.title.setStyleSheet("QLabel { font-weight: bold; font-size: 15px; }")
        self.source = QLabel()
        self.source.setWordWrap(True)
        self.source.setStyleSheet("color: #555;")
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("calendarEntries")
        self.table.setHorizontalHeaderLabels(
            [_("Date"), _("Weekday"), _("Kind of day"), _("Holiday name")]
        )
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in ((DAY, 110), (WEEKDAY, 60), (KIND, 110)):
            self.table.setColumnWidth(column, width)
        self.table.itemChanged.connect(self._item_changed)

        self.paste_button = QPushButton(_("Paste the notice…"))
        self.paste_button.setObjectName("pasteNotice")
        self.paste_button.clicked.connect(self.paste_notice)
        self.import_button = QPushButton(_("Import a workbook…"))
        self.import_button.setObjectName("importCalendar")
        self.import_button.clicked.connect(self.import_workbook)
        self.add_button = QPushButton(_("Add a date"))
        self.add_button.setObjectName("addCalendarDate")
        self.add_button.clicked.connect(self.add_row)
        self.remove_button = QPushButton(_("Remove the selected dates"))
        self.remove_button.clicked.connect(self.remove_rows)
        self.save_button = QPushButton(_("Save the year's schedule"))
        self.save_button.setObjectName("saveCalendar")
        self.save_button.clicked.connect(self.save)
        self.message = QLabel()
        self.message.setObjectName("calendarMessage")
        self.message.setWordWrap(True)

        self.read_only = not calendar_service.may_keep(actor)
        self.read_only_note = QLabel(
            _("Only a city-center administrator changes the working-day calendar.")
        )
        self.read_only_note.setStyleSheet("color: #666;")
        self.read_only_note.setVisible(self.read_only)
        if self.read_only:
            self.mode.setEnabled(False)
            for button in (
                self.new_year_button,
                self.paste_button,
                self.import_button,
                self.add_button,
                self.remove_button,
                self.save_button,
            ):
                button.setVisible(False)
            self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)

        left = QVBoxLayout()
        left.addWidget(QLabel(_("Years the deadlines know")))
        left.addWidget(self.years, 1)
        left.addWidget(self.new_year_button)
        actions = QHBoxLayout()
        for button in (self.paste_button, self.import_button, self.add_button, self.remove_button):
            actions.addWidget(button)
        actions.addStretch()
        actions.addWidget(self.save_button)
        right = QVBoxLayout()
        right.addWidget(self.title)
        right.addWidget(self.source)
        right.addLayout(actions)
        right.addWidget(self.table, 1)
        right.addWidget(self.message)
        body = QHBoxLayout()
        body.addLayout(left)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.mode)
        layout.addWidget(self.read_only_note)
        layout.addWidget(self.outlook)
        layout.addLayout(body, 1)
        self.reload()

    # ------------------------------------------------------------------ reading
    def reload(self, year: int | None = None) -> None:
        with_mode = bool(settings_service.get(self.db).get("deadline.working_days"))
        self.mode.blockSignals(True)
        self.mode.setChecked(with_mode)
        self.mode.blockSignals(False)
        today = utcnow().astimezone(LOCAL_TZ).date()
        outlook = calendar_service.calendar_outlook(self.db, today) if not self.read_only else None
        self.outlook.setText(outlook.message() if outlook else "")
        self.outlook.setVisible(outlook is not None)
        schedules = calendar_service.years(self.db, self.actor)
        self._schedules = {s.year: s for s in schedules}
        version = calendar_service.library_version()
        self.years.blockSignals(True)
        self.years.clear()
        known = sorted(self._schedules, reverse=True)
        first_unknown = (max(known) + 1) if known else today.year
        if first_unknown <= today.year + 1:
            item = QListWidgetItem(
                _("{year} — not entered (weekends only)").format(year=first_unknown)
            )
            item.setData(Qt.ItemDataRole.UserRole, first_unknown)
            item.setForeground(Qt.GlobalColor.darkRed)
            self.years.addItem(item)
        for y in known:
            s = self._schedules[y]
            text = (
                _("{year} — entered by the center").format(year=y)
                if s.source == "app"
                else _("{year} — chinesecalendar {version}").format(year=y, version=version)
            )
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, y)
            self.years.addItem(item)
        self.years.blockSignals(False)
        wanted = year if year is not None else (self._year or first_unknown)
        for row in range(self.years.count()):
            if self.years.item(row).data(Qt.ItemDataRole.UserRole) == wanted:
                self.years.setCurrentRow(row)
                break
        else:
            self.years.setCurrentRow(0)

    def _year_chosen(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is None:
            return
        self.show_year(int(item.data(Qt.ItemDataRole.UserRole)))

    def show_year(self, year: int, entries: list[CalendarEntry] | None = None) -> None:
        self._year = year
        schedule = self._schedules.get(year)
        self.title.setText(_("Holiday schedule of {year}").format(year=year))
        if entries is not None:
            self.source.setText(_("Not saved yet: check the dates, then save the year's schedule."))
        elif schedule is None:
            self.source.setText(
                _(
                    "No schedule of {year} yet: deadlines in {year} count weekends only and "
                    "are marked 暂按周末计算. Paste the notice, import a workbook or type the "
                    "dates, then save."
                ).format(year=year)
            )
        elif schedule.source == "app":
            when = (
                schedule.updated_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
                if schedule.updated_at
                else ""
            )
            self.source.setText(
                _(
                    "Entered by the center; last saved {time} by {user}. It overrides the "
                    "library's calendar for {year}."
                ).format(time=when, user=schedule.updated_by, year=year)
            )
        else:
            self.source.setText(
                _(
                    "From the chinesecalendar package. Saving this year makes it the "
                    "center's: it then overrides the library's."
                )
            )
        self._fill(entries if entries is not None else (schedule.entries if schedule else []))
        self.message.setText("")

    def _fill(self, entries: list[CalendarEntry]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for entry in sorted(entries):
            self._append(entry.day, entry.kind, entry.name)
        self.table.blockSignals(False)

    def _append(self, day: date | None, kind: str, name: str) -> int:
        blocked = self.table.blockSignals(True)
        try:
            return self._append_row(day, kind, name)
        finally:
            self.table.blockSignals(blocked)

    def _append_row(self, day: date | None, kind: str, name: str) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, DAY, QTableWidgetItem(day.isoformat() if day else ""))
        weekday = QTableWidgetItem(weekday_name(day) if day else "")
        weekday.setFlags(weekday.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.table.setItem(row, WEEKDAY, weekday)
        combo = QComboBox()
        for code in KINDS:
            combo.addItem(kind_label(code), code)
        combo.setCurrentIndex(max(combo.findData(kind), 0))
        combo.setEnabled(not self.read_only)
        self.table.setCellWidget(row, KIND, combo)
        self.table.setItem(row, NAME, QTableWidgetItem(name))
        return row

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != DAY:
            return
        weekday = self.table.item(item.row(), WEEKDAY)
        if weekday is None:
            return
        day = _parse_day(item.text())
        blocked = self.table.blockSignals(True)
        weekday.setText(weekday_name(day) if day else "?")
        self.table.blockSignals(blocked)

    def entries(self) -> tuple[list[CalendarEntry], list[str]]:
        """The table's dates, and a problem for every row whose date cannot be read."""
        found: list[CalendarEntry] = []
        problems: list[str] = []
        for row in range(self.table.rowCount()):
            text = self.table.item(row, DAY).text().strip()
            combo = self.table.cellWidget(row, KIND)
            name = self.table.item(row, NAME).text() if self.table.item(row, NAME) else ""
            day = _parse_day(text)
            if day is None:
                problems.append(
                    _("Row {row}: “{value}” is not a date such as 2027-02-06.").format(
                        row=row + 1, value=text
                    )
                )
                continue
            found.append(CalendarEntry(day, combo.currentData(), name.strip()))
        return found, problems

    # ------------------------------------------------------------------ actions
    def _mode_changed(self, on: bool) -> None:
        try:
            settings_service.set_value(self.db, self.actor, "deadline.working_days", on)
        except ServiceError as exc:
            QMessageBox.warning(self, _("Working-day calendar"), exc.message)
        self.reload(self._year)

    def new_year(self) -> None:
        today = utcnow().astimezone(LOCAL_TZ).date()
        year, ok = QInputDialog.getInt(
            self, _("New year"), _("The year of the schedule:"), today.year + 1, 2000, 2100
        )
        if ok:
            self.show_year(year, [])

    def add_row(self) -> None:
        last = self.table.rowCount() - 1
        day, kind, name = None, HOLIDAY, ""
        if last >= 0:
            previous = _parse_day(self.table.item(last, DAY).text())
            day = previous + timedelta(days=1) if previous else None
            kind = self.table.cellWidget(last, KIND).currentData()
            name = self.table.item(last, NAME).text()
        elif self._year:
            day = date(self._year, 1, 1)
        row = self._append(day, kind, name)
        self.table.setCurrentCell(row, DAY)
        self.table.editItem(self.table.item(row, DAY))

    def remove_rows(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        for row in rows:
            self.table.removeRow(row)

    def paste_notice(self):
        dialog = PasteNoticeDialog(self._year or utcnow().year, self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.schedules:
            year, entries = next(iter(dialog.schedules.items()))
            self._schedules_text = dialog.text.toPlainText()
            self.show_year(year, entries)
        return dialog

    def import_workbook(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self,
            _("Import a holiday schedule"),
            "",
            _("Workbooks or text (*.xlsx *.xls *.ods *.txt)"),
        )
        if path:
            self.load_file(path)

    def load_file(self, path: str) -> None:
        try:
            schedules, _source = calendar_service.read_file(path, None)
        except ServiceError as exc:
            self.message.setStyleSheet(PROBLEM_STYLE)
            self.message.setText(exc.message)
            return
        year = self._year if self._year in schedules else min(schedules)
        self.show_year(year, schedules[year])
        if len(schedules) > 1:
            self.message.setStyleSheet(DONE_STYLE)
            self.message.setText(
                _(
                    "The file holds {years}; {year} is shown. To import every year at once, "
                    "use the command kac-desktop settings holidays import."
                ).format(years="、".join(str(y) for y in sorted(schedules)), year=year)
            )

    def save(self) -> calendar_service.SaveResult | None:
        if self._year is None:
            return None
        entries, problems = self.entries()
        if problems:
            self.message.setStyleSheet(PROBLEM_STYLE)
            self.message.setText("\n".join(problems))
            return None
        schedule = self._schedules.get(self._year)
        expected = schedule.version if schedule is not None and schedule.source == "app" else None
        try:
            result = calendar_service.save_year(
                self.db,
                self.actor,
                self._year,
                entries,
                source=self._schedules_text,
                expected_version=expected,
            )
        except ServiceError as exc:
            self.message.setStyleSheet(PROBLEM_STYLE)
            self.message.setText(exc.message)
            return None
        self._schedules_text = ""
        year = self._year
        self.reload(year)
        self.message.setStyleSheet(DONE_STYLE)
        self.message.setText(result.summary())
        self.changed.emit(result.change)
        return result


def _parse_day(text: str) -> date | None:
    return calendar_service.cell_date(text.strip()) if text and text.strip() else None
