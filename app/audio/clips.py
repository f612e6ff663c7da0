"""Audio clips of a quote, cut from the original recording for broadcast or social posts.

The clip is cut from the recording itself (never the 16 kHz analysis copy), at its own sample rate and
with its own channels, with short fades so it does not click, optional padding before and after, and
the quote in the file's metadata (title, artist = speaker, comment = where it came from). The format
follows the file name: WAV (16- or 24-bit PCM, as the source), FLAC, MP3 (192 kbit/s) or M4A (AAC,
192 kbit/s). The file is written beside its target and moved into place, so a failed export leaves
nothing half-written, and a clip is never written over the recording or the project it comes from.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.core.errors import ImportExportError, MediaError

DEFAULT_FADE_MS = 15
MAX_FADE_MS = 20
SEEK_MARGIN_S = 1.0
# extension -> (container format, codec for 16-bit sources, codec for deeper sources, bit rate)
FORMATS: dict[str, tuple[str, str, str, int | None]] = {
    ".wav": ("wav", "pcm_s16le", "pcm_s24le", None),
    ".flac": ("flac", "flac", "flac", None),
    ".mp3": ("mp3", "libmp3lame", "libmp3lame", 192_000),
    ".m4a": ("ipod", "aac", "aac", 192_000),
}
_USUAL_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}
_DEEP = {"s32", "s32p", "flt", "fltp", "dbl", "dblp", "s64", "s64p"}


@dataclass(frozen=True, slots=True)
class ClipInfo:
    """What was written: the file, the span of the recording it holds, its rate, channels and codec."""

    path: Path
    start_ms: int
    end_ms: int
    sample_rate: int
    channels: int
    codec: str


def clip_format(path: Path) -> tuple[str, str, str, int | None]:
    """The container and codecs for a clip file name (ImportExportError for an unknown extension)."""
    spec = FORMATS.get(Path(path).suffix.lower())
    if spec is None:
        raise ImportExportError(f"{Path(path).name}: a clip is written as .wav, .flac, .mp3 or .m4a.")
    return spec


def refuse_overwrite(output: Path, inputs: tuple[Path | None, ...]) -> None:
    """ImportExportError when `output` is one of `inputs` (the recording, the project)."""
    out = Path(os.path.abspath(output))
    for src in inputs:
        if src is None:
            continue
        same = out == Path(os.path.abspath(src))
        if not same and out.exists() and Path(src).exists():
            same = os.path.samefile(out, src)
        if same:
            raise ImportExportError(f"The clip would overwrite {Path(src).name}, which it is made from; "
                                    "choose another output file.")


def _frame_array(frame: Any) -> np.ndarray:
    """A decoded frame as float32 (channels, samples) in -1..1."""
    arr = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if not frame.format.is_planar:
        arr = arr.reshape(-1, channels).T
    if arr.dtype == np.uint8:
        return (arr.astype(np.float32) - 128.0) / 128.0
    if arr.dtype.kind == "i":
        return arr.astype(np.float32) / float(2 ** (8 * arr.dtype.itemsize - 1))
    return arr.astype(np.float32, copy=False)


def _named_layout(layout: Any) -> str:
    """The layout's name; an unnamed one ("2 channels", a WAV without a channel mask) as the usual layout
    for that many channels, which every encoder accepts."""
    name = str(layout.name)
    if not name.endswith("channels"):
        return name
    n = len(layout.channels)
    return _USUAL_LAYOUTS.get(n, name)


def read_span(media: Path, start_ms: int, end_ms: int) -> tuple[np.ndarray, int, str, str]:
    """The samples of [start_ms, end_ms) of the recording at its own rate: (channels x n, rate, layout, format)."""
    import av
    import av.error

    try:
        container = av.open(str(media), metadata_errors="ignore")
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise MediaError(f"The recording {Path(media).name} cannot be opened for a clip.") from exc
    try:
        streams = [s for s in container.streams.audio if s.codec_context and s.codec_context.sample_rate]
        if not streams:
            raise MediaError(f"{Path(media).name} has no audio track to cut a clip from.")
        stream = streams[0]
        cc = stream.codec_context
        rate, fmt = cc.sample_rate, cc.format.name if cc.format else "fltp"
        layout = _named_layout(cc.layout)
        first, last = start_ms * rate // 1000, end_ms * rate // 1000
        origin = float(stream.start_time * stream.time_base) if stream.start_time and stream.time_base else 0.0
        if start_ms / 1000 > 2 * SEEK_MARGIN_S and stream.time_base:
            target = start_ms / 1000 - SEEK_MARGIN_S + origin
            container.seek(int(target / stream.time_base), stream=stream, backward=True)
        parts: list[np.ndarray] = []
        pos: int | None = None
        for frame in container.decode(stream):
            if pos is None:
                pts, base = frame.pts, frame.time_base
                t = float(pts * base) - origin if pts is not None and base is not None else 0.0
                pos = max(0, int(round(t * rate)))
            arr = _frame_array(frame)
            n = arr.shape[1]
            lo, hi = max(first, pos), min(last, pos + n)
            if hi > lo:
                parts.append(arr[:, lo - pos : hi - pos])
            pos += n
            if pos >= last:
                break
    except av.error.FFmpegError as exc:
        raise MediaError(f"The recording {Path(media).name} could not be decoded for a clip ({exc}).") from exc
    finally:
        container.close()
    channels = len(av.AudioLayout(layout).channels) if not layout.endswith("channels") else int(layout.split()[0])
    samples = np.concatenate(parts, axis=1) if parts else np.zeros((channels, 0), np.float32)
    return np.ascontiguousarray(samples, dtype=np.float32), rate, layout, fmt


def apply_fades(samples: np.ndarray, rate: int, fade_ms: int) -> np.ndarray:
    """A copy with raised-cosine fades in and out of `fade_ms` (at most half the clip each)."""
    out = samples.copy()
    n = min(out.shape[1] // 2, int(rate * max(0, fade_ms) / 1000))
    if n > 0:
        ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n, dtype=np.float64))).astype(np.float32)
        out[:, :n] *= ramp
        out[:, -n:] *= ramp[::-1]
    return out


def _encode(path: Path, samples: np.ndarray, rate: int, layout: str, source_format: str,
            metadata: dict[str, str]) -> str:
    import av

    container_fmt, codec16, codec_deep, bit_rate = clip_format(path)
    codec = codec_deep if source_format in _DEEP else codec16
    out = av.open(str(path), "w", format=container_fmt)
    try:
        for key, value in metadata.items():
            if value:
                out.metadata[key] = value
        stream: Any = out.add_stream(codec, rate=rate, layout=layout)
        if bit_rate:
            stream.bit_rate = bit_rate
        step = 4096
        for k in range(0, samples.shape[1], step):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[:, k : k + step]), format="fltp",
                                               layout=layout)
            frame.sample_rate = rate
            frame.pts = k
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    finally:
        out.close()
    return codec


def write_clip(media: Path, output: Path, start_ms: int, end_ms: int, *, pad_before_ms: int = 0,
               pad_after_ms: int = 0, fade_ms: int = DEFAULT_FADE_MS, duration_ms: int | None = None,
               title: str = "", artist: str = "", comment: str = "",
               protect: tuple[Path | None, ...] = ()) -> ClipInfo:
    """Cut [start_ms, end_ms) (plus padding, kept inside the recording) from `media` into `output`.

    Raises ImportExportError / MediaError with one sentence for an unknown format, a bad range, an
    output that is the recording or a protected file (the project), or a file that cannot be written.
    """
    output, media = Path(output), Path(media)
    clip_format(output)
    refuse_overwrite(output, (media,) + tuple(protect))
    if not output.parent.is_dir():
        raise ImportExportError(f"Cannot write {output}: the folder {output.parent} does not exist.")
    lo = max(0, int(start_ms) - max(0, int(pad_before_ms)))
    hi = int(end_ms) + max(0, int(pad_after_ms))
    if duration_ms is not None:
        hi = min(hi, int(duration_ms))
    if hi <= lo:
        raise ImportExportError("The clip would be empty: its end must come after its start.")
    samples, rate, layout, fmt = read_span(media, lo, hi)
    if samples.shape[1] == 0:
        raise ImportExportError(f"The recording has no audio between {lo / 1000:.2f} s and {hi / 1000:.2f} s.")
    samples = apply_fades(samples, rate, min(int(fade_ms), MAX_FADE_MS))
    tmp = output.with_name(f".{output.stem}.{uuid.uuid4().hex[:8]}.tmp{output.suffix}")
    try:
        codec = _encode(tmp, samples, rate, layout, fmt, {"title": title, "artist": artist, "comment": comment})
        os.replace(tmp, output)
    except OSError as exc:
        raise ImportExportError(f"Cannot write {output}: {exc.strerror or exc}.") from exc
    finally:
        if tmp.exists():
            tmp.unlink()
    end = lo + samples.shape[1] * 1000 // rate
    return ClipInfo(output, lo, end, rate, samples.shape[0], codec)
