"""The domain's closed vocabularies: stored codes (English) and their labels.

Codes are what the database keeps; labels are marked for translation and shown through
``label()``.  Order matters: it is the order offered in combo boxes and filters.
"""

from __future__ import annotations

from kac_desktop.i18n import N_, _, gettext_in

TIERS: dict[str, str] = {
    "diamond": N_("Diamond"),
    "platinum": N_("Platinum"),
    "gold": N_("Gold"),
    "vip": N_("VIP"),
    "ordinary": N_("Ordinary"),
}

KINDS: dict[str, str] = {
    "key": N_("Key customer"),
    "important": N_("Important customer"),
    "potential": N_("Potential customer"),
}

NATURES: dict[str, str] = {
    "enterprise": N_("Enterprise"),
    "individual": N_("Individual"),
    "government": N_("Government"),
}

INDUSTRIES: dict[str, str] = {
    "finance": N_("Finance"),
    "retail": N_("Wholesale and retail"),
    "education": N_("Education"),
    "real_estate": N_("Real estate"),
    "manufacturing": N_("Manufacturing"),
    "government": N_("Party and government organs"),
    "ecommerce": N_("E-commerce"),
    "logistics": N_("Logistics"),
    "medical": N_("Medical"),
    "other": N_("Other"),
}

AREAS: dict[str, str] = {
    "city": N_("City"),
    "rural": N_("Rural"),
}

VISIT_CLASSES: dict[int, str] = {
    1: N_("Class 1"),
    2: N_("Class 2"),
    3: N_("Class 3"),
}

PRODUCT_LINES: dict[str, str] = {
    "letters": N_("Letters"),
    "express": N_("Express and logistics"),
    "newspapers": N_("Newspapers and periodicals"),
    "philately": N_("Philately"),
    "finance": N_("Finance"),
    "agency": N_("Agency"),
    "ecommerce": N_("E-commerce"),
}

EXPRESS_KINDS: dict[str, str] = {
    "domestic": N_("Domestic inter-city"),
    "same_city": N_("Same city"),
    "international": N_("International"),
    "ceremonial": N_("Ceremonial"),
    "integrated": N_("Integrated logistics"),
    "freight": N_("China Post freight"),
    "forwarding": N_("International forwarding"),
}

GEO_SCOPES: dict[str, str] = {
    "province": N_("Province-wide"),
    "regional": N_("Regional"),
}

SETTLEMENTS: dict[str, str] = {
    "account": N_("On account"),
    "cash": N_("Cash"),
}

CREDIT_RATINGS: dict[str, str] = {
    "AAA": "AAA",
    "AA": "AA",
    "A": "A",
    "B": "B",
    "C": "C",
}

CONTACT_ROLES: dict[str, str] = {
    "contact": N_("Contact"),
    "key_person": N_("Key person"),
    "leader": N_("Leader"),
}

ROLES: dict[str, str] = {
    "manager": N_("Account manager"),
    "supervisor": N_("Branch supervisor"),
    "admin": N_("City-center administrator"),
}

BRANCH_LEVELS: dict[str, str] = {
    "city": N_("City center"),
    "county": N_("County branch"),
    "sub": N_("Sub-branch"),
}

VISIT_MODES: dict[str, str] = {
    "onsite": N_("On-site visit"),
    "phone": N_("Phone call"),
    "meeting": N_("Customer meeting"),
    "event": N_("Event"),
}

VISIT_PURPOSES: dict[str, str] = {
    "keep": N_("Maintenance"),
    "develop": N_("Development"),
    "follow_up": N_("Follow-up"),
    "survey": N_("Satisfaction survey"),
    "complaint": N_("Complaint handling"),
}

REQUEST_TYPES: dict[str, str] = {
    "pickup": N_("Pickup on call"),
    "consultation": N_("Consultation"),
    "complaint": N_("Complaint"),
    "claim": N_("Query or claim"),
    "solution": N_("Customised solution"),
    "other": N_("Other"),
}

REQUEST_CHANNELS: dict[str, str] = {
    "phone": N_("Phone"),
    "visit": N_("Visit"),
    "counter": N_("Counter"),
    "letter": N_("Letter"),
}

REQUEST_STATUSES: dict[str, str] = {
    "received": N_("Received"),
    "in_progress": N_("In progress"),
    "resolved": N_("Resolved"),
    "called_back": N_("Called back"),
    "closed": N_("Closed"),
}


def label(vocabulary: dict, code: object) -> str:
    """The translated label of ``code``; an unknown or empty code shows as empty text."""
    if code is None or code == "":
        return ""
    text = vocabulary.get(code)
    return _(text) if text is not None else str(code)


def code_for_label(vocabulary: dict, text: str) -> object | None:
    """Find the code whose code, English label or translated label equals ``text``."""
    wanted = text.strip().lower()
    if not wanted:
        return None
    for code, english in vocabulary.items():
        names = (str(code).lower(), english.lower(), gettext_in("zh_CN", english).lower())
        if wanted in names:
            return code
    return None
