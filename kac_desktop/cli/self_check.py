"""``kac-desktop self-check``: what support asks a user to run when the program misbehaves.

It proves that this installation works end to end, in a throw-away folder that it removes
afterwards (the user's own database is never opened): its files are there, a new database is
made and migrated, a small demonstration office is built, a user signs in and a wrong password is
refused, the monthly report is written as a workbook and a PDF, the workbook reopens, the PDF
embeds its fonts, and Qt draws Chinese text off screen.  One line a step; exit status 0 only if
every step passed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kac_desktop import __version__
from kac_desktop.i18n import N_, _

DEMO_CUSTOMERS = 40


def register(sub) -> list[str]:
    check = sub.add_parser(
        "self-check",
        help=_("check that this installation works (a temporary database; yours is not touched)"),
    )
    check.add_argument(
        "--keep", action="store_true", help=_("keep the temporary folder to look at its files")
    )
    return ["self-check"]


@dataclass
class _State:
    folder: Path
    db: Any = None
    actor: Any = None
    month: str = ""
    files: dict[str, Path] = field(default_factory=dict)


def _resources(state: _State) -> str:
    from kac_desktop.resource_files import ICON_SIZES, font_path, icon_png, resource

    missing = [
        str(p)
        for p in (font_path(), resource("icons", "kac-desktop.svg"), *map(icon_png, ICON_SIZES))
        if not p.is_file()
    ]
    if missing:
        raise RuntimeError(_("missing files: {files}").format(files=", ".join(missing)))
    return _("version {version}, resources in {folder}").format(
        version=__version__, folder=font_path().parent.parent
    )


def _database(state: _State) -> str:
    from kac_desktop.services.database import open_database, schema_revisions

    state.db = open_database(state.folder / "self-check.db")
    current, head = schema_revisions(state.db)
    if current != head:
        raise RuntimeError(
            _("the schema is at {current}, not at {head}").format(current=current, head=head)
        )
    from kac_desktop.services import keys

    if keys.encryption_state(state.db) != "encrypted":
        raise RuntimeError(_("the database was made unencrypted: this build has no SQLCipher"))
    return _("schema {revision}, encrypted").format(revision=current)


def _demo(state: _State) -> str:
    from kac_desktop.demo.build import build_demo
    from kac_desktop.demo.volumes import Volumes

    summary = build_demo(
        state.db,
        DEMO_CUSTOMERS,
        seed=7,
        workers=1,
        volumes=Volumes(
            visits=300, revenue_rows=1200, requests=60, visit_months=3, request_months=3
        ),
    )
    return _("{customers} customers, {users} users").format(
        customers=summary.customers, users=summary.users
    )


def _sign_in(state: _State) -> str:
    from kac_desktop.demo.build import DEMO_PASSWORD
    from kac_desktop.services import auth

    try:
        auth.sign_in(state.db, "admin", DEMO_PASSWORD + "-wrong")
    except auth.SignInFailed:
        pass
    else:
        raise RuntimeError(_("a wrong password was accepted"))
    state.actor = auth.sign_in(state.db, "admin", DEMO_PASSWORD)
    return _("signed in as {login}; a wrong password was refused").format(login=state.actor.login)


def _report(state: _State) -> str:
    from kac_desktop.rules.clock import business_today
    from kac_desktop.services import monthly_report

    today = business_today()
    previous = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    state.month = f"{previous.year}-{previous.month:02d}"
    state.files = {
        "xlsx": state.folder / "report.xlsx",
        "pdf": state.folder / "report.pdf",
    }
    monthly_report.make_files(
        state.db, state.actor, state.month, xlsx=state.files["xlsx"], pdf=state.files["pdf"]
    )
    sizes = ", ".join(f"{p.name} {p.stat().st_size // 1024} KB" for p in state.files.values())
    return _("monthly report {month}: {files}").format(month=state.month, files=sizes)


def _workbook(state: _State) -> str:
    from openpyxl import load_workbook

    book = load_workbook(state.files["xlsx"], read_only=True)
    try:
        sheets = book.sheetnames
        rows = sum(1 for _row in book[sheets[0]].iter_rows())
    finally:
        book.close()
    if not sheets or rows < 2:
        raise RuntimeError(_("the workbook has no content"))
    return _("{sheets} sheets reopened").format(sheets=len(sheets))


def _pdf_fonts(state: _State) -> str:
    from pypdf import PdfReader

    reader = PdfReader(state.files["pdf"])
    seen: dict[str, bool] = {}
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            font = ref.get_object()
            name = str(font.get("/BaseFont", "?"))
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            seen[name] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    not_embedded = sorted(name for name, embedded in seen.items() if not embedded)
    if not seen or not_embedded:
        raise RuntimeError(
            _("fonts not embedded: {fonts}").format(fonts=", ".join(not_embedded) or "–")
        )
    return _("{pages} pages, {fonts} fonts, all embedded").format(
        pages=len(reader.pages), fonts=len(seen)
    )


def _qt(state: _State) -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QColor, QFont, QFontDatabase, QImage, QPainter
    from PySide6.QtWidgets import QApplication

    from kac_desktop.resource_files import font_path

    app = QApplication.instance() or QApplication(["kac-desktop-self-check"])
    font_id = QFontDatabase.addApplicationFont(str(font_path()))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        raise RuntimeError(_("Qt could not load the bundled font"))
    image = QImage(160, 40, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setFont(QFont(families[0], 20))
    painter.drawText(4, 30, "大客户管理")
    painter.end()
    dark = sum(
        1
        for x in range(0, 160, 2)
        for y in range(0, 40, 2)
        if QColor(image.pixel(x, y)).value() < 128
    )
    if dark < 20:
        raise RuntimeError(_("Qt drew no Chinese text"))
    return _("platform {platform}, font {family}").format(
        platform=app.platformName(), family=families[0]
    )


# (title, step, whether it needs the steps before it to have passed)
STEPS: tuple[tuple[str, Callable[[_State], str], bool], ...] = (
    (N_("Files of the program"), _resources, False),
    (N_("New database, migrated"), _database, True),
    (N_("Demonstration data"), _demo, True),
    (N_("Sign-in"), _sign_in, True),
    (N_("Monthly report (Excel and PDF)"), _report, True),
    (N_("The workbook reopens"), _workbook, True),
    (N_("The PDF embeds its fonts"), _pdf_fonts, True),
    (N_("Qt draws Chinese"), _qt, False),
)


def run(args: argparse.Namespace) -> int:
    folder = Path(tempfile.mkdtemp(prefix="kac-self-check-"))
    state = _State(folder=folder)
    failed = 0
    print(
        _("kac_desktop {version} self-check in {folder}").format(version=__version__, folder=folder)
    )
    try:
        for title, step, chained in STEPS:
            started = time.perf_counter()
            if failed and chained:
                print(f"  -    {_(title)}: " + _("skipped"))
                continue
            try:
                detail = step(state)
            except Exception as exc:  # noqa: BLE001 - a self-check reports every failure
                failed += 1
                message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
                print(f"  FAIL {_(title)}: {message}")
                if os.environ.get("KAC_SELF_CHECK_TRACE"):
                    traceback.print_exc()
                continue
            print(f"  OK   {_(title)}: {detail} ({time.perf_counter() - started:.1f} s)")
    finally:
        if state.db is not None:
            state.db.dispose()
        if getattr(args, "keep", False):
            print(_("The files are kept in {folder}.").format(folder=folder))
        else:
            shutil.rmtree(folder, ignore_errors=True)
    if failed:
        print(_("Self-check FAILED: {count} step(s) did not pass.").format(count=failed))
        return 1
    print(_("Self-check OK: every step passed."))
    return 0
