"""`verbatim info MEDIA [--json]`: describe a recording from its headers (nothing is decoded)."""

from __future__ import annotations

import argparse
import json

from app.audio.decode import MediaInfo, probe
from app.audio.truncation import Truncation, clock, contained_seconds, is_short


def cut_short(info: MediaInfo) -> Truncation | None:
    """How much a recording cut short really holds (None when it holds what its header promises)."""
    held = contained_seconds(info.path)
    promised = max(info.duration_s, info.declared_s or 0.0)
    if held is None or not is_short(held, promised):
        return None
    return Truncation(held, promised)


def info_dict(info: MediaInfo, cut: Truncation | None = None) -> dict[str, object]:
    """The JSON form of a `MediaInfo` (duration rounded to milliseconds; `held_s` when cut short)."""
    extra: dict[str, object] = {} if cut is None else {"truncated": True, "held_s": round(cut.held_s, 3)}
    return {
        "path": str(info.path),
        "duration_s": round(info.duration_s, 3),
        "sample_rate": info.sample_rate,
        "channels": info.channels,
        "codec": info.codec,
        "has_video": info.has_video,
    } | extra


def info_text(info: MediaInfo, cut: Truncation | None = None) -> str:
    """The human form: one `name: value` line per fact."""
    lines = [
        f"file: {info.path}",
        f"duration: {info.duration_s:.3f} s",
        f"sample rate: {info.sample_rate} Hz",
        f"channels: {info.channels}",
        f"codec: {info.codec}",
    ]
    if info.has_video:
        lines.append("video: yes")
    if cut is not None:
        lines.append(f"cut short: holds {clock(cut.held_s)} of the {clock(cut.declared_s)} its header promises")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Print the facts of `args.media`; a bad file raises MediaError (the CLI prints it and exits 1)."""
    info = probe(args.media)
    cut = cut_short(info)
    print(json.dumps(info_dict(info, cut)) if args.json else info_text(info, cut))
    return 0
