"""The progress-and-cancel handle that long work below views/ takes: the work reports
``(fraction, message)`` and asks whether it was cancelled; views/ runs it on a worker
thread behind a progress dialog (docs/ARCHITECTURE.md)."""

from __future__ import annotations

from typing import Protocol

from kac_desktop.i18n import _


class Progress(Protocol):
    def report(self, fraction: float, message: str = "") -> None: ...

    def cancelled(self) -> bool: ...


class NullProgress:
    def report(self, fraction: float, message: str = "") -> None:
        pass

    def cancelled(self) -> bool:
        return False


class Cancelled(Exception):
    """Raised by long work when the user cancelled it; nothing it did is kept."""

    def __init__(self) -> None:
        super().__init__(_("Cancelled; nothing was changed."))
        self.message = str(self)


def check(progress: Progress, fraction: float, message: str = "") -> None:
    """Report and raise Cancelled when the user asked to stop."""
    if progress.cancelled():
        raise Cancelled()
    progress.report(fraction, message)
