"""Export speed: a synthetic 20,000-word interview (four speakers) written in every format, timed.

Run by hand:  /work/venv/bin/python tests/perf/bench_export.py
Target: every export under 2 s. Imports of the written SRT, WebVTT and JSON are timed too.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.core.document import Speaker, TimingSource, Transcript, Word
from app.core.exporters import EXPORTERS, ExportOptions, export_document
from app.core.importers import import_transcript

VOCAB = (
    "the council bridge mayor budget river traffic people town vote project engineers residents spring "
    "decision month year money question answer really think know said would could because about there"
).split()
TARGET_S = 2.0


def synthetic_interview(n_words: int = 20_000, seed: int = 7) -> Transcript:
    """Sentences of 4-18 words, turns of 1-6 sentences, four speakers, pauses between turns."""
    rng = random.Random(seed)
    speakers = [Speaker(f"S{i}", name, c) for i, (name, c) in enumerate(
        [("Reporter", "#1f77b4"), ("Mayor Okafor", "#d62728"), ("Dr. Lin", "#2ca02c"), ("Resident", "#9467bd")], 1)]
    words: list[Word] = []
    t, speaker = 0, "S1"
    while len(words) < n_words:
        for _ in range(rng.randint(1, 6)):
            n = rng.randint(4, 18)
            for k in range(n):
                text = rng.choice(VOCAB)
                text = text.capitalize() if k == 0 else text
                if k == n - 1:
                    text += rng.choice(".?!")
                elif rng.random() < 0.08:
                    text += ","
                length = 120 + 45 * len(text)
                words.append(Word(text, t, t + length, speaker, round(rng.random(), 3), TimingSource.MODEL))
                t += length + rng.choice((20, 40, 80, 150, 600))
        t += rng.randint(300, 2500)
        speaker = rng.choice([s.id for s in speakers if s.id != speaker])
    return Transcript.from_words(words[:n_words], speakers)


def main() -> int:
    doc = synthetic_interview()
    options = ExportOptions(timestamps=True, media_name="synthetic.wav", media_duration_ms=doc.duration_ms)
    print(f"{len(doc)} words, {len(doc.segments())} segments, {doc.duration_ms / 60000:.1f} min of speech")
    worst = 0.0
    with tempfile.TemporaryDirectory() as folder:
        for fmt in EXPORTERS:
            out = Path(folder) / f"bench.{fmt}"
            t0 = time.perf_counter()
            export_document(fmt, doc, out, options)
            dt = time.perf_counter() - t0
            worst = max(worst, dt)
            print(f"export {fmt:5s} {dt:6.3f} s  {out.stat().st_size / 1024:8.0f} KiB  ({dt / TARGET_S:.0%} of target)")
        for fmt in ("srt", "vtt", "json"):
            t0 = time.perf_counter()
            back = import_transcript(Path(folder) / f"bench.{fmt}")
            print(f"import {fmt:5s} {time.perf_counter() - t0:6.3f} s  {len(back)} words")
    print(f"slowest export {worst:.3f} s: {'within' if worst < TARGET_S else 'OVER'} the {TARGET_S:.0f} s target")
    return 0 if worst < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
