"""Decoding a recording and building its peak pyramid off the GUI thread.

A two-hour recording takes seconds to decode the first time; the window stays responsive and shows
the transcript meanwhile. `MediaLoader.load(path)` answers with `loaded(path, audio, peaks)` or
`failed(path, message)`; a newer request supersedes an older one still in flight.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.core.errors import VerbatimError

log = logging.getLogger(__name__)


class _LoadWorker(QObject):
    loaded = Signal(object, object, object, int)  # path, AudioData, PeakPyramid, request id
    failed = Signal(object, str, int)

    def __init__(self, cache_dir: Path | None) -> None:
        super().__init__()
        self._cache_dir = cache_dir

    @Slot(object, int)
    def load(self, path: Path, request: int) -> None:
        try:
            from app.audio.cache import load_audio

            audio = load_audio(path, cache_dir=self._cache_dir)
            peaks = audio.peaks  # loaded from the cache, or built once and saved there
        except VerbatimError as exc:
            self.failed.emit(path, str(exc), request)
        except Exception as exc:  # a bug: one sentence, details in the log
            log.exception("loading %s failed", path)
            from app.core.crash_log import log_exception, unexpected_sentence

            self.failed.emit(path, unexpected_sentence(exc, f"open {Path(path).name}",
                                                       log_exception(exc, f"load {path}")), request)
        else:
            self.loaded.emit(path, audio, peaks, request)


class MediaLoader(QObject):
    """Loads recordings in a background thread; only the latest request's answer is delivered."""

    loaded = Signal(object, object, object)  # path, AudioData, PeakPyramid
    failed = Signal(object, str)  # path, one sentence
    _submit = Signal(object, int)

    def __init__(self, cache_dir: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = _LoadWorker(cache_dir)
        self._thread = QThread()
        self._thread.setObjectName("media-loader")
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.load)
        self._worker.loaded.connect(self._on_worker_loaded)
        self._worker.failed.connect(self._on_worker_failed)
        self._request = 0
        self._pending = False

    @property
    def busy(self) -> bool:
        return self._pending

    def load(self, path: Path) -> None:
        """Start loading `path` (answers arrive as signals on the GUI thread)."""
        if not self._thread.isRunning():
            self._thread.start()
        self._request += 1
        self._pending = True
        self._submit.emit(Path(path), self._request)

    def _on_worker_loaded(self, path: Any, audio: Any, peaks: Any, request: int) -> None:
        if request == self._request:
            self._pending = False
            self.loaded.emit(path, audio, peaks)

    def _on_worker_failed(self, path: Any, message: str, request: int) -> None:
        if request == self._request:
            self._pending = False
            self.failed.emit(path, message)

    def shutdown(self) -> None:
        """Stop the thread (waits for a load in progress)."""
        self._request += 1
        if self._thread.isRunning():
            self._thread.quit()
            self._thread.wait()
