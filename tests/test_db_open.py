"""Opening a database at start-up: the schema version is read without Alembic (issue #8),
and Alembic still upgrades an older database after keeping a copy of it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from alembic.script import ScriptDirectory

from kac_desktop import migrations
from kac_desktop.db import (
    ForeignDatabase,
    NewerDatabase,
    alembic_config,
    cipher,
    head_revision,
    known_revisions,
    open_database,
)
from tests.helpers import database_at


def test_the_cheap_reading_of_the_revisions_agrees_with_alembic():
    script = ScriptDirectory.from_config(alembic_config())
    graph = migrations.revision_graph()
    assert graph is not None, "a version file no longer has plain revision lines"
    assert graph == {rev.revision: rev.down_revision for rev in script.walk_revisions()}
    assert head_revision() == script.get_current_head()
    assert known_revisions() == {rev.revision for rev in script.walk_revisions()}


def test_a_version_file_the_reader_does_not_understand_falls_back_to_alembic(tmp_path, monkeypatch):
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "0001_a.py").write_text('revision = "0001"\ndown_revision = None\n')
    (versions / "0002_b.py").write_text('revision = "0002"\ndown_revision = ("0001", "x")\n')
    monkeypatch.setattr(migrations, "VERSIONS", versions)
    assert migrations.revision_graph() is None
    (versions / "0002_b.py").write_text("revision: str = '0002'\ndown_revision = '0001'\n")
    assert migrations.revision_graph() == {"0001": None, "0002": "0001"}
    assert migrations.head_of({"0001": None, "0002": "0001", "0003": "0001"}) is None


def test_an_older_database_is_upgraded_after_a_copy_is_kept(tmp_path):
    path = database_at(tmp_path / "old.db", "0001")

    db = open_database(path)
    try:
        with db.engine.connect() as connection:
            current = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert current.scalar() == head_revision()
    finally:
        db.dispose()
    (kept,) = (tmp_path / "backups").glob("old-before-migration-*.db")
    c = cipher.connect(str(kept))
    try:
        assert c.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
    finally:
        c.close()


def test_a_new_database_is_created_at_the_head_without_a_copy(tmp_path):
    db = open_database(tmp_path / "new.db")
    db.dispose()
    c = cipher.connect(str(tmp_path / "new.db"))
    try:
        assert c.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()
    finally:
        c.close()
    assert not (tmp_path / "backups").exists()


def test_another_programs_database_is_left_as_it_is(tmp_path):
    path = tmp_path / "other.db"
    c = cipher.connect(str(path))
    c.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    c.execute("INSERT INTO notes (text) VALUES ('keep me')")
    c.commit()
    c.close()
    with pytest.raises(ForeignDatabase) as err:
        open_database(path)
    assert "其他程序" in err.value.message
    c = cipher.connect(str(path))
    try:
        tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        assert tables == ["notes"]
        assert c.execute("SELECT text FROM notes").fetchall() == [("keep me",)]
    finally:
        c.close()


def test_a_newer_database_is_refused(tmp_path):
    path = tmp_path / "newer.db"
    open_database(path).dispose()
    c = cipher.connect(str(path))
    c.execute("UPDATE alembic_version SET version_num = '9999'")
    c.commit()
    c.close()
    with pytest.raises(NewerDatabase):
        open_database(path)


def test_opening_an_up_to_date_database_does_not_import_alembic(tmp_path):
    open_database(tmp_path / "current.db").dispose()
    script = textwrap.dedent(
        """
        import sys
        from kac_desktop.db import open_database
        open_database(sys.argv[1]).dispose()
        print("alembic" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "current.db")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
