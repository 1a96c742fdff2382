"""What a write killed before its move left beside its target is removed by the next start;
a write still running in another process keeps its file; files that are not ours stay."""

from __future__ import annotations

import subprocess
import sys

from kac_desktop.db import open_database, remove_stale_parts
from kac_desktop.temporary_files import (
    remove_stale_temporaries,
    remove_stale_temporaries_in,
    temporary_beside,
)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_temporary_name_carries_the_writer(tmp_path):
    target = tmp_path / "report.xlsx"
    temporary = temporary_beside(target)
    assert temporary.parent == tmp_path
    assert temporary.name.startswith(".report.xlsx.") and temporary.name.endswith(".tmp")


def test_a_killed_backup_heads_temporary_goes_with_the_next_start(tmp_path):
    # what the kill -9 proof found: a backup killed while sealing its head left this behind
    backups = tmp_path / "backups"
    backups.mkdir()
    dead = _dead_pid()
    leftover = backups / f".kac-backup-20261202-111101.db.head.{dead}.139621460192128.tmp"
    leftover.write_text("{}")
    db = open_database(tmp_path / "kac.db")
    db.dispose()
    assert not leftover.exists()


def test_a_running_write_and_other_files_are_left_alone(tmp_path):
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        dead = _dead_pid()
        theirs = tmp_path / f".report.pdf.{running.pid}.1.tmp"
        stale = tmp_path / f".report.pdf.{dead}.1.tmp"
        older_release = tmp_path / f".report.xlsx.{dead}.tmp"
        not_ours = [tmp_path / ".keep.tmp", tmp_path / "notes.tmp", tmp_path / ".x.abc.tmp"]
        for path in (theirs, stale, older_release, *not_ours):
            path.write_text("x")
        removed = remove_stale_parts(tmp_path)
        assert sorted(removed) == sorted([stale, older_release])
        assert theirs.exists() and all(path.exists() for path in not_ours)
    finally:
        running.kill()
        running.wait()


def test_one_targets_cleanup_touches_only_its_own_temporaries(tmp_path):
    dead = _dead_pid()
    mine = tmp_path / f".a.db.head.{dead}.7.tmp"
    other = tmp_path / f".b.db.head.{dead}.7.tmp"
    for path in (mine, other):
        path.write_text("x")
    assert remove_stale_temporaries(tmp_path / "a.db.head") == [mine]
    assert other.exists()
    assert remove_stale_temporaries_in(tmp_path) == [other]


def test_this_process_own_leftover_of_a_failed_write_is_removed(tmp_path):
    target = tmp_path / "k.json"
    temporary = temporary_beside(target)
    temporary.write_text("half")
    assert remove_stale_temporaries(target) == [temporary]
