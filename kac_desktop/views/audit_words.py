"""The audit record's details in sentences of the user's language (issue 20 item 11): the
services store the details as data (field names, codes such as ``in_progress``); the audit
page says them as 状态：由“已受理”改为“处理中”, never as internal English."""

from __future__ import annotations

from datetime import date, datetime

from kac_desktop.i18n import N_, _
from kac_desktop.io.customer_import import FIELDS as CUSTOMER_FIELDS
from kac_desktop.rules import vocab
from kac_desktop.rules.clock import LOCAL_TZ

SCOPES = {"city": N_("the whole city"), "branch": N_("one branch"), "manager": N_("one manager")}

# what the services write, by key: the words for it and the codes its values are
_KEYS: dict[str, tuple[str, dict | None]] = {
    "from": (N_("Status before"), vocab.REQUEST_STATUSES),
    "to": (N_("Status after"), vocab.REQUEST_STATUSES),
    "status": (N_("Status"), vocab.REQUEST_STATUSES),
    "type": (N_("Type"), vocab.REQUEST_TYPES),
    "channel": (N_("Channel"), vocab.REQUEST_CHANNELS),
    "scope": (N_("Scope"), SCOPES),
    "role": (N_("Role"), vocab.ROLES),
    "tier": (N_("Tier"), vocab.TIERS),
    "suggested": (N_("Suggested tier"), vocab.TIERS),
    "kind": (N_("Customer kind"), vocab.KINDS),
    "nature": (N_("Nature"), vocab.NATURES),
    "industry": (N_("Industry"), vocab.INDUSTRIES),
    "area": (N_("Area"), vocab.AREAS),
    "mode": (N_("Mode"), vocab.VISIT_MODES),
    "purpose": (N_("Purpose"), vocab.VISIT_PURPOSES),
    "product_lines": (N_("Product lines"), vocab.PRODUCT_LINES),
    "express_kinds": (N_("Express kinds"), vocab.EXPRESS_KINDS),
    "geo_scope": (N_("Geographic scope"), vocab.GEO_SCOPES),
    "settlement": (N_("Settlement"), vocab.SETTLEMENTS),
    "month": (N_("Month"), None),
    "months": (N_("Months"), None),
    "branch": (N_("Branch"), None),
    "branch_id": (N_("Branch"), None),
    "manager": (N_("Account manager"), None),
    "file": (N_("File"), None),
    "files": (N_("Files"), None),
    "sheet": (N_("Sheet"), None),
    "rows": (N_("Rows"), None),
    "count": (N_("Count"), None),
    "customers": (N_("Customers"), None),
    "imported": (N_("Imported"), None),
    "existing": (N_("Already on file"), None),
    "rejected_rows": (N_("Rows rejected"), None),
    "new": (N_("New"), None),
    "year": (N_("Year"), None),
    "points": (N_("Points"), None),
    "login": (N_("Login name"), None),
    "display_name": (N_("Display name"), None),
    "active": (N_("Active"), None),
    "temporary": (N_("A temporary password was given"), None),
    "reason": (N_("Reason"), None),
    "note": (N_("Note"), None),
    "satisfaction": (N_("Satisfaction"), None),
    "at": (N_("Time"), None),
    "received_at": (N_("Received at"), None),
    "deadline_at": (N_("Deadline"), None),
    "before": (N_("Before"), None),
    "after": (N_("After"), None),
    "added": (N_("Added"), None),
    "removed": (N_("Removed"), None),
    "size": (N_("Size (bytes)"), None),
    "backup": (N_("Backup"), None),
    "replaced": (N_("Replaced"), None),
    "key": (N_("Setting"), None),
    "lines": (N_("Product lines"), None),
    "fingerprint": (N_("Check code"), None),
    "check_code": (N_("Check code"), None),
    "contacts.added": (N_("Contacts added"), None),
    "contacts.removed": (N_("Contacts removed"), None),
    "contacts.changed": (N_("Contacts changed"), None),
    "registered_on": (N_("Registration date"), None),
    "visit_class_override": (N_("Visit class"), None),
    "seed": (N_("Seed"), None),
    "today": (N_("Date"), None),
    "visits": (N_("Visits"), None),
    "service_requests": (N_("Service requests"), None),
    "revenue_rows": (N_("Revenue rows"), None),
    "chain": (N_("Problems found"), None),
}
# keys whose value is a list of things, never a [before, after] pair
_LISTS = frozenset(
    {"files", "added", "removed", "months", "lines", "chain", "contacts.added", "contacts.removed"}
)
for _field in CUSTOMER_FIELDS:
    _KEYS.setdefault(_field.key, (_field.label, _field.vocabulary))


def label_of(key: str) -> str:
    known = _KEYS.get(key)
    return _(known[0]) if known else key


def value_text(key: str, value: object) -> str:
    """One value as the user reads it: codes as their labels, yes/no, dates, lists."""
    vocabulary = _KEYS.get(key, ("", None))[1]
    if value is None or value == "" or value == []:
        return _("(empty)")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return "、".join(value_text(key, v) for v in value)
    if isinstance(value, dict):
        return describe_details(value).rstrip("。")
    if vocabulary and value in vocabulary:
        return vocab.label(vocabulary, value)
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:  # a moment stored as ISO text (UTC): shown in Beijing time
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    return str(value)


def describe_details(details: object) -> str:
    """The details as sentences: a change as 名称：由“甲”改为“乙”, a status change as
    状态：由“已受理”改为“处理中”, anything else as 标签：值."""
    if details is None or details == {} or details == []:
        return ""
    if not isinstance(details, dict):
        return value_text("", details)
    parts: list[str] = []
    if "from" in details and "to" in details:
        parts.append(
            _("Status: from “{before}” to “{after}”").format(
                before=value_text("from", details["from"]), after=value_text("to", details["to"])
            )
        )
    for key, value in details.items():
        if key in ("from", "to") and "from" in details and "to" in details:
            continue
        if value is None or value == "" or value == []:
            continue
        if (
            isinstance(value, list)
            and len(value) == 2
            and key not in _LISTS
            and not isinstance(value[0], dict)
        ):
            parts.append(
                _("{field}: from “{before}” to “{after}”").format(
                    field=label_of(key),
                    before=value_text(key, value[0]),
                    after=value_text(key, value[1]),
                )
            )
        else:
            parts.append(
                _("{field}: {value}").format(field=label_of(key), value=value_text(key, value))
            )
    return "；".join(parts) + "。" if parts else ""
