"""Recordings cut short: a recorder that died mid-interview, a half-copied file. Keep what is there.

A truncated file's header promises more than it holds. Decoding keeps everything that is there (see
`app.audio.decode.iter_16k_mono`) and reports a `Truncation`; `verbatim info` measures how much the file
holds without decoding it (`contained_seconds`), so both can say "holds 12:31 of the 58:00 its header
promises".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.audio.wav_header import read_wav_layout
from app.core.timecode import format_position

SHORTFALL_S = 1.0  # shorter than declared by this much (and the fraction below) is a cut file
SHORTFALL_STRICT = 0.05  # the audio stream's own declared length
SHORTFALL_LOOSE = 0.25  # only the container's length (it may include a longer video)


def clock(seconds: float) -> str:
    """`12:31`, or `1:02:09` past an hour (whole seconds, rounded down)."""
    return format_position(int(max(0.0, seconds) * 1000), tenths=False)


@dataclass(frozen=True)
class Truncation:
    """A recording holds `held_s` seconds of the `declared_s` its header promises."""

    held_s: float
    declared_s: float

    def sentence(self, name: str) -> str:
        """"interview.wav is cut short: it holds 12:31 of the 58:00 its header promises.\""""
        return (f"{name} is cut short: it holds {clock(self.held_s)} of the {clock(self.declared_s)} its header "
                "promises; everything that is there can be used.")


def is_short(held_s: float, declared_s: float | None, strict: bool = True) -> bool:
    """Whether `held_s` falls far enough below `declared_s` to call the file truncated."""
    if not declared_s:
        return False
    fraction = SHORTFALL_STRICT if strict else SHORTFALL_LOOSE
    return declared_s - held_s > max(SHORTFALL_S, fraction * declared_s)


def _wav_held_s(path: Path) -> float | None:
    """Seconds of sample data a WAV file holds, from its size (None when it is not a plain RIFF WAV)."""
    layout = read_wav_layout(path)
    if layout is None or layout.rate <= 0 or layout.block_align <= 0:
        return None
    return (max(0, min(layout.data_available, layout.data_size)) // layout.block_align) / layout.rate


def _demuxed_s(path: Path) -> float | None:
    """Seconds of audio packets FFmpeg finds in the file (demuxed, not decoded: fast)."""
    import av
    import av.error

    from app.audio.native_quiet import quiet_native_stderr

    try:
        with quiet_native_stderr(), av.open(str(path), metadata_errors="ignore") as c:
            if not c.streams.audio:
                return None
            stream = c.streams.audio[0]
            base = stream.time_base
            start = stream.start_time or 0
            end = None
            try:
                for packet in c.demux(stream):
                    if packet.pts is not None and base is not None:
                        stop = packet.pts + (packet.duration or 0)
                        end = stop if end is None else max(end, stop)
            except (av.error.FFmpegError, OSError):
                pass
            return None if end is None or base is None else float((end - start) * base)
    except (av.error.FFmpegError, OSError, ValueError, UnicodeDecodeError):
        return None


def contained_seconds(path: Path) -> float | None:
    """How many seconds of audio the file really holds, without decoding it where possible."""
    held = _wav_held_s(path)
    return held if held is not None else _demuxed_s(path)
