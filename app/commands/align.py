"""`verbatim align PROJECT [--range START_MS END_MS] [--model nar|2b|PATH] [--device] [-o OUT]`.

Re-times the project's INTERPOLATED words (those typed or changed by hand) against the recording with
a BPE CTC head: the NAR model's, or the one granite-speech-4.1-2b ships (`out_llm.safetensors`).
Each run of interpolated words is aligned together with its kept neighbours as anchors, on the audio
from the previous anchor's start to the next anchor's end; the new times stay between the anchors. The project is saved atomically (to OUT when given, else in place).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from app.core.document import TimingSource, Word
from app.core.errors import ModelError, ProjectError

SAMPLE_RATE = 16_000
EDGE_MS = 1000  # audio taken beyond a run that has no anchor on that side
Aligner = Callable[[np.ndarray, list[str], int], list[Word]]


@dataclass(frozen=True, slots=True)
class AlignReport:
    aligned: int
    stretches: int
    failed: list[str]


def interpolated_runs(words: Sequence[Word], start_ms: int | None = None, end_ms: int | None = None) -> list[tuple[int, int]]:
    """[start, end) index ranges of consecutive INTERPOLATED words starting inside the range (if given)."""
    def wanted(w: Word) -> bool:
        inside = (start_ms is None or w.start_ms >= start_ms) and (end_ms is None or w.start_ms < end_ms)
        return w.source == TimingSource.INTERPOLATED and inside

    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        if wanted(words[i]):
            j = i
            while j < len(words) and wanted(words[j]):
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def retime_runs(words: Sequence[Word], audio: np.ndarray, align: Aligner,
                start_ms: int | None = None, end_ms: int | None = None) -> tuple[list[Word], AlignReport]:
    """New word list with each interpolated run aligned between its anchors; runs that fail keep their times."""
    out = list(words)
    duration_ms = len(audio) * 1000 // SAMPLE_RATE
    aligned, failed = 0, []
    runs = interpolated_runs(words, start_ms, end_ms)
    for i, j in runs:
        prev = words[i - 1] if i > 0 else None
        nxt = words[j] if j < len(words) else None
        span_start = prev.start_ms if prev else max(0, words[i].start_ms - EDGE_MS)
        span_end = nxt.end_ms if nxt else min(duration_ms, words[j - 1].end_ms + EDGE_MS)
        span_end = max(span_end, span_start)
        cut = audio[span_start * SAMPLE_RATE // 1000 : span_end * SAMPLE_RATE // 1000]
        texts = ([prev.text] if prev else []) + [w.text for w in words[i:j]] + ([nxt.text] if nxt else [])
        try:
            timed = align(np.asarray(cut, dtype=np.float32), texts, span_start)
        except ModelError as exc:
            failed.append(f"words {i + 1}-{j} ({words[i].text} ...): {exc}")
            continue
        timed = timed[1:] if prev else timed
        low = prev.end_ms if prev else span_start
        high = nxt.start_ms if nxt else span_end
        for k, (old, new) in enumerate(zip(words[i:j], timed)):
            s = min(max(new.start_ms, low), high)
            e = min(max(new.end_ms, s), high)
            out[i + k] = old.replace(start_ms=s, end_ms=e, source=TimingSource.ALIGNED)
            low = e
        aligned += j - i
    return out, AlignReport(aligned, len(runs), failed)


def _model_aligner(model_name: str, device: str | None) -> Aligner:
    from app.asr.align import align_words, load_ctc_aligner

    model, tokenizer = load_ctc_aligner(model_name, device)
    return lambda audio, texts, offset: align_words(model, audio, texts, tokenizer, offset_ms=offset)


def run(args: argparse.Namespace) -> int:
    from app.audio.decode import decode_16k_mono
    from app.core.project import load_project, save_project

    project = load_project(args.project)
    if project.media_path is None:
        raise ProjectError("The project names no recording, so there is nothing to align against.")
    start_ms, end_ms = (args.range if args.range else (None, None))
    if start_ms is not None and end_ms <= start_ms:
        raise ProjectError("The range must end after it starts (START_MS END_MS in milliseconds).")
    words = list(project.transcript.words)
    if not interpolated_runs(words, start_ms, end_ms):
        print("No interpolated words to align.")
        if args.output:
            save_project(project, args.output)
        return 0
    audio = decode_16k_mono(project.media_path)
    aligner = _model_aligner(args.model, args.device)
    new_words, report = retime_runs(words, audio, aligner, start_ms, end_ms)
    project.transcript.splice(0, len(words), new_words)
    target: Path = args.output or project.path
    save_project(project, target)
    for line in report.failed:
        print(f"verbatim: could not align {line}", file=sys.stderr)
    print(f"Aligned {report.aligned} words in {report.stretches - len(report.failed)} of {report.stretches} stretches; saved {target}.")
    return 0
