"""Noisy interview audio made here, with every word's position known, and a report of where pieces cut.

The speech is espeak-ng, synthesised word by word (each distinct word once) and laid out with known
gaps: 40-100 ms between the words of a phrase, 0.35-1.0 s between phrases. A word's extent is where its
own synthesis is louder than 35 dB below its peak, so the positions are exact. The noise is what
reporters record in: babble (several espeak voices talking at once, other text), pink noise and a
50 Hz mains hum with harmonics, mixed at a chosen SNR (speech power over the words / noise power).

Used by tests/test_asr_vad.py and tests/perf/bench_vad.py.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pytest

SR = 16_000
FRAME_SAMPLES = 160
PHRASES = (
    "the council voted on the budget late last night",
    "nobody expected the bridge to open before the summer",
    "we spoke to residents who live near the river",
    "the mayor said the money will come from the state",
    "several shops on the high street have already closed",
    "she told us the plan was never discussed in public",
    "the report will be published at the end of the month",
    "police closed the road for most of the afternoon",
    "teachers say the new rules make their work harder",
    "the company denied any wrongdoing in a short statement",
    "farmers worry that the dry weather will last all year",
    "the hospital needs more nurses than it can hire",
)
BABBLE = (
    ("en-us", "and then we went over to the market and bought some bread and cheese for later"),
    ("en-gb-scotland", "i think the weather is going to turn this weekend so bring a coat with you"),
    ("en+f3", "did you see the game on sunday it was the best match all season"),
    ("en-029", "my brother works at the port and he says it is busier than ever this year"),
    ("en-gb-x-rp", "could you pass the sugar please and another cup of coffee for my friend"),
)


@dataclass(frozen=True)
class NoisyRecording:
    """Mixed audio (16 kHz mono float32), the clean speech, and each word's [start, end) in samples."""

    audio: np.ndarray
    speech: np.ndarray
    words: tuple[tuple[int, int], ...]
    snr_db: float | None


def _need_espeak() -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")


@lru_cache(maxsize=512)
def synth(text: str, voice: str = "en-us", speed: int = 165) -> np.ndarray:
    """espeak-ng speech as 16 kHz mono float32."""
    import soundfile as sf
    import soxr

    _need_espeak()
    raw = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],
                         check=True, capture_output=True).stdout
    data, rate = sf.read(io.BytesIO(raw), dtype="float32")
    return soxr.resample(data, rate, SR).astype(np.float32)


def _trimmed(word: np.ndarray) -> np.ndarray:
    """The word without espeak's leading and trailing silence (frames under peak - 35 dB)."""
    frames = word[: len(word) // 160 * 160].reshape(-1, 160)
    level = 10 * np.log10(np.square(frames, dtype=np.float64).mean(axis=1) + 1e-12)
    loud = np.flatnonzero(level > level.max() - 35.0)
    return word[loud[0] * 160 : (loud[-1] + 1) * 160]


def clean_speech(repeats: int = 1, seed: int = 0) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The phrases `repeats` times, word by word; returns the audio and the words' sample ranges."""
    rng = np.random.default_rng(seed)
    parts: list[np.ndarray] = [np.zeros(int(0.5 * SR), np.float32)]
    words: list[tuple[int, int]] = []
    pos = len(parts[0])
    for _ in range(repeats):
        for phrase in PHRASES:
            for k, text in enumerate(phrase.split()):
                if k:
                    gap = np.zeros(int(rng.uniform(0.04, 0.10) * SR), np.float32)
                    parts.append(gap)
                    pos += len(gap)
                w = _trimmed(synth(text))
                parts.append(w)
                words.append((pos, pos + len(w)))
                pos += len(w)
            pause = np.zeros(int(rng.uniform(0.35, 1.0) * SR), np.float32)
            parts.append(pause)
            pos += len(pause)
    return np.concatenate(parts), words


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / (np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12)).astype(np.float32)


def noise_bed(n: int, seed: int = 1) -> np.ndarray:
    """Babble + pink noise + hum, unit power overall (babble half the power, pink 35 %, hum 15 %)."""
    rng = np.random.default_rng(seed)
    babble = np.zeros(n, np.float32)
    for voice, text in BABBLE:
        talk = synth(text, voice, 150)
        reps = -(-n // len(talk)) + 1
        loop = np.tile(talk, reps)
        start = int(rng.integers(0, len(talk)))
        babble += loop[start : start + n]
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / SR)
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0
    pink = np.fft.irfft(spectrum, n)
    t = np.arange(n) / SR
    hum = sum(np.sin(2 * np.pi * 50 * h * t + h) / h for h in (1, 2, 3, 5))
    mix = np.sqrt(0.5) * _unit(babble) + np.sqrt(0.35) * _unit(pink) + np.sqrt(0.15) * _unit(np.asarray(hum))
    return _unit(mix)


def phone_band(x: np.ndarray, low_hz: float = 300.0, high_hz: float = 3400.0) -> np.ndarray:
    """`x` with everything outside a telephone line's band removed (a brick-wall filter in the spectrum)."""
    spectrum = np.fft.rfft(x.astype(np.float64))
    freqs = np.fft.rfftfreq(len(x), 1 / SR)
    spectrum[(freqs < low_hz) | (freqs > high_hz)] = 0
    return np.fft.irfft(spectrum, len(x)).astype(np.float32)


