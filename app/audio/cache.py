"""Decode once, memory-map afterwards: the 16 kHz mono samples of a recording, cached on disk.

The cache key is `app.core.fingerprint.media_fingerprint`. One entry is three files in the cache folder:
`<hex>.f32` (raw little-endian float32 samples), `<hex>.peaks.npz` (level 0 of the peak pyramid, built
while decoding) and `<hex>.json` (sample count and format version), written last, each atomically
(temporary file + rename), so a crash never leaves an entry that looks complete. Reopening a two-hour
interview maps the samples read-only and decodes nothing, and the samples stay out of RAM until read.

The folder is, in order: the `cache_dir` argument, the VERBATIM_CACHE_DIR environment variable, or
platformdirs' user cache folder for "verbatim" + "/audio".
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import ClassVar

import numpy as np

from app.audio.decode import SAMPLE_RATE, check_path, iter_16k_mono
from app.audio.peaks import PeakBuilder, PeakPyramid
from app.audio.truncation import Truncation
from app.core.errors import MediaError
from app.core.fingerprint import media_fingerprint

FORMAT_VERSION = 1
CACHE_ENV = "VERBATIM_CACHE_DIR"


@dataclass(frozen=True, eq=False)
class AudioData:
    """A decoded recording: `samples` is 16 kHz mono float32 (a read-only np.memmap when it came from the cache)."""

    samples: np.ndarray
    fingerprint: str
    duration_ms: int
    source: Path
    cache_file: Path | None = None
    truncation: Truncation | None = None  # the file holds less than its header promises (salvaged)
    sample_rate: ClassVar[int] = SAMPLE_RATE

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return len(self.samples) / SAMPLE_RATE

    @cached_property
    def peaks(self) -> PeakPyramid:
        """The peak pyramid: loaded from beside the cache file, or built (and saved there) once."""
        npz = _peaks_path(self.cache_file) if self.cache_file is not None else None
        if npz is not None:
            loaded = PeakPyramid.load(npz, self.samples, SAMPLE_RATE)
            if loaded is not None:
                return loaded
        pyramid = PeakPyramid.from_samples(self.samples, SAMPLE_RATE)
        if npz is not None:
            try:
                pyramid.save(npz)
            except OSError:
                pass  # a read-only cache still works, it only rebuilds the peaks next time
        return pyramid


def default_cache_dir() -> Path:
    """VERBATIM_CACHE_DIR if set, else the platform's user cache folder for Verbatim + /audio."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("verbatim", appauthor=False)) / "audio"


def _peaks_path(raw: Path) -> Path:
    return raw.with_name(raw.stem + ".peaks.npz")


def cache_paths(fingerprint: str, cache_dir: Path) -> tuple[Path, Path, Path]:
    """(samples .f32, sidecar .json, peaks .npz) of one fingerprint's entry."""
    key = fingerprint.split(":", 1)[-1]
    raw = cache_dir / f"{key}.f32"
    return raw, cache_dir / f"{key}.json", _peaks_path(raw)


def _valid_entry(raw: Path, sidecar: Path, media: Path | None = None) -> int | None:
    """The sample count of a complete, current entry; None when it must be (re)decoded.

    The fingerprint samples only parts of a file, so an entry made from this very path is also checked
    against the file's modification time: a recording edited in place (same size) is decoded again.
    A moved or copied recording (another path, same fingerprint) still uses the entry.
    """
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        n = int(meta["samples"])
        if meta.get("format_version") != FORMAT_VERSION or meta.get("sample_rate") != SAMPLE_RATE:
            return None
        if media is not None and meta.get("source") == str(media) and "source_mtime_ns" in meta:
            if int(meta["source_mtime_ns"]) != media.stat().st_mtime_ns:
                return None
        if n <= 0 or raw.stat().st_size != 4 * n:
            return None
        return n
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _decode_into(media: Path, fingerprint: str, raw: Path, sidecar: Path, peaks: Path) -> int:
    """Stream the decode into `raw` (and the peaks beside it); returns the sample count."""
    fd, tmp = tempfile.mkstemp(dir=raw.parent, prefix=raw.name, suffix=".part")
    builder = PeakBuilder()
    cut: list[Truncation] = []
    try:
        with os.fdopen(fd, "wb") as f:
            for block in iter_16k_mono(media, cut.append):
                block.astype("<f4", copy=False).tofile(f)
                builder.add(block)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, raw)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    n = builder.n_samples
    builder.save(peaks, SAMPLE_RATE)
    meta = {"format_version": FORMAT_VERSION, "samples": n, "sample_rate": SAMPLE_RATE, "dtype": "float32",
            "fingerprint": fingerprint, "source": str(media), "source_mtime_ns": media.stat().st_mtime_ns}
    if cut:
        meta["declared_s"] = cut[0].declared_s
    _atomic_write_text(sidecar, json.dumps(meta, indent=1))
    return n


def load_audio(path: str | os.PathLike[str], cache_dir: str | os.PathLike[str] | None = None) -> AudioData:
    """The recording as 16 kHz mono float32, decoded on first use and memory-mapped from the cache after."""
    media = check_path(path)
    folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    fingerprint = media_fingerprint(media)
    raw, sidecar, peaks = cache_paths(fingerprint, folder)
    n = _valid_entry(raw, sidecar, media)
    if n is None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            n = _decode_into(media, fingerprint, raw, sidecar, peaks)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise MediaError(f"The decoded audio of {media.name} could not be saved in {folder} ({reason}).") from exc
    samples = np.memmap(raw, dtype=np.float32, mode="r", shape=(n,))
    return AudioData(samples, fingerprint, round(n * 1000 / SAMPLE_RATE), media, raw, _declared(sidecar, n))


def _declared(sidecar: Path, n: int) -> Truncation | None:
    """The truncation an entry's sidecar records (a salvaged, cut-short recording), if any."""
    try:
        declared = json.loads(sidecar.read_text(encoding="utf-8")).get("declared_s")
    except (OSError, ValueError):
        return None
    return Truncation(n / SAMPLE_RATE, float(declared)) if isinstance(declared, (int, float)) else None
