"""The recovery-key sheet: this PC's sealing key on one A4 page, to print and lock away.

With the key from the sheet, another PC verifies the audit log of a backup restored there
(``kac-desktop key import``).  Below services/: no database, no Qt.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from kac_desktop.i18n import _
from kac_desktop.rules.clock import LOCAL_TZ

from . import save_replacing, target_path


@dataclass(frozen=True)
class KeySheet:
    unit: str
    key_groups: list[str]  # the key in groups of four characters
    fingerprint: str  # to check the key typed in again
    made_at: datetime
    made_by: str
    database: str


def write_key_sheet(sheet: KeySheet, path: str | os.PathLike[str]) -> None:
    from reportlab.lib.colors import HexColor
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    from .pdf import draw_text, register_font

    register_font()
    path = target_path(path)

    def build(temporary) -> None:
        canvas = Canvas(str(temporary), pagesize=A4)
        canvas.setTitle(_("Recovery key"))
        width, height = A4
        x = 22 * mm
        y = height - 30 * mm
        canvas.setFillColor(HexColor("#0b6e4f"))
        draw_text(canvas, x, y, _("kac_desktop recovery key"), 20)
        canvas.setFillColor(HexColor("#000000"))
        y -= 12 * mm
        for label, value in (
            (_("Unit"), sheet.unit),
            (_("Database"), sheet.database),
            (_("Printed"), sheet.made_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")),
            (_("Printed by"), sheet.made_by),
        ):
            draw_text(canvas, x, y, f"{label}：{value}", 11)
            y -= 7 * mm
        y -= 6 * mm
        rows = [sheet.key_groups[i : i + 7] for i in range(0, len(sheet.key_groups), 7)]
        box_h = (len(rows) * 9 + 7) * mm  # every row inside the frame, however many
        canvas.setStrokeColor(HexColor("#0b6e4f"))
        canvas.setLineWidth(1.2)
        canvas.rect(x - 4 * mm, y - box_h + 8 * mm, width - 2 * x + 8 * mm, box_h)
        for row in rows:
            canvas.setFont("Courier-Bold", 17)
            canvas.drawString(x, y, "  ".join(row))
            y -= 9 * mm
        y -= 16 * mm
        draw_text(canvas, x, y, _("Check code: {code}").format(code=sheet.fingerprint), 12)
        y -= 14 * mm
        for line in (
            _("What this key is for:"),
            _("- It decrypts this PC's databases and their backups: without it a copy"),
            _("  cannot be opened anywhere, not even by an administrator."),
            _("- It seals the audit log and the user and settings records of this PC's"),
            _("  databases; without it another PC cannot verify them."),
            _("To recover on another PC:"),
            _("1. Install kac_desktop and run:  kac-desktop key import"),
            _("2. Type the key above (spaces do not matter); the check code must match."),
            _("3. Restore the backup (备份与恢复, or kac-desktop restore)."),
            _("Keep this sheet locked away like a safe's key: whoever has it and the"),
            _("database file can read every customer and rewrite the audit log."),
        ):
            draw_text(canvas, x, y, line, 11)
            y -= 7 * mm
        canvas.showPage()
        canvas.save()

    save_replacing(path, build)


__all__ = ["KeySheet", "write_key_sheet"]
