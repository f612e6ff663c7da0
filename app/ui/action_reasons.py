"""Greyed-out commands say why: each action's tooltip and status tip carry the reason it is off.

`update_action_reasons(window)` sets the enabled state of the window's file and transcription actions
and, for each one that is off, replaces its tip with one sentence saying what would turn it on; when
it is on again, its own tip comes back. (Re-align keeps its own reasons: `RealignController`.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

NO_PROJECT = "Open a recording or a project first (File \u25b8 Open)."
NO_RECORDING = "Open a recording first: there is no audio to transcribe."
BUSY = "Wait for the transcription or re-alignment to finish, or cancel it."
NOT_RUNNING = "Nothing is being transcribed."
_TIP = "verbatim_tip"  # the action's own tip, kept while a reason replaces it


def set_enabled_with_reason(action: QAction, enabled: bool, reason: str) -> None:
    """Enable `action`, or disable it with `reason` as its tooltip and status tip."""
    own = action.property(_TIP)
    if own is None:
        own = action.toolTip() if action.statusTip() else ""
        action.setProperty(_TIP, own)
    action.setEnabled(enabled)
    tip = str(own) if enabled else reason
    action.setToolTip(tip or action.text().replace("&", ""))
    action.setStatusTip(tip)


def update_action_reasons(window: MainWindow) -> None:
    """Enable the window's actions for its state, with the reason on each one that is off."""
    running = window.transcription.running or window.realign.running
    has_project = window.project is not None
    acts = window.acts
    transcribe_why = BUSY if running else NO_RECORDING if window.audio is None else ""
    set_enabled_with_reason(acts["transcribe"], not transcribe_why, transcribe_why)
    set_enabled_with_reason(acts["cancel"], window.transcription.running, NOT_RUNNING)
    for name in ("save", "save_as", "export"):
        set_enabled_with_reason(acts[name], has_project, NO_PROJECT)
    # while a background job writes into the document, nothing else may change it or replace it
    set_enabled_with_reason(acts["open"], not running, BUSY)
    for name in ("import", "keywords"):
        why = BUSY if running else "" if has_project else NO_PROJECT
        set_enabled_with_reason(acts[name], not why, why)
