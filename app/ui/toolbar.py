"""The main toolbar: files, transcription (with the transcribe panel) and the playback transport."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMainWindow, QSizePolicy, QToolBar, QToolButton, QWidget

WINDOW_STYLE = """
QMainWindow { background: #f3f5f8; }
QToolBar { background: #ffffff; border: none; border-bottom: 1px solid #dde3ea; spacing: 6px; padding: 4px 6px; }
QToolButton#transcribe_button {
    background: #2f6fd6; color: white; border-radius: 4px; padding: 4px 10px; font-weight: 600;
}
QToolButton#transcribe_button:disabled { background: #a9bde3; }
QStatusBar { background: #ffffff; border-top: 1px solid #dde3ea; color: #3c4a5c; }
QStatusBar QLabel { padding: 0 8px; }
QDockWidget::title { background: #eef1f5; padding: 5px; font-weight: 600; }
QSplitter::handle { background: #dde3ea; }
"""


class SpeedLabel(QLabel):
    """Shows the playback speed ("1.0x"); F3/F4 change it."""

    def __init__(self) -> None:
        super().__init__("1.0x")
        self.setToolTip("Playback speed (F3 slower, F4 faster; the pitch is kept)")
        self.setMinimumWidth(38)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def set_speed(self, speed: float) -> None:
        self.setText(f"{speed:.1f}x")


def _spacer() -> QWidget:
    w = QWidget()
    w.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return w


def build_toolbar(window: QMainWindow, acts: dict[str, QAction], panel: QWidget, speed: QWidget) -> QToolBar:
    """The window's single toolbar, with the transcribe `panel` and the `speed` label; returns it (its
    object name keeps the layout in saved state)."""
    bar = QToolBar("Main", window)
    bar.setObjectName("main_toolbar")
    bar.setMovable(False)
    bar.setIconSize(QSize(18, 18))
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    bar.addAction(acts["open"])
    bar.addAction(acts["save"])
    for name in ("open", "save"):  # icons only (their tooltips say what they are): room for the transport
        button = bar.widgetForAction(acts[name])
        if isinstance(button, QToolButton):
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    bar.addSeparator()
    bar.addWidget(panel)
    acts["keywords"].setIconText("Keywords")
    acts["cancel"].setIconText("Cancel")
    bar.addAction(acts["keywords"])
    transcribe = QToolButton()
    transcribe.setDefaultAction(acts["transcribe"])
    transcribe.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    transcribe.setObjectName("transcribe_button")
    bar.addWidget(transcribe)
    bar.addAction(acts["cancel"])
    cancel = bar.widgetForAction(acts["cancel"])
    if isinstance(cancel, QToolButton):
        cancel.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    bar.addWidget(_spacer())
    for name in ("play_back", "play_play", "play_forward"):
        bar.addAction(acts[name])
        button = bar.widgetForAction(acts[name])
        if isinstance(button, QToolButton):
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    bar.addWidget(speed)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    return bar
