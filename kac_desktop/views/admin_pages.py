"""Wires users, audit log, backups and the password into the main window, so that the
window itself changes by a few lines."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMainWindow, QMessageBox, QPushButton

from kac_desktop.i18n import _
from kac_desktop.progress import Cancelled
from kac_desktop.services import audit, backup, users
from kac_desktop.services.errors import ServiceError

from .audit_page import AuditPage
from .backup_page import BackupPage
from .password_dialog import ChangePasswordDialog
from .users_page import UsersPage
from .workers import run_with_progress


class AdminPages:
    """The pages each role may use (supervisors: their branch's users read-only, the audit
    log, backups; the administrator also changes users and restores), and 修改密码… for
    everyone."""

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        window.restart_requested = False  # type: ignore[attr-defined]
        db, actor = window.db, window.actor  # type: ignore[attr-defined]
        self.users = UsersPage(db, actor) if users.may_view_users(actor) else None
        self.audit = AuditPage(db, actor) if audit.may_view(actor) else None
        self.backup = BackupPage(db, actor) if backup.may_back_up(actor) else None
        if self.users is not None:
            window._add_page(_("Users"), self.users)  # type: ignore[attr-defined]
        if self.audit is not None:
            window._add_page(_("Audit log"), self.audit)  # type: ignore[attr-defined]
        if self.backup is not None:
            window._add_page(_("Backup and restore"), self.backup)  # type: ignore[attr-defined]
            self.backup.restoreRequested.connect(self.restore)
        self.password_button = QPushButton(_("Change password…"))
        self.password_button.setFlat(True)
        self.password_button.setObjectName("changePassword")
        self.password_button.clicked.connect(self.change_password)
        window.statusBar().addPermanentWidget(self.password_button)

    def change_password(self) -> bool:
        dialog = ChangePasswordDialog(self.window.db, self.window.actor, self.window)  # type: ignore[attr-defined]
        if dialog.exec() != ChangePasswordDialog.DialogCode.Accepted:
            return False
        QMessageBox.information(self.window, _("Change password"), _("Your password was changed."))
        return True

    def restore(self, path: str) -> None:
        """Close the database, restore the checked backup, and start again (sign-in)."""
        db, actor = self.window.db, self.window.actor  # type: ignore[attr-defined]
        db.dispose()
        try:
            result = run_with_progress(
                self.window,
                _("Restoring the backup…"),
                lambda _p: backup.restore(db.path, Path(path), actor=actor),
            )
        except Cancelled:
            return
        except ServiceError as exc:
            QMessageBox.warning(self.window, _("Backup and restore"), exc.message)
            return
        QMessageBox.information(
            self.window,
            _("Backup and restore"),
            _("Database restored from {file}.").format(file=result.restored_from.name)
            + (
                "\n" + _("The replaced database is kept as {file}.").format(file=result.replaced)
                if result.replaced
                else ""
            )
            + "\n"
            + _("Please sign in again."),
        )
        self.window.restart_requested = True  # type: ignore[attr-defined]
        self.window.close()
