"""The PyAV (FFmpeg) reader: AAC/M4A, MP4, MOV, MKV, WebM and anything libsndfile refuses.

FFmpeg already drops the priming samples a container signals (MP4 edit lists, the LAME tag, Ogg/Matroska
codec delay). Where the container cannot say it (AAC or MP3 in Matroska, MPEG-TS, raw ADTS) the reader drops
the standard encoder delay itself, and it trims end padding back to the stream's declared length when the
overshoot is small, so decoded durations match the source within a few milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from app.audio.readers import BLOCK_S, DecodeOutcome, StreamFacts
from app.core.errors import MediaError

# encoder delay when nothing in the container signals it (FFmpeg/FDK AAC-LC: 1024; LAME: 576 + 529 decoder delay)
_UNSIGNALLED_PRIMING = {"aac": 1024, "aac_fixed": 1024, "libfdk_aac": 1024, "mp3": 1105, "mp3float": 1105}
_TAIL_TRIM_S = 0.2  # never cut more than this from the end to honour a declared length
_MAGIC_PREFIXES = (b"RIFF", b"fLaC", b"OggS", b"ID3", b"\x1aE\xdf\xa3", b"FORM", b"caff", b"#!AMR",
                   b"\x30\x26\xb2\x75")


def unreadable_sentence(path: Path) -> str:
    """The sentence for a file FFmpeg cannot open: damaged media, or not media at all."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        head = b""
    media_like = head.startswith(_MAGIC_PREFIXES) or head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide")
    media_like = media_like or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and b"\n" not in head)
    if media_like:
        return f"{path.name} is damaged or truncated and cannot be decoded."
    return f"{path.name} is not an audio or video file."


def _is_cover_art(stream) -> bool:
    try:
        import av.stream

        return bool(stream.disposition & av.stream.Disposition.attached_pic)
    except (AttributeError, TypeError, ImportError):
        return False


def _tag_seconds(value: str | None) -> float | None:
    match = re.fullmatch(r"(\d+):(\d\d):(\d\d(?:\.\d+)?)", (value or "").strip())
    if not match:
        return None
    h, m, s = match.groups()
    return int(h) * 3600 + int(m) * 60 + float(s)


_DTYPES = {"u8": np.uint8, "s16": np.int16, "s32": np.int32, "s64": np.int64, "flt": np.float32, "dbl": np.float64}


class _FrameQueue:
    """Decoded frames held as zero-copy views of their planes, mixed to mono once per block.

    AAC decodes so fast that converting frame by frame (`to_ndarray`, `mean`, even FFmpeg's AudioFifo)
    would cost more than the decoder; a view per plane and one vectorised mix per block is the cheap way.
    """

    def __init__(self) -> None:
        self.key: tuple[str, int, int] | None = None  # (sample format, channels, rate) of what is held
        self._parts: list[list[np.ndarray]] = []
        self.n = 0

    def add(self, frame) -> bool:
        """Hold a frame; False (nothing held) when its format, channels or rate differ from what is held."""
        fmt = frame.format
        layout = frame.layout
        channels = layout.nb_channels if hasattr(layout, "nb_channels") else len(layout.channels)  # PyAV < 13
        key = (fmt.name, channels, frame.sample_rate)
        if key != self.key:
            if self.n:
                return False
            self.key, self._parts = key, [[] for _ in range(key[1])]
        dtype, n, ch = _DTYPES[key[0].rstrip("p")], frame.samples, key[1]
        planes = frame.planes
        if fmt.is_planar:
            for c in range(ch):
                self._parts[c].append(np.frombuffer(planes[c], dtype, count=n))
        else:
            packed = np.frombuffer(planes[0], dtype, count=n * ch)
            for c in range(ch):
                self._parts[c].append(packed[c::ch])
        self.n += n
        return True

    def take(self) -> np.ndarray:
        """Everything held as mono float32 (the channels' average), always a fresh array."""
        if not self.n:
            return np.zeros(0, np.float32)
        chans = [np.concatenate(p) for p in self._parts]
        mono = chans[0].astype(np.float32)
        for c in chans[1:]:
            mono += c
        ch, dtype = len(chans), chans[0].dtype
        if dtype == np.uint8:
            mono -= 128.0 * ch
            scale = 128.0 * ch
        elif dtype.kind == "i":
            scale = float(2 ** (8 * dtype.itemsize - 1)) * ch
        else:
            scale = float(ch)
        if scale != 1.0:
            mono *= np.float32(1.0 / scale)
        self._parts, self.n = [[] for _ in chans], 0
        return mono


