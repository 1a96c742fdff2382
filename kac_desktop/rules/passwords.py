"""The password rule (docs/DOMAIN.md §7): long enough, letters and digits.  Pure: no hashing here."""

from __future__ import annotations

from kac_desktop.i18n import _

MIN_LENGTH = 8


def password_problems(password: str, login: str = "") -> list[str]:
    """What is wrong with ``password`` as a new password, as messages for the user; empty
    when it is acceptable."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(
            _("The password must have at least {count} characters.").format(count=MIN_LENGTH)
        )
    if not any(c.isascii() and c.isalpha() for c in password) or not any(
        c.isdigit() for c in password
    ):
        problems.append(_("The password must contain both letters and digits."))
    if password != password.strip():
        problems.append(_("The password may not begin or end with a space."))
    if login and password.strip().lower() == login.strip().lower():
        problems.append(_("The password may not be the same as the login name."))
    return problems


def rule_text() -> str:
    return _("At least {count} characters, with letters and digits.").format(count=MIN_LENGTH)
