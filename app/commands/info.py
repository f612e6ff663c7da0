"""`verbatim info MEDIA [--json]`: describe a recording from its headers (nothing is decoded)."""

from __future__ import annotations

import argparse
import json

from app.audio.decode import MediaInfo, probe


def info_dict(info: MediaInfo) -> dict[str, object]:
    """The JSON form of a `MediaInfo` (duration rounded to milliseconds)."""
    return {
        "path": str(info.path),
        "duration_s": round(info.duration_s, 3),
        "sample_rate": info.sample_rate,
        "channels": info.channels,
        "codec": info.codec,
        "has_video": info.has_video,
    }


def info_text(info: MediaInfo) -> str:
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
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Print the facts of `args.media`; a bad file raises MediaError (the CLI prints it and exits 1)."""
    info = probe(args.media)
    print(json.dumps(info_dict(info)) if args.json else info_text(info))
    return 0
