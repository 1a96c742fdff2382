"""A month calendar of visits done and next steps planned, per manager.  Each day shows its
counts; the day's list beside it opens a visit (visits done) or the customer file (next
steps planned) on a double click."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from PySide6.QtCore import QDate, QLocale, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QCalendarWidget,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.i18n import _, current_language
from kac_desktop.rules.clock import business_today
from kac_desktop.rules.quota import Month
from kac_desktop.services import users as user_service
from kac_desktop.services import visit_agenda
from kac_desktop.services.context import Actor, Change
from kac_desktop.services.database import Database
from kac_desktop.services.visit_agenda import CalendarEntry

from .paged_model import EntryRole

DONE_COLOUR = "#2e7d32"
PLANNED_COLOUR = "#b35c00"


class VisitCalendarWidget(QCalendarWidget):
    """Paints under each day number: ✔ visits done, ◷ next steps planned (open ones)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.counts: dict[date, tuple[int, int]] = {}
        self.setGridVisible(True)
        self.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        self.setMinimumSize(560, 420)
        if current_language() == "zh_CN":
            # month and weekday names in Chinese, whatever the system locale
            self.setLocale(QLocale(QLocale.Language.Chinese, QLocale.Country.China))

    def paintCell(self, painter: QPainter, rect: QRect, qdate: QDate) -> None:  # noqa: N802
        super().paintCell(painter, rect, qdate)
        done, planned = self.counts.get(date(qdate.year(), qdate.month(), qdate.day()), (0, 0))
        if not done and not planned:
            return
        painter.save()
        font = QFont(painter.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        line = painter.fontMetrics().height() + 1
        bottom = rect.height() - 3
        if done:
            painter.setPen(QColor(DONE_COLOUR))
            painter.drawText(
                rect.adjusted(4, bottom - 2 * line, -2, -(rect.height() - bottom + line)),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                _("✔ {count} done").format(count=done),
            )
        if planned:
            painter.setPen(QColor(PLANNED_COLOUR))
            painter.drawText(
                rect.adjusted(4, bottom - line, -2, -(rect.height() - bottom)),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                _("◷ {count} planned").format(count=planned),
            )
        painter.restore()


class VisitCalendarPage(QWidget):
    openVisit = Signal(str)
    openCustomer = Signal(str)

    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.entries: dict[date, list[CalendarEntry]] = defaultdict(list)
        self.manager = QComboBox()
        self.manager.setObjectName("calendarManager")
        if actor.role == "manager":
            self.manager.addItem(actor.display_name, actor.user_id)
            self.manager.setEnabled(False)
        else:
            self.manager.addItem(_("All managers"), None)
            for m in user_service.list_managers(db, actor):
                if m.role == "manager":
                    self.manager.addItem(f"{m.display_name}（{m.branch_name}）", m.id)
        self.calendar = VisitCalendarWidget()
        self.calendar.setObjectName("visitCalendar")
        # the business day (China time), not the computer's: they differ on a machine kept
        # on another zone, from 16:00 UTC on
        today = business_today()
        self.calendar.setSelectedDate(QDate(today.year, today.month, today.day))
        self.day_title = QLabel()
        self.day_title.setStyleSheet("font-weight: bold; font-size: 14px;")
        self.day_list = QListWidget()
        self.day_list.setObjectName("dayList")
        self.day_list.setMinimumWidth(360)
        self.day_list.itemActivated.connect(self._activate)
        self.day_list.itemDoubleClicked.connect(self._activate)
        hint = QLabel(_("Double-click a visit to open it, a next step to open the customer file."))
        hint.setStyleSheet("color: #666;")
        hint.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(QLabel(_("Account manager")))
        top.addWidget(self.manager)
        top.addStretch()
        side = QVBoxLayout()
        side.addWidget(self.day_title)
        side.addWidget(self.day_list, 1)
        side.addWidget(hint)
        body = QHBoxLayout()
        body.addWidget(self.calendar, 3)
        body.addLayout(side, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(body, 1)

        self.manager.currentIndexChanged.connect(self.reload)
        self.calendar.currentPageChanged.connect(lambda _y, _m: self.reload())
        self.calendar.selectionChanged.connect(self._show_day)
        self.reload()

    def month(self) -> Month:
        return Month(self.calendar.yearShown(), self.calendar.monthShown())

    def reload(self, *_args) -> None:
        entries = visit_agenda.calendar_entries(
            self.db, self.actor, self.month(), self.manager.currentData()
        )
        self.entries = defaultdict(list)
        counts: dict[date, list[int]] = defaultdict(lambda: [0, 0])
        for e in entries:
            self.entries[e.day].append(e)
            if e.kind == "visit":
                counts[e.day][0] += 1
            elif not e.done:
                counts[e.day][1] += 1
        self.calendar.counts = {d: (c[0], c[1]) for d, c in counts.items()}
        self.calendar.updateCells()
        self._show_day()

    def selected_day(self) -> date:
        q = self.calendar.selectedDate()
        return date(q.year(), q.month(), q.day())

    def _show_day(self) -> None:
        day = self.selected_day()
        self.day_title.setText(day.strftime("%Y-%m-%d"))
        self.day_list.clear()
        for e in self.entries.get(day, []):
            if e.kind == "visit":
                text = _("✔ {time} {customer} — {mode}").format(
                    time=e.at.strftime("%H:%M") if e.at else "", customer=e.customer, mode=e.text
                )
                colour = DONE_COLOUR
            else:
                mark = _("done") if e.done else _("planned")
                text = _("◷ {customer} — {step} ({state})").format(
                    customer=e.customer, step=e.text, state=mark
                )
                colour = "#888888" if e.done else PLANNED_COLOUR
            item = QListWidgetItem(text)
            item.setForeground(QColor(colour))
            item.setData(EntryRole, e)
            self.day_list.addItem(item)
        if not self.day_list.count():
            self.day_list.addItem(_("No visits or next steps on this day."))

    def _activate(self, item: QListWidgetItem) -> None:
        entry = item.data(EntryRole)
        if not isinstance(entry, CalendarEntry):
            return
        if entry.kind == "visit":
            self.openVisit.emit(entry.visit_id)
        elif entry.customer_id:
            self.openCustomer.emit(entry.customer_id)
        else:
            self.openVisit.emit(entry.visit_id)

    def apply_change(self, change: Change) -> None:
        if change.kind == "visit":
            self.reload()
