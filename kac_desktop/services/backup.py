"""Backups, restore and integrity checks of the SQLite database file (docs/DOMAIN.md §7: nothing
committed is lost).

Backups go through SQLite's online backup API, which is safe beside a live WAL.  A restore
never copies a file over a database with a WAL beside it (SQLite would replay the stale WAL
into the restored file: tried, it left integrity errors and rows never in the backup): a readable database receives the backup through the
backup API, a damaged one is moved aside together with its -wal before the backup is
written in its place.  Qt-free: the window and the command line both call this.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kac_desktop import keystore
from kac_desktop.db import (
    DamagedDatabase,
    Database,
    EncryptedElsewhere,
    FileDatabaseError,
    FileError,
    FileOrOSError,
    classify,
    connect_read_only,
    copy_database,
    copy_into,
    known_revisions,
    network_warning,  # noqa: F401 - the service's API
    remove_stale_parts,
)
from kac_desktop.i18n import _
from kac_desktop.models import utcnow
from kac_desktop.progress import Cancelled, NullProgress, Progress
from kac_desktop.rules.clock import LOCAL_TZ

from . import audit
from . import settings as settings_service
from .changes import ChangeSet, Kind
from .context import Actor
from .errors import PermissionDenied, ServiceError
from .roles import may_back_up  # noqa: F401 - the service's API

BACKUP_FOLDER = "backups"
# <stem>-<yyyymmdd-hhmmss>.db, <stem>-before-migration-<stamp>.db; local time in the name
_NAME = re.compile(r"^(?P<stem>.+?)-(?P<kind>backup|before-migration)-(?P<stamp>\d{8}-\d{6})\.db$")
_STAMP = "%Y%m%d-%H%M%S"
# tables every kac_desktop database has, whatever its revision
_CORE_TABLES = {"alembic_version", "users", "branches", "customers", "audit_records"}


class BackupError(ServiceError):
    pass


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    at: datetime  # aware
    size: int
    kind: str  # "backup" or "before-migration"

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class FileCheck:
    """What a check of a database file found; ``problems`` are messages for the user."""

    path: Path
    problems: list[str]
    revision: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    replaced: Path | None  # where the replaced database was kept

    @property
    def changes(self) -> ChangeSet:
        """The whole database was replaced: everything shown is out of date."""
        return ChangeSet.whole(Kind.DATABASE)


def backups_dir(db_path: Path) -> Path:
    return db_path.parent / BACKUP_FOLDER


def require_file(db: Database) -> Path:
    if db.path is None:
        raise BackupError(
            _(
                "This database is on a database server; its backups are made on the server, "
                "not by kac_desktop."
            )
        )
    return db.path


def may_restore(actor: Actor) -> bool:
    return actor.is_admin


def key_store_note(path: Path | None = None) -> str:
    """Whether the database at ``path`` and its backups are encrypted, and where this PC
    keeps its keys (for the backup page)."""
    from kac_desktop.db import cipher

    where = keystore.store()
    if where.kind == "file":
        keys_line = _(
            "This PC has no credential store: the keys that encrypt the database and seal "
            "the audit log are kept in {folder}, readable by your Windows/Linux account alone."
        ).format(folder=where.folder)
    else:
        keys_line = _(
            "The keys that encrypt the database and seal the audit log are kept in this PC's "
            "credential store."
        )
    if path is not None and (not cipher.available() or cipher.is_plain(path)):
        state = _(
            "This database and its backups are NOT encrypted: this installation has no "
            "SQLCipher. Keep the PC locked, or install kac_desktop with its installer."
        )
    else:
        state = _(
            "The database, its journal and its backups are encrypted (SQLCipher, AES-256); "
            "without this PC's key, or its recovery sheet, a copy of them cannot be read."
        )
    return state + "\n" + keys_line


def whole_file_note(actor: Actor) -> str:
    """What a supervisor is told when he backs up: the copy is not his branch's alone."""
    if actor.is_admin:
        return ""
    return _(
        "Note: a backup is a copy of the whole database file, with the customers of every "
        "branch, not only those of {branch}. Keep it as safe as the database itself."
    ).format(branch=actor.branch_name or "—")


