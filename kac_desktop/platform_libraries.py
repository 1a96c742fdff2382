"""Before Qt starts: can its platform plugin load on this PC?

When a shared library that Qt's platform plugin needs is missing (on Linux, the xcb plugin
needs a dozen libxcb-* libraries that a bare Debian does not have), Qt prints an English
message and aborts the process (exit status 134, a core dump).  This module finds that out
first, without importing Qt: it loads the plugin with ``dlopen`` (what Qt would do a moment
later), and when that fails it asks ``ldd`` for every library the plugin is missing, maps each
to the Debian package that ships it, and the start-up says so in Chinese with the one
``apt-get install`` command that fixes it.

``PACKAGES`` is the map from library (soname) to Debian package; tests check that it covers
every library ``ldd`` reports for the plugins on the machine running them, and that the
README and ``.ci/run`` list every package the plugins need beyond a base Debian.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from kac_desktop.i18n import _

# soname -> Debian package (bookworm and later).  ``BASE`` packages are on every Debian
# (required or pulled in by apt itself); the README and .ci/run list the others.
PACKAGES: dict[str, str] = {
    # X11 and its xcb extensions (the xcb platform plugin)
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    # OpenGL / EGL (Qt's GUI module links them even when drawing in software)
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libGLX.so.0": "libglx0",
    "libGLdispatch.so.0": "libglvnd0",
    "libOpenGL.so.0": "libopengl0",
    # fonts, images, D-Bus, GLib
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libpng16.so.16": "libpng16-16",
    "libbrotlidec.so.1": "libbrotli1",
    "libbrotlicommon.so.1": "libbrotli1",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libexpat.so.1": "libexpat1",
    # Wayland (the wayland platform plugin)
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    # the base system
    "libc.so.6": "libc6",
    "libm.so.6": "libc6",
    "libdl.so.2": "libc6",
    "libpthread.so.0": "libc6",
    "librt.so.1": "libc6",
    "libstdc++.so.6": "libstdc++6",
    "libgcc_s.so.1": "libgcc-s1",
    "libz.so.1": "zlib1g",
    "libzstd.so.1": "libzstd1",
    "liblzma.so.5": "liblzma5",
    "liblz4.so.1": "liblz4-1",
    "libpcre2-8.so.0": "libpcre2-8-0",
    "libbsd.so.0": "libbsd0",
    "libmd.so.0": "libmd0",
    "libsystemd.so.0": "libsystemd0",
    "libcap.so.2": "libcap2",
    "libgcrypt.so.20": "libgcrypt20",
    "libgpg-error.so.0": "libgpg-error0",
    "libffi.so.8": "libffi8",
}

BASE = frozenset(
    {
        "libc6",
        "libstdc++6",
        "libgcc-s1",
        "zlib1g",
        "libzstd1",
        "liblzma5",
        "liblz4-1",
        "libpcre2-8-0",
        "libbsd0",
        "libmd0",
        "libsystemd0",
        "libcap2",
        "libgcrypt20",
        "libgpg-error0",
        "libffi8",
    }
)

# libraries ldd names that are not files of any package (the kernel's vDSO, the loader)
_NOT_PACKAGED = re.compile(r"^(linux-vdso\.so\.\d+|linux-gate\.so\.\d+|/lib.*/ld-linux.*)$")


def qt_dir() -> Path | None:
    """PySide6's Qt folder, found without importing PySide6."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "Qt"


def requirement_packages(plugins: tuple[str, ...] = ("xcb",)) -> list[str]:
    """The Debian packages beyond a base system that ``plugins`` need (for the README)."""
    names = set()
    for name in plugins:
        path = plugin_path(name)
        if path is None:
            continue
        for library in ldd(path):
            package = PACKAGES.get(library.name)
            if package and package not in BASE:
                names.add(package)
    return sorted(names)


# ---------------------------------------------------------------- what Qt will try


def platform_candidates(environ: os._Environ[str] | dict[str, str] | None = None) -> list[str]:
    """The platform plugins Qt tries, in order: QT_QPA_PLATFORM (``wayland;xcb`` lists
    fallbacks), else on Linux wayland first in a Wayland session, then xcb."""
    env = os.environ if environ is None else environ
    named = [p.split(":")[0].strip() for p in env.get("QT_QPA_PLATFORM", "").split(";")]
    named = [p for p in named if p]
    if named:
        return named
    if env.get("XDG_SESSION_TYPE") == "wayland" and env.get("WAYLAND_DISPLAY"):
        return ["wayland", "xcb"]
    return ["xcb"]


