"""Cut accuracy of the energy detector against Silero VAD on noisy speech, and the cost of planning.

    python tests/perf/bench_vad.py                  # cut accuracy at clean/10/5/0 dB + planning times
    python tests/perf/bench_vad.py --old REV        # also the Silero mask and planner of git revision REV
    python tests/perf/bench_vad.py --repeats 1 --seeds 0 1 2 3 4 5 6   # 7 one-minute recordings, added up

Cut accuracy: espeak-ng speech laid out word by word (positions exact) with babble, pink noise and a
hum (tests/noisy_speech.py) at each SNR, cut for a model limit of `--max-s` seconds (with the 2 s
overlap the engines use at hard cuts). A cut is inside a word when a piece edge falls strictly
between the word's first and last loud sample; the clean seams are those where the pieces share less
than a second (an overlapped seam may cut a word by design: it lies whole in the other piece). A word
is split when no single piece holds it whole, and lost when some of it is in no piece at all.

Planning time: synthetic voiced/quiet masks with speech-like runs (0.2-6 s of speech, 0.05-1.5 s
pauses), 60 and 180 minutes, planned with 30 s pieces and with the interview's 540 s pieces and 30 s
context. `--old REV` loads app/asr/pipeline/segmentation.py (and vad.py, for the accuracy rows) of that
git revision to compare.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.asr.pipeline import segmentation, vad  # noqa: E402
from app.asr.pipeline.levels import band_levels  # noqa: E402
from app.asr.pipeline.segmentation import plan_pieces_with_cores  # noqa: E402
from tests.noisy_speech import cut_report, noisy_recording  # noqa: E402


def accuracy(max_s: float, repeats: int, seeds: list[int], old: tuple[object, object] | None) -> None:
    """One row per SNR and planner: energy, Silero as planned at the `--old` revision (if given), Silero now.

    With several `seeds` each row adds up the recordings made with them (different pauses and noise)."""
    print(f"| SNR | planner | pieces | longest s | cuts | cuts inside a word | clean seams' cuts / inside a word "
          f"| words split | words lost | audio decoded s | detect s |  (max {max_s:g} s, {repeats} x 12 phrases, "
          f"seeds {seeds})")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    planners: list[tuple[str, object, object]] = [("energy", vad, segmentation)]
    if old is not None:
        planners.append(("silero (old)", *old))
    planners.append(("silero", vad, segmentation))
    for snr in (None, 10.0, 5.0, 0.0):
        recs = [noisy_recording(snr, repeats=repeats, seed=seed) for seed in seeds]
        for label, vad_module, seg_module in planners:
            total = np.zeros(9)
            longest, detector, total_took = 0.0, label, 0.0
            for rec in recs:
                t0 = time.perf_counter()
                mask = vad_module.speech_mask(rec.audio, label.split()[0])  # type: ignore[attr-defined]
                total_took += time.perf_counter() - t0
                planned = seg_module.plan_pieces_with_cores(  # type: ignore[attr-defined]
                    rec.audio, max_s, overlap_s=2.0, mask=mask)
                r = cut_report([p for p, _ in planned], rec.words)
                total += (r.pieces, r.cuts, r.cuts_in_words, r.words_split, r.words, r.words_lost, r.decoded_s,
                          r.clean_cuts, r.clean_cuts_in_words)
                longest = max(longest, r.longest_s)
                detector = label if mask.detector == label.split()[0] else mask.detector
            pieces, cuts, inside, split, words, lost, decoded, clean, clean_inside = total
            name = "clean" if snr is None else f"{snr:g} dB"
            print(f"| {name} | {detector} | {pieces:.0f} | {longest:.2f} | {cuts:.0f} | {inside:.0f} "
                  f"({100 * inside / max(cuts, 1):.0f} %) | {clean:.0f} / {clean_inside:.0f} "
                  f"| {split:.0f} / {words:.0f} | {lost:.0f} | {decoded:.1f} | {total_took:.2f} |", flush=True)


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


def _load_old(rev: str, name: str = "segmentation"):
    """app/asr/pipeline/<name>.py as it was at git revision `rev`, loaded as a module of its own."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:app/asr/pipeline/{name}.py"],
                            check=True, capture_output=True, text=True).stdout
    path = Path("/tmp") / f"old_{name}_{rev[:8]}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"old_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[f"old_{name}"] = module
    spec.loader.exec_module(module)
    return module