# ---------------------------------------------------------------- checks


def _known_revisions() -> set[str]:
    return known_revisions()


# SQLite virtual-machine steps between two looks at the cancel during a check
_CHECK_STEPS = 20_000


def _interrupt_on_cancel(connection, progress: Progress) -> None:
    """SQLite stops the running statement ("interrupted") once the user cancelled."""
    connection.set_progress_handler(lambda: 1 if progress.cancelled() else 0, _CHECK_STEPS)


def _was_interrupted(exc: Exception, progress: Progress) -> bool:
    return progress.cancelled() and "interrupt" in str(exc).lower()


def check_file(path: Path, *, full: bool = True, progress: Progress | None = None) -> FileCheck:
    """Whether ``path`` is an undamaged kac_desktop database of a schema this version knows.
    ``full`` runs PRAGMA integrity_check, else the faster quick_check.  A cancel through
    ``progress`` stops the check (progress.Cancelled); it only reads."""
    progress = progress or NullProgress()
    path = Path(path)
    if not path.is_file():
        return FileCheck(path, [_("The file {path} does not exist.").format(path=path)])
    try:
        connection = connect_read_only(path)
    except FileError as exc:
        _raise_unless_damage(exc, path)
        problem = classify(exc, path)
        if isinstance(problem, EncryptedElsewhere):
            return FileCheck(path, [problem.message])
        return FileCheck(path, [_("The file cannot be opened: {error}").format(error=exc)])
    _interrupt_on_cancel(connection, progress)
    try:
        progress.report(0.0, _("Checking {file}…").format(file=path.name))
        try:
            rows = connection.execute(
                "PRAGMA integrity_check(20)" if full else "PRAGMA quick_check(20)"
            ).fetchall()
        except FileDatabaseError as exc:
            if _was_interrupted(exc, progress):
                raise Cancelled() from exc
            _raise_unless_damage(exc, path)
            return FileCheck(
                path,
                [_("The file is damaged or is not a database ({error}).").format(error=str(exc))],
            )
        messages = [str(r[0]) for r in rows]
        if messages != ["ok"]:
            return FileCheck(
                path,
                [_("The integrity check found damage:")] + [f"  {m}" for m in messages[:10]],
            )
        tables = {
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if not _CORE_TABLES <= tables:
            return FileCheck(path, [_("The file is not a kac_desktop database.")])
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = revision[0] if revision else None
        if revision not in _known_revisions():
            return FileCheck(
                path,
                [
                    _(
                        "The file was made by another version of kac_desktop (schema {revision}) "
                        "and cannot be used by this one."
                    ).format(revision=revision or "?")
                ],
                revision,
            )
        return FileCheck(path, [], revision)
    except FileDatabaseError as exc:
        if _was_interrupted(exc, progress):
            raise Cancelled() from exc
        _raise_unless_damage(exc, path)
        return FileCheck(path, [_("The file is damaged ({error}).").format(error=str(exc))])
    finally:
        connection.close()


def _raise_unless_damage(error: Exception, path: Path) -> None:
    """A file that cannot be checked because it is locked, unreadable for this user or on
    a failing drive is not damaged: raise its DatabaseProblem (no restore is offered for a
    lock) instead of reporting damage."""
    problem = classify(error, path)
    if problem is not None and not isinstance(problem, DamagedDatabase):
        raise problem from error


def quick_check(db: Database) -> list[str]:
    """PRAGMA quick_check of the open database (seconds on a big cold file: call it off the
    UI thread); empty when sound."""
    path = db.path
    if path is None:
        return []
    return check_file(path, full=False).problems


# ---------------------------------------------------------------- making backups


def make_copy(source: Path, target: Path) -> Path:
    """A plain copy of a database file through the backup API (for a scratch copy)."""
    return copy_database(Path(source), Path(target))


def _info(path: Path) -> BackupInfo | None:
    match = _NAME.match(path.name)
    if not match:
        return None
    try:
        at = datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=LOCAL_TZ)
        size = path.stat().st_size
    except (ValueError, OSError):
        return None
    return BackupInfo(path, at.astimezone(UTC), size, match["kind"])


