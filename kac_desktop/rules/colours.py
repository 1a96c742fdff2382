"""The colours of the interface in the light and the dark scheme, chosen so that every text
keeps WCAG AA contrast (at least 4.5:1) on the background it is drawn on.  Colour never
carries meaning alone: the state's words or symbol are always beside it.

``text_pairs`` lists every (text, background) pair the interface draws;
tests/rules/test_colours.py computes the contrast ratio of each, in both schemes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

AA_TEXT = 4.5  # WCAG 2 level AA for normal text


@dataclass(frozen=True)
class Scheme:
    name: str  # "light" | "dark"
    window: str  # dialogs and pages
    base: str  # tables and fields
    alternate: str  # every other row of a table
    text: str
    muted: str  # done requests, archived customers, disabled users
    accent: str  # headings, "saved", an intact audit chain
    danger: str  # overdue counts, errors, behind the quota
    warning: str  # missing fields, planned visits, a revenue drop
    link: str
    nav_background: str
    nav_text: str
    nav_hover: str
    nav_selected_background: str
    nav_selected_text: str
    error_background: str  # a field with a wrong value
    error_text: str
    error_border: str
    banner_background: str  # the overdue notice
    banner_text: str
    highlight: str  # the selected row
    highlighted_text: str
    tiers: dict[str, str] = field(default_factory=dict)  # tier → text colour on base
    service: dict[str, tuple[str, str]] = field(default_factory=dict)  # state → (text, bg)
    quota: dict[str, str] = field(default_factory=dict)  # state → text colour on base
    quota_backgrounds: dict[str, str] = field(default_factory=dict)  # state → row background


LIGHT = Scheme(
    name="light",
    window="#f5f6f7",
    base="#ffffff",
    alternate="#f3f5f8",
    text="#1f1f1f",
    muted="#5f5f5f",
    accent="#0b6e4f",
    danger="#c62828",
    warning="#8a5300",
    link="#0b57d0",
    nav_background="#f3f5f8",
    nav_text="#1f1f1f",
    nav_hover="#e1e6ec",
    nav_selected_background="#0b6e4f",
    nav_selected_text="#ffffff",
    error_background="#fdecea",
    error_text="#1f1f1f",
    error_border="#c0392b",
    banner_background="#8b0000",
    banner_text="#ffffff",
    highlight="#0b6e4f",
    highlighted_text="#ffffff",
    tiers={"diamond": "#5b3fb5", "platinum": "#2f6580", "gold": "#7f5a00", "vip": "#b0413e"},
    service={
        "on_track": ("#1b5e20", "#e3f4e4"),
        "attention": ("#7a4a00", "#fff1cc"),
        "urgent": ("#b71c1c", "#fde0dc"),
        "overdue": ("#ffffff", "#8b0000"),
        "done_on_time": ("#5f5f5f", "#f0f0f0"),
        "done_late": ("#5f5f5f", "#f0f0f0"),
    },
    quota={"met": "#2e7d32", "on_track": "#1565c0", "behind": "#c62828"},
    quota_backgrounds={"met": "#e8f5e9", "on_track": "#e3f2fd", "behind": "#ffebee"},
)

DARK = Scheme(
    name="dark",
    window="#2b2d30",
    base="#1e1f22",
    alternate="#26282b",
    text="#e8e8e8",
    muted="#a8a8a8",
    accent="#6fd3a8",
    danger="#ff8a80",
    warning="#ffb74d",
    link="#8ab4f8",
    nav_background="#25272b",
    nav_text="#e8e8e8",
    nav_hover="#34373c",
    nav_selected_background="#0b6e4f",
    nav_selected_text="#ffffff",
    error_background="#4a1c1c",
    error_text="#f5f5f5",
    error_border="#ff8a80",
    banner_background="#8b0000",
    banner_text="#ffffff",
    highlight="#0b6e4f",
    highlighted_text="#ffffff",
    tiers={"diamond": "#c5b3f5", "platinum": "#8fd0ec", "gold": "#f2c94c", "vip": "#ff9e9b"},
    service={
        "on_track": ("#a5d6a7", "#1b3320"),
        "attention": ("#ffe082", "#3a2e0a"),
        "urgent": ("#ffab91", "#4a1c14"),
        "overdue": ("#ffffff", "#8b0000"),
        "done_on_time": ("#b8b8b8", "#2a2b2e"),
        "done_late": ("#b8b8b8", "#2a2b2e"),
    },
    quota={"met": "#81c784", "on_track": "#90caf9", "behind": "#ff8a80"},
    quota_backgrounds={"met": "#1b3320", "on_track": "#13293d", "behind": "#3d1a1a"},
)

SCHEMES = {"light": LIGHT, "dark": DARK}


def scheme(name: str) -> Scheme:
    return SCHEMES.get(name, LIGHT)


def text_pairs(s: Scheme) -> list[tuple[str, str, str]]:
    """(what, text colour, background) for every text the interface draws in colour."""
    pairs = [
        ("text on window", s.text, s.window),
        ("text on base", s.text, s.base),
        ("text on alternate rows", s.text, s.alternate),
        ("navigation", s.nav_text, s.nav_background),
        ("navigation, hovered", s.nav_text, s.nav_hover),
        ("navigation, selected", s.nav_selected_text, s.nav_selected_background),
        ("selected row", s.highlighted_text, s.highlight),
        ("wrong field", s.error_text, s.error_background),
        ("overdue notice", s.banner_text, s.banner_background),
    ]
    for background_name, background in (("base", s.base), ("window", s.window)):
        for what, colour in (
            ("muted", s.muted),
            ("accent", s.accent),
            ("danger", s.danger),
            ("warning", s.warning),
            ("link", s.link),
        ):
            pairs.append((f"{what} on {background_name}", colour, background))
    for tier, colour in s.tiers.items():
        pairs.append((f"tier {tier}", colour, s.base))
        pairs.append((f"tier {tier}, alternate row", colour, s.alternate))
    for state, (fg, bg) in s.service.items():
        pairs.append((f"service state {state}", fg, bg))
    for state, colour in s.quota.items():
        pairs.append((f"quota {state} on base", colour, s.base))
        pairs.append((f"quota {state} on window", colour, s.window))
        pairs.append((f"quota {state} on its row", colour, s.quota_backgrounds[state]))
        pairs.append((f"text on quota {state} row", s.text, s.quota_backgrounds[state]))
    return pairs


# ---------------------------------------------------------------- WCAG 2 contrast


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2's relative luminance of ``#rrggbb``."""
    text = colour.lstrip("#")
    if len(text) == 3:
        text = "".join(ch * 2 for ch in text)
    r, g, b = (int(text[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """(L1 + 0.05) / (L2 + 0.05), the lighter over the darker: 1 to 21."""
    a, b = relative_luminance(first), relative_luminance(second)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)


def is_dark(window: str, text: str) -> bool:
    """Whether a palette with this window and text colour is a dark scheme."""
    return relative_luminance(window) < relative_luminance(text)
