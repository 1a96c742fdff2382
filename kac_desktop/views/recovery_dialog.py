"""When the database cannot be used (damaged, foreign, newer, locked): the message and a way
forward — the latest good backup, another database, or quit.  Never a traceback."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from kac_desktop.i18n import _
from kac_desktop.rules.clock import LOCAL_TZ
from kac_desktop.services import backup as backup_service
from kac_desktop.services.backup import BackupInfo, RestoreResult

from . import operations


class RecoveryDialog(QDialog):
    """``choice`` after exec: "restored", "other" (``other_path``), "retry" or "quit"."""

    def __init__(
        self, message: str, db_path: Path | None, *, locked: bool = False, parent=None
    ) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self.choice = "quit"
        self.other_path: Path | None = None
        self.result_info: RestoreResult | None = None
        self.setWindowTitle(_("The database cannot be opened"))
        text = QLabel(message)
        text.setObjectName("message")
        text.setWordWrap(True)
        text.setStyleSheet("font-size: 14px;")
        self.latest: BackupInfo | None = None
        if db_path is not None and not locked:
            self.latest = backup_service.latest_good_backup(db_path)
        if self.latest is not None:
            info_text = _("The latest good backup is from {time} ({file}).").format(
                time=self.latest.at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                file=self.latest.name,
            )
        elif locked:
            info_text = _("Close the other program that uses the database, then try again.")
        else:
            info_text = _("No good backup of this database was found.")
        info = QLabel(info_text)
        info.setObjectName("info")
        info.setWordWrap(True)
        info.setStyleSheet("color: #555;")
        self.restore_button = QPushButton(_("Open the latest good backup"))
        self.restore_button.setObjectName("restoreLatest")
        self.restore_button.setEnabled(self.latest is not None)
        self.restore_button.setVisible(not locked)
        self.retry_button = QPushButton(_("Try again"))
        self.retry_button.setVisible(locked)
        self.other_button = QPushButton(_("Choose another database…"))
        self.quit_button = QPushButton(_("Quit"))
        self.restore_button.clicked.connect(self.restore_latest)
        self.retry_button.clicked.connect(lambda: self._finish("retry"))
        self.other_button.clicked.connect(self.choose_other)
        self.quit_button.clicked.connect(lambda: self._finish("quit"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.quit_button)
        buttons.addStretch()
        buttons.addWidget(self.other_button)
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.restore_button)
        if self.latest is not None:
            self.restore_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(info)
        layout.addSpacing(8)
        layout.addLayout(buttons)
        text.setMinimumWidth(540)
        self.adjustSize()

    def _finish(self, choice: str) -> None:
        self.choice = choice
        if choice == "quit":
            self.reject()
        else:
            self.accept()

    def restore_latest(self) -> None:
        if self.db_path is None:
            return
        path = self.db_path
        result = operations.run_long(
            self,
            _("Restoring the latest good backup…"),
            lambda progress: backup_service.restore_latest_good(path, progress=progress),
            title=self.windowTitle(),
        )
        if result is None:
            return
        self.result_info = result
        replaced = self.result_info.replaced
        QMessageBox.information(
            self,
            self.windowTitle(),
            _("Database restored from {file}.").format(file=self.result_info.restored_from.name)
            + (
                "\n" + _("The replaced database is kept as {file}.").format(file=replaced)
                if replaced
                else ""
            ),
        )
        self._finish("restored")

    def choose_other(self) -> None:
        start = str(self.db_path.parent) if self.db_path else ""
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Choose another database"), start, _("Databases (*.db);;All files (*)")
        )
        if path:
            self.other_path = Path(path)
            self._finish("other")
