"""Render resources/icons/kac-desktop.svg into the PNG sizes the Linux menus want and the .ico
Windows wants, with Qt's own SVG renderer and ICO writer and the .ico with Pillow.

    python installer/make_icons.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841
    renderer = QSvgRenderer(str(ICONS / "kac-desktop.svg"))
    if not renderer.isValid():
        print("the SVG does not render", file=sys.stderr)
        return 1
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        image.save(str(ICONS / f"kac-desktop-{size}.png"))
    # Windows wants one .ico holding several sizes; Pillow (which ReportLab already brings)
    # writes that, Qt's ICO writer only one image.
    from PIL import Image

    Image.open(ICONS / "kac-desktop-256.png").save(
        ICONS / "kac-desktop.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)]
    )
    print("icons written to", ICONS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
