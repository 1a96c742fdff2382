"""The one way the window runs an operation: call the service, show a refusal, spread
what changed.

``run(parent, operation)`` calls ``operation()`` (a service mutation, or any service call
that may refuse); a ``ServiceError`` (a validation, a permission, a stale record, a
duplicate …) is shown in the user's language — in a message box over ``parent``, or by the
caller's own ``refused`` handler when the page shows it in place (a label, marked fields) —
and nothing else happens.  On success the change set the result carries
(services/changes.py) goes to every open page: the main window's ``broadcast_changes``
hands it to each page's ``apply_changes``, and each page refreshes only what it names.

``run_long`` does the same for long work on the job runner (views/jobs.py): a progress
dialog with a Cancel that works, and the message that nothing was changed when the user
cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from kac_desktop.progress import Cancelled, Progress
from kac_desktop.services.changes import ChangeSet, changes_of
from kac_desktop.services.errors import ServiceError

from . import jobs

T = TypeVar("T")

# a handler that shows a refusal itself; it returns False to have the message box shown too
Refused = Callable[[ServiceError], "bool | None"]


def _title(parent: QWidget | None, title: str) -> str:
    if title:
        return title
    window = parent.window() if parent is not None else None
    return window.windowTitle() if window is not None else ""


def show_refusal(parent: QWidget | None, exc: ServiceError, title: str = "") -> None:
    """A refusal in the user's language (every ServiceError carries its message)."""
    QMessageBox.warning(parent, _title(parent, title), exc.message)


def _refuse(parent: QWidget | None, exc: ServiceError, title: str, refused: Refused | None):
    if refused is not None and refused(exc) is not False:
        return
    show_refusal(parent, exc, title)


def run(
    parent: QWidget | None,
    operation: Callable[[], T],
    *,
    title: str = "",
    refused: Refused | None = None,
) -> T | None:
    """``operation()``'s result, its changes spread to the open pages; None when refused."""
    try:
        result = operation()
    except ServiceError as exc:
        _refuse(parent, exc, title, refused)
        return None
    broadcast(parent, changes_of(result))
    return result


def run_long(
    parent: QWidget | None,
    label: str,
    work: Callable[[Progress], T],
    *,
    title: str = "",
    refused: Refused | None = None,
    cancelled_message: str | None = None,
    cancelled: Callable[[], None] | None = None,
) -> T | None:
    """``work(progress)`` on the job runner behind a cancellable progress dialog that says
    ``label``; its result, or None when it was refused or cancelled.  A cancel is told in a
    message (``cancelled_message``, by default that nothing was changed) or by the caller's
    ``cancelled`` in place."""
    try:
        result = jobs.run_job(parent, label, work)
    except Cancelled as exc:
        if cancelled is not None:
            cancelled()
        else:
            QMessageBox.information(parent, title or label, cancelled_message or exc.message)
        return None
    except ServiceError as exc:
        _refuse(parent, exc, title or label, refused)
        return None
    broadcast(parent, changes_of(result))
    return result


def broadcast(origin: QObject | None, changes: ChangeSet) -> None:
    """Hand ``changes`` to every open page: through the window that holds ``origin`` (its
    ``broadcast_changes``), or, for a page on its own, to the nearest ``apply_changes``."""
    if not changes:
        return
    hub = None
    nearest = None
    node = origin
    while node is not None:
        if hub is None and callable(getattr(node, "broadcast_changes", None)):
            hub = node
        if nearest is None and callable(getattr(node, "apply_changes", None)):
            nearest = node
        node = node.parent()
    if hub is not None:
        hub.broadcast_changes(changes)
    elif nearest is not None:
        nearest.apply_changes(changes)


def apply_to(pages: list[Any], changes: ChangeSet) -> None:
    """Each of ``pages`` that refreshes from a change set gets ``changes``."""
    for page in pages:
        apply = getattr(page, "apply_changes", None)
        if apply is not None:
            apply(changes)
