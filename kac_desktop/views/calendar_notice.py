"""The administrator's warning that the working-day calendar ends soon (60 days) or has
ended: a label in the status bar and a notice at sign-in."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from kac_desktop.i18n import _
from kac_desktop.rules.calendar import CalendarOutlook
from kac_desktop.rules.clock import LOCAL_TZ
from kac_desktop.rules.clock import now as utcnow
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database


def calendar_outlook(db: Database, actor: Actor, today=None) -> CalendarOutlook | None:
    if not actor.is_admin:
        return None
    from kac_desktop.services import calendar as calendar_service

    today = today or utcnow().astimezone(LOCAL_TZ).date()
    return calendar_service.calendar_outlook(db, today)


def style_calendar_label(label: QLabel, outlook: CalendarOutlook | None) -> None:
    label.setVisible(outlook is not None)
    if outlook is None:
        label.setText("")
        return
    label.setText("⚠ " + outlook.short())
    label.setToolTip(outlook.message())
    label.setStyleSheet("QLabel { color: #7a4100; font-weight: bold; }")


def show_calendar_notice(
    parent: QWidget, outlook: CalendarOutlook | None, open_settings: Callable[[], None]
):
    """A non-modal notice; None when there is nothing to say."""
    if outlook is None:
        return None
    box = QMessageBox(parent)
    box.setObjectName("calendarNotice")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(_("Working-day calendar"))
    box.setText(outlook.message())
    enter = box.addButton(_("Enter the schedule"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(_("Later"), QMessageBox.ButtonRole.RejectRole)

    def clicked(button) -> None:
        if button is enter:
            open_settings()

    box.buttonClicked.connect(clicked)
    box.setModal(False)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
    return box