class PyavReader:
    """Opens a container, picks its audio stream, and yields mono blocks at the stream's rate."""

    def __init__(self, path: Path) -> None:
        import av
        import av.error

        try:
            self._c = av.open(str(path), metadata_errors="ignore")
        except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
            raise MediaError(unreadable_sentence(path)) from exc
        try:
            self._stream = self._pick_stream(path)
            self.facts = self._facts()
        except BaseException:
            self._c.close()
            raise
        self.outcome = DecodeOutcome()

    def _pick_stream(self, path: Path):
        audio = list(self._c.streams.audio)
        if not audio:
            if any(not _is_cover_art(s) for s in self._c.streams.video):
                raise MediaError(f"{path.name} has no audio track.")
            raise MediaError(f"{path.name} is not an audio or video file.")
        usable = [s for s in audio if s.codec_context is not None and s.codec_context.sample_rate]
        if not usable:
            raise MediaError(f"{path.name} uses an audio codec that Verbatim cannot decode.")
        return usable[0]

    def _facts(self) -> StreamFacts:
        s, cc = self._stream, self._stream.codec_context
        declared, strict = None, True
        if s.duration and s.time_base:
            declared = float(s.duration * s.time_base)
        if declared is None:
            declared = _tag_seconds(s.metadata.get("DURATION") or s.metadata.get("duration"))
        if declared is None and self._c.duration:
            declared, strict = self._c.duration / 1_000_000, False
        has_video = any(not _is_cover_art(v) for v in self._c.streams.video)
        codec = "mp3" if cc.name == "mp3float" else cc.name
        channels = len(cc.layout.channels) if cc.layout is not None else cc.channels
        return StreamFacts(declared or 0.0, cc.sample_rate, channels, codec, has_video, declared, strict)

    def close(self) -> None:
        self._c.close()

    def _packets(self):
        import av.error

        it = self._c.demux(self._stream)
        while True:
            try:
                yield next(it)
            except StopIteration:
                return
            except (av.error.FFmpegError, OSError):
                self.outcome.stopped_by_error = True
                yield None  # flush the decoder with what is left
                return

    def _frames(self):
        import av.error

        s, cc = self._stream, self._stream.codec_context
        first = True
        for packet in self._packets():
            if first and packet is not None and packet.size:
                first = False
                start = s.start_time or 0
                if packet.pts is None or packet.pts >= start:  # the container signalled no priming
                    yield _UNSIGNALLED_PRIMING.get(cc.name, 0)
            try:
                frames = cc.decode(packet)
            except (av.error.FFmpegError, ValueError):
                self.outcome.bad_packets += 1
                continue
            if packet is not None and packet.size:
                self.outcome.good_packets += 1
            yield from frames

    def blocks(self) -> Iterator[tuple[np.ndarray, int]]:
        """Yield (mono float32 block, rate): priming dropped, end padding trimmed to the declared length."""
        s = self._stream
        rate = s.codec_context.sample_rate
        limit = round(float(s.duration * s.time_base) * rate) if (s.duration and s.time_base) else None
        queue = _FrameQueue()
        tail = np.zeros(0, np.float32)  # the last samples, held back in case they are end padding
        emitted = skip = 0
        try:
            for item in self._frames():
                if isinstance(item, int):
                    skip = item
                    continue
                if not queue.add(item):  # the format changed mid-stream
                    tail = np.concatenate([tail, queue.take()])
                    if item.sample_rate != rate:  # flush at the old rate; the declared length no longer helps
                        if len(tail):
                            yield tail, rate
                        tail, rate, limit = np.zeros(0, np.float32), item.sample_rate, None
                    queue.add(item)
                if queue.n >= BLOCK_S * rate:
                    out = np.concatenate([tail, queue.take()])
                    out, skip = out[min(skip, len(out)) :], max(0, skip - len(out))
                    hold = min(len(out), int(_TAIL_TRIM_S * rate))
                    out, tail = out[: len(out) - hold], out[len(out) - hold :]
                    emitted += len(out)
                    if len(out):
                        yield out, rate
            out = np.concatenate([tail, queue.take()])
            out = out[min(skip, len(out)) :]
            if limit is not None and 0 < emitted + len(out) - limit <= int(_TAIL_TRIM_S * rate):
                out = out[: max(0, limit - emitted)]
            if len(out):
                yield out, rate
        finally:
            self._c.close()
