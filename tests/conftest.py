"""Shared fixtures: speech made with espeak-ng, the tiny models' folders, Qt in offscreen mode."""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never read or write the real user's settings, model choices or decode cache from a test.
_SANDBOX = Path(tempfile.mkdtemp(prefix="verbatim-tests-"))
os.environ.setdefault("VERBATIM_CONFIG_DIR", str(_SANDBOX / "config"))
os.environ.setdefault("VERBATIM_CACHE_DIR", str(_SANDBOX / "cache"))
os.environ.setdefault("VERBATIM_LOG_DIR", str(_SANDBOX / "logs"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Models compute in fp32 unless a test asks for another precision (no per-machine measurement in the suite).
os.environ.setdefault("VERBATIM_PRECISION", "fp32")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

DATA = Path(__file__).parent / "data"


def make_speech(path: Path, text: str, voice: str = "en", speed: int = 160) -> Path:
    """Speak `text` with espeak-ng into a WAV file (22.05 kHz mono, as espeak writes it)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True)
    return path


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 4 s of English speech with a pause in the middle."""
    folder = tmp_path_factory.mktemp("speech")
    return make_speech(
        folder / "speech.wav", "Hello from the newsroom. [[_::_]] The mayor said the bridge opens in May."
    )


@pytest.fixture(scope="session")
def speech_16k(speech_wav: Path) -> np.ndarray:
    """The same speech as 16 kHz mono float32."""
    import soundfile as sf
    import soxr

    data, rate = sf.read(speech_wav, dtype="float32", always_2d=True)
    return soxr.resample(data.mean(axis=1), rate, 16000).astype(np.float32)


# --- Nothing a test starts may outlive it: Python threads, QThreads and QTimers are checked after each test. ---

_STARTED_QT: list[object] = []


def _track_qt_starts() -> None:
    """Record every QThread and QTimer started from Python, so a test that leaves one running can be named."""
    try:
        from PySide6 import QtCore
    except ImportError:  # pragma: no cover - PySide6 is a dependency
        return
    for cls in (QtCore.QThread, QtCore.QTimer):
        original = cls.start
        if getattr(original, "_verbatim_tracked", False):
            continue

        def start(self, *args, _original=original, **kwargs):  # type: ignore[no-untyped-def]
            _STARTED_QT.append(self)
            return _original(self, *args, **kwargs)

        start._verbatim_tracked = True  # type: ignore[attr-defined]
        cls.start = start


def _running_qt() -> list[str]:
    import shiboken6
    from PySide6 import QtCore

    running = []
    for obj in _STARTED_QT:
        if not shiboken6.isValid(obj):
            continue
        if isinstance(obj, QtCore.QThread) and obj.isRunning():
            running.append(f"QThread {type(obj).__name__}")
        elif isinstance(obj, QtCore.QTimer) and obj.isActive():
            running.append(f"QTimer {type(obj).__name__} {obj.objectName() or ''} ({obj.interval()} ms)".strip())
    return running


_track_qt_starts()

try:  # tqdm's progress bars (model downloads) would otherwise start a monitor thread that outlives every test
    import tqdm

    tqdm.tqdm.monitor_interval = 0
except ImportError:  # pragma: no cover - tqdm comes with huggingface_hub
    pass


def _ray_driver_thread(thread: object) -> bool:
    """Ray's driver starts its router thread and gRPC's poller the first time a test talks to a deployment;
    they belong to the test module's cluster (a module fixture), which shuts them down with the cluster."""
    target = getattr(thread, "_target", None)
    return str(getattr(target, "__module__", "") or "").startswith(("ray.", "grpc."))


# As in the app (`app.ui.safe_gc`): cycles are collected between tests, never by a collection that starts inside a
# Qt call (one that began inside pyqtgraph's signal disconnect and destroyed an earlier test's window froze the suite).
gc.disable()


@pytest.fixture(autouse=True)
def no_leftover_threads_or_timers(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Fail a test that leaves a Python thread, a QThread or an active QTimer behind (DESIGN.md: tests)."""
    import threading
    import time

    before = set(threading.enumerate())
    _STARTED_QT.clear()
    yield
    from app.ui.safe_gc import collect_due

    collect_due(always=True)  # the test's cycles (and older ones when due), where no Qt call is running
    deadline = time.monotonic() + 3.0
    while True:
        # A _DummyThread stands for a thread Python did not start (Qt's own); QThreads are tracked above.
        threads = [t for t in threading.enumerate() if t not in before and t.is_alive()
                   and not isinstance(t, threading._DummyThread) and not _ray_driver_thread(t)]
        try:
            from PySide6 import QtCore

            app = QtCore.QCoreApplication.instance()
            if app is not None:
                app.processEvents()
        except ImportError:  # pragma: no cover
            pass
        qt = _running_qt()
        if (not threads and not qt) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    _STARTED_QT.clear()
    left = [f"thread {t.name}" for t in threads] + qt
    assert not left, f"the test left running: {', '.join(left)}"
