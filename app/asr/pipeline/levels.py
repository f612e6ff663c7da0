"""Frame levels and the energy speech detector: the part of pause finding that needs nothing but numpy.

`app.asr.pipeline.segmentation` plans pieces from a speech mask and `app.asr.pipeline.vad` makes that mask
(Silero, or this energy detector where Silero cannot load); both import this module, neither imports the
other's internals.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16_000
FRAME = 160  # 10 ms frames
_FLOOR_DB = -100.0
_DIGITAL_DB = -90.0  # at or below: digital silence (zeros, the last bit), no noise floor


def frame_levels(audio: np.ndarray) -> np.ndarray:
    """RMS level in dB (full scale 0 dB) of each 10 ms frame; the last partial frame counts too."""
    n = len(audio)
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    count = -(-n // FRAME)
    power = np.empty(count, dtype=np.float64)
    step = 60_000  # frames per chunk (10 minutes): a 2-hour recording is never copied whole
    for first in range(0, count, step):
        chunk = np.asarray(audio[first * FRAME : (first + step) * FRAME], dtype=np.float32)
        frames = -(-len(chunk) // FRAME)
        if len(chunk) < frames * FRAME:
            chunk = np.concatenate([chunk, np.zeros(frames * FRAME - len(chunk), np.float32)])
        power[first : first + frames] = np.square(chunk.reshape(frames, FRAME), dtype=np.float64).mean(axis=1)
    if n % FRAME:  # the partial last frame: average over its real samples only
        power[-1] *= FRAME / (n % FRAME)
    return np.maximum(10.0 * np.log10(power + 1e-12), _FLOOR_DB).astype(np.float32)


def voiced_frames(audio: np.ndarray, margin_db: float = 10.0, silence_db: float = -65.0) -> np.ndarray:
    """A boolean per 10 ms frame: True where the level stands clearly above the recording's noise floor.

    The threshold is the noise floor (10th percentile) plus `margin_db`, or a quarter of the way from
    the floor to the loud frames (95th percentile) when that is higher; a recording that is quiet
    throughout (below `silence_db`) has no speech at all, and one without any dynamics (a steady tone)
    is all voiced.
    """
    return above_floor(frame_levels(audio), margin_db, silence_db)


def above_floor(levels: np.ndarray, margin_db: float = 10.0, silence_db: float = -65.0,
                live_floor: bool = False) -> np.ndarray:
    """`voiced_frames`' decision on levels already measured (dB per frame, full band or voice band).

    The loud frames are measured over the frames above digital silence (`_DIGITAL_DB`): in a recording that
    is mostly zeros (a muted microphone, padding) the 95th percentile would otherwise fall on the zeros and
    call its few words silence. With `live_floor` the floor is measured over those frames too: a muted or
    padded stretch of zeros is no noise floor, and with it as the floor every frame of room tone stands
    above it.
    """
    live = levels[levels > _DIGITAL_DB]
    if live.size == 0:
        return np.zeros(levels.size, dtype=bool)
    floor = float(np.percentile(live if live_floor else levels, 10))
    loud = float(np.percentile(live, 95))
    if loud < silence_db:
        return np.zeros(levels.size, dtype=bool)
    if loud - floor < margin_db:  # no dynamics at all (a steady tone or hum): keep whatever is not silent
        return levels > silence_db
    threshold = max(floor + margin_db, floor + 0.25 * (loud - floor), silence_db)
    return levels > threshold


def runs(mask: np.ndarray, value: bool) -> list[tuple[int, int]]:
    """[start, end) frame ranges where `mask` equals `value`."""
    if mask.size == 0:
        return []
    m = (mask == value).astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], m, [0]))))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def lasting(mask: np.ndarray, least: int) -> np.ndarray:
    """`mask` with its True runs shorter than `least` frames set False."""
    out = np.zeros(mask.size, dtype=bool)
    for start, end in runs(mask, True):
        if end - start >= least:
            out[start:end] = True
    return out


def band_levels(audio: np.ndarray, low_hz: float = 300.0, high_hz: float = 3400.0) -> np.ndarray:
    """Level in dB of the voice band (`low_hz`-`high_hz`) of each 10 ms frame, over 20 ms Hann windows.

    Mains hum and the low rumble of traffic or pink noise carry much of a noisy recording's power but none
    of a voice's: leaving them out makes the dips between phrases deeper. One value per frame, as
    `frame_levels`, computed 10 minutes at a time so that a long recording is never copied whole.
    """
    n = len(audio)
    count = -(-n // FRAME)
    out = np.empty(count, dtype=np.float32)
    width = 2 * FRAME
    window = np.hanning(width).astype(np.float32)
    freqs = np.fft.rfftfreq(width, 1.0 / SAMPLE_RATE)
    band = (freqs >= low_hz) & (freqs <= high_hz)
    scale = 2.0 / (width * float(np.square(window).sum()))  # one-sided spectrum to mean power (Parseval)
    step = 60_000
    for first in range(0, count, step):
        frames = min(step, count - first)
        # frame f is centred on its own 10 ms: the window starts half a frame before it
        lo = first * FRAME - FRAME // 2
        chunk = np.zeros((frames + 1) * FRAME, dtype=np.float32)
        src_lo, src_hi = max(lo, 0), min(lo + len(chunk), n)
        if src_hi > src_lo:
            chunk[src_lo - lo : src_hi - lo] = audio[src_lo:src_hi]
        blocks = chunk.reshape(frames + 1, FRAME)
        windows = np.concatenate([blocks[:-1], blocks[1:]], axis=1) * window
        power = np.square(np.abs(np.fft.rfft(windows, axis=1)[:, band])).sum(axis=1) * scale
        out[first : first + frames] = 10.0 * np.log10(power + 1e-12)
    return np.maximum(out, _FLOOR_DB)
