"""This PC's keys for an administrator — the key that seals the audit trail and the key that
encrypts the databases: the recovery sheet that carries both, and taking them over from
another PC's sheet (keystore.py keeps them)."""

from __future__ import annotations

from pathlib import Path

from kac_desktop import keystore
from kac_desktop.db import Database, cipher
from kac_desktop.i18n import _
from kac_desktop.models import utcnow
from kac_desktop.reports.key_sheet import KeySheet, write_key_sheet

from . import audit
from .context import Actor
from .errors import PermissionDenied, ServiceError


def print_recovery_sheet(db: Database, actor: Actor, path: str | Path, unit: str = "") -> Path:
    """Write the recovery-key sheet (PDF) to ``path``; administrators only, audited."""
    if not actor.is_admin:
        raise PermissionDenied(_("Only a city-center administrator may print the recovery key."))
    sheet = KeySheet(
        unit=unit or actor.branch_name,
        key_groups=keystore.recovery_text(),
        fingerprint=keystore.fingerprint(),
        made_at=utcnow(),
        made_by=f"{actor.display_name} ({actor.login})",
        database=db.where,
    )
    try:
        write_key_sheet(sheet, path)
    except Exception as exc:  # the report writer's error carries the message
        raise ServiceError(getattr(exc, "message", str(exc))) from exc
    keystore.restrict(Path(path))
    with db.session() as session, session.begin():
        audit.record(
            session,
            actor,
            "security.key_print",
            "database",
            None,
            _("Recovery key printed to {file}").format(file=Path(path).name),
            {"file": str(path), "check_code": sheet.fingerprint},
        )
    return Path(path)


def import_recovery_key(text: str, check_code: str | None = None) -> str:
    """Take over the key typed from a recovery sheet; returns its check code.  Refuses a text
    that is no key, or whose check code differs from the one given."""
    key = keystore.parse_recovery_text(text)
    if key is None:
        raise ServiceError(
            _(
                "This is not a recovery key: it has 104 letters and digits in groups of four "
                "(52 on a sheet of an earlier release), as printed on the sheet."
            )
        )
    code = keystore.fingerprint(key)
    if check_code is not None and check_code.strip().upper() != code:
        raise ServiceError(
            _(
                "The check code of the key typed in is {code}, not the one on the sheet: a "
                "character was mistyped. Nothing was changed."
            ).format(code=code)
        )
    keystore.import_key(key)
    return code


def encryption_state(db: Database) -> str:
    """ "encrypted", "plain" (made before encryption, or SQLCipher missing) or "server"."""
    path = db.path
    if path is None:
        return "server"
    return "plain" if cipher.is_plain(path) or not cipher.available() else "encrypted"


def rekey_database(db: Database, actor: Actor, backup_first: bool = True) -> str:
    """Encrypt the database under a new key of this PC (administrators only, audited);
    returns the new recovery sheet's check code.  The old key stays known, so the backups
    made before still open here; print a new recovery sheet afterwards.  Refused while
    another program or PC has the database open (SQLite cannot leave WAL mode then)."""
    from . import backup

    if not actor.is_admin:
        raise PermissionDenied(_("Only a city-center administrator may change the database key."))
    path = db.path
    if path is None or encryption_state(db) != "encrypted":
        raise ServiceError(
            _(
                "The database {path} is not encrypted by this PC, so it has no key to change."
            ).format(path=db.path or db.url)
        )
    if backup_first:
        backup.backup_now(db, actor)
    db.dispose()
    new = keystore.new_database_key()
    try:
        cipher.rekey(path, new)
    except cipher.InUse as exc:
        raise ServiceError(
            _(
                "The database {path} is open in another window or on another PC; close "
                "kac_desktop there first. The key was not changed."
            ).format(path=path)
        ) from exc
    keystore.add_database_key(new, current=True)
    with db.session() as session, session.begin():
        audit.record(
            session,
            actor,
            "security.rekey",
            "database",
            None,
            _("The database key was changed"),
            {"check_code": keystore.fingerprint()},
        )
    return keystore.fingerprint()
