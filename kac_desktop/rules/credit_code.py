"""The unified social credit code (统一社会信用代码), GB 32100-2015 (docs/DOMAIN.md §2).

Structure of the 18 characters (positions counted from 1, as the standard does):

=========  ====================================================================
1          registration authority (登记管理部门代码), e.g. 1, 5, 9, Y
2          type of organisation (机构类别代码)
3–8        administrative division of the registering authority (GB/T 2260), digits
9–17       the subject code (主体标识码), i.e. the organisation code of GB 11714-1997:
           eight body characters and, at position 17, its own check character
18         check character of the whole code
=========  ====================================================================

Two independent checks therefore protect a code:

* GB 11714 over positions 9–16 → position 17: characters are valued 0–9 for digits and
  A=10 … Z=35 for letters (all 26 letters, the GB 11714 character set), weights
  3, 7, 9, 10, 5, 8, 4, 2; ``c = 11 - sum mod 11``; 10 is written ``X``, 11 is written ``0``.
* GB 32100 over positions 1–17 → position 18: the characters are valued by their index in
  ``ALPHABET`` (31 characters, without I, O, Z, S, V), weights 3^(i-1) mod 31;
  ``c = 31 - sum mod 31``; 31 is written ``0``.

Positions 1 and 2 are only checked against the alphabet: authorities and types keep being
added (e.g. ``A`` for military units) and a desktop application must not refuse a real code
because its table is out of date.  The division (3–8) is only checked for being digits.
"""

from __future__ import annotations

import re
import unicodedata

from kac_desktop.i18n import _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18

ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

_VALUES = {char: index for index, char in enumerate(ALPHABET)}
_ORG_VALUES = {char: index for index, char in enumerate(ORG_ALPHABET)}
_LOOK_ALIKES = {"I": "1", "O": "0", "Z": "2", "S": "5", "V": "U"}
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−]+")


def normalise_credit_code(text: str) -> str:
    """The code as stored and compared: NFKC (full-width ``９１３５`` → ``9135``), without
    spaces and hyphens (people write ``91350100-M000100Y4-3``), in upper case."""
    text = unicodedata.normalize("NFKC", text or "")
    return _SEPARATORS.sub("", text).upper()


def credit_code_check_char(first17: str) -> str:
    """The GB 32100 check character (position 18) for the first 17 characters.

    Raises ``ValueError`` when ``first17`` is not 17 characters of ``ALPHABET``.
    """
    if len(first17) != 17 or any(char not in _VALUES for char in first17):
        raise ValueError(f"need 17 characters of the credit-code alphabet, got {first17!r}")
    total = sum(_VALUES[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> str:
    """The GB 11714-1997 check character of an organisation code's eight body characters
    (positions 9–16 of a credit code); it stands at position 17.

    Raises ``ValueError`` when ``body8`` is not eight digits or upper-case latin letters.
    """
    if len(body8) != 8 or any(char not in _ORG_VALUES for char in body8):
        raise ValueError(f"need 8 digits or capital letters, got {body8!r}")
    total = sum(_ORG_VALUES[char] * weight for char, weight in zip(body8, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 10:
        return "X"
    if check == 11:
        return "0"
    return str(check)


def org_code_error(code: str) -> str | None:
    """None when a credit code's positions 9–17 form a valid GB 11714 organisation code,
    otherwise a message giving the expected 17th character.

    ``code`` must already have 18 (or at least 17) characters of the alphabet; use
    ``credit_code_error`` for a full check of user input.
    """
    body, given = code[8:16], code[16:17]
    expected = org_code_check_char(body)
    if given == expected:
        return None
    return _(
        "Characters 9 to 17 of the unified social credit code (the organisation code) do "
        "not add up: the 17th character should be {expected}, not {actual}. Please check "
        "characters 9 to 17 for a typing error."
    ).format(expected=expected, actual=given)


def credit_code_error(code: str) -> str | None:
    """None when ``code`` is a valid unified social credit code, otherwise a message for the
    user that says what is wrong and where.

    The code is normalised first (``normalise_credit_code``), so spaces, hyphens, lower case
    and full-width characters are not errors; store the normalised form.  The checks run in
    this order and the first failure is reported: empty, length, characters, division digits,
    organisation-code check (position 17), code check (position 18).  The organisation check
    comes first because it narrows a typing error down to positions 9–17.
    """
    code = normalise_credit_code(code)
    if not code:
        return _("The unified social credit code is empty.")
    if len(code) != LENGTH:
        return _(
            "The unified social credit code must have 18 characters; this one has {count}."
        ).format(count=len(code))
    for position, char in enumerate(code, start=1):
        if char not in _VALUES:
            if char in _LOOK_ALIKES:
                return _(
                    "Character {position} of the unified social credit code is “{char}”, a "
                    "letter that credit codes never use (they leave out I, O, Z, S and V); "
                    "perhaps it should be {suggestion}."
                ).format(position=position, char=char, suggestion=_LOOK_ALIKES[char])
            return _(
                "Character {position} of the unified social credit code is “{char}”; only "
                "digits and capital letters other than I, O, Z, S and V are allowed."
            ).format(position=position, char=char)
    if not code[2:8].isdigit():
        return _(
            "Characters 3 to 8 of the unified social credit code (the administrative "
            "division, e.g. 350100) must be digits; they are “{division}”."
        ).format(division=code[2:8])
    org_error = org_code_error(code)
    if org_error:
        return org_error
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        return _(
            "The check character (the last one) of the unified social credit code is wrong: "
            "it should be {expected}, not {actual}. Please check the code for a typing error."
        ).format(expected=expected, actual=code[17])
    return None


def make_credit_code(body: str) -> str:
    """A valid credit code from its first 16 characters (positions 1–16), adding the
    organisation-code check (17) and the code check (18).  With 17 characters the 17th must
    already be the right organisation-code check character.  Used by the demo-data generator
    and tests.

    Raises ``ValueError`` for any other length, a character outside the alphabet, a division
    that is not six digits, or a wrong 17th character.
    """
    body = normalise_credit_code(body)
    if len(body) not in (16, 17):
        raise ValueError(f"need 16 or 17 characters, got {len(body)}: {body!r}")
    if any(char not in _VALUES for char in body):
        raise ValueError(f"characters outside the credit-code alphabet in {body!r}")
    if not body[2:8].isdigit():
        raise ValueError(f"positions 3–8 must be digits in {body!r}")
    org_check = org_code_check_char(body[8:16])
    if len(body) == 17 and body[16] != org_check:
        raise ValueError(f"position 17 of {body!r} should be {org_check}")
    first17 = body[:16] + org_check
    return first17 + credit_code_check_char(first17)
