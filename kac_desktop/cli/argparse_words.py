"""argparse's own words (usage, options, error, …) in the interface language.

argparse looks its words up through a module-level ``_`` (and ``ngettext``) so that they can
be translated; this hands those look-ups to the application's catalogue.  The words are
listed here (as argparse writes them) so that the catalogue extraction finds them.
"""

from __future__ import annotations

import argparse

from kac_desktop import i18n
from kac_desktop.i18n import N_

WORDS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("subcommands"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("unrecognized arguments: %s"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("unexpected option string: %s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
    # the two forms argparse asks ngettext for
    N_("expected %s argument"),
    N_("expected %s arguments"),
    N_("conflicting option string: %s"),
    N_("conflicting option strings: %s"),
)


def _gettext(message):
    if not message:  # argparse passes a missing description through as None
        return message
    return i18n._(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    # the catalogue holds each form as a message of its own (Chinese has one form)
    return i18n._(singular if n == 1 else plural)


def install() -> None:
    """From now on argparse speaks the current interface language (set it before the
    parser is built: the group titles and the help option's text are taken then)."""
    argparse._ = _gettext  # type: ignore[attr-defined]
    argparse.ngettext = _ngettext  # type: ignore[attr-defined]