def gain_control(x: np.ndarray, target: float, max_gain: float = 10.0) -> np.ndarray:
    """`x` through a recorder's automatic gain control: the gain follows the level of 10 ms frames (rising in
    about 0.5 s, falling in about 20 ms) towards `target` RMS, at most `max_gain` (+20 dB), so the noise of
    every pause is pulled up towards the voice."""
    frames = len(x) // FRAME_SAMPLES
    rms = np.sqrt(np.mean(np.square(x[: frames * FRAME_SAMPLES].reshape(frames, FRAME_SAMPLES), dtype=np.float64),
                          axis=1) + 1e-12)
    envelope = np.empty(frames)
    level = float(rms[0]) if frames else 0.0
    for i, value in enumerate(rms):
        level += (0.5 if value > level else 0.02) * (value - level)
        envelope[i] = level
    gain = np.minimum(target / np.maximum(envelope, 1e-9), max_gain)
    return (x[: frames * FRAME_SAMPLES] * np.repeat(gain, FRAME_SAMPLES)).astype(np.float32)


def noisy_recording(snr_db: float | None, repeats: int = 1, seed: int = 0, phone: bool = False,
                    agc: bool = False) -> NoisyRecording:
    """Clean speech with the noise bed at `snr_db` (None: no noise), peak-limited to 0.95; with `phone`,
    heard through a telephone line's 300-3400 Hz band; with `agc`, through `gain_control`."""
    speech, words = clean_speech(repeats, seed)
    mask = np.zeros(len(speech), dtype=bool)
    for a, b in words:
        mask[a:b] = True
    p_speech = float(np.mean(np.square(speech[mask], dtype=np.float64)))
    audio = speech.copy()
    if snr_db is not None:
        audio = audio + noise_bed(len(speech), seed + 1) * np.float32(np.sqrt(p_speech / 10 ** (snr_db / 10)))
    if phone:
        audio, speech = phone_band(audio), phone_band(speech)
    if agc:
        audio = gain_control(audio, float(np.sqrt(p_speech)))
        speech = speech[: len(audio)]
    peak = float(np.abs(audio).max())
    scale = 0.95 / peak if peak > 0.95 else 1.0
    return NoisyRecording((audio * scale).astype(np.float32), speech * scale, tuple(words), snr_db)


OVERLAPPED_S = 1.0  # pieces sharing this much or more meet at an overlapped cut (a noisy pause's tail is 0.1-0.3 s)


@dataclass(frozen=True)
class CutReport:
    """Where the pieces of a plan cut, against the known words.

    A seam where the pieces share at least OVERLAPPED_S is overlapped: its edges may fall inside a word by
    design (the word lies whole in one of the two pieces, which `words_split` checks). At any other seam
    (`clean_cuts`) the model hears the word on either side only once, so an edge inside a word there is a
    real miss.
    """

    pieces: int
    longest_s: float
    cuts: int  # distinct piece edges between pieces (ends before the last piece, starts after the first)
    cuts_in_words: int  # of those, how many fall strictly inside a word
    words: int
    words_split: int  # words that no single piece holds whole
    words_lost: int  # words with samples in no piece at all
    decoded_s: float  # audio sent to the model
    clean_cuts: int = 0  # edges of the seams that are not overlapped
    clean_cuts_in_words: int = 0  # of those, how many fall strictly inside a word

    @property
    def cut_accuracy(self) -> float:
        """The share of cuts that fall between words."""
        return 1.0 - self.cuts_in_words / self.cuts if self.cuts else 1.0

    @property
    def clean_cut_accuracy(self) -> float:
        """The share of the clean seams' edges that fall between words."""
        return 1.0 - self.clean_cuts_in_words / self.clean_cuts if self.clean_cuts else 1.0


def cut_report(pieces: list, words: tuple[tuple[int, int], ...] | list[tuple[int, int]]) -> CutReport:
    """Compare `pieces` (app.asr.pipeline.segmentation.Piece) with the word positions."""
    starts = np.array([a for a, _ in words])
    ends = np.array([b for _, b in words])

    def inside(c: int) -> bool:
        return bool(np.any((starts < c) & (c < ends)))

    cuts = {p.end for p in pieces[:-1]} | {p.start for p in pieces[1:]}
    clean = set()
    for p, q in zip(pieces, pieces[1:], strict=False):
        if p.end - q.start < OVERLAPPED_S * SR:
            clean |= {p.end, q.start}
    split = lost = 0
    for a, b in words:
        if not any(p.start <= a and b <= p.end for p in pieces):
            split += 1
        covered = np.zeros(b - a, dtype=bool)
        for p in pieces:
            lo, hi = max(p.start, a), min(p.end, b)
            if lo < hi:
                covered[lo - a : hi - a] = True
        lost += int(not covered.all())
    return CutReport(len(pieces), max((p.duration_s for p in pieces), default=0.0), len(cuts),
                     sum(map(inside, cuts)), len(words), split, lost, sum(p.duration_s for p in pieces),
                     len(clean), sum(map(inside, clean)))