def plugin_path(name: str, environ: os._Environ[str] | dict[str, str] | None = None) -> Path | None:
    """Where Qt finds the platform plugin ``name``: QT_QPA_PLATFORM_PLUGIN_PATH, then the
    ``platforms`` folder of each QT_PLUGIN_PATH entry, then PySide6's own plugins."""
    env = os.environ if environ is None else environ
    folders = []
    if env.get("QT_QPA_PLATFORM_PLUGIN_PATH"):
        folders.append(Path(env["QT_QPA_PLATFORM_PLUGIN_PATH"]))
    for entry in env.get("QT_PLUGIN_PATH", "").split(os.pathsep):
        if entry:
            folders.append(Path(entry) / "platforms")
    qt = qt_dir()
    if qt is not None:
        folders.append(qt / "plugins" / "platforms")
    for folder in folders:
        candidate = folder / f"libq{name}.so"
        if candidate.exists():
            return candidate
    return None


# ---------------------------------------------------------------- ldd


@dataclass(frozen=True)
class Library:
    name: str
    path: str | None  # None: not found


def parse_ldd(text: str) -> list[Library]:
    """The libraries in ``ldd``'s output, in order, each once; those ``not found`` have no
    path.  The vDSO and the loader are left out."""
    found: dict[str, Library] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        name, arrow, rest = line.partition("=>")
        name = name.strip().split(" (")[0].strip()
        if _NOT_PACKAGED.match(name):
            continue
        if arrow:
            target = rest.strip()
            path = None if target.startswith("not found") else target.split(" (")[0].strip()
        else:
            path = name
            name = os.path.basename(name)
        if name not in found or (found[name].path is None and path):
            found[name] = Library(name, path)
    return list(found.values())


def ldd(path: Path) -> list[Library]:
    """Every library ``path`` needs, directly or through others (empty without ldd)."""
    tool = shutil.which("ldd")
    if tool is None:
        return []
    try:
        result = subprocess.run(
            [tool, str(path)], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return parse_ldd(result.stdout)


# ---------------------------------------------------------------- the check


@dataclass
class PlatformProblem:
    """Why Qt's platform plugin will not start, for the user."""

    plugin: str
    missing: list[str] = field(default_factory=list)  # library sonames
    reason: str = ""  # the loader's own words, when ldd names nothing

    def packages(self) -> list[str]:
        return sorted({PACKAGES[m] for m in self.missing if m in PACKAGES})

    def unknown(self) -> list[str]:
        return [m for m in self.missing if m not in PACKAGES]

    def install_command(self) -> str:
        packages = self.packages()
        return "sudo apt-get install " + " ".join(packages) if packages else ""

    def message(self) -> str:
        lines = [
            _(
                "The program cannot open its window: Qt's platform plugin “{plugin}” "
                "cannot be loaded."
            ).format(plugin=self.plugin)
        ]
        if self.missing:
            lines.append(
                _("These system libraries are missing: {libraries}").format(
                    libraries=", ".join(self.missing)
                )
            )
        elif self.reason:
            lines.append(_("The system says: {reason}").format(reason=self.reason))
        command = self.install_command()
        if command:
            lines.append(_("Install them with this command, then start the program again:"))
            lines.append("    " + command)
        unknown = self.unknown()
        if unknown:
            lines.append(
                _(
                    "Which package provides {libraries} can be found with "
                    "“apt-file search LIBRARY”."
                ).format(libraries=", ".join(unknown))
            )
        return "\n".join(lines)


def _loads(path: Path) -> str | None:
    """None when the plugin loads, else the loader's message."""
    try:
        ctypes.CDLL(str(path))
    except OSError as exc:
        return str(exc)
    return None


def check_platform(
    environ: os._Environ[str] | dict[str, str] | None = None,
) -> PlatformProblem | None:
    """A problem when none of the platform plugins Qt would try can be loaded; None when
    one can (or when this is not Linux, or the plugin is not where PySide6 keeps it, in
    which case Qt's own message is all there is)."""
    if not sys.platform.startswith("linux"):
        return None
    env = os.environ if environ is None else environ
    problems: list[PlatformProblem] = []
    for name in platform_candidates(env):
        path = plugin_path(name, env)
        if path is None:
            return None  # a plugin built into Qt, or one we do not know: leave it to Qt
        reason = _loads(path)
        if reason is None:
            if name == "xcb" and not env.get("DISPLAY"):
                problems.append(
                    PlatformProblem(
                        name,
                        reason=_("no X display (the DISPLAY environment variable is not set)"),
                    )
                )
                continue
            return None
        missing = [lib.name for lib in ldd(path) if lib.path is None]
        problems.append(PlatformProblem(name, missing=missing, reason=reason))
    if not problems:
        return None
    # the one the user is likeliest to fix: the first with missing libraries, else the last
    return next((p for p in problems if p.missing), problems[-1])
