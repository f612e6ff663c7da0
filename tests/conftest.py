"""Shared fixtures: speech made with espeak-ng, the tiny models' folders, Qt in offscreen mode."""

from __future__ import annotations

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
