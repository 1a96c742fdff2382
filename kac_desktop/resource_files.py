"""Where the application's own files are (resources/ of the repository: icons, the font, the
desktop entry), in each way the program can be running:

- a frozen build (PyInstaller): inside the bundle, ``kac_desktop/resources`` under
  ``sys._MEIPASS``, where installer/kac-desktop.spec puts them;
- an installed wheel or an editable install: the package ``kac_desktop.resources``, which
  setup.py maps onto the repository's resources/ folder;
- a plain source checkout on ``sys.path`` with nothing installed: resources/ beside the package.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

FONT_FILE = ("fonts", "DroidSansFallbackFull.ttf")
ICON_SVG = ("icons", "kac-desktop.svg")
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


def _candidates() -> list[Path]:
    found: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        found.append(Path(bundle) / "kac_desktop" / "resources")
    try:
        from importlib.resources import files

        root = files("kac_desktop.resources")
        found.append(Path(str(root)))
    except (ModuleNotFoundError, TypeError):
        pass
    found.append(Path(__file__).resolve().parent.parent / "resources")
    return found


@cache
def resources_dir() -> Path:
    """The folder that holds fonts/ and icons/; raises FileNotFoundError naming the places
    looked in when none has them (a broken installation)."""
    places = _candidates()
    for place in places:
        if (place.joinpath(*FONT_FILE)).is_file():
            return place
    raise FileNotFoundError(
        "the application's resources are missing; looked in: " + ", ".join(map(str, places))
    )


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def font_path() -> Path:
    return resource(*FONT_FILE)


def icon_png(size: int) -> Path:
    return resource("icons", f"kac-desktop-{size}.png")
