"""The PyAV (FFmpeg) reader: AAC/M4A, MP4, MOV, MKV, WebM and anything libsndfile refuses.

FFmpeg already drops the priming samples a container signals (MP4 edit lists, the LAME tag, Ogg/Matroska
codec delay). Where the container cannot say it (AAC or MP3 in Matroska, MPEG-TS, raw ADTS) the reader drops
the standard encoder delay itself, and it trims end padding back to the stream's declared length when the
overshoot is small, so decoded durations match the source within a few milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from operator import attrgetter
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


class _FrameFifo:
    """Decoded frames copied into one FFmpeg `AudioFifo` (a C memcpy each), mixed to mono once per block.

    AAC decodes about 310,000 frames in two hours, so what runs per frame in Python decides the reader's speed.
    Here that is a channel count check and one `write` (the FIFO itself refuses a frame whose sample format,
    rate or time base differ); views and mixing run once per block on one large frame read back from the FIFO.
    """

    def __init__(self) -> None:
        import av

        self.channels = -1  # of what is held (none yet)
        self.n = 0
        self._fifo = av.AudioFifo()
        self._channels_of = _channel_counter()

    def add(self, frame) -> bool:
        """Hold a frame; False (nothing held) when its format, channels, rate or time base differ from what is held."""
        if self._channels_of(frame) != self.channels:
            if self.n:
                return False
            self._restart(frame)
        frame.pts = None  # else the FIFO refuses a timestamp gap, even Matroska's millisecond rounding
        try:
            self._fifo.write(frame)
        except ValueError:  # another sample format, rate or time base
            if self.n:
                return False
            self._restart(frame)
            self._fifo.write(frame)
        self.n += frame.samples
        return True

    def _restart(self, frame) -> None:
        import av

        self._fifo, self.channels = av.AudioFifo(), self._channels_of(frame)

    def take(self, prefix: np.ndarray) -> np.ndarray:
        """`prefix` followed by everything held as mono float32 (the channels' average), always a fresh array."""
        out = np.empty(len(prefix) + self.n, np.float32)
        out[: len(prefix)] = prefix
        frame = self._fifo.read() if self.n else None
        if frame is not None:
            _mix_into(out[len(prefix) :], frame, frame.format.name, self.channels)
        self.n = 0
        return out


def _channel_counter() -> Callable[[object], int]:
    """frame -> its channel count, without a Python call per frame where PyAV has `layout.nb_channels` (13+)."""
    import av

    if hasattr(av.AudioLayout("mono"), "nb_channels"):
        return attrgetter("layout.nb_channels")
    return lambda frame: len(frame.layout.channels)  # type: ignore[attr-defined]


def _mix_into(mono: np.ndarray, frame, fmt: str, ch: int) -> None:
    """Write the average of `frame`'s channels into `mono` (float32, as long as the frame), scaled to [-1, 1]."""
    dtype, n = _DTYPES[fmt.rstrip("p")], len(mono)
    planes = frame.planes
    if fmt.endswith("p"):
        chans = [np.frombuffer(planes[c], dtype, count=n) for c in range(ch)]
    else:
        packed = np.frombuffer(planes[0], dtype, count=n * ch)
        chans = [packed[c::ch] for c in range(ch)]
    if dtype == np.float32 and ch > 1:
        np.add(chans[0], chans[1], out=mono)  # the same float32 sums as copying channel 0, then adding
        rest = chans[2:]
    else:
        np.copyto(mono, chans[0], casting="unsafe")
        rest = chans[1:]
    for c in rest:
        mono += c
    if dtype == np.uint8:
        mono -= 128.0 * ch
        scale = 128.0 * ch
    elif np.dtype(dtype).kind == "i":
        scale = float(2 ** (8 * np.dtype(dtype).itemsize - 1)) * ch
    else:
        scale = float(ch)
    if scale != 1.0:
        mono *= np.float32(1.0 / scale)


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

    def _priming(self, packet) -> int:
        """Samples to drop at the start: the standard encoder delay where the container signalled none."""
        start = self._stream.start_time or 0
        if packet.pts is None or packet.pts >= start:
            return _UNSIGNALLED_PRIMING.get(self._stream.codec_context.name, 0)
        return 0

    def blocks(self) -> Iterator[tuple[np.ndarray, int]]:
        """Yield (mono float32 block, rate): priming dropped, end padding trimmed to the declared length.

        One flat loop over packets and frames (no generator per layer): this runs once per AAC frame.
        """
        import av.error

        s = self._stream
        rate = s.codec_context.sample_rate
        limit = round(float(s.duration * s.time_base) * rate) if (s.duration and s.time_base) else None
        held = _FrameFifo()
        tail = np.zeros(0, np.float32)  # the last samples, held back in case they are end padding
        emitted = skip = 0
        primed, block = False, BLOCK_S * rate
        demux: Iterator | None = self._c.demux(s)
        decode, outcome = s.codec_context.decode, self.outcome
        try:
            while demux is not None:
                try:
                    packet = next(demux)
                except StopIteration:
                    break
                except (av.error.FFmpegError, OSError):
                    outcome.stopped_by_error = True
                    packet, demux = None, None  # flush the decoder with what is left, then stop
                if not primed and packet is not None and packet.size:
                    primed, skip = True, self._priming(packet)
                try:
                    frames = decode(packet)
                except (av.error.FFmpegError, ValueError):
                    outcome.bad_packets += 1
                    continue
                if packet is not None and packet.size:
                    outcome.good_packets += 1
                for frame in frames:
                    if not held.add(frame):  # the format changed mid-stream
                        tail = held.take(tail)
                        if frame.sample_rate != rate:  # flush at the old rate; the declared length no longer helps
                            if len(tail):
                                yield tail, rate
                            tail, rate, limit = np.zeros(0, np.float32), frame.sample_rate, None
                            block = BLOCK_S * rate
                        held.add(frame)
                    if held.n >= block:
                        out = held.take(tail)
                        out, skip = out[min(skip, len(out)) :], max(0, skip - len(out))
                        hold = min(len(out), int(_TAIL_TRIM_S * rate))
                        out, tail = out[: len(out) - hold], out[len(out) - hold :]
                        emitted += len(out)
                        if len(out):
                            yield out, rate
            out = held.take(tail)
            out = out[min(skip, len(out)) :]
            if limit is not None and 0 < emitted + len(out) - limit <= int(_TAIL_TRIM_S * rate):
                out = out[: max(0, limit - emitted)]
            if len(out):
                yield out, rate
        finally:
            self._c.close()
