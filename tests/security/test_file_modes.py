"""Issue #21: the files and folders the application makes are readable by the user alone,
whatever the umask (database, WAL, backups, -replaced- copies, exports, key files)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_everything_made_under_a_loose_umask_is_private(tmp_path):
    data = tmp_path / "userdata"
    env = {**os.environ, "KAC_DATA_DIR": str(data), "KAC_PASSWORD": "Demo-2026"}
    env.pop("KAC_KEY_DIR", None)  # the keys in the user-data folder, as on a user's PC
    cli = [sys.executable, "-m", "kac_desktop"]
    db = tmp_path / "new" / "kac.db"

    def run(*args):
        done = subprocess.run(
            [*cli, *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            preexec_fn=lambda: os.umask(0o022),
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        return done

    run("demo", "--db", str(db), "--customers", "40")
    run("backup", "--db", str(db), "--user", "admin")
    run("export", "customers", str(tmp_path / "out.xlsx"), "--db", str(db), "--user", "admin")
    backups = list((db.parent / "backups").glob("*.db"))
    run("restore", str(backups[0]), "--db", str(db), "--user", "admin")
    made = [
        db,
        *db.parent.glob("kac.db-*"),
        *db.parent.glob("*-replaced-*"),
        *(db.parent / "backups").iterdir(),
        tmp_path / "out.xlsx",
        *(data / "keys").iterdir(),
    ]
    assert len([p for p in made if "-replaced-" in p.name]) >= 1
    assert (data / "keys").is_dir() and list((data / "keys").iterdir())
    loose = {str(p): oct(_mode(p)) for p in made if p.is_file() and _mode(p) & 0o077}
    assert loose == {}
    for folder in (db.parent, db.parent / "backups", data / "keys"):
        assert _mode(folder) == 0o700, folder


def test_a_database_opened_in_process_is_private_whatever_the_umask(tmp_path):
    from kac_desktop.db import open_database

    old = os.umask(0o022)
    try:
        db = open_database(tmp_path / "fresh" / "x.db")
        with db.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (x)")
        modes = {p.name: _mode(p) for p in (tmp_path / "fresh").iterdir()}
        db.dispose()
    finally:
        os.umask(old)
    assert "x.db-wal" in modes
    assert {name: oct(mode) for name, mode in modes.items() if mode & 0o077} == {}
    assert _mode(tmp_path / "fresh") == 0o700
