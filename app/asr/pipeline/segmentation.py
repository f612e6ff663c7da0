"""Cutting a long recording into pieces that fit a model, at pauses, so that no word is cut in half.

Speech and pauses are marked per 10 ms frame by `app.asr.pipeline.vad` (Silero VAD, which tells speech from
café or street noise), or by the small energy detector here where Silero cannot load: the frame RMS
in dB is compared with a threshold that adapts to the recording (a margin above its noise floor, the
10th percentile of the frame levels). `plan_pieces` then walks through the speech: each piece ends at
the best pause before the model's maximum length (long pauses and late pauses score best),
silence-only stretches are left out (times stay absolute because a piece is a range of the original
samples), and only where no pause exists at all is the audio cut hard, with `overlap_s` of overlap so
the stitcher can rejoin the words on both sides. With Silero's mask, which comes with a cut cost per frame,
every cut goes to the lowest cost instead (pause or not; see `app.asr.pipeline.cuts`), and only the stretches
that both Silero and the voice-band level call empty are left out. Where the mask says the voice is drowned
in noise, none of its pauses is trusted and every cut there is overlapped.

Planning is linear in the number of pauses: the walk looks pauses up by bisection and each pause is
scored by at most max_piece / min_piece windows (about 3).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from app.asr.pipeline.cuts import context_at_lowest_cost, cut_at_lowest_cost, valley
from app.asr.pipeline.levels import FRAME, SAMPLE_RATE, frame_levels, lasting, voiced_frames  # noqa: F401 - re-exported
from app.asr.pipeline.levels import runs as _runs

if TYPE_CHECKING:
    from app.asr.pipeline.vad import SpeechMask


# A quiet stretch (`SpeechMask.quiet`: nothing there) this long stays a clean place to cut where the voice is
# drowned: a long silence has no contrast at all, and without this a piece would carry it up to the limit.
# A shorter one may hold a word's faint onset at 0 dB (tests/noisy_speech.py, seed 16: 130 ms over a word's start).
LONG_QUIET_S = 1.0


@dataclass(frozen=True, slots=True)
class Piece:
    """A range [start, end) of the recording, in samples at 16 kHz."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start

    @property
    def duration_s(self) -> float:
        return (self.end - self.start) / SAMPLE_RATE

    @property
    def start_ms(self) -> int:
        return self.start * 1000 // SAMPLE_RATE

    @property
    def end_ms(self) -> int:
        return self.end * 1000 // SAMPLE_RATE


def plan_pieces(
    audio: np.ndarray,
    max_piece_s: float,
    overlap_s: float = 0.0,
    min_piece_s: float | None = None,
    context_s: float = 0.0,
    min_pause_s: float = 0.15,
    pad_s: float = 0.2,
    detector: str = "auto",
) -> list[Piece]:
    """Pieces (in samples) that cover all the speech of `audio`, none longer than `max_piece_s`.

    - A piece ends at a pause: the one scoring best on length and lateness after `min_piece_s`
      (default: a third of the maximum). Pauses shorter than `min_pause_s` (which may be a stop
      consonant inside a word) are used only when no longer one exists, and then like a hard cut the
      next piece starts `overlap_s` earlier; with no pause at all, the cut is hard, overlapped too.
    - Quiet stretches longer than twice `pad_s` between pieces are dropped (each piece keeps `pad_s`
      of its surrounding silence).
    - `context_s` > 0 makes every piece after the first also start up to `context_s` earlier (at a pause
      where possible), so neighbours share some speech: the speaker linker compares labels there.
    - `detector`: "auto" (Silero where it loads, else energy), "silero" or "energy"; see `app.asr.pipeline.vad`.
    """
    planned = plan_pieces_with_cores(audio, max_piece_s, overlap_s, min_piece_s, context_s, min_pause_s, pad_s,
                                     detector)
    return [piece for piece, _core in planned]


