"""The main window's layout: the waveform above the transcript, the side panels in one right column.

The Speakers and Highlights docks share the column, which starts narrow so that the waveform and the
text keep the room. The window's geometry, its docks and the split are saved when it closes and
restored when the next one opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QSplitter, QWidget

if TYPE_CHECKING:
    from app.ui.transcript_editor import TranscriptEditor

SIDE_COLUMN_WIDTH = 340
_GEOMETRY, _STATE, _SPLIT = "window/geometry", "window/state", "window/split"


def build_layout(window: QMainWindow, waveform: QWidget, editor: TranscriptEditor,
                 speakers: QWidget) -> tuple[QSplitter, QDockWidget]:
    """Put the waveform over the editor (the window's centre) and the speakers panel in a right dock."""
    split = QSplitter(Qt.Orientation.Vertical)
    split.setObjectName("main_split")
    split.addWidget(waveform)
    split.addWidget(editor)
    split.setStretchFactor(0, 1)
    split.setStretchFactor(1, 3)
    split.setSizes([290, 490])
    split.setChildrenCollapsible(False)
    window.setCentralWidget(split)
    editor.text_view().setPlaceholderText(
        "No transcript yet. Press Transcribe (Ctrl+R) to transcribe this recording on this computer, "
        "or import one made elsewhere with File > Import Transcript.")
    dock = QDockWidget("Speakers", window)
    dock.setObjectName("speakers_dock")
    dock.setWidget(speakers)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetClosable)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.resize(1280, 800)
    return split, dock


def add_side_dock(window: QMainWindow, column: QDockWidget, dock: QDockWidget) -> None:
    """Add `dock` to the right column of `column` and keep that column narrow."""
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    # the panels share one column: keep it narrow so the waveform and the text keep the room
    QTimer.singleShot(0, window, lambda: window.resizeDocks([column], [SIDE_COLUMN_WIDTH], Qt.Orientation.Horizontal))


def restore_layout(window: QMainWindow, split: QSplitter, settings: QSettings) -> None:
    """The geometry, docks and split the last window closed with (if any)."""
    geometry = settings.value(_GEOMETRY)
    if geometry is not None:
        window.restoreGeometry(geometry)
    state = settings.value(_STATE)
    if state is not None:
        window.restoreState(state)
    sizes = settings.value(_SPLIT)
    if sizes:
        split.restoreState(sizes)


def save_layout(window: QMainWindow, split: QSplitter, settings: QSettings) -> None:
    """Remember the window's geometry, docks and split for the next window."""
    settings.setValue(_GEOMETRY, window.saveGeometry())
    settings.setValue(_STATE, window.saveState())
    settings.setValue(_SPLIT, split.saveState())
