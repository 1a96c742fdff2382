"""Qt's platform plugin on a PC without its system libraries: a Chinese message naming the
missing libraries and the apt-get command, a non-zero exit and no abort (Qt's own way is an
English message and SIGABRT, exit status 134)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kac_desktop import platform_libraries as pl

ROOT = Path(__file__).resolve().parent.parent
QT = pl.qt_dir()
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux plugins")
needs_ldd = pytest.mark.skipif(shutil.which("ldd") is None, reason="needs ldd")


@linux_only
@needs_ldd
@pytest.mark.parametrize("plugin", ["xcb", "offscreen", "wayland"])
def test_the_table_names_a_package_for_every_library_ldd_reports(plugin):
    path = QT / "plugins" / "platforms" / f"libq{plugin}.so"
    if not path.exists():
        pytest.skip(f"no {plugin} plugin in this PySide6")
    outside_qt = [lib for lib in pl.ldd(path) if not str(lib.path or "").startswith(str(QT))]
    assert outside_qt, "ldd reported nothing"
    # Qt's own libraries that ldd cannot find are no system package: on a healthy machine
    # every library resolves, and every one outside PySide6 is in the table
    unknown = sorted(lib.name for lib in outside_qt if lib.name not in pl.PACKAGES)
    assert unknown == []


@linux_only
@needs_ldd
def test_the_readme_and_ci_install_every_package_the_window_needs():
    packages = pl.requirement_packages(("xcb", "offscreen"))
    assert "libxcb-icccm4" in packages and "libxcb-keysyms1" in packages
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    listed_readme = set(re.findall(r"[\w.+-]+", readme[readme.index("sudo apt-get install") :]))
    listed_ci = set(re.search(r'QT_PACKAGES="([^"]*)"', ci).group(1).split())
    assert [p for p in packages if p not in listed_readme] == []
    assert [p for p in packages if p not in listed_ci] == []


def test_ldd_output_is_read_with_what_is_missing():
    text = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /opt/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f01)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f02)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f03)
"""
    libraries = pl.parse_ldd(text)
    assert [(lib.name, lib.path) for lib in libraries] == [
        ("libQt6XcbQpa.so.6", "/opt/PySide6/Qt/lib/libQt6XcbQpa.so.6"),
        ("libxcb-icccm.so.4", None),
        ("libxcb-keysyms.so.1", None),
        ("libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"),
    ]


def test_the_message_names_the_libraries_and_the_one_command():
    problem = pl.PlatformProblem(
        "xcb", missing=["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-foo.so.7"]
    )
    message = problem.message()
    assert "libxcb-icccm.so.4" in message and "libxcb-keysyms.so.1" in message
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in message
    assert "apt-file search" in message  # the one the table does not know
    assert "无法" in message  # in Chinese


@pytest.mark.parametrize(
    ("env", "candidates"),
    [
        ({}, ["xcb"]),
        ({"QT_QPA_PLATFORM": "offscreen"}, ["offscreen"]),
        ({"QT_QPA_PLATFORM": "wayland;xcb"}, ["wayland", "xcb"]),
        ({"QT_QPA_PLATFORM": "xcb:nograb"}, ["xcb"]),
        ({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, ["wayland", "xcb"]),
    ],
)
def test_the_plugins_qt_tries(env, candidates):
    assert pl.platform_candidates(env) == candidates


def _start(env_extra: dict[str, str], wrapper: list[str] | None = None, tmp_path=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QT_")}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.update(env_extra)
    env["KAC_DATA_DIR"] = str(tmp_path / "userdata")
    command = [*(wrapper or []), sys.executable, "-m", "kac_desktop"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


@linux_only
def test_no_display_is_said_in_chinese_instead_of_an_abort(tmp_path):
    result = _start({"QT_QPA_PLATFORM": "xcb"}, tmp_path=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "DISPLAY" in result.stderr and "无法" in result.stderr
    assert not (tmp_path / "userdata").exists()  # nothing was made


HIDE = """\
set -e
D=$(mktemp -d)
mount -t tmpfs tmpfs "$D" && mkdir "$D/u" "$D/w"
L=$(dirname "$(readlink -f "$(ldconfig -p | awk '/libxcb-icccm.so.4 /{print $NF; exit}')")")
mount -t overlay overlay -o "lowerdir=$L,upperdir=$D/u,workdir=$D/w" "$L"
rm -f "$L"/libxcb-icccm.so.4* "$L"/libxcb-keysyms.so.1*
exec "$@"
"""


def _can_hide_libraries() -> bool:
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    if shutil.which("ldconfig") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", HIDE, "hide", "true"], capture_output=True, timeout=30
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _can_hide_libraries(), reason="needs root and overlayfs to hide libs")
def test_missing_xcb_libraries_on_a_bare_pc(tmp_path):
    """A bare PC, made by hiding libxcb-icccm4's and libxcb-keysyms1's files in a private
    mount namespace (the machine itself is not touched)."""
    result = _start(
        {"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":0"},
        wrapper=["unshare", "-m", "sh", "-c", HIDE, "hide"],
        tmp_path=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    assert "Aborted" not in result.stderr
    assert "libxcb-icccm.so.4" in result.stderr and "libxcb-keysyms.so.1" in result.stderr
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in result.stderr
    assert "缺少" in result.stderr
    assert not (tmp_path / "userdata").exists()
