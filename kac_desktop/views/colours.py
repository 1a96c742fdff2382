"""The light or the dark scheme (rules/colours.py) for the palette in use.

The application follows the system: when Qt reports a dark colour scheme
(QStyleHints.colorScheme) but the style still paints a light palette (Fusion on a desktop
without a platform theme), the dark palette of rules/colours.py is set, so that every widget
and every colour the application draws itself belong to the same scheme.  Widgets that colour
text themselves ask ``current_colours()`` when they paint, and restyle on a palette change.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from kac_desktop.rules import colours as rules
from kac_desktop.rules.colours import Scheme


def current_colours(palette: QPalette | None = None) -> Scheme:
    """The scheme of ``palette`` (default: the application's): dark when its text is
    lighter than its window."""
    if palette is None:
        app = QGuiApplication.instance()
        if app is None:
            return rules.LIGHT
        palette = QGuiApplication.palette()
    window = palette.color(QPalette.ColorRole.Window).name()
    text = palette.color(QPalette.ColorRole.WindowText).name()
    return rules.DARK if rules.is_dark(window, text) else rules.LIGHT


def palette_for(scheme: Scheme) -> QPalette:
    """A whole palette in ``scheme``'s colours (for a style that does not follow the
    system's dark scheme itself)."""
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: scheme.window,
        QPalette.ColorRole.WindowText: scheme.text,
        QPalette.ColorRole.Base: scheme.base,
        QPalette.ColorRole.AlternateBase: scheme.alternate,
        QPalette.ColorRole.Text: scheme.text,
        QPalette.ColorRole.Button: scheme.window,
        QPalette.ColorRole.ButtonText: scheme.text,
        QPalette.ColorRole.ToolTipBase: scheme.base,
        QPalette.ColorRole.ToolTipText: scheme.text,
        QPalette.ColorRole.PlaceholderText: scheme.muted,
        QPalette.ColorRole.Highlight: scheme.highlight,
        QPalette.ColorRole.HighlightedText: scheme.highlighted_text,
        QPalette.ColorRole.Link: scheme.link,
        QPalette.ColorRole.BrightText: scheme.danger,
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(scheme.muted))
    return palette


def apply_scheme(app: QGuiApplication, wanted: Qt.ColorScheme) -> Scheme:
    """Make the palette follow ``wanted`` (the system's scheme) when the style does not:
    the scheme's own palette when the one shown is the other scheme.  Unknown: as it is."""
    shown = current_colours()
    if wanted == Qt.ColorScheme.Dark and shown.name != "dark":
        app.setPalette(palette_for(rules.DARK))
    elif wanted == Qt.ColorScheme.Light and shown.name != "light":
        app.setPalette(palette_for(rules.LIGHT))
    return current_colours()


def follow_system_scheme(app: QGuiApplication) -> Scheme:
    """Apply the system's scheme now and whenever it changes; the scheme in use."""
    hints = app.styleHints()
    hints.colorSchemeChanged.connect(lambda scheme: apply_scheme(app, scheme))
    return apply_scheme(app, hints.colorScheme())


def error_style(selector: str = "") -> str:
    """The style sheet of a field with a wrong value."""
    c = current_colours()
    body = (
        f"border: 1px solid {c.error_border}; background: {c.error_background}; "
        f"color: {c.error_text};"
    )
    return f"{selector} {{ {body} }}" if selector else body


def text_style(colour: str, bold: bool = False) -> str:
    return f"QLabel {{ color: {colour};{' font-weight: bold;' if bold else ''} }}"
