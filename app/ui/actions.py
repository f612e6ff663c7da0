"""The main window's actions and menus (File, Edit, View, Playback, Transcribe, Help).

Actions are created once per window and kept in a dict by name, so the toolbar, the menus, the
shortcuts dialog and the tests all use the same objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QMenu, QStyle

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

# a shortcut as Qt takes it: text ("Ctrl+J"), a standard key, a sequence, or a list of them
KeySpec = str | QKeySequence | QKeySequence.StandardKey
KeysArg = KeySpec | list[KeySpec] | None


def _action(window: MainWindow, text: str, slot: Callable[[], object] | None, keys: KeysArg = None,
            icon: QStyle.StandardPixmap | None = None, tip: str = "") -> QAction:
    a = QAction(text, window)
    if keys is not None:
        seqs = keys if isinstance(keys, list) else [keys]
        a.setShortcuts([k if isinstance(k, QKeySequence) else QKeySequence(k) for k in seqs])
    if icon is not None:
        a.setIcon(window.style().standardIcon(icon))
    if tip:
        a.setStatusTip(tip)
        a.setToolTip(tip)
    if slot is not None:
        a.triggered.connect(lambda _checked=False: slot())
    return a


def build_actions(window: MainWindow) -> dict[str, QAction]:
    """Every action of the window, by name."""
    sp = QStyle.StandardPixmap
    K = QKeySequence.StandardKey
    acts = {
        "open": _action(window, "&Open...", window.open_dialog, K.Open, sp.SP_DialogOpenButton,
                        "Open a recording or a Verbatim project"),
        "save": _action(window, "&Save", window.save, K.Save, sp.SP_DialogSaveButton, "Save the project"),
        "save_as": _action(window, "Save &As...", window.save_as, K.SaveAs),
        "import": _action(window, "&Import Transcript...", window.import_dialog, "Ctrl+I", None,
                          "Check an SRT, WebVTT or JSON transcript made elsewhere against this recording"),
        "export": _action(window, "&Export...", window.export_dialog, "Ctrl+E", None,
                          "Export the transcript as DOCX, SRT, WebVTT, text or JSON"),
        "quit": _action(window, "&Quit", window.close, K.Quit),
        "keywords": _action(window, "&Keyword List...", window.keywords_dialog, "Ctrl+K", None,
                            "Names, places and terms the model should favour"),
        "transcribe": _action(window, "&Transcribe", window.transcribe, "Ctrl+R", sp.SP_MediaPlay,
                              "Transcribe the recording with the chosen model"),
        "realign": _action(window, "Re-&align Edited Words", lambda: window.realign.start(), "Ctrl+Shift+A", None,
                           "Re-time the words you typed or changed against the recording with an aligner"),
        "cancel": _action(window, "&Cancel Transcription", window.transcription.cancel, None,
                          sp.SP_BrowserStop, "Stop after the current batch; the words so far are kept"),
        "zoom_in": _action(window, "Zoom &In", lambda: window.waveform.zoom(0.5), "Ctrl+="),
        "zoom_out": _action(window, "Zoom &Out", lambda: window.waveform.zoom(2.0), "Ctrl+-"),
        "fit": _action(window, "&Fit Waveform", window.waveform.fit, "Ctrl+9"),
        "models": _action(window, "&Models...", window.models_dialog, None, None,
                          "Download, remove or locate the speech models"),
        "paragraphs": _action(window, "&Paragraph Breaks...", lambda: _paragraphs(window), None, None,
                              "The pauses that start a new paragraph in transcripts"),
        "server": _action(window, "Transcription &Server...", window.server_dialog, None, None,
                          "Transcribe on a newsroom server: its URL and token"),
        "shortcuts": _action(window, "&Keyboard Shortcuts", window.shortcuts_dialog, "Ctrl+/"),
        "about": _action(window, "&About Verbatim", window.about, None),
    }
    undo = window.undo_group.createUndoAction(window, "&Undo")
    undo.setShortcuts(QKeySequence.StandardKey.Undo)
    redo = window.undo_group.createRedoAction(window, "&Redo")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    acts["undo"], acts["redo"] = undo, redo
    acts["cancel"].setEnabled(False)
    follow = QAction("Follow &Playhead", window)
    follow.setCheckable(True)
    follow.setChecked(True)
    acts["follow"] = follow
    play_on_click = QAction("Play When a &Word Is Clicked", window)
    play_on_click.setCheckable(True)
    play_on_click.setChecked(bool(window.settings.value("playback/play_on_click", True, type=bool)))
    play_on_click.toggled.connect(lambda on: window.settings.setValue("playback/play_on_click", on))
    acts["play_on_click"] = play_on_click
    for key, a in window.playback.actions.items():
        acts[f"play_{key}"] = a
    acts["play_play"].setIcon(window.style().standardIcon(sp.SP_MediaPlay))
    acts["play_back"].setIcon(window.style().standardIcon(sp.SP_MediaSeekBackward))
    acts["play_forward"].setIcon(window.style().standardIcon(sp.SP_MediaSeekForward))
    for a in acts.values():
        window.addAction(a)  # shortcuts work wherever the focus is
    for a in (window.editor.find_action, window.editor.replace_action):
        window.addAction(a)  # one action each (no ambiguous shortcut): Ctrl+F / Ctrl+H from anywhere
    return acts


def build_menus(window: MainWindow, acts: dict[str, QAction]) -> QMenu:
    """Fill the menu bar; returns the Open Recent menu (rebuilt when the list changes)."""
    bar = window.menuBar()
    file = bar.addMenu("&File")
    file.addAction(acts["open"])
    recent = file.addMenu("Open &Recent")
    file.addSeparator()
    for name in ("save", "save_as"):
        file.addAction(acts[name])
    file.addSeparator()
    file.addAction(acts["import"])
    file.addAction(acts["export"])
    file.addSeparator()
    file.addAction(acts["quit"])
    edit = bar.addMenu("&Edit")
    edit.addAction(acts["undo"])
    edit.addAction(acts["redo"])
    edit.addSeparator()
    edit.addAction(window.editor.copy_action)
    edit.addAction(window.editor.copy_plain_action)
    edit.addSeparator()
    edit.addAction(window.editor.find_action)
    edit.addAction(window.editor.replace_action)
    view = bar.addMenu("&View")
    for name in ("zoom_in", "zoom_out", "fit"):
        view.addAction(acts[name])
    view.addSeparator()
    view.addAction(acts["follow"])
    view.addAction(window.speakers_dock.toggleViewAction())
    play = bar.addMenu("&Playback")
    for key in ("play", "back", "forward", None, "slower", "faster", "normal", None, "goto", None, "on_click"):
        if key is None:
            play.addSeparator()
        else:
            play.addAction(acts[f"play_{key}"])
    tr = bar.addMenu("&Transcribe")
    tr.addAction(acts["transcribe"])
    tr.addAction(acts["cancel"])
    tr.addAction(acts["realign"])
    tr.addSeparator()
    tr.addAction(acts["keywords"])
    tr.addAction(acts["paragraphs"])
    tr.addAction(acts["models"])
    settings = bar.addMenu("&Settings")
    settings.addAction(acts["server"])
    help_ = bar.addMenu("&Help")
    help_.addAction(acts["shortcuts"])
    help_.addAction(acts["about"])
    return recent


def _paragraphs(window: MainWindow) -> None:
    from app.ui import window_dialogs

    window_dialogs.paragraphs(window)


def fill_recent_menu(menu: QMenu, window: MainWindow) -> None:
    """Rebuild File > Open Recent from the settings."""
    menu.clear()
    files = window.files.recent_files()
    for i, path in enumerate(files):
        a = menu.addAction(f"&{i + 1}  {path.name}")
        a.setToolTip(str(path))
        a.setStatusTip(str(path))
        a.triggered.connect(lambda _c=False, p=path: window.open_path(p))
    if files:
        menu.addSeparator()
        menu.addAction("Clear List", window.files.clear_recent)
    menu.setEnabled(bool(files))


def app_icon() -> QIcon:
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "resources" / "icons" / "verbatim.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def add_part_menu(window: MainWindow, actions: dict[str, QAction], menu: QMenu, before: str) -> None:
    """A part's actions join the window's (their shortcuts work wherever the focus is) and its menu goes
    before the menu called `before` (at the end when there is none)."""
    window.acts.update(actions)
    for action in actions.values():
        window.addAction(action)
    bar = window.menuBar()
    anchor = next((a for a in bar.actions() if a.text().replace("&", "") == before), None)
    if anchor is not None:
        bar.insertMenu(anchor, menu)
    else:
        bar.addMenu(menu)
