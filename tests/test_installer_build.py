"""The Linux package as a user gets it: built from this checkout with one command, installed
with dpkg, its installed program's self-check run headless, then removed — the user's data
folder left as it was.  Slow (the frozen build takes minutes): marked `slow`, and CI runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kac_desktop import __version__

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _can_install_packages() -> str | None:
    if shutil.which("dpkg-deb") is None or shutil.which("dpkg") is None:
        return "dpkg is not on this machine"
    if os.geteuid() != 0:
        return "installing a .deb needs root"
    return None


@pytest.fixture(scope="module")
def deb() -> Path:
    reason = _can_install_packages()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must build and install the .deb: {reason}")
        pytest.skip(reason)
    subprocess.run(
        [sys.executable, str(ROOT / "installer" / "build.py"), "deb"], check=True, timeout=2400
    )
    (package,) = (ROOT / "dist").glob(f"kac-desktop_{__version__}_*.deb")
    return package


def test_the_deb_installs_checks_itself_and_uninstalls_keeping_the_data(deb, tmp_path):
    info = subprocess.run(["dpkg-deb", "--info", str(deb)], capture_output=True, text=True)
    assert f"Version: {__version__}" in info.stdout and "libxcb-cursor0" in info.stdout
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "QT_QPA_PLATFORM": "offscreen",
        "LANG": "zh_CN.UTF-8",
    }
    subprocess.run(["dpkg", "-i", str(deb)], check=True, capture_output=True)
    try:
        assert Path("/usr/share/applications/kac-desktop.desktop").is_file()
        assert Path("/usr/share/icons/hicolor/256x256/apps/kac-desktop.png").is_file()
        version = subprocess.run(
            ["kac-desktop", "--version"], env=env, capture_output=True, text=True, check=True
        )
        assert version.stdout.strip() == f"kac-desktop {__version__}"
        check = subprocess.run(
            ["kac-desktop", "self-check"], env=env, capture_output=True, text=True, timeout=600
        )
        assert check.returncode == 0, check.stdout + check.stderr
        assert "/opt/kac-desktop/" in check.stdout  # the installed program, not this checkout
        demo = subprocess.run(
            ["kac-desktop", "demo", "--customers", "20"], env=env, capture_output=True, text=True
        )
        assert demo.returncode == 0, demo.stdout + demo.stderr
        data = home / ".local" / "share" / "kac_desktop" / "kac.db"
        assert data.is_file()
        before = data.stat().st_size
    finally:
        subprocess.run(["dpkg", "-r", "kac-desktop"], check=True, capture_output=True)
    assert not Path("/opt/kac-desktop").exists()
    assert not Path("/usr/bin/kac-desktop").exists()
    assert data.is_file() and data.stat().st_size == before
