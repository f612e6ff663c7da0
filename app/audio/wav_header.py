"""The layout a RIFF WAV header declares: read by walking its chunks, without decoding anything.

Used where libsndfile's own answer hides a problem: a cut WAV whose header promises more frames than the
file holds (`readers`), and how much sample data a file really holds (`truncation`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class WavLayout:
    """`rate` and `block_align` from the fmt chunk (0 when absent), the data chunk's declared size, and the
    bytes the file actually holds from the data chunk's start to its end."""

    rate: int
    block_align: int
    data_size: int
    data_available: int


def read_wav_layout(path: Path) -> WavLayout | None:
    """The layout of a plain RIFF WAV, up to its data chunk; None when `path` is not one or cannot be read."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            rate = align = 0
            while True:
                chunk = f.read(8)
                if len(chunk) < 8:
                    return None
                cid, size = chunk[:4], int.from_bytes(chunk[4:], "little")
                if cid == b"fmt ":
                    fmt = f.read(size + (size & 1))
                    rate = int.from_bytes(fmt[4:8], "little")
                    align = int.from_bytes(fmt[12:14], "little")
                elif cid == b"data":
                    return WavLayout(rate, align, size, os.fstat(f.fileno()).st_size - f.tell())
                else:
                    f.seek(size + (size & 1), os.SEEK_CUR)
    except OSError:
        return None
