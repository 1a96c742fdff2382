"""Checks of a customer file before it is saved (docs/DOMAIN.md §2 "A file holds").

Every function returns messages in the user's language that name the field and say how to
put it right; none raises for bad input.

Phone formats accepted (after NFKC, so full-width digits are fine, and with spaces removed):

* landline: optional area code ``0`` + 2–3 digits, optionally followed by ``-`` or written
  in brackets ``(0591)``; a local number of 7–8 digits that does not start with 0 or 1; an
  optional extension of 1–6 digits after ``-``, ``转``, ``ext``/``ext.``/``x`` or ``#``:
  ``87654321``, ``0591-87654321``, ``(0591)87654321``, ``059187654321-123``,
  ``0591-87654321转8001``;
* service numbers ``400``/``800`` + 7 digits, hyphens anywhere: ``400-820-8888``,
  ``800 820 8888``;
* a mobile number is also accepted in the phone field: many small customers only have one.

Mobile numbers: 11 digits starting with 13–19, with an optional ``+86``/``0086``/``86``
prefix; spaces and hyphens are ignored (``138 0013 8000``, ``+86 138-0013-8000``).

The values are checked as typed (after NFKC); the service stores them as typed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date

from kac_desktop.i18n import _
from kac_desktop.rules import vocab
from kac_desktop.rules.credit_code import credit_code_error
from kac_desktop.rules.customer import ContactData, CustomerData, FieldError

NAME_MIN = 2
NAME_MAX = 100
CREDIT_CODE_REQUIRED_FOR = ("enterprise", "government")

_LANDLINE = re.compile(
    r"(?:\(0\d{2,3}\)|0\d{2,3}-?)?[2-9]\d{6,7}(?:(?:-|转|ext\.?|x|#)\d{1,6})?", re.IGNORECASE
)
_SERVICE = re.compile(r"[48]00\d{7}")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,}"
)


def _nfkc(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def _mobile_digits(text: str) -> str:
    digits = re.sub(r"[\s\-]", "", text)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            return digits[len(prefix) :]
    return digits


def mobile_error(text: str | None) -> str | None:
    """None for an empty or valid mainland mobile number, otherwise what is wrong."""
    value = _nfkc(text)
    if not value:
        return None
    digits = _mobile_digits(value)
    if not digits.isdigit():
        return _(
            "The mobile number “{value}” may only contain digits (spaces, hyphens and a "
            "leading +86 are allowed)."
        ).format(value=value)
    if len(digits) != 11:
        return _("The mobile number “{value}” has {count} digits; it needs 11.").format(
            value=value, count=len(digits)
        )
    if not _MOBILE.fullmatch(digits):
        return _(
            "The mobile number “{value}” is not valid: mobile numbers start with 13 to 19."
        ).format(value=value)
    return None


def phone_error(text: str | None) -> str | None:
    """None for an empty or valid phone number (formats in the module text), otherwise a
    message with examples of the accepted forms."""
    value = _nfkc(text)
    if not value:
        return None
    compact = re.sub(r"\s", "", value)
    if _LANDLINE.fullmatch(compact):
        return None
    if _SERVICE.fullmatch(compact.replace("-", "")):
        return None
    if _MOBILE.fullmatch(_mobile_digits(compact)):
        return None
    return _(
        "The phone number “{value}” is not valid. Write it like 0591-87654321, "
        "0591-87654321-123 (with an extension) or 400-820-8888."
    ).format(value=value)


def email_error(text: str | None) -> str | None:
    """None for an empty or plausible e-mail address (name@domain.tld, latin letters)."""
    value = _nfkc(text)
    if not value:
        return None
    if "@" not in value:
        return _("The e-mail address “{value}” has no @.").format(value=value)
    if not _EMAIL.fullmatch(value):
        return _(
            "The e-mail address “{value}” is not valid. Write it like name@example.com."
        ).format(value=value)
    return None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _code_error(
    errors: list[FieldError],
    field: str,
    field_label: str,
    vocabulary: Mapping[str, str],
    code: str | None,
    *,
    required: bool,
) -> None:
    if _blank(code):
        if required:
            errors.append(
                FieldError(
                    field, _("{field} is required; please choose one.").format(field=field_label)
                )
            )
        return
    if code not in vocabulary:
        errors.append(
            FieldError(
                field,
                _("{field}: “{code}” is not one of the allowed choices.").format(
                    field=field_label, code=code
                ),
            )
        )


def _list_errors(
    errors: list[FieldError],
    field: str,
    field_label: str,
    vocabulary: Mapping[str, str],
    codes: list[str],
) -> None:
    unknown = [code for code in codes if code not in vocabulary]
    if unknown:
        errors.append(
            FieldError(
                field,
                _("{field}: these are not among the allowed choices: {codes}.").format(
                    field=field_label, codes=", ".join(str(code) for code in unknown)
                ),
            )
        )


def _contact_errors(index: int, contact: ContactData, today: date) -> list[FieldError]:
    prefix = f"contacts[{index}]"
    name = (contact.name or "").strip()
    who = (
        _("Contact {name}").format(name=name)
        if name
        else _("Contact no. {number}").format(number=index + 1)
    )

    def add(attr: str, problem: str) -> None:
        errors.append(
            FieldError(
                f"{prefix}.{attr}", _("{contact}: {problem}").format(contact=who, problem=problem)
            )
        )

    errors: list[FieldError] = []
    if not name:
        add("name", _("the name is required."))
    if _blank(contact.role):
        add("role", _("the role is required; please choose one."))
    elif contact.role not in vocab.CONTACT_ROLES:
        add(
            "role",
            _("the role “{code}” is not one of the allowed choices.").format(code=contact.role),
        )
    for attr, check in (("phone", phone_error), ("mobile", mobile_error), ("email", email_error)):
        problem = check(getattr(contact, attr))
        if problem:
            add(attr, problem)
    if _blank(contact.phone) and _blank(contact.mobile):
        add("phone", _("give a phone or a mobile number."))
    if contact.birthday is not None and contact.birthday > today:
        add(
            "birthday",
            _("the birthday {date} is in the future.").format(date=contact.birthday.isoformat()),
        )
    return errors


def validate_customer(data: CustomerData, today: date) -> list[FieldError]:
    """Everything wrong with a customer file, in the order of the form; empty when it may be
    saved.  ``today`` is the local date (no clock in the rules).

    The duplicate check (same credit code or normalised name in another file) needs the
    database and is the service's job; see ``names.normalise_name``.
    """
    errors: list[FieldError] = []

    def add(field: str, message: str) -> None:
        errors.append(FieldError(field, message))

    name = (data.name or "").strip()
    if not name:
        add("name", _("The customer name is required."))
    elif len(name) < NAME_MIN:
        add(
            "name",
            _("The customer name “{name}” is too short: write at least {min} characters.").format(
                name=name, min=NAME_MIN
            ),
        )
    elif len(name) > NAME_MAX:
        add(
            "name",
            _("The customer name has {count} characters; at most {max} are allowed.").format(
                count=len(name), max=NAME_MAX
            ),
        )

    if _blank(data.credit_code):
        if data.nature in CREDIT_CODE_REQUIRED_FOR:
            add(
                "credit_code",
                _(
                    "The unified social credit code is required for enterprises and government bodies."
                ),
            )
    else:
        problem = credit_code_error(data.credit_code)
        if problem:
            add("credit_code", problem)

    _code_error(errors, "kind", _("Customer kind"), vocab.KINDS, data.kind, required=True)
    _code_error(errors, "nature", _("Nature"), vocab.NATURES, data.nature, required=True)
    _code_error(errors, "industry", _("Industry"), vocab.INDUSTRIES, data.industry, required=False)
    _code_error(errors, "area", _("Area"), vocab.AREAS, data.area, required=True)
    if _blank(data.branch_id):
        add(
            "branch_id",
            _("The branch is required; please choose the sub-branch that keeps this customer."),
        )
    if _blank(data.manager_id):
        add("manager_id", _("The account manager is required; please choose one."))
    if data.cooperation_start is not None and data.cooperation_start > today:
        add(
            "cooperation_start",
            _("The cooperation start date {date} is in the future.").format(
                date=data.cooperation_start.isoformat()
            ),
        )
    if data.registered_on is not None and data.registered_on > today:
        add(
            "registered_on",
            _("The registration date {date} is in the future.").format(
                date=data.registered_on.isoformat()
            ),
        )

    _list_errors(
        errors, "product_lines", _("Product lines"), vocab.PRODUCT_LINES, data.product_lines
    )
    _list_errors(
        errors, "express_kinds", _("Express kinds"), vocab.EXPRESS_KINDS, data.express_kinds
    )
    if data.express_kinds and "express" not in data.product_lines:
        add(
            "express_kinds",
            _(
                "Express kinds can only be chosen when “Express and logistics” is among the product lines."
            ),
        )
    _code_error(
        errors, "geo_scope", _("Geographic scope"), vocab.GEO_SCOPES, data.geo_scope, required=False
    )
    _code_error(
        errors, "settlement", _("Settlement"), vocab.SETTLEMENTS, data.settlement, required=False
    )
    if (
        data.contract_start is not None
        and data.contract_end is not None
        and data.contract_end < data.contract_start
    ):
        add(
            "contract_end",
            _("The contract ends ({end}) before it starts ({start}).").format(
                end=data.contract_end.isoformat(), start=data.contract_start.isoformat()
            ),
        )

    _code_error(
        errors,
        "credit_rating",
        _("Credit rating"),
        vocab.CREDIT_RATINGS,
        data.credit_rating,
        required=False,
    )
    if data.arrears is not None and data.arrears < 0:
        add("arrears", _("Arrears cannot be negative; enter 0 when nothing is owed."))

    _code_error(errors, "tier", _("Tier"), vocab.TIERS, data.tier, required=True)
    if data.visit_class_override is not None and (
        isinstance(data.visit_class_override, bool)
        or data.visit_class_override not in vocab.VISIT_CLASSES
    ):
        add(
            "visit_class_override",
            _("The visit class must be class 1, 2 or 3, or left to follow the tier."),
        )

    for index, contact in enumerate(data.contacts):
        errors.extend(_contact_errors(index, contact, today))
    return errors
