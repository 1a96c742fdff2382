"""A crash to avoid: PySide6 6.12.0 on Python 3.11 aborts the interpreter
("Fatal Python error: none_dealloc") after a few thousand calls of Qt methods that return
nothing — 100,000 QStandardItemModel.appendRow calls die before 10,000.  Keep the dependency
below 6.12 and keep a test that makes ~100,000 such calls."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import PySide6
import pytest

ROOT = Path(__file__).resolve().parents[2]
CALLS = 100_000

SCRIPT = textwrap.dedent(f"""
    import sys
    from PySide6.QtCore import QObject, QTimer
    from PySide6.QtGui import QGuiApplication, QStandardItem, QStandardItemModel

    app = QGuiApplication(sys.argv[:1])
    model = QStandardItemModel()
    for i in range({CALLS}):
        model.appendRow(QStandardItem(str(i)))          # void, the call that crashed
        if i % 25 == 0:                                  # a few thousand other void calls
            item = model.item(i)
            item.setText("row " + str(i))
            item.setToolTip("tip")
            item.setEditable(False)
            item.setData(i, 257)
            model.setSortRole(257)
    holder = QObject()
    for i in range(2000):
        holder.setObjectName("o" + str(i))
        timer = QTimer()
        timer.setInterval(i)
        timer.stop()
    print("rows", model.rowCount(), flush=True)
""")


def test_installed_pyside6_is_not_the_crashing_release():
    """The installed PySide6 is below 6.12 (6.12.0 aborts on Python 3.11, see above)."""
    version = tuple(int(part) for part in PySide6.__version_info__[:3])
    assert version < (6, 12), f"PySide6 {PySide6.__version__} — run this module's crash test before upgrading"


def test_the_declared_dependency_excludes_6_12():
    """pyproject.toml keeps the pin that keeps 6.12.0 out of a fresh installation."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = [d for d in project["dependencies"] if re.match(r"PySide6(-Essentials)?\b", d)]
    assert pins, "PySide6 is a dependency"
    for pin in pins:
        assert re.search(r"<\s*6\.12(\.0)?(?![.\d])", pin) or "!=6.12.0" in pin.replace(" ", ""), (
            pin
        )


@pytest.mark.slow
def test_a_hundred_thousand_void_calls_do_not_abort_the_interpreter(tmp_path):
    """~100,000 appendRow calls plus a few thousand other void calls, in a child process so
    that an abort shows as a failed exit code instead of killing the test run."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"rows {CALLS}" in result.stdout
    assert "none_dealloc" not in result.stderr