def list_backups(folder: Path, stem: str | None = None) -> list[BackupInfo]:
    """The backups in ``folder`` (of the database named ``stem``), newest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob("*.db"):
        info = _info(path)
        if info is None:
            continue
        if stem is not None and _NAME.match(path.name)["stem"] != stem:  # type: ignore[index]
            continue
        found.append(info)
    return sorted(found, key=lambda b: (b.at, b.name), reverse=True)


def _steps(progress: Progress, low: float, high: float):
    """A copy's ``step`` for ``progress``: its share ``low``–``high``; a cancel stops it."""

    def step(done: int, total: int) -> None:
        if progress.cancelled():
            raise Cancelled()
        progress.report(low + (high - low) * (done / total if total else 1.0))

    return step


def make_backup(
    db_path: Path,
    folder: Path | None = None,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> BackupInfo:
    """Back up the database file at ``db_path`` into ``folder`` (default: its backups
    folder) and check the copy.  Raises BackupError with a message for the user, or
    progress.Cancelled — and then no backup file is left."""
    progress = progress or NullProgress()
    now = now or utcnow()
    db_path = Path(db_path)
    folder = Path(folder) if folder is not None else backups_dir(db_path)
    keystore.private_folder(folder, ours=folder == backups_dir(db_path))
    stamp = now.astimezone(LOCAL_TZ).strftime(_STAMP)
    target = folder / f"{db_path.stem}-backup-{stamp}.db"
    n = 1
    while target.exists():
        n += 1
        later = now + timedelta(seconds=n - 1)
        target = folder / f"{db_path.stem}-backup-{later.astimezone(LOCAL_TZ).strftime(_STAMP)}.db"
    remove_stale_parts(folder)  # what a backup killed half-way left
    try:
        copy_database(db_path, target, _steps(progress, 0.0, 0.8))
    except FileOrOSError as exc:
        raise BackupError(
            _("The backup to {folder} failed: {error}").format(folder=folder, error=exc)
        ) from exc
    try:
        result = check_file(target, full=False, progress=progress)
        if progress.cancelled():
            raise Cancelled()
    except Cancelled:
        target.unlink(missing_ok=True)
        raise
    progress.report(0.95)
    if not result.ok:
        target.unlink(missing_ok=True)
        raise BackupError(
            _("The backup copy failed its check and was removed:")
            + "\n"
            + "\n".join(result.problems)
        )
    _write_head(target)
    info = _info(target)
    assert info is not None
    return info


# ---------------------------------------------------------------- the chain's head in a backup

HEAD_SUFFIX = ".head"


def head_file(backup: Path) -> Path:
    return backup.with_name(backup.name + HEAD_SUFFIX)


def _read_head(path: Path) -> keystore.Head | None:
    """The audit chain's head stored in the database file ``path`` (None when it has none)."""
    try:
        connection = connect_read_only(path)
        try:
            row = connection.execute(
                "SELECT database_id, seq, hash FROM audit_head WHERE id = 1"
            ).fetchone()
        finally:
            connection.close()
    except FileError:
        return None
    return keystore.Head(str(row[0]), int(row[1]), str(row[2])) if row else None


def _write_head(backup: Path) -> None:
    """Beside each backup, its chain's head, sealed: a backup whose newest audit records
    were cut afterwards shows when it is restored."""
    head = _read_head(backup)
    if head is not None:
        keystore.write_private(head_file(backup), head.to_json().encode("utf-8"))


def backup_head(backup: Path) -> keystore.Head | None:
    """The sealed head kept beside ``backup`` (None when missing or not sealed here)."""
    try:
        text = head_file(backup).read_text(encoding="utf-8")
    except OSError:
        return None
    return keystore.Head.from_json(text)


def rotate(folder: Path, stem: str, keep_days: int, *, now: datetime | None = None) -> list[Path]:
    """Remove this database's backups older than ``keep_days``; the newest always stays."""
    now = now or utcnow()
    limit = now - timedelta(days=max(1, keep_days))
    backups = list_backups(folder, stem)
    removed = []
    for info in backups[1:]:
        if info.at < limit:
            try:
                info.path.unlink()
                head_file(info.path).unlink(missing_ok=True)
                removed.append(info.path)
            except OSError:
                pass
    return removed


def backup_now(
    db: Database,
    actor: Actor | None,
    folder: Path | None = None,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> BackupInfo:
    """A backup on request (window or command line), rotated and audited.  Cancelled
    (progress.Cancelled) while copying or checking, it leaves no file and no record."""
    if actor is not None and not may_back_up(actor):
        raise PermissionDenied(_("Only supervisors and administrators may make backups."))
    path = require_file(db)
    info = make_backup(path, folder, now=now, progress=progress)
    with db.session() as session, session.begin():
        keep = int(settings_service.load(session).get("backup.keep_days", 14))
        removed = rotate(info.path.parent, path.stem, keep, now=now)
        audit.record(
            session,
            actor,
            "backup.create",
            "database",
            None,
            _("Backup {file} made").format(file=info.name),
            {"file": str(info.path), "size": info.size, "removed": [p.name for p in removed]},
        )
    return info


def daily_backup(db: Database, *, now: datetime | None = None) -> BackupInfo | None:
    """At the first start of a day: a backup when there is none of today yet."""
    path = db.path
    if path is None or not path.exists():
        return None
    now = now or utcnow()
    today = now.astimezone(LOCAL_TZ).date()
    existing = list_backups(backups_dir(path), path.stem)
    if any(b.at.astimezone(LOCAL_TZ).date() == today for b in existing):
        return None
    return backup_now(db, None, now=now)


# ---------------------------------------------------------------- restoring


def latest_good_backup(db_path: Path, progress: Progress | None = None) -> BackupInfo | None:
    for info in list_backups(backups_dir(Path(db_path)), Path(db_path).stem):
        if check_file(info.path, progress=progress).ok:
            return info
    return None


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def restore(
    db_path: Path,
    backup_path: Path,
    *,
    actor: Actor | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> RestoreResult:
    """Replace the database at ``db_path`` with the backup at ``backup_path``.

    The backup is checked first (integrity, a known schema, and its audit log against the
    head kept beside it); nothing is touched when it fails (BackupError).  The restore's
    audit record is written into a scratch copy of the backup, which then replaces the
    database in one step: the restored data never stands without its record.  The
    replaced database is kept as ``<name>-replaced-<time>.db``.  The caller closes its own
    connections first and reopens afterwards.

    ``progress`` may cancel while the backup is checked, staged and while the replaced
    database is copied aside (progress.Cancelled: the database is as it was, no copy is
    left); once the staged copy is being written in, the restore runs to its end.
    """
    progress = progress or NullProgress()
    now = now or utcnow()
    db_path, backup_path = Path(db_path), Path(backup_path)
    if actor is not None and not may_restore(actor):
        raise PermissionDenied(_("Only a city-center administrator may restore a backup."))
    checked = check_file(backup_path, progress=_Span(progress, 0.0, 0.4))
    if not checked.ok:
        raise BackupError(
            _("The backup {file} cannot be used; nothing was changed:").format(
                file=backup_path.name
            )
            + "\n"
            + "\n".join(checked.problems)
        )
    remove_stale_parts(db_path.parent)  # what a restore killed half-way left
    stamp = now.astimezone(LOCAL_TZ).strftime(_STAMP)
    replaced: Path | None = db_path.with_name(f"{db_path.stem}-replaced-{stamp}.db")
    live = _read_head(db_path) if db_path.exists() else None
    staged = db_path.with_name(f".{db_path.name}.restoring-{os.getpid()}.db")
    try:
        try:
            copy_database(backup_path, staged, _steps(progress, 0.4, 0.55))
            if progress.cancelled():
                raise Cancelled()
            restored_head = _audit_restore(
                staged, backup_path, replaced if db_path.exists() else None, actor, live
            )
            if db_path.exists() and check_file(db_path, full=False).ok:
                # sound: keep a copy, then write the staged copy in through the API in one
                # step (WAL-safe, and any other connection sees the restored content)
                try:
                    copy_database(db_path, replaced, _steps(progress, 0.55, 0.8))  # type: ignore[arg-type]
                    if progress.cancelled():
                        raise Cancelled()
                except Cancelled:
                    replaced.unlink(missing_ok=True)  # type: ignore[union-attr]
                    raise
                # from here on the restore runs to its end: no more cancel
                progress.report(0.85, _("Writing the backup in…"))
                copy_into(staged, db_path)
            else:
                if progress.cancelled():
                    raise Cancelled()
                progress.report(0.5, _("Writing the backup in…"))
                # damaged: move it aside with its WAL (never leave a stale WAL beside the
                # restored file), then move the staged copy into its place
                if db_path.exists():
                    os.replace(db_path, replaced)  # type: ignore[arg-type]
                    for side in _sidecars(db_path):
                        if side.exists():
                            os.replace(side, Path(str(replaced) + side.name[len(db_path.name) :]))
                else:
                    replaced = None
                os.replace(staged, db_path)
                keystore.restrict(db_path)
        except FileOrOSError as exc:
            raise BackupError(
                _("The restore failed: {error}. The replaced file is kept as {file}.").format(
                    error=exc, file=replaced.name if replaced else "—"
                )
            ) from exc
    finally:
        for leftover in [staged, *_sidecars(staged)]:
            leftover.unlink(missing_ok=True)
        # the copy a migration of the staged file kept is not a backup of this database
        for leftover in backups_dir(db_path).glob(f"{staged.stem}-*.db"):
            leftover.unlink(missing_ok=True)
    after = check_file(db_path, full=False)
    if not after.ok:
        raise BackupError("\n".join(after.problems))
    if restored_head is not None:
        # the data were replaced on purpose: the key store follows the restored chain
        keystore.save_head(restored_head, force=True)
    return RestoreResult(backup_path, replaced)


def _audit_restore(
    staged: Path,
    backup_path: Path,
    replaced: Path | None,
    actor: Actor | None,
    live: keystore.Head | None,
) -> keystore.Head | None:
    """Write the restore's record into the staged copy of the backup (migrated to this
    version's schema first); its number follows the replaced database's newest, so no
    number is given twice.  Refuses a backup whose audit log was cut after it was made."""
    from sqlalchemy import update

    from kac_desktop.db import open_database
    from kac_desktop.models import AuditHead

    sealed_head = backup_head(backup_path)
    db = open_database(staged, migrate=True)
    try:
        with db.session() as session, session.begin():
            if sealed_head is not None and not audit.reaches(session, sealed_head):
                raise BackupError(
                    _(
                        "The audit log in the backup {file} is shorter than when the backup "
                        "was made: the backup was changed afterwards; nothing was restored."
                    ).format(file=backup_path.name)
                )
            if live is not None:
                session.execute(
                    update(AuditHead)
                    .where(AuditHead.id == 1, AuditHead.seq < live.seq)
                    .values(seq=live.seq)
                )
            audit.record(
                session,
                actor,
                "backup.restore",
                "database",
                None,
                _("Database restored from {file}").format(file=backup_path.name),
                {
                    "backup": str(backup_path),
                    "replaced": str(replaced) if replaced else "",
                    "replaced_head": {"seq": live.seq, "hash": live.hash} if live else None,
                },
            )
            session.info.pop("kac_audit_head", None)  # kept once the data are in place
            head = audit.current_head(session)
    finally:
        db.dispose()
    return head


def restore_latest_good(
    db_path: Path, *, now: datetime | None = None, progress: Progress | None = None
) -> RestoreResult:
    """The way out of a damaged database: the newest backup that passes the check."""
    info = latest_good_backup(db_path, progress)
    if info is None:
        raise BackupError(
            _("There is no sound backup in {folder}.").format(folder=backups_dir(Path(db_path)))
        )
    return restore(db_path, info.path, now=now, progress=progress)


class _Span:
    """A part ``low``–``high`` of a longer job's progress (the cancel is the job's)."""

    def __init__(self, progress: Progress, low: float, high: float) -> None:
        self._progress, self._low, self._high = progress, low, high

    def report(self, fraction: float, message: str = "") -> None:
        self._progress.report(self._low + (self._high - self._low) * fraction, message)

    def cancelled(self) -> bool:
        return self._progress.cancelled()
