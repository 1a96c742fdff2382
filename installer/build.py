"""Build what users install, from a checkout with the developer install (`pip install -e .`).

    python installer/build.py            # the frozen one-folder bundle: dist/kac-desktop/
    python installer/build.py deb        # the bundle, then dist/kac-desktop_VERSION_ARCH.deb
    python installer/build.py windows    # on Windows: the bundle, then the Inno/NSIS installer

The bundle is made by PyInstaller from installer/kac-desktop.spec (PyInstaller is installed
into the running environment when it is missing).  The version in every file name comes from
kac_desktop/__init__.py, the one place it is written.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
BUNDLE = DIST / "kac-desktop"
PYINSTALLER = "pyinstaller>=6.10,<7"
# Qt's xcb platform plugin and the libraries a bare Debian-based desktop may lack; the
# bundle carries Qt itself, these come from the system
DEB_DEPENDS = (
    "libc6",
    "libegl1",
    "libgl1",
    "libfontconfig1",
    "libfreetype6",
    "libdbus-1-3",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libxcb1",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-xfixes0",
    "libxcb-xinerama0",
    "libxcb-xkb1",
    "libx11-xcb1",
)


def version() -> str:
    for line in (ROOT / "kac_desktop" / "__init__.py").read_text(encoding="utf-8").splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise SystemExit("no __version__ in kac_desktop/__init__.py")


def _say(message: str) -> None:
    print(f"[build] {message}", flush=True)


def build_bundle() -> Path:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        _say(f"installing {PYINSTALLER}")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", PYINSTALLER], check=True)
    started = time.perf_counter()
    shutil.rmtree(BUNDLE, ignore_errors=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            str(DIST),
            "--workpath",
            str(ROOT / "build" / "pyinstaller"),
            str(ROOT / "installer" / "kac-desktop.spec"),
        ],
        check=True,
        cwd=ROOT,
    )
    size = _size(BUNDLE)
    _say(f"bundle {BUNDLE} ({size / 2**20:.0f} MB) in {time.perf_counter() - started:.0f} s")
    return BUNDLE


def _size(folder: Path) -> int:
    """Bytes in ``folder``, each file once (the bundle links some libraries)."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _deb_arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine
    )


# the menu picks the entry up at once where the desktop has the tool (not every one does)
_MENU_REFRESH = (
    "if command -v update-desktop-database >/dev/null 2>&1; then\n"
    "  update-desktop-database -q /usr/share/applications || true\nfi\n"
)


def build_deb(bundle: Path) -> Path:
    """A .deb for Debian-based desktops (统信UOS, 麒麟, Debian, Ubuntu): the bundle under
    /opt/kac-desktop, `kac-desktop` on the PATH, the menu entry and the icons.  The data lives in
    each user's own folder (~/.local/share/kac_desktop), which dpkg never installs or removes,
    so uninstalling and upgrading keep it."""
    if shutil.which("dpkg-deb") is None:
        raise SystemExit("dpkg-deb is needed to build the .deb (Debian's dpkg package)")
    ver, arch = version(), _deb_arch()
    root = ROOT / "build" / "deb" / f"kac-desktop_{ver}_{arch}"
    shutil.rmtree(root, ignore_errors=True)
    opt = root / "opt" / "kac-desktop"
    shutil.copytree(bundle, opt, symlinks=True)
    bin_dir = root / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    launcher = bin_dir / "kac-desktop"
    # the window when started from the menu; a command (self-check, report …) with a console
    launcher.write_text(
        "#!/bin/sh\n"
        'if [ "$#" -eq 0 ] || [ "$1" = gui ]; then exec /opt/kac-desktop/kac-desktop "$@"; fi\n'
        'exec /opt/kac-desktop/kac-desktop-cli "$@"\n',
        encoding="utf-8",
    )
    launcher.chmod(0o755)
    resources = ROOT / "resources"
    apps = root / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    shutil.copy(resources / "linux" / "kac-desktop.desktop", apps / "kac-desktop.desktop")
    for png in sorted((resources / "icons").glob("kac-desktop-*.png")):
        size = png.stem.rsplit("-", 1)[1]
        target = root / "usr" / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(png, target / "kac-desktop.png")
    scalable = root / "usr" / "share" / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copy(resources / "icons" / "kac-desktop.svg", scalable / "kac-desktop.svg")
    doc = root / "usr" / "share" / "doc" / "kac-desktop"
    doc.mkdir(parents=True)
    shutil.copy(resources / "fonts" / "DroidSansFallback-LICENSE.txt", doc / "copyright")
    installed_kb = _size(root) // 1024
    debian = root / "DEBIAN"
    debian.mkdir()
    (debian / "control").write_text(
        "\n".join(
            [
                "Package: kac-desktop",
                f"Version: {ver}",
                "Section: office",
                "Priority: optional",
                f"Architecture: {arch}",
                "Maintainer: kac_desktop <kac-desktop@localhost>",
                f"Installed-Size: {installed_kb}",
                "Depends: " + ", ".join(DEB_DEPENDS),
                "Description: 大客户管理 — key-account management for postal branch offices",
                " Customer files, visits against the monthly quota, time-limited service",
                " requests, revenue and points, and the monthly report for the city center.",
                "",
            ]
        ),
        encoding="utf-8",
    )
    for name, body in (
        (
            "postinst",
            _MENU_REFRESH + "gtk-update-icon-cache -q /usr/share/icons/hicolor"
            " 2>/dev/null || true\n",
        ),
        ("postrm", _MENU_REFRESH),
    ):
        script = debian / name
        script.write_text("#!/bin/sh\nset -e\n" + body, encoding="utf-8")
        script.chmod(0o755)
    # installed for every user of the PC: folders 0755, files 0644 (0755 when executable),
    # whatever the umask of the process that builds (the application itself runs under 077)
    for path in [root, *root.rglob("*")]:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue
        if stat.S_ISDIR(mode) or mode & 0o100:
            path.chmod(0o755)
        else:
            path.chmod(0o644)
    out = DIST / f"kac-desktop_{ver}_{arch}.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zxz", "-z3", "--build", str(root), str(out)],
        check=True,
    )
    _say(
        f"package {out} ({out.stat().st_size / 2**20:.0f} MB, installed {installed_kb // 1024} MB)"
    )
    return out


def build_windows(bundle: Path) -> Path:
    """The per-user Windows installer (no administrator rights) from installer/windows/
    kac-desktop.nsi; needs NSIS's makensis on the PATH."""
    makensis = shutil.which("makensis")
    if makensis is None:
        raise SystemExit("makensis (NSIS) is needed to build the Windows installer")
    out = DIST / f"kac-desktop-{version()}-setup.exe"
    subprocess.run(
        [
            makensis,
            "-V2",
            f"-DVERSION={version()}",
            f"-DBUNDLE={bundle}",
            f"-DOUTFILE={out}",
            f"-DROOT={ROOT}",
            str(ROOT / "installer" / "windows" / "kac-desktop.nsi"),
        ],
        check=True,
    )
    _say(f"installer {out} ({out.stat().st_size / 2**20:.0f} MB)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", choices=("bundle", "deb", "windows"), default="bundle")
    parser.add_argument("--skip-bundle", action="store_true", help="reuse dist/kac-desktop/")
    args = parser.parse_args(argv)
    os.umask(0o022)  # what is built is read by every user of a PC
    os.chdir(ROOT)
    bundle = BUNDLE if args.skip_bundle and BUNDLE.is_dir() else build_bundle()
    if args.what == "deb":
        build_deb(bundle)
    elif args.what == "windows":
        build_windows(bundle)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
