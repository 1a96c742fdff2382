"""Wires users, audit log, backups and the password into the main window, so that the
window itself changes by a few lines."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMainWindow, QPushButton

from kac_desktop.i18n import _
from kac_desktop.services import roles


class AdminPages:
    """The pages each role may use (supervisors: their branch's users read-only, the audit
    log, backups; the administrator also changes users and restores), and 修改密码… for
    everyone."""

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        window.restart_requested = False  # type: ignore[attr-defined]
        actor = window.actor  # type: ignore[attr-defined]
        # the pages are built when first shown (MainWindow._add_lazy_page)
        self._names: set[str] = set()
        if roles.may_view_users(actor):
            self._add(_("Users"), "users", self._make_users)
        if roles.may_view_audit(actor):
            self._add(_("Audit log"), "audit", self._make_audit)
        if roles.may_back_up(actor):
            self._add(_("Backup and restore"), "backup", self._make_backup)
        # 数据交换: everyone at a branch PC writes and imports packages; the page says what
        # this database and this role may do
        self._add(_("Data exchange"), "sync", self._make_sync)
        from PySide6.QtWidgets import QLabel

        self.sync_label = QLabel()
        self.sync_label.setObjectName("syncSummary")
        window.statusBar().addPermanentWidget(self.sync_label)
        self._count_sync()
        self.password_button = QPushButton(_("Change password…"))
        self.password_button.setFlat(True)
        self.password_button.setObjectName("changePassword")
        self.password_button.clicked.connect(self.change_password)
        window.statusBar().addPermanentWidget(self.password_button)

    def _add(self, title: str, name: str, make) -> None:
        self.window._add_lazy_page(title, name, make)  # type: ignore[attr-defined]
        self._names.add(name)

    def _page(self, name: str):
        """The page, built on first use; None when the role does not have it."""
        if name not in self._names:
            return None
        return self.window._page(name)  # type: ignore[attr-defined]

    users = property(lambda self: self._page("users"))
    audit = property(lambda self: self._page("audit"))
    backup = property(lambda self: self._page("backup"))
    sync = property(lambda self: self._page("sync"))

    def _make_sync(self):
        from .sync_page import SyncPage

        page = SyncPage(self.window.db, self.window.actor)  # type: ignore[attr-defined]
        page.summaryChanged.connect(self.sync_label.setText)
        self.sync_label.setText(page.summary())
        return page

    def _count_sync(self) -> None:
        """The status bar's changes not yet sent and last exchange, counted off the UI
        thread (a center compares every branch's records)."""
        from . import jobs

        db, actor = self.window.db, self.window.actor  # type: ignore[attr-defined]

        def work(_progress):
            from kac_desktop.services import sync as sync_service

            return sync_service.status(db, actor)

        def done(state) -> None:
            if state.role is None:
                return
            from .sync_page import when

            waiting = sum(p.waiting for p in state.peers)
            heard = [p.last_heard_at for p in state.peers if p.last_heard_at is not None]
            text = _("Not yet sent: {n} · last exchange: {when}").format(
                n=waiting, when=when(max(heard) if heard else None)
            )
            try:
                self.sync_label.setText(text)
            except RuntimeError:  # the window was closed meanwhile
                pass

        jobs.start(work, done, lambda _error: None, name="sync-status")

    def _make_users(self):
        from .users_page import UsersPage

        return UsersPage(self.window.db, self.window.actor)  # type: ignore[attr-defined]

    def _make_audit(self):
        from .audit_page import AuditPage

        return AuditPage(self.window.db, self.window.actor)  # type: ignore[attr-defined]

    def _make_backup(self):
        from .backup_page import BackupPage

        page = BackupPage(self.window.db, self.window.actor)  # type: ignore[attr-defined]
        page.restoreRequested.connect(self.restore)
        return page

    def change_password(self) -> bool:
        from PySide6.QtWidgets import QMessageBox

        from .password_dialog import ChangePasswordDialog

        dialog = ChangePasswordDialog(self.window.db, self.window.actor, self.window)  # type: ignore[attr-defined]
        if dialog.exec() != ChangePasswordDialog.DialogCode.Accepted:
            return False
        QMessageBox.information(self.window, _("Change password"), _("Your password was changed."))
        return True

    def restore(self, path: str) -> None:
        """Close the database, restore the checked backup, and start again (sign-in)."""
        from PySide6.QtWidgets import QMessageBox

        from kac_desktop.services import backup

        from . import operations

        db, actor = self.window.db, self.window.actor  # type: ignore[attr-defined]
        db.dispose()
        result = operations.run_long(
            self.window,
            _("Restoring the backup…"),
            lambda progress: backup.restore(db.path, Path(path), actor=actor, progress=progress),
            title=_("Backup and restore"),
        )
        if result is None:
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
