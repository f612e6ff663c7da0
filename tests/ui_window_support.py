"""Helpers shared by the window tests: a window with private settings, folders and a demo copy."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSettings

from app.asr.engines.base import CancelToken, Capabilities, EngineUpdate, Progress, TranscribeOptions
from app.audio.player import Player
from app.core.document import Speaker, TranscriptionSettings, Word
from app.ui.app import demo_copy
from app.ui.main_window import MainWindow


def clock_player(samples: Any) -> Player:
    """A real Player that runs its clock without a sound device (this machine has none)."""
    return Player(samples, clock_only=True)


def new_window(qtbot: Any, tmp_path: Path, **kwargs: Any) -> MainWindow:
    """A MainWindow whose settings, recovery journals and decode cache live in `tmp_path`."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    kwargs.setdefault("probe_output", lambda: True)
    kwargs.setdefault("player_factory", clock_player)
    w = MainWindow(settings=settings, recovery_root=tmp_path / "recovery", cache_dir=tmp_path / "cache", **kwargs)
    w.ask_replace = lambda _words: True  # Transcribe over a transcript: the prompt has its own test
    qtbot.addWidget(w, before_close_func=close_quietly)  # pytest-qt closes widgets before fixtures end
    w.show()
    qtbot.waitExposed(w)
    return w


def open_and_wait(qtbot: Any, window: MainWindow, path: Path) -> None:
    """Open a project or recording and wait until its audio is loaded."""
    with qtbot.waitSignal(window.loader.loaded, timeout=20_000):
        assert window.open_path(path)


def open_demo(qtbot: Any, window: MainWindow, tmp_path: Path) -> Path:
    """Copy the demo into tmp_path/demo, open it, wait for the audio; returns the project path."""
    project = demo_copy(tmp_path / "demo")
    open_and_wait(qtbot, window, project)
    return project


def close_quietly(window: MainWindow) -> None:
    """End a test's window without prompts: mark it saved, stop its timers and threads."""
    if window.files.undo_stack is not None:
        window.files.undo_stack.setClean()
    window.shutdown()


class ScriptedEngine:
    """A test double that replays a known transcript, one piece per batch, `delay` seconds per batch."""

    name = "scripted"
    capabilities = Capabilities(languages=("en", "fr"), keywords=True, speakers=True, timestamps=True)

    def __init__(self, pieces: int = 6, delay: float = 0.0, fail_at: int | None = None, error: Exception | None = None):
        self.pieces, self.delay, self.fail_at, self.error = pieces, delay, fail_at, error
        self.batches_run = 0

    def settings(self, options: TranscribeOptions) -> TranscriptionSettings:
        return TranscriptionSettings(model="scripted", language=options.language, task=options.task, device="cpu")

    def transcribe(self, audio: np.ndarray, options: TranscribeOptions, cancel: CancelToken | None = None
                   ) -> Iterator[EngineUpdate]:
        total = len(audio) / 16000
        step = total / self.pieces
        speakers = (Speaker("S1", "Speaker 1", "#1f77b4"), Speaker("S2", "Speaker 2", "#d62728"))
        for k in range(self.pieces):
            if cancel is not None and cancel.cancelled:
                return
            if self.fail_at == k:
                raise self.error or RuntimeError("boom")
            time.sleep(self.delay)
            self.batches_run += 1
            start = int(k * step * 1000)
            words = tuple(
                Word(f"piece{k}-{j}", start + j * 200, start + j * 200 + 150, f"S{k % 2 + 1}") for j in range(3)
            )
            yield EngineUpdate(Progress(k + 1, self.pieces, (k + 1) * step, total), words, speakers)
