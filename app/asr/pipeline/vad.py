"""Speech or pause, 10 ms frame by frame: Silero VAD where it loads, the energy detector otherwise.

Interviews are recorded in cafés, streets, cars and rooms with air conditioning; an energy threshold
takes the noise for speech there and finds no pauses to cut at. Silero VAD (the `silero-vad` package,
which ships its small TorchScript model, so nothing is downloaded) tells speech from noise. Its
output is one probability per 32 ms window, smoothed over 160 ms. A window is speech from a threshold
up and stays speech down to 0.15 below it (the package's own hysteresis is 0.5 / 0.35); the threshold
is fitted to each recording (Otsu's split of its probabilities, between 0.5 and 0.85), because under
babble or traffic the pauses between phrases score 0.3-0.8 while the voice in front stays near 1.
Each 10 ms frame takes the decision of the window its centre falls in.

Two corrections make the cuts land between words in noise (measured on tests/noisy_speech.py, see
tests/perf/RESULTS.md). Silero's probability trails the audio: in noise it correlates best with the
words three windows (96 ms) later (in clean speech 0-1 windows), so the probabilities are moved three
windows earlier before anything else (`LAG`); without that, 8 s pieces at 0 dB SNR cut inside words
2.5 times as often. And the planner does not cut at the mask's pauses but at the lowest `cut_cost`, a per-frame
mix of the probability and the voice-band level (`SpeechMask.by_cost`; the mask then only says whether
a cut is clean or must be overlapped). Only a stretch that both detectors call empty may be left out of
every piece (`SpeechMask.quiet`): Silero below the package's own thresholds (no voice at all, as in a
quiet room), because under babble a weak word can score as low as the noise between phrases, and the
voice band at the recording's noise floor (`levels.above_floor`), because Silero scores some words near 0
on its own: speech band-limited to 300-3400 Hz as on a phone line lost 7 of 339 words clean and 20 at
20-30 dB SNR when Silero alone decided, none with both (for 2-6 % more audio decoded on such a line,
nothing measurable elsewhere). The floor is measured above digital silence (a muted stretch is no floor),
and the voice band must stay above it for `MIN_SOUND` frames: a music bed's single peaks do not count,
while every test word stays above it for 100 ms or more.

Where the voice is drowned no pause is sure. At 5-0 dB SNR Silero's mask calls stretches pauses while a
word runs through them (a word's edge, and at 0 dB sometimes a whole word), and the lowest cut cost lands
within 30 ms of a word for 6 % (5 dB) and 31 % (0 dB) of the cuts made at its pauses; in ten test
recordings not used to tune the planner such clean cuts split 2 words at 5 dB and 7 at 0 dB (8 and 30 s
pieces). `local_contrast` measures, every 2 s, how far the loud voice-band frames of the surrounding 30 s
stand above the quiet ones (84 dB for clean speech, 21 at 10 dB SNR, 16-17 at 5 dB, 12-13 at 0 dB on the
test noise; 18-19 at 10 dB for white noise, air conditioning or a café, and for the test noise through a
recorder's automatic gain control, which lifts the noise in every pause). Below `CONTRAST_DB` the mask marks
the frames `drowned` and the planner cuts there as it does inside speech, with the hard-cut overlap that
every engine stitches, so every word lies whole in one piece. The line is at 20 dB because clean cuts split
a word in 2 of 3 recordings at 10 dB behind gain control (contrast 18.2-18.9) and none at 21 or more. A
quiet stretch of a second or more stays a clean cut (a long silence has no contrast at all;
`segmentation.LONG_QUIET_S`). That costs 6-11 % more audio decoded for 30 s pieces in such a recording,
and nothing in a quieter one.

Speed. The model is a recurrent net fed 512 samples at a time: run over a recording as one stream it
costs about 1 ms per window on a laptop CPU (minutes for a 3-hour interview). The recording is
therefore cut into streams of 20 s, each led by 1 s of the audio before it to settle the recurrent
state, and all streams run side by side as one batch: each call processes one window of every
stream. The lead-in is discarded, so a stream's decisions are those of a model that had heard the
second before it (measured at 5 dB SNR: mean probability difference 0.02 from one long stream, 97 % of
speech/pause decisions the same).

If silero-vad is not installed or its model does not load, `voiced_frames` falls back to the energy
detector (`app.asr.pipeline.segmentation.voiced_frames`) and `detector_name` says which one ran.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.asr.pipeline.levels import above_floor, band_levels, frame_levels, lasting
from app.asr.pipeline.levels import voiced_frames as energy_voiced

SAMPLE_RATE = 16_000
FRAME = 160  # 10 ms frames, as in app.asr.pipeline.segmentation
WINDOW = 512  # Silero's window at 16 kHz (32 ms)
STREAM_WINDOWS = 625  # 20 s per stream
LEAD_WINDOWS = 31  # 1 s of the audio before a stream settles its state
MAX_STREAMS = 512  # streams per batch (bounds memory: 512 x 512 floats per call)
ON, OFF = 0.5, 0.35
MAX_ON = 0.85  # the fitted threshold never goes above this (speech under heavy noise stays detected)
LAG = 3  # Silero's probability trails the audio by about 3 windows (96 ms) in noise: window w + LAG speaks for w
CUT_SMOOTH = 9  # the cut cost is averaged over 90 ms: a cut lands in the middle of a quiet stretch
MIN_SHARE = 0.25  # Silero must find at least this share of the energy detector's voiced frames
MIN_SOUND = 5  # frames (50 ms) the voice band must stay above the floor to keep a stretch from being left out
CONTRAST_DB = 20.0  # where the voice stands less than this above the noise, no pause is sure (`local_contrast`)
CONTRAST_REACH = 1500  # frames (15 s) either side over which `local_contrast` compares loud and quiet frames
CONTRAST_STEP = 200  # frames that share one contrast value
DETECTOR_ENV = "VERBATIM_VAD"  # "energy" forces the energy detector (for comparisons)

log = logging.getLogger(__name__)
_lock = threading.Lock()
_model: Any = None
_load_failed = False


def _load() -> Any:
    """The Silero model (loaded once), or None when it cannot be loaded."""
    global _model, _load_failed
    if _model is not None or _load_failed:
        return _model
    try:
        import torch

        threads = torch.get_num_threads()
        try:
            import warnings

            with warnings.catch_warnings():  # the package uses deprecated importlib and jit calls
                warnings.simplefilter("ignore", DeprecationWarning)
                from silero_vad import load_silero_vad  # its import sets torch to one thread: undone below

                _model = load_silero_vad()
        finally:
            torch.set_num_threads(threads)
    except Exception as exc:  # not installed, or a broken model file: the energy detector takes over
        log.warning("Silero VAD is not available (%s); pauses are found by energy", exc)
        _load_failed = True
        _model = None
    return _model


def silero_available() -> bool:
    """True when Silero VAD loads here."""
    with _lock:
        return _load() is not None


def speech_probabilities(audio: np.ndarray) -> np.ndarray | None:
    """Silero's speech probability for every 32 ms window of `audio` (16 kHz mono), or None without Silero."""
    import torch

    with _lock:
        model = _load()
        if model is None:
            return None
        n_windows = -(-len(audio) // WINDOW)
        if n_windows == 0:
            return np.zeros(0, dtype=np.float32)
        streams = -(-n_windows // STREAM_WINDOWS)
        span = STREAM_WINDOWS + LEAD_WINDOWS
        # [streams, span * WINDOW]: stream s covers windows [s*STREAM - LEAD, (s+1)*STREAM), zeros outside
        padded = np.zeros((LEAD_WINDOWS + streams * STREAM_WINDOWS) * WINDOW, dtype=np.float32)
        padded[LEAD_WINDOWS * WINDOW : LEAD_WINDOWS * WINDOW + len(audio)] = audio
        out = np.empty((streams, STREAM_WINDOWS), dtype=np.float32)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # a small net: more threads only spin (30x slower on a busy 2-core machine)
        try:
            _run_streams(model, padded, out, streams, span)
        finally:
            torch.set_num_threads(threads)
        return out.reshape(-1)[:n_windows]


def _run_streams(model: Any, padded: np.ndarray, out: np.ndarray, streams: int, span: int) -> None:
    """Fill `out` [streams, STREAM_WINDOWS] with the probabilities of every stream, MAX_STREAMS at a time."""
    import torch

    windows = torch.from_numpy(padded).view(-1, WINDOW)  # no copy: one row per 32 ms window
    with torch.inference_mode():
        for first in range(0, streams, MAX_STREAMS):
            count = min(MAX_STREAMS, streams - first)
            rows = torch.arange(first, first + count) * STREAM_WINDOWS  # each stream's first (lead-in) window
            model.reset_states()  # the state is sized for the batch on the first call
            for w in range(span):
                prob = model(windows[rows + w], SAMPLE_RATE)
                if w >= LEAD_WINDOWS:
                    out[first : first + count, w - LEAD_WINDOWS] = prob.reshape(-1).float().numpy()


def hysteresis(probs: np.ndarray, on: float = ON, off: float = OFF) -> np.ndarray:
    """Speech where a probability reaches `on`, continuing while it stays at `off` or above."""
    out = np.zeros(probs.size, dtype=bool)
    above_on = probs >= on
    above_off = probs >= off
    state = False
    # a Python loop over windows: 340 000 of them for 3 hours, well under a second
    for i in range(probs.size):
        state = bool(above_on[i]) or (state and bool(above_off[i]))
        out[i] = state
    return out


def smooth(values: np.ndarray, width: int) -> np.ndarray:
    """Moving average over `width` samples (centred; the edges average what exists)."""
    if values.size == 0 or width <= 1:
        return values.astype(np.float32)
    kernel = np.ones(width)
    total = np.convolve(values.astype(np.float64), kernel, mode="same")
    count = np.convolve(np.ones(values.size), kernel, mode="same")
    return (total / count).astype(np.float32)


def split_threshold(probs: np.ndarray, low: float = ON, high: float = MAX_ON) -> float:
    """The probability that best separates a recording's pauses from its speech (Otsu's rule), in [low, high].

    In quiet rooms pauses sit near 0 and speech near 1, and this is about 0.5; under babble or street
    noise the pauses rise (0.25 at 10 dB SNR, 0.6-0.75 at 5-0 dB) while the foreground speech stays
    near 1, and the threshold follows them up.
    """
    if probs.size == 0:
        return low
    hist, _ = np.histogram(probs, bins=100, range=(0.0, 1.0))
    weights = hist / hist.sum()
    centres = (np.arange(100) + 0.5) / 100
    w0 = np.cumsum(weights)[:-1]
    m0 = np.cumsum(weights * centres)[:-1]
    mean = float((weights * centres).sum())
    between = np.where((w0 > 0) & (w0 < 1), (mean * w0 - m0) ** 2 / np.maximum(w0 * (1 - w0), 1e-12), -1.0)
    best = (int(np.argmax(between)) + 1) / 100
    return float(min(max(best, low), high))


@dataclass(frozen=True)
class SpeechMask:
    """Per 10 ms frame: speech or pause, and a cost that is lowest where a cut hurts least."""

    voiced: np.ndarray  # bool
    cost: np.ndarray  # float32; lower = more pause-like (probability of speech, or level in dB)
    detector: str  # "silero" or "energy"
    tolerance: float  # costs this close to the lowest count as equally good (the later one wins)
    by_cost: bool = False  # True: every cut goes to the lowest cost in reach, pause or not (see `cut_cost`)
    quiet: np.ndarray | None = None  # bool: the stretches that may be left out of every piece (None: all pauses)
    drowned: np.ndarray | None = None  # bool: the voice stands too little above the noise to trust a pause here


def silero_mask(audio: np.ndarray) -> SpeechMask | None:
    """Speech per 10 ms frame from Silero (probabilities smoothed over 160 ms, thresholds fitted to the
    recording), or None without Silero."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    probs = speech_probabilities(audio)
    if probs is None:
        return None
    frames = -(-len(audio) // FRAME)
    if probs.size == 0:
        return SpeechMask(np.zeros(frames, dtype=bool), np.zeros(frames, dtype=np.float32), "silero", 0.05)
    probs = np.concatenate([probs[LAG:], np.repeat(probs[-1:], min(LAG, probs.size))])  # undo the lag
    smoothed = smooth(probs, 5)
    on = split_threshold(smoothed)
    speech = hysteresis(smoothed, on, on - (ON - OFF))
    centres = np.minimum((np.arange(frames) * FRAME + FRAME // 2) // WINDOW, probs.size - 1)
    sure = ~hysteresis(smoothed) & ~speech  # below the package's own thresholds: no voice, not even a faint one
    level = band_levels(audio)[:frames]
    # nor the voice band above the noise floor for MIN_SOUND frames or more (a music bed's single peaks are no voice)
    empty = sure[centres] & ~lasting(above_floor(level, live_floor=True), MIN_SOUND)
    return SpeechMask(speech[centres], cut_cost(level, probs[centres]), "silero", 0.05, by_cost=True,
                      quiet=empty, drowned=local_contrast(level) < CONTRAST_DB)


def local_contrast(level: np.ndarray) -> np.ndarray:
    """Per 10 ms frame, how far (dB) the voice stands above the noise around it: the voice-band level of the
    loud frames (95th percentile) less that of the quiet ones (10th) within CONTRAST_REACH either side.

    On tests/noisy_speech.py this is 84 dB for clean speech, 30 at 20 dB SNR, 21 at 10, 16.4-16.9 at 5 and
    12.5-12.9 at 0 dB. Each step of CONTRAST_STEP frames takes one value, from every other frame of its
    window (0.3 s for 3 hours here).
    """
    out = np.empty(level.size, dtype=np.float32)
    for first in range(0, level.size, CONTRAST_STEP):
        centre = first + CONTRAST_STEP // 2
        window = level[max(centre - CONTRAST_REACH, 0) : centre + CONTRAST_REACH : 2]
        quiet, loud = np.percentile(window, [10, 95])
        out[first : first + CONTRAST_STEP] = loud - quiet
    return out


def cut_cost(level: np.ndarray, probability: np.ndarray) -> np.ndarray:
    """Per 10 ms frame, how much a cut there would hurt: Silero's speech probability (lag undone) plus the
    voice-band `level` (`levels.band_levels`, dB per frame) scaled to 0 at the recording's quiet frames and
    1 at its loud ones, averaged over 90 ms.

    Each alone does worse: Silero's probability stays high through short pauses under babble and the
    level dips inside words too, while a real pause is low in both. Measured on
    tests/noisy_speech.py (7 recordings, 399 stretches of 5.3 s, as an 8 s piece leaves to choose from):
    the lowest point fell between words for 95 % (5 dB) and 83 % (0 dB) of the stretches with this cost,
    92 / 79 % with the probability alone, 67 / 59 % with the level alone, and 84 / 70 % with the former
    cost (the probability smoothed, its lag not undone).
    """
    level = level[: probability.size]
    quiet, loud = np.percentile(level, [10, 95]) if level.size else (0.0, 1.0)
    scaled = np.clip((level - quiet) / max(float(loud - quiet), 1.0), 0.0, 1.5)
    return smooth(probability.astype(np.float32) + scaled, CUT_SMOOTH)


def energy_mask(audio: np.ndarray) -> SpeechMask:
    """Speech per 10 ms frame by level (`segmentation.voiced_frames`); the cost is the level over 150 ms."""
    return SpeechMask(energy_voiced(audio), smooth(frame_levels(audio), 15), "energy", 2.0)


def detector_name(requested: str = "auto") -> str:
    """Which detector `speech_mask(audio, requested)` tries first: "silero" or "energy"."""
    choice = os.environ.get(DETECTOR_ENV, "").strip().lower() or requested
    if choice == "energy":
        return "energy"
    return "silero" if silero_available() else "energy"


def speech_mask(audio: np.ndarray, detector: str = "auto") -> SpeechMask:
    """Speech or pause per 10 ms frame, with Silero where it loads ("auto" or "silero"), else by energy.

    A recording in which Silero hears speech in less than a quarter of what the energy detector finds
    (tones, synthetic signals, music with a few words) falls back to the energy detector too: the model
    may still hear words there, and nothing should be skipped unheard. Noise never trips this: under
    babble Silero finds more speech than energy, not less.
    """
    if detector not in ("auto", "silero", "energy"):
        raise ValueError(f"unknown detector {detector!r}: use auto, silero or energy")
    energy = energy_mask(audio)
    if detector_name(detector) == "silero":
        mask = silero_mask(audio)
        if mask is not None and mask.voiced.sum() >= MIN_SHARE * energy.voiced.sum():
            return mask
    return energy


def voiced_frames(audio: np.ndarray, detector: str = "auto") -> np.ndarray:
    """Just the speech/pause booleans of `speech_mask`."""
    return speech_mask(audio, detector).voiced
