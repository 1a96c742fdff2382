"""How the program is shipped: its files found in each kind of installation, the version in
one place, the self-check, and a database of the previous release opening in this one."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kac_desktop import __version__
from kac_desktop.cli import main, self_check
from kac_desktop.db import cipher, head_revision, open_database
from kac_desktop.resource_files import ICON_SIZES, font_path, icon_png, resource, resources_dir

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_0_1_0 = ROOT / "tests" / "fixtures" / "release-0.1.0.db"
# what release 0.1.0's demonstration database (tests/fixtures/release-0.1.0.db) holds
COUNTS_0_1_0 = {
    "branches": 15,
    "users": 25,
    "customers": 60,
    "contacts": 137,
    "visits": 400,
    "service_requests": 80,
    "request_status_changes": 342,
    "revenues": 1500,
    "tier_assessments": 106,
    "product_lines": 7,
}


def test_resources_in_the_editable_install_are_the_repository_folder():
    assert resources_dir() == ROOT / "resources"
    assert font_path().is_file()
    assert resource("icons", "kac-desktop.svg").is_file()
    assert resource("icons", "kac-desktop.ico").is_file()
    assert resource("linux", "kac-desktop.desktop").is_file()
    for size in ICON_SIZES:
        assert icon_png(size).is_file(), size


def test_resources_in_an_installed_wheel_come_from_the_wheel(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = (tmp_path / "dist").glob("kac_desktop-*.whl")
    assert wheel.name.startswith(f"kac_desktop-{__version__}-")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(site)
    assert "kac_desktop/resources/fonts/DroidSansFallbackFull.ttf" in names
    assert "kac_desktop/resources/icons/kac-desktop-256.png" in names
    assert "kac_desktop/migrations/versions/0001_baseline_the_whole_domain.py" in names
    # a fresh interpreter that sees only the unpacked wheel (not this checkout)
    found = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]);"
            "from kac_desktop.resource_files import resources_dir, font_path;"
            "print(resources_dir()); assert font_path().is_file()",
            str(site),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(found) == site / "kac_desktop" / "resources"


def test_the_version_is_written_in_one_place(capsys):
    assert importlib.metadata.version("kac-desktop") == __version__
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"kac-desktop {__version__}"


def test_self_check_passes_on_a_working_installation():
    done = subprocess.run(
        [sys.executable, "-m", "kac_desktop", "self-check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("  ")]
    assert len(lines) == len(self_check.STEPS)
    assert all(line.startswith("  OK") for line in lines), done.stdout
    assert "Traceback" not in done.stderr


def test_self_check_fails_when_a_step_fails_and_skips_what_depends_on_it(monkeypatch, capsys):
    def broken(state):
        raise RuntimeError("磁盘已满")

    steps = list(self_check.STEPS)
    steps[1] = (steps[1][0], broken, True)
    monkeypatch.setattr(self_check, "STEPS", tuple(steps))
    assert main(["self-check"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "磁盘已满" in out
    assert out.count("  -  ") == len(steps) - 3  # the chained steps after it are skipped
    assert "OK   " in out.splitlines()[-2]  # the Qt step does not need the database


def test_a_database_of_release_0_1_0_opens_with_every_record(tmp_path):
    path = tmp_path / "kac.db"
    shutil.copy(FIXTURE_0_1_0, path)
    db = open_database(path)
    try:
        with db.engine.connect() as connection:
            from sqlalchemy import text

            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
                head_revision()
            )
            for table, count in COUNTS_0_1_0.items():
                assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() == (
                    count
                ), table
        from kac_desktop.services import auth

        actor = auth.sign_in(db, "admin", "Demo-2026")
        assert actor.login == "admin"
    finally:
        db.dispose()
    if head_revision() == "0005":
        return  # release 0.1.0's own schema: nothing to migrate, so nothing kept
    # the copy kept before the migration is release 0.1.0's database, as it was
    (kept,) = (tmp_path / "backups").glob("kac-before-migration-*.db")
    with cipher.connect(kept) as before:
        assert before.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0005"
        assert before.execute("SELECT count(*) FROM customers").fetchone()[0] == 60
