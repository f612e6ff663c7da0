"""A real local Ray Serve transcription server with tiny random-weight models, for the server tests and the bench.

`running_server(folder, ...)` builds a tiny NAR model and a tiny 2b-topology model, starts a local Ray
cluster (a few CPUs, no dashboard), runs the Verbatim server on a free port with one token, and shuts it
all down afterwards. `recording(path, seconds)` writes a test recording with pauses (tones over noise).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import soundfile as sf

TOKEN = "test-token-0123456789abcdef"


@dataclass(frozen=True)
class RunningServer:
    url: str
    token: str
    nar: Path
    granite: Path


def recording(path: Path, seconds: float, seed: int = 0) -> Path:
    """Tones in bursts of a few seconds with pauses between them, over quiet noise (16 kHz mono WAV)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    bursts = (np.sin(2 * np.pi * 0.13 * t + seed) > -0.3).astype(np.float32)
    audio = 0.3 * np.sin(2 * np.pi * (180 + 40 * np.sin(2 * np.pi * 0.5 * t)) * t) * bursts
    audio = (audio + 0.005 * rng.standard_normal(t.size)).astype(np.float32)
    sf.write(str(path), audio, 16000)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tiny_models(folder: Path) -> tuple[Path, Path]:
    from test_nar_tokenizer import install_tiny_tokenizer
    from tiny_models import build_tiny_granite

    nar = folder / "nar"
    if not (nar / "tokenizer.json").is_file():
        install_tiny_tokenizer(nar)
    return nar, build_tiny_granite(folder / "granite")


@contextlib.contextmanager
def running_server(folder: Path, num_cpus: int = 2, **config: object) -> Iterator[RunningServer]:
    """A server for the tiny models on 127.0.0.1 (token `TOKEN`), stopped on exit."""
    from app.server import application
    from app.server.config import ServerConfig

    nar, granite = tiny_models(folder)
    base = ServerConfig(models=(str(nar), str(granite)), port=free_port(), tokens=(TOKEN,), replica_cpus=0,
                        retries=6, work_dir=str(folder / "work"))
    cfg = replace(base, **config)  # type: ignore[arg-type]
    try:
        application.start(cfg, num_cpus=num_cpus)
        yield RunningServer(cfg.url, TOKEN, nar, granite)
    finally:
        application.stop()
