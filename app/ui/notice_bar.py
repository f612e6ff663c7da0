"""A banner across the top of the window for states the person must not miss (read-only, autosave moved).

Status-bar messages fade; these stay until the state ends. Each notice has a key so that the code that
raised it can clear it; the bar hides itself when no notice is left.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QToolBar


class NoticeBar(QToolBar):
    """A non-movable toolbar holding one line per active notice."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__("Notices", window)
        self.setObjectName("notice_bar")
        self.setMovable(False)
        self.setFloatable(False)
        self.toggleViewAction().setVisible(False)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setStyleSheet("QLabel { background: #fff4ce; color: #3d2c00; padding: 6px 10px; }")
        self.addWidget(self.label)
        self._notices: dict[str, str] = {}
        window.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self)
        self.setVisible(False)

    def show_notice(self, key: str, text: str) -> None:
        """Show (or replace) the notice `key`."""
        self._notices[key] = text
        self._refresh()

    def clear_notice(self, key: str) -> None:
        """Remove the notice `key` (no-op when it is not shown)."""
        if self._notices.pop(key, None) is not None:
            self._refresh()

    def text(self) -> str:
        """All notices shown, one per line."""
        return "\n".join(self._notices.values())

    def _refresh(self) -> None:
        self.label.setText(self.text())
        self.setVisible(bool(self._notices))
