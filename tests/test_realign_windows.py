"""Re-aligning a two-hour run of interpolated words: windowed, accurate, and in the memory of one window.

The CTC model here is a synthetic emission source, not a mock of ours: its "audio" carries, in every
80 ms frame, the id of the word spoken there (0 in silence), and its posteriors put most mass on that
token and on the blank. The real windowing, the real Viterbi (`app.asr.align.forced`) and the real text
normalisation run on it. The recording is synthesised lazily, so two hours of it never sit in memory.
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.asr.align.align_text import ctc_form
from app.asr.align.forced import align_words
from app.asr.align.realign import WINDOW_MS, WINDOW_SLACK_MS, retime_runs
from app.core.document import TimingSource, Word
from app.core.timing import spread_words

SR = 16_000
FRAME = 1280  # samples per 80 ms CTC frame
VOCAB = ["the", "mayor", "said", "bridge", "will", "open", "in", "May", "and", "it", "be", "free", "Dr.",
         "Osei,", "110", "people", "crossed", "river", "every", "day", "3.5%", "budget", "city", "council"]


@dataclass(frozen=True)
class _Cfg:
    blank_token_id: int = 0


class WordTokenizer:
    """One token per spoken word form (a stable hash), as a BPE tokenizer gives for common words."""

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        return [token_id(part) for part in text.split()]


def token_id(form: str) -> int:
    return zlib.crc32(form.encode("utf-8")) % 997 + 1


class FrameTokens:
    """A lazily synthesised recording: sample values encode the token spoken in each 80 ms frame."""

    def __init__(self, frame_tokens: np.ndarray) -> None:
        self.frames = frame_tokens

    def __len__(self) -> int:
        return len(self.frames) * FRAME

    def __getitem__(self, cut: slice) -> np.ndarray:
        start, stop, _ = cut.indices(len(self))
        first, last = start // FRAME, (stop + FRAME - 1) // FRAME
        values = np.repeat((self.frames[first:last] / 1000.0).astype(np.float32), FRAME)
        return values[start - first * FRAME : stop - first * FRAME]


class EmissionModel:
    """CTC posteriors read off the synthetic recording: the frame's token likely, the blank next."""

    cfg = _Cfg()
    frame_s = FRAME / SR

    def ctc_log_probs(self, waveform: np.ndarray, columns: Sequence[int] | None = None) -> np.ndarray:
        cols = np.asarray(columns if columns is not None else range(1000))
        ids = np.rint(np.asarray(waveform)[FRAME // 2 :: FRAME] * 1000).astype(np.int64)
        out = np.full((len(ids), len(cols)), np.log(1e-4), dtype=np.float32)
        out[:, cols == 0] = np.log(0.3)
        out[ids[:, None] == cols[None, :]] = np.log(0.65)
        out[(ids == 0)[:, None] & (cols == 0)[None, :]] = np.log(0.95)
        return out


def _recording(minutes: int, seed: int = 7) -> tuple[list[Word], list[Word], FrameTokens]:
    """(true words, the same words with interpolated times, the recording) of `minutes` of speech."""
    rng = random.Random(seed)
    total_frames = minutes * 60 * SR // FRAME
    frames = np.zeros(total_frames, dtype=np.int16)
    truth: list[Word] = []
    f = 2
    while True:
        text = rng.choice(VOCAB)
        parts = ctc_form(text).split()  # "110" is said as four tokens, a frame or more each
        length = max(rng.randint(2, 6), len(parts) + 1)
        if f + length + 1 >= total_frames:
            break
        for k in range(length):
            frames[f + k] = token_id(parts[k * len(parts) // length])
        truth.append(Word(text, f * 80, (f + length) * 80))
        f += length + rng.choice((1, 1, 2, 3, 5, 12))
    guessed = spread_words([w.text for w in truth], 0, total_frames * 80)
    return truth, guessed, FrameTokens(frames)


def measure(minutes: int) -> dict[str, float]:
    """Align `minutes` of the synthetic recording; the numbers the test checks (run in a fresh process)."""
    truth, guessed, audio = _recording(minutes)
    model, tokenizer = EmissionModel(), WordTokenizer()
    longest = 0

    def align(cut: np.ndarray, texts: list[str], offset: int) -> list[Word]:
        nonlocal longest
        longest = max(longest, len(cut))
        return align_words(model, cut, texts, tokenizer, offset_ms=offset)

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    new_words, report = retime_runs(guessed, audio, align)  # type: ignore[arg-type]
    growth_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
    errors = sorted(abs(a.start_ms - b.start_ms) for a, b in zip(new_words, truth, strict=True))
    return {
        "words": len(truth),
        "aligned": report.aligned,
        "failed": len(report.failed),
        "all_aligned": all(w.source == TimingSource.ALIGNED for w in new_words),
        "same_text": [w.text for w in new_words] == [w.text for w in truth],
        "p99_error_ms": errors[len(errors) * 99 // 100],
        "longest_cut": longest,
        "rss_growth_mib": growth_kib / 1024,
    }


def test_two_hours_align_in_windows_in_bounded_memory() -> None:
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); import test_realign_windows as t; "
            "print(json.dumps(t.measure(120)))")
    tests = str(Path(__file__).parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(tests).parent), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", code, tests], capture_output=True, text=True, env=env, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    m = json.loads(done.stdout.strip().splitlines()[-1])
    assert m["failed"] == 0 and m["aligned"] == m["words"] > 10_000
    assert m["all_aligned"] and m["same_text"]  # displayed text unchanged
    assert m["p99_error_ms"] <= 80  # 99% of words start within one frame of the truth
    # no window held more than ~30 s + slack of audio (plus the anchor word before it)
    assert m["longest_cut"] <= (2 * WINDOW_MS + WINDOW_SLACK_MS) * SR // 1000
    # memory: the word lists and one window; one pass over two hours needs ~460 MB for the audio alone
    # and ~3.6 GB of Viterbi back pointers
    assert m["rss_growth_mib"] < 64, m


def test_normalised_text_aligns_where_the_displayed_text_would_not() -> None:
    truth, guessed, audio = _recording(1, seed=3)
    model, tokenizer = EmissionModel(), WordTokenizer()
    cut = audio[0 : len(audio)]
    words = align_words(model, cut, [w.text for w in truth], tokenizer)
    assert [w.text for w in words] == [w.text for w in truth]  # "Dr.", "Osei,", "3.5%" shown as typed
    assert all(abs(a.start_ms - b.start_ms) <= 80 for a, b in zip(words, truth, strict=True))
    assert tokenizer.encode("Osei,") != tokenizer.encode(ctc_form("Osei,"))  # the head never saw "Osei,"


def test_a_window_that_cannot_be_placed_keeps_its_estimates_and_the_rest_aligns() -> None:
    truth, guessed, audio = _recording(10, seed=5)
    # text the recording never says, crammed into two seconds of the estimates: far more tokens than
    # frames, so the window holding it cannot be aligned
    at = len(guessed) // 2
    t0 = guessed[at].start_ms
    extra = [Word("extra", t0 + 2 * k, t0 + 2 * k + 1, None, None, TimingSource.INTERPOLATED) for k in range(900)]
    words = guessed[:at] + extra + [w.replace(start_ms=max(w.start_ms, t0 + 1800)) for w in guessed[at:]]
    model, tokenizer = EmissionModel(), WordTokenizer()
    new_words, report = retime_runs(
        words, audio, lambda cut, texts, offset: align_words(model, cut, texts, tokenizer, offset_ms=offset))
    assert [w.text for w in new_words] == [w.text for w in words]
    assert len(report.failed) == 1 and "could not be placed" in report.failed[0]
    before = new_words[: at - 100]  # well before the window that holds the unspoken text
    assert all(w.source == TimingSource.ALIGNED for w in before)
    assert all(abs(a.start_ms - b.start_ms) <= 80 for a, b in zip(before, truth, strict=False))
    assert any(w.source == TimingSource.INTERPOLATED for w in new_words[at : at + 900])
    after = new_words[at + 1000 :]  # and alignment picks up again after it
    assert sum(w.source == TimingSource.ALIGNED for w in after) >= 0.9 * len(after)
    assert all(a.end_ms <= b.start_ms for a, b in zip(new_words, new_words[1:], strict=False))
