"""Any recording to 16 kHz mono float32: probing, streaming decode, and one-sentence errors.

`iter_16k_mono` decodes in blocks and resamples them through one `soxr.ResampleStream`, so a two-hour
file never sits in memory at its original rate; `decode_16k_mono` joins the blocks for short files,
and `app.audio.cache` streams them to disk instead. Every input a user can get wrong (missing, empty,
a folder, not media, truncated, no audio track, an unknown codec) raises `MediaError` with one sentence.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.audio.truncation import Truncation, is_short
from app.core.errors import MediaError

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class MediaInfo:
    """What a recording is, read from its headers: source rate and channels, not the decoded 16 kHz mono."""

    path: Path
    duration_s: float
    sample_rate: int
    channels: int
    codec: str
    has_video: bool
    declared_s: float | None = None  # the length the header promises (more than the file holds when cut)


def check_path(path: str | os.PathLike[str]) -> Path:
    """The path as a `Path`, or a `MediaError` if it is missing, not a regular file (a folder, a FIFO,
    a socket, a device), unreadable or empty: checked before anything reads it."""
    from app.core.input_checks import check_input_file

    return check_input_file(path, "recording")


def _open_reader(p: Path):
    """libsndfile when it knows the file, else PyAV; MediaError when neither can."""
    from app.audio.pyav_reader import PyavReader
    from app.audio.readers import SoundfileReader

    try:
        return SoundfileReader(p)
    except Exception:
        pass
    return PyavReader(p)


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Describe a recording from its headers without decoding it."""
    p = check_path(path)
    reader = _open_reader(p)
    try:
        f = reader.facts
    finally:
        reader.close()
    if f.sample_rate <= 0 or f.channels <= 0:
        raise MediaError(f"{p.name} has no usable audio track.")
    return MediaInfo(p, f.duration_s, f.sample_rate, f.channels, f.codec, f.has_video, f.declared_s)


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _ahead(source: Iterator[tuple[np.ndarray, int]], depth: int = 4) -> Iterator[tuple[np.ndarray, int]]:
    """Run `source` in a worker thread, up to `depth` items ahead: decoding overlaps resampling and writing."""
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop, done = threading.Event(), object()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in source:
                if not put(item):
                    return
            put(done)
        except BaseException as exc:
            put(_Raised(exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=work, name="verbatim-decode", daemon=True)
    worker.start()
    try:
        while True:
            try:
                item = items.get(timeout=0.5)
            except queue.Empty:
                continue
            if item is done:
                return
            if isinstance(item, _Raised):
                raise item.exc
            yield item
    finally:
        stop.set()
        worker.join()


def _resampled(blocks: Iterator[tuple[np.ndarray, int]]) -> Iterator[np.ndarray]:
    import soxr

    stream, rate = None, None
    for block, block_rate in blocks:
        if block_rate != rate:
            if stream is not None:
                tail = stream.resample_chunk(np.zeros(0, np.float32), last=True)
                if len(tail):
                    yield tail
            rate = block_rate
            stream = None if rate == SAMPLE_RATE else soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32")
        out = block if stream is None else stream.resample_chunk(block)
        if len(out):
            yield np.asarray(out, dtype=np.float32)
    if stream is not None:
        tail = stream.resample_chunk(np.zeros(0, np.float32), last=True)
        if len(tail):
            yield np.asarray(tail, dtype=np.float32)


def iter_16k_mono(path: str | os.PathLike[str],
                  on_truncated: Callable[[Truncation], None] | None = None) -> Iterator[np.ndarray]:
    """Yield the recording as consecutive 16 kHz mono float32 blocks (a few seconds each).

    A file that holds far less than its header promises (a recorder that died, a half-copied file) is
    decoded as far as it goes and `on_truncated` is told how much it holds. The checks that need the
    whole file (nothing decoded at all, mostly unreadable packets) raise `MediaError` after the last block,
    so a caller streaming to disk must discard what it wrote when that happens.
    """
    p = check_path(path)
    reader = _open_reader(p)
    facts, outcome = reader.facts, reader.outcome
    decoded_s = 0.0

    def counted() -> Iterator[tuple[np.ndarray, int]]:
        nonlocal decoded_s
        for block, rate in _ahead(reader.blocks()):
            decoded_s += len(block) / rate
            yield block, rate

    try:
        yield from _resampled(counted())
    finally:
        reader.close()
    if decoded_s == 0.0:
        if outcome.stopped_by_error or outcome.bad_packets:
            raise MediaError(f"{p.name} is damaged or truncated and cannot be decoded.")
        raise MediaError(f"{p.name} contains no audio.")
    if outcome.bad_packets > max(10, outcome.good_packets):
        raise MediaError(f"{p.name} is too damaged to decode ({outcome.bad_packets} unreadable packets).")
    declared = facts.declared_s
    if declared and is_short(decoded_s, declared, facts.declared_strict) and on_truncated is not None:
        on_truncated(Truncation(decoded_s, declared))


def decode_16k_mono(path: str | os.PathLike[str],
                    on_truncated: Callable[[Truncation], None] | None = None) -> np.ndarray:
    """The whole recording as one 16 kHz mono float32 array (use `app.audio.cache.load_audio` for long files)."""
    parts = list(iter_16k_mono(path, on_truncated))
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)
