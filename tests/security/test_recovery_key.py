"""The recovery-key sheet: printed by an administrator, audited; with the key typed in from
it, another PC verifies a restored backup's audit log."""

from __future__ import annotations

import os

import pytest
from pypdf import PdfReader

from kac_desktop import keystore
from kac_desktop.cli import main
from kac_desktop.services import audit, auth, backup, keys
from kac_desktop.services.errors import PermissionDenied, ServiceError
from tests.conftest import TEST_PASSWORD


@pytest.mark.sqlite_only('the sheet is checked against a backup file')
def test_the_sheet_holds_the_key_and_another_pc_verifies_with_it(db, org, tmp_path, monkeypatch):
    auth.sign_in(db, "admin", TEST_PASSWORD)
    with pytest.raises(PermissionDenied):
        keys.print_recovery_sheet(db, org.sup_a, tmp_path / "no.pdf")
    sheet = keys.print_recovery_sheet(db, org.admin, tmp_path / "key.pdf")
    text = "".join(page.extract_text() for page in PdfReader(sheet).pages)
    groups = keystore.recovery_text()
    printed_code = keystore.fingerprint()
    assert all(g in text for g in groups) and printed_code in text
    assert "恢复密钥" in text
    made = backup.backup_now(db, org.admin)

    # another PC: keys of its own, so the encrypted backup does not even open ...
    monkeypatch.setenv("KAC_KEY_DIR", str(tmp_path / "new-pc"))
    keystore.forget_cached_keys()
    other = tmp_path / "new-pc-db" / "kac.db"
    from kac_desktop.db import open_database
    from kac_desktop.db.problems import EncryptedElsewhere

    with pytest.raises(EncryptedElsewhere) as refused:
        backup.make_copy(made.path, other)
    assert "恢复密钥" in refused.value.message
    assert not other.exists()
    # ... until the key from the sheet is typed in (any spacing, lower case)
    with pytest.raises(ServiceError):
        keys.import_recovery_key(" ".join(groups), "0000-0000")
    with pytest.raises(ServiceError):
        keys.import_recovery_key("not a key")
    code = keys.import_recovery_key(" ".join(groups).lower(), printed_code)
    assert code == printed_code
    backup.make_copy(made.path, other)
    copy = open_database(other)
    try:
        report = audit.check_chain(copy, org.admin)
        assert not report.broken, report.describe()
    finally:
        copy.dispose()
        keystore.forget_cached_keys()


def test_a_sheet_of_the_earlier_release_gives_the_sealing_key_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("KAC_KEY_DIR", str(tmp_path / "pc"))
    keystore.forget_cached_keys()
    own_database_key = keystore.database_key()
    sealing = bytes(range(32))
    old_sheet = keystore.recovery_text(sealing)
    assert len(old_sheet) == 13
    assert keystore.parse_recovery_text("".join(old_sheet)) == sealing
    keys.import_recovery_key(" ".join(old_sheet))
    assert keystore.integrity_key() == sealing
    assert keystore.database_key() == own_database_key  # untouched by an old sheet
    keystore.forget_cached_keys()


def test_the_command_line_prints_and_takes_over_the_key(db, org, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KAC_PASSWORD", TEST_PASSWORD)
    pdf = tmp_path / "sheet.pdf"
    assert main(["key", "sheet", str(pdf), "--db", db.url, "--user", "admin"]) == 0
    assert pdf.is_file() and (os.stat(pdf).st_mode & 0o077) == 0
    groups = keystore.recovery_text()
    monkeypatch.setenv("KAC_KEY_DIR", str(tmp_path / "pc2"))
    keystore.forget_cached_keys()
    monkeypatch.setenv("KAC_RECOVERY_KEY", "-".join(groups))
    assert main(["key", "import"]) == 0
    assert keystore.recovery_text() == groups
    keystore.forget_cached_keys()
