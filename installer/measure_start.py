"""Time from starting the program to its sign-in dialog on screen, for the installed program and
for this source checkout, in turns, on a virtual X screen (Xvfb).

    python installer/measure_start.py [--installed /usr/bin/kac-desktop] [--runs 7]

Both open the same database (a small demonstration office made in a temporary folder), so both
show the sign-in dialog rather than the first-start dialog.  Prints each start, the medians
and their ratio (installed ÷ source).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TITLE = "登录"  # the sign-in dialog's title starts with it in the Chinese interface


def _wait_for_window(display: str, deadline: float) -> bool:
    env = {**os.environ, "DISPLAY": display}
    while time.perf_counter() < deadline:
        found = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", TITLE],
            env=env,
            capture_output=True,
            text=True,
        )
        if found.returncode == 0 and found.stdout.strip():
            return True
        time.sleep(0.01)
    return False


def _start(command: list[str], display: str, data: Path) -> float:
    env = {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "KAC_DATA_DIR": str(data),
        "KAC_LANGUAGE": "zh_CN",
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        if not _wait_for_window(display, started + 60):
            raise SystemExit(f"no sign-in dialog from {command[0]} within 60 s")
        return time.perf_counter() - started
    finally:
        process.kill()
        process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--installed", default="/usr/bin/kac-desktop")
    parser.add_argument("--source", default=str(Path(sys.executable).parent / "kac-desktop"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--display", default=":97")
    args = parser.parse_args()
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed (Debian: xvfb, xdotool)")
    xvfb = subprocess.Popen(
        ["Xvfb", args.display, "-screen", "0", "1366x768x24"], stderr=subprocess.DEVNULL
    )
    folder = Path(tempfile.mkdtemp(prefix="kac-start-"))
    try:
        time.sleep(1)
        db = folder / "kac.db"
        subprocess.run(
            [args.source, "demo", "--db", str(db), "--customers", "200"],
            check=True,
            capture_output=True,
            env={**os.environ, "KAC_DATA_DIR": str(folder)},
        )
        commands = {
            "installed": [args.installed, "gui", "--db", str(db), "--user", "admin"],
            "source": [args.source, "gui", "--db", str(db), "--user", "admin"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():  # one start each to warm the disk cache
            _start(command, args.display, folder)
        for run in range(args.runs):
            for name, command in commands.items():
                times[name].append(_start(command, args.display, folder))
            print(
                f"run {run + 1}: "
                + ", ".join(f"{n} {t[-1] * 1000:.0f} ms" for n, t in times.items()),
                flush=True,
            )
        medians = {name: statistics.median(t) for name, t in times.items()}
        for name, median in medians.items():
            print(
                f"{name}: median {median * 1000:.0f} ms "
                f"(min {min(times[name]) * 1000:.0f}, max {max(times[name]) * 1000:.0f})"
            )
        print(f"ratio installed / source: {medians['installed'] / medians['source']:.2f}")
    finally:
        xvfb.kill()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