def planning(old_rev: str | None) -> None:
    """Planning time on synthetic masks: cutting at the mask's pauses, cutting at the lowest cost (as with
    Silero), and the `old_rev` planner on the same mask."""
    old = _load_old(old_rev) if old_rev else None
    print("\n| minutes | pieces of | context | at pauses s | at lowest cost s | old s |")
    print("|---|---|---|---|---|---|")
    for minutes in (60, 180):
        voiced = synthetic_mask(minutes)
        audio = np.zeros(voiced.size * 160, dtype=np.float32)
        rng = np.random.default_rng(1)
        cost = (np.where(voiced, 1.0, 0.0) + 0.5 * rng.random(voiced.size)).astype(np.float32)
        mask = vad.SpeechMask(voiced, cost, "synthetic", 0.05)
        by_cost = vad.SpeechMask(voiced, cost, "synthetic", 0.1, by_cost=True, quiet=~voiced)
        for piece_s, context_s in ((30.0, 0.0), (540.0, 30.0)):
            times = []
            for m in (mask, by_cost):
                t0 = time.perf_counter()
                plan_pieces_with_cores(audio, piece_s, overlap_s=2.0, context_s=context_s, mask=m)
                times.append(time.perf_counter() - t0)
            old_s = ""
            if old is not None:
                t0 = time.perf_counter()
                if "mask" in inspect.signature(old.plan_pieces_with_cores).parameters:
                    old.plan_pieces_with_cores(audio, piece_s, overlap_s=2.0, context_s=context_s, mask=mask)
                else:  # before masks: the planner asked voiced_frames
                    original = old.voiced_frames
                    old.voiced_frames = lambda _audio, v=voiced: v
                    old.plan_pieces_with_cores(audio, piece_s, overlap_s=2.0, context_s=context_s)
                    old.voiced_frames = original
                old_s = f"{time.perf_counter() - t0:.2f}"
            print(f"| {minutes} | {piece_s:g} s | {context_s:g} s | {times[0]:.3f} | {times[1]:.3f} | {old_s} |",
                  flush=True)


def silero_speed(minutes: float) -> None:
    rng = np.random.default_rng(0)
    audio = (0.05 * rng.standard_normal(int(minutes * 60 * 16_000))).astype(np.float32)
    t0 = time.perf_counter()
    vad.speech_probabilities(audio)
    took = time.perf_counter() - t0
    print(f"\nSilero over {minutes:g} min of audio: {took:.1f} s ({minutes * 60 / took:.0f}x real time)")
    frames = -(-len(audio) // 160)
    t0 = time.perf_counter()
    level = band_levels(audio)
    vad.cut_cost(level, np.zeros(frames, dtype=np.float32))
    took = time.perf_counter() - t0
    print(f"cut cost (voice-band level) over {minutes:g} min: {took:.1f} s ({minutes * 60 / took:.0f}x real time)")
    t0 = time.perf_counter()
    vad.local_contrast(level)
    took = time.perf_counter() - t0
    print(f"local contrast (drowned stretches) over {minutes:g} min: {took:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-s", type=float, nargs="+", default=[8.0, 30.0])
    parser.add_argument("--repeats", type=int, default=3, help="times the 12 phrases are spoken")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="one recording per seed, rows add up")
    parser.add_argument("--old", help="git revision whose planner to time as well")
    parser.add_argument("--silero-minutes", type=float, default=20.0)
    parser.add_argument("--no-accuracy", action="store_true", help="only the timings")
    args = parser.parse_args()
    print(f"energy detector: {segmentation.__name__}.voiced_frames; Silero available: {vad.silero_available()}")
    old = (_load_old(args.old, "vad"), _load_old(args.old)) if args.old else None
    for max_s in [] if args.no_accuracy else args.max_s:
        accuracy(max_s, args.repeats, args.seeds, old)
    planning(args.old)
    silero_speed(args.silero_minutes)


if __name__ == "__main__":
    main()
