"""The one base of every error that carries a message for the user.

It lives below every layer so that the database layer's problems (a lock, a full disk, a
file that vanished) and the services' refusals are caught by the same ``except
ServiceError`` in the window and on the command line.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Something the user must be told, in the current language (``message``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
