"""A restore writes its audit record in the same step that replaces the data, continues the
numbering, and the key store follows; a backup carries its chain's head, and a backup whose
audit log was cut afterwards is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kac_desktop import keystore
from kac_desktop.db import cipher, open_database
from kac_desktop.models import AuditRecord
from kac_desktop.services import audit, auth, backup
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.sqlite_only('backups and restores are SQLite files')


def test_the_restored_file_holds_its_own_restore_record(db, org, tmp_path):
    auth.sign_in(db, "admin", TEST_PASSWORD)
    made = backup.backup_now(db, org.admin)
    saved = backup.backup_head(made.path)
    assert saved is not None and saved.seq > 0
    for _i in range(3):
        auth.sign_in(db, "admin", TEST_PASSWORD)
    with db.session() as session:
        live_newest = audit.current_head(session).seq
    path = db.path
    db.dispose()
    backup.restore(path, made.path, actor=org.admin)
    # the file as it is after the restore, without anything written by another step
    raw = cipher.connect(path)
    newest = raw.execute("SELECT seq, action FROM audit_records ORDER BY seq DESC").fetchone()
    raw.close()
    assert newest[1] == "backup.restore"
    assert newest[0] == live_newest + 1  # never a number given twice
    reopened = open_database(path)
    try:
        report = audit.check_chain(reopened, org.admin)
        assert report.intact, report.describe()  # no false alarm about the cut tail
        with reopened.session() as session:
            head = audit.current_head(session)
            record = session.scalars(
                select(AuditRecord).where(AuditRecord.action == "backup.restore")
            ).one()
        assert keystore.saved_head(head.database_id) == head
        assert record.details["replaced_head"]["seq"] == live_newest
    finally:
        reopened.dispose()


def test_a_backup_cut_short_afterwards_is_refused(db, org):
    for _i in range(4):
        auth.sign_in(db, "admin", TEST_PASSWORD)
    made = backup.backup_now(db, org.admin)
    raw = cipher.connect(made.path)
    with raw:
        raw.execute(
            "DELETE FROM audit_records WHERE seq IN "
            "(SELECT seq FROM audit_records ORDER BY seq DESC LIMIT 2)"
        )
        raw.execute(
            "UPDATE audit_head SET seq=(SELECT max(seq) FROM audit_records), "
            "hash=(SELECT hash FROM audit_records ORDER BY seq DESC LIMIT 1)"
        )
    raw.close()
    path = db.path
    db.dispose()
    before = path.read_bytes()
    with pytest.raises(backup.BackupError) as refused:
        backup.restore(path, made.path, actor=org.admin)
    assert "短" in refused.value.message
    assert path.read_bytes() == before
