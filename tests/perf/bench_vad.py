"""Cut accuracy of the energy detector against Silero VAD on noisy speech, and the cost of planning.

    python tests/perf/bench_vad.py                  # cut accuracy at clean/10/5/0 dB + planning times
    python tests/perf/bench_vad.py --old REV        # also time the planner of git revision REV

Cut accuracy: espeak-ng speech laid out word by word (positions exact) with babble, pink noise and a
hum (tests/noisy_speech.py) at each SNR, cut for a model limit of `--max-s` seconds (with the 2 s
overlap the engines use at hard cuts). A cut is inside a word when a piece edge falls strictly
between the word's first and last loud sample; a word is split when no single piece holds it whole,
and lost when some of it is in no piece at all.

Planning time: synthetic voiced/quiet masks with speech-like runs (0.2-6 s of speech, 0.05-1.5 s
pauses), 60 and 180 minutes, planned with 30 s pieces and with the interview's 540 s pieces and 30 s
context. `--old REV` loads app/asr/pipeline/segmentation.py of that git revision to compare.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.asr.pipeline import segmentation, vad  # noqa: E402
from app.asr.pipeline.segmentation import plan_pieces_with_cores  # noqa: E402
from tests.noisy_speech import cut_report, noisy_recording  # noqa: E402


def accuracy(max_s: float, repeats: int) -> None:
    print(f"| SNR | detector | pieces | longest s | cuts | cuts inside a word | words split | words lost "
          f"| audio decoded s | detect s |  (max {max_s:g} s, {repeats} x 12 phrases)")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for snr in (None, 10.0, 5.0, 0.0):
        rec = noisy_recording(snr, repeats=repeats)
        for detector in ("energy", "silero"):
            t0 = time.perf_counter()
            mask = vad.speech_mask(rec.audio, detector)
            took = time.perf_counter() - t0
            pieces = [p for p, _ in plan_pieces_with_cores(rec.audio, max_s, overlap_s=2.0, mask=mask)]
            r = cut_report(pieces, rec.words)
            name = "clean" if snr is None else f"{snr:g} dB"
            print(f"| {name} | {mask.detector} | {r.pieces} | {r.longest_s:.2f} | {r.cuts} | {r.cuts_in_words} "
                  f"({100 * (1 - r.cut_accuracy):.0f} %) | {r.words_split} / {r.words} | {r.words_lost} "
                  f"| {r.decoded_s:.1f} | {took:.2f} |", flush=True)


def synthetic_mask(minutes: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    frames = int(minutes * 60 * 100)
    out = np.zeros(frames, dtype=bool)
    pos = 50
    while pos < frames:
        talk = int(rng.uniform(20, 600))
        out[pos : pos + talk] = True
        pos += talk + int(rng.uniform(5, 150))
    return out


def _load_old(rev: str):
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:app/asr/pipeline/segmentation.py"],
                            check=True, capture_output=True, text=True).stdout
    path = Path("/tmp") / f"old_segmentation_{rev[:8]}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("old_segmentation", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_segmentation"] = module
    spec.loader.exec_module(module)
    return module


def planning(old_rev: str | None) -> None:
    old = _load_old(old_rev) if old_rev else None
    print("\n| minutes | pieces of | context | this version s | old s |")
    print("|---|---|---|---|---|")
    for minutes in (60, 180):
        voiced = synthetic_mask(minutes)
        audio = np.zeros(voiced.size * 160, dtype=np.float32)
        cost = np.where(voiced, 1.0, 0.0).astype(np.float32)
        mask = vad.SpeechMask(voiced, cost, "synthetic", 0.05)
        for piece_s, context_s in ((30.0, 0.0), (540.0, 30.0)):
            t0 = time.perf_counter()
            plan_pieces_with_cores(audio, piece_s, overlap_s=2.0, context_s=context_s, mask=mask)
            new_s = time.perf_counter() - t0
            old_s = ""
            if old is not None:
                original = old.voiced_frames
                old.voiced_frames = lambda _audio, v=voiced: v
                t0 = time.perf_counter()
                old.plan_pieces_with_cores(audio, piece_s, overlap_s=2.0, context_s=context_s)
                old_s = f"{time.perf_counter() - t0:.2f}"
                old.voiced_frames = original
            print(f"| {minutes} | {piece_s:g} s | {context_s:g} s | {new_s:.3f} | {old_s} |", flush=True)


def silero_speed(minutes: float) -> None:
    rng = np.random.default_rng(0)
    audio = (0.05 * rng.standard_normal(int(minutes * 60 * 16_000))).astype(np.float32)
    t0 = time.perf_counter()
    vad.speech_probabilities(audio)
    took = time.perf_counter() - t0
    print(f"\nSilero over {minutes:g} min of audio: {took:.1f} s ({minutes * 60 / took:.0f}x real time)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-s", type=float, nargs="+", default=[8.0, 30.0])
    parser.add_argument("--repeats", type=int, default=3, help="times the 12 phrases are spoken")
    parser.add_argument("--old", help="git revision whose planner to time as well")
    parser.add_argument("--silero-minutes", type=float, default=20.0)
    parser.add_argument("--no-accuracy", action="store_true", help="only the timings")
    args = parser.parse_args()
    print(f"energy detector: {segmentation.__name__}.voiced_frames; Silero available: {vad.silero_available()}")
    for max_s in [] if args.no_accuracy else args.max_s:
        accuracy(max_s, args.repeats)
    planning(args.old)
    silero_speed(args.silero_minutes)


if __name__ == "__main__":
    main()