def plan_pieces_with_cores(
    audio: np.ndarray,
    max_piece_s: float,
    overlap_s: float = 0.0,
    min_piece_s: float | None = None,
    context_s: float = 0.0,
    min_pause_s: float = 0.15,
    pad_s: float = 0.2,
    detector: str = "auto",
    mask: SpeechMask | None = None,
) -> list[tuple[Piece, Piece]]:
    """Like `plan_pieces`, each piece with its core: the piece without the context borrowed from before.

    `mask` (from `app.asr.pipeline.vad.speech_mask`) replaces the detector when given.
    """
    if max_piece_s <= 0:
        raise ValueError("max_piece_s must be positive")
    n = len(audio)
    if mask is None:
        from app.asr.pipeline.vad import speech_mask

        mask = speech_mask(audio, detector)
    voiced = mask.voiced
    keep = voiced if mask.quiet is None else ~mask.quiet  # what no piece may leave out
    if mask.drowned is not None:  # no pause there is sure (but a long quiet one): every cut there is overlapped
        voiced = voiced | (mask.drowned & ~lasting(~keep, int(LONG_QUIET_S * SAMPLE_RATE / FRAME)))
    if n == 0 or not keep.any():
        return []
    fps = SAMPLE_RATE / FRAME
    full = max(int(max_piece_s * fps), 1)
    context = max(int(max(context_s, 0.0) * fps), 0)
    core_max = max(full - context, (full + 1) // 2)  # context never takes more than half of a piece
    context = min(context, full - core_max)
    min_len = int((max_piece_s / 3 if min_piece_s is None else min_piece_s) * fps)
    min_len = min(max(min_len, 1), core_max)
    overlap = min(int(overlap_s * fps), core_max // 2)
    pad = int(pad_s * fps)

    pauses = _runs(keep, False)
    speech = _runs(keep, True)
    cost = (mask.cost, mask.tolerance)
    cores = _plan_frames(speech, pauses, voiced.size, core_max, min_len, overlap, pad, int(min_pause_s * fps),
                         cost, voiced if mask.by_cost else None)
    pieces = cores
    if context > 0 and mask.by_cost:
        pieces = context_at_lowest_cost(cores, cost, context, full)
    elif context > 0:
        pieces = _add_context(cores, pauses, context, full)
    out = []
    for (a, b), (ca, cb) in zip(pieces, cores, strict=True):
        end = min(b * FRAME, n)
        if end > a * FRAME:
            out.append((Piece(a * FRAME, end), Piece(ca * FRAME, min(cb * FRAME, n))))
    return out


def speech_spans(audio: np.ndarray, offset: int = 0, min_gap_s: float = 0.3) -> list[tuple[int, int]]:
    """Voiced stretches of `audio` as sample ranges (plus `offset`), joined across gaps under `min_gap_s`.

    With no voiced frame at all, the whole range is one span (the model heard something there).
    """
    voiced = voiced_frames(audio)
    runs = _runs(voiced, True)
    if not runs:
        return [(offset, offset + len(audio))] if len(audio) else []
    gap = int(min_gap_s * SAMPLE_RATE / FRAME)
    joined = [list(runs[0])]
    for a, b in runs[1:]:
        if a - joined[-1][1] < gap:
            joined[-1][1] = b
        else:
            joined.append([a, b])
    return [(offset + a * FRAME, offset + min(b * FRAME, len(audio))) for a, b in joined]


def _plan_frames(
    speech: list[tuple[int, int]],
    pauses: list[tuple[int, int]],
    total: int,
    max_len: int,
    min_len: int,
    overlap: int,
    pad: int,
    min_pause: int,
    cost: tuple[np.ndarray, float] | None = None,
    voiced_at: np.ndarray | None = None,
) -> list[tuple[int, int]]:
    """The greedy walk over frames; see `plan_pieces`.

    Where the window holds no real pause, the cut goes to the lowest `cost` (the least speech-like
    frame, within the cost's tolerance the latest one) and is overlapped; without a cost, to the limit.
    With `voiced_at` (the speech mask, when it comes with a cut cost: Silero) every cut goes to the lowest
    cost, pause or not (`app.asr.pipeline.cuts`); `speech` and `pauses` are then the stretches that pieces
    must keep and may leave out.
    """
    last_speech = speech[-1][1]
    runs = _runs(voiced_at, False) if voiced_at is not None else []
    mask_pauses = ([a for a, _b in runs], [b for _a, b in runs])
    pause_starts = [a for a, _b in pauses]
    pause_ends = [b for _a, b in pauses]
    speech_ends = [b for _a, b in speech]
    pieces: list[tuple[int, int]] = []
    cursor = max(speech[0][0] - pad, 0)
    while cursor < last_speech:
        limit = cursor + max_len
        if last_speech <= limit:
            pieces.append((cursor, min(last_speech + pad, total, limit)))
            break
        if cost is not None and voiced_at is not None:  # Silero: the lowest cost, pause or not
            cursor = cut_at_lowest_cost(pieces, (cursor, limit), cost, (mask_pauses, (pause_starts, pause_ends)),
                                        min_len, overlap, pad)
            nxt = _next_speech(speech, speech_ends, cursor)
            if nxt is None:
                break
            cursor = max(cursor, nxt - pad)
            continue
        cut = _best_pause(pauses, pause_ends, cursor, limit, min_len, min_pause)
        if cost is not None and (cut is None or not cut[2]):  # no real pause: the quietest point, overlapped
            end = valley(cost[0], cost[1], cursor + max(min_len, overlap + 1), limit)
            pieces.append((cursor, end))
            # the next piece starts at least `overlap` earlier, at the quietest point of the half second before
            cursor = valley(cost[0], cost[1], max(end - overlap - 50, cursor + 1), end - overlap)
        elif cut is None:  # last resort: a hard cut, overlapped
            pieces.append((cursor, limit))
            cursor = limit - overlap
        elif not cut[2]:  # only a short gap: it may be inside a word, so overlap too
            mid = min((cut[0] + cut[1]) // 2, limit)
            pieces.append((cursor, mid))
            cursor = max(mid - overlap, cursor + 1)
        else:
            p_start, p_end, _long = cut
            mid = (p_start + p_end) // 2
            end = min(p_start + pad, mid, limit)
            end = max(end, min(p_start + 1, limit))
            pieces.append((cursor, end))
            cursor = max(p_end - pad, end)
        nxt = _next_speech(speech, speech_ends, cursor)
        if nxt is None:
            break
        cursor = max(cursor, nxt - pad)
    return pieces


def _best_pause(
    pauses: list[tuple[int, int]], pause_ends: list[int], cursor: int, limit: int, min_len: int, min_pause: int
) -> tuple[int, int, bool] | None:
    """The pause inside (cursor + min_len, limit] that scores best, clipped to the window, or None.

    The flag says whether it is a real pause (at least `min_pause` frames) or only a short gap.
    Only the pauses that reach into the window are scored (found by bisection on their ends).
    """
    best: tuple[float, tuple[int, int]] | None = None
    fallback: tuple[float, tuple[int, int]] | None = None
    span = max(limit - cursor, 1)
    for k in range(bisect_right(pause_ends, cursor + min_len), len(pauses)):
        a, b = pauses[k]
        if a >= limit:
            break
        a2, b2 = max(a, cursor + min_len), min(b, limit)
        if b2 <= a2:
            continue
        length = b2 - a2
        lateness = (a2 - cursor) / span
        score = lateness + min(length / 100.0, 1.0)  # a long pause outweighs some length
        if b - a >= min_pause:
            if best is None or score > best[0]:
                best = (score, (a2, b2))
        elif b - a >= 3 and (fallback is None or length > fallback[1][1] - fallback[1][0]):
            fallback = (score, (a2, b2))
    if best is not None:
        return (*best[1], True)
    return (*fallback[1], False) if fallback is not None else None


def _next_speech(speech: list[tuple[int, int]], speech_ends: list[int], frame: int) -> int | None:
    """The first voiced frame at or after `frame`."""
    k = bisect_right(speech_ends, frame)
    return max(speech[k][0], frame) if k < len(speech) else None


def _add_context(
    cores: list[tuple[int, int]], pauses: list[tuple[int, int]], context: int, max_len: int
) -> list[tuple[int, int]]:
    """Start every piece after the first up to `context` frames earlier, at a pause where one is near."""
    reach = 51  # look for a pause within half a second
    pause_ends = [b for _a, b in pauses]
    out = cores[:1]
    for (p_start, p_end), (start, end) in zip(cores, cores[1:], strict=False):
        lowest = max(p_start, end - max_len)
        want = max(lowest, min(start, p_end) - context)
        best = want
        best_dist = reach
        # only pauses ending after want - reach and starting before want + reach can be near enough
        for k in range(bisect_right(pause_ends, want - reach), len(pauses)):
            a, b = pauses[k]
            if a > want + reach:
                break
            point = min(max(want, a), b - 1)  # the frame of this pause nearest to `want`
            if point < lowest or point >= start:
                continue
            if abs(point - want) < best_dist:
                best, best_dist = point, abs(point - want)
        out.append((best, end) if best < start else (start, end))
    return out
