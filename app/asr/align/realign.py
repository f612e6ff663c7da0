"""Re-aligning edited words: re-time the INTERPOLATED words of a transcript against the recording.

Words typed or changed by hand get times interpolated between their neighbours. A BPE CTC head (the
NAR model's, or the one granite-speech-4.1-2b ships) can put them where they are spoken: each run of
consecutive interpolated words is aligned together with its kept neighbours as anchors, on the audio
from the previous anchor's start to the next anchor's end, and the new times are kept between the
anchors. A long run (a whole imported subtitle file) is aligned in windows of about 30 s, each
anchored on the last word placed, so time and memory grow linearly with the recording (a run of two
hours aligns in the memory of one window). The aligner feeds each head the text as it spells it
(`app.asr.align.align_text`: numbers in words of the transcript's language, which `verbatim align` and the
window's "Re-align Edited Words" both pass on), and the displayed words never change. The interview
engine uses `retime_run` too, for the words 4.1-2b-plus does not time.

`AlignerFactory` tells which model can align on this computer (never asking the network) and loads it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.asr.catalog import ALIGNER_ORDER
from app.core.document import TimingSource, Word
from app.core.errors import ModelError

if TYPE_CHECKING:
    from app.asr.align.forced import CtcAligner

SAMPLE_RATE = 16_000
EDGE_MS = 1000  # audio taken beyond a run that has no anchor on that side
WINDOW_MS = 30_000  # a long run is aligned in windows of about this much audio
WINDOW_SLACK_MS = 10_000  # audio past a window's estimated end, where its last words may really be
Aligner = Callable[[np.ndarray, list[str], int], list[Word]]
"""align(audio, texts, offset_ms) -> one ALIGNED word per text, with absolute times; ModelError when it cannot."""
FALLBACK_MODELS = ALIGNER_ORDER  # tried in this order after the preferred model


@dataclass(frozen=True, slots=True)
class AlignReport:
    """What a re-alignment did: words aligned, runs tried, and one line per run that failed."""

    aligned: int
    stretches: int
    failed: list[str] = field(default_factory=list)


def interpolated_runs(words: Sequence[Word], start_ms: int | None = None,
                      end_ms: int | None = None) -> list[tuple[int, int]]:
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


def runs_touching(words: Sequence[Word], first: int = 0, last: int | None = None) -> list[tuple[int, int]]:
    """Whole runs of INTERPOLATED words that share at least one word with the index range [first, last).

    A run is never cut by the range, so that its anchors are always words with trusted times.
    """
    last = len(words) if last is None else last
    return [(i, j) for i, j in interpolated_runs(words) if i < last and j > first]


def has_interpolated(words: Sequence[Word]) -> bool:
    """Whether any word's times were interpolated (typed or changed by hand)."""
    return any(w.source == TimingSource.INTERPOLATED for w in words)


def retime_run(words: Sequence[Word], i: int, j: int, audio: np.ndarray, align: Aligner,
               window_ms: int = WINDOW_MS, bounds: tuple[int, int] | None = None) -> list[Word]:
    """The words [i, j) aligned between their anchors `words[i - 1]` and `words[j]` (where they exist).

    Text, speaker, confidence and paragraph starts are kept; the source becomes ALIGNED; times are
    monotonic and stay between the anchors. Where a side has no anchor, the run may reach `bounds`
    (start, end ms: a piece's edges), or by default `EDGE_MS` beyond its words. A stretch longer than
    about 1.5 windows is aligned window by window (`_windows`), so time and memory grow linearly with
    its length. Raises ModelError when the aligner cannot place the text.
    """
    duration_ms = len(audio) * 1000 // SAMPLE_RATE
    prev = words[i - 1] if i > 0 else None
    nxt = words[j] if j < len(words) else None
    edge_start, edge_end = bounds or (max(0, words[i].start_ms - EDGE_MS),
                                      min(duration_ms, words[j - 1].end_ms + EDGE_MS))
    span_start = prev.start_ms if prev else edge_start
    span_end = nxt.end_ms if nxt else edge_end
    span_end = max(span_end, span_start)
    if span_end - span_start > window_ms * 3 // 2:
        timed = _windows(words, i, j, audio, align, span_start, span_end, window_ms)
    else:
        timed = _align_cut(audio, align, prev, list(words[i:j]), nxt, span_start, span_end)
    low = prev.end_ms if prev else span_start
    high = max(nxt.start_ms if nxt else span_end, low)
    out: list[Word] = []
    for old, new in zip(words[i:j], timed):
        s = min(max(new.start_ms, low), high)
        e = min(max(new.end_ms, s), high)
        out.append(old.replace(start_ms=s, end_ms=e, source=new.source if new.source == TimingSource.INTERPOLATED
                               else TimingSource.ALIGNED))
        low = e
    return out


def _align_cut(audio: np.ndarray, align: Aligner, prev: Word | None, run: list[Word], nxt: Word | None,
               start_ms: int, end_ms: int) -> list[Word]:
    """`run` aligned on the audio [start_ms, end_ms] with the anchors' texts around it; one word per run word."""
    cut = audio[start_ms * SAMPLE_RATE // 1000 : end_ms * SAMPLE_RATE // 1000]
    texts = ([prev.text] if prev else []) + [w.text for w in run] + ([nxt.text] if nxt else [])
    timed = align(np.array(cut, dtype=np.float32), texts, start_ms)  # a writable copy of a memory-mapped cut
    timed = timed[1:] if prev else timed
    if len(timed) < len(run):
        raise ModelError("The aligner returned fewer words than it was given.")
    return timed[: len(run)]


def _windows(words: Sequence[Word], i: int, j: int, audio: np.ndarray, align: Aligner,
             span_start: int, span_end: int, window_ms: int) -> list[Word]:
    """A long run aligned in windows of about `window_ms`, each anchored on the last word already placed.

    A window takes the words whose estimated start falls inside it (their interpolated start moved by
    how far the last placed word was from its own estimate) and `WINDOW_SLACK_MS` more audio, since the
    estimates are rough. Only its first two thirds of words (those that end inside the window) are kept;
    the rest, which may have been squeezed against the window's end, are aligned again in the next
    window. The last window reaches the run's end and its next anchor. A window the aligner cannot
    place keeps its words' estimated times (still INTERPOLATED) and the next window goes on from them.
    """
    prev = words[i - 1] if i > 0 else None
    nxt = words[j] if j < len(words) else None
    anchor = prev
    out: list[Word] = []
    pos, shift = i, 0
    failure: ModelError | None = None
    placed_any = False

    def estimates(a: int, b: int, floor: int) -> list[Word]:
        return [w.replace(start_ms=max(floor, w.start_ms + shift), end_ms=max(floor, w.end_ms + shift))
                for w in words[a:b]]

    while pos < j:
        start = anchor.start_ms if anchor is not None else span_start
        limit = start + window_ms
        k = pos
        while k < j and words[k].start_ms + shift < limit:
            k += 1
        k = max(k, pos + 1)
        if k >= j and span_end - start <= 2 * window_ms:
            try:
                out += _align_cut(audio, align, anchor, list(words[pos:j]), nxt, start, span_end)
                placed_any = True
            except ModelError as exc:  # the last window does not fit: its words keep their estimates
                failure = exc
                out += estimates(pos, j, start)
            break
        stop = min(span_end, limit + WINDOW_SLACK_MS)
        try:
            timed = _align_cut(audio, align, anchor, list(words[pos:k]), None, start, stop)
            placed_any = True
        except ModelError as exc:  # this window's text does not fit its audio: keep its estimates, go on
            failure = exc
            timed = estimates(pos, k, start)
        keep = max(1, (2 * len(timed)) // 3) if k < j or stop < span_end else len(timed)
        while keep > 1 and timed[keep - 1].end_ms > limit:
            keep -= 1
        out += timed[:keep]
        pos += keep
        placed = out[-1]
        anchor = words[pos - 1].replace(start_ms=placed.start_ms, end_ms=placed.end_ms)
        shift = placed.start_ms - words[pos - 1].start_ms
    if failure is not None and not placed_any:
        raise failure
    return out


def retime_runs(words: Sequence[Word], audio: np.ndarray, align: Aligner,
                start_ms: int | None = None, end_ms: int | None = None) -> tuple[list[Word], AlignReport]:
    """New word list with each interpolated run aligned between its anchors; runs that fail keep their times."""
    out = list(words)
    aligned, failed = 0, []
    runs = interpolated_runs(words, start_ms, end_ms)
    for i, j in runs:
        try:
            out[i:j] = retime_run(words, i, j, audio, align)
        except ModelError as exc:
            failed.append(f"words {i + 1}-{j} ({words[i].text} ...): {exc}")
            continue
        placed = sum(1 for w in out[i:j] if w.source == TimingSource.ALIGNED)
        if placed < j - i:  # a window that did not fit, or words with nothing a head can spell
            failed.append(f"words {i + 1}-{j} ({words[i].text} ...): {j - i - placed} of {j - i} words "
                          "could not be placed and keep their estimated times.")
        aligned += placed
    return out, AlignReport(aligned, len(runs), failed)


def load_aligner(model: str, device: str | None = None, language: str | None = "en") -> CtcAligner:
    """Load the CTC head of `model` ("nar", "2b" or a local folder of either) as an Aligner
    (`language`: the transcript's, how numbers in the text are spelled for the head; None: English)."""
    from app.asr.align.forced import CtcAligner, load_ctc_aligner

    ctc, tokenizer = load_ctc_aligner(model, device)
    return CtcAligner(ctc, tokenizer).in_language(language)


def _aligning_key(preferred: str | None) -> str | None:
    """The registry key (or folder) to align with for a model choice, or None when it cannot align."""
    from app.asr.catalog import aligner_for

    return aligner_for(preferred)


class AlignerFactory:
    """Where the window finds its aligner: `find` picks a model that can align, calling loads it.

    By default models come from the registry: the Hugging Face cache or a folder chosen in the Models
    dialog, looked up with `resolve_model(..., must_exist=False)`, never the network. `folders` replaces
    the registry with fixed model folders by key (tests pass the fixture model this way).
    """

    def __init__(self, folders: Mapping[str, str | os.PathLike[str]] | None = None) -> None:
        self._folders = None if folders is None else {k: Path(v) for k, v in folders.items()}

    def find(self, preferred: str | None = None) -> tuple[str | None, str]:
        """(model to align with, "") or (None, one sentence saying why no model can align here).

        The preferred model (the one chosen for transcribing) comes first when it can align, then
        the NAR model, then 4.1-2b (only with its CTC head file).
        """
        first = _aligning_key(preferred)
        order = ([first] if first else []) + [k for k in FALLBACK_MODELS if k != first]
        problems: list[str] = []
        for key in order:
            try:
                name = self._usable(key)
            except ModelError as exc:
                problems.append(str(exc).rstrip("."))
                continue
            if name is not None:
                return name, ""
        why = ("No model that can align words is on this computer: "
               "download Granite 4.1 2B NAR (or 4.1 2B) in Transcribe > Models")
        return None, why + (f" ({'; '.join(problems)})." if problems else ".")

    def _usable(self, key: str) -> str | None:
        """The model name to load for `key` when its folder is here and can align, else None (torch-free)."""
        from app.asr.models.head_file import HEAD_FILE, has_ctc_head
        from app.asr.models.registry import check_model_folder, resolve_model

        if self._folders is not None:
            folder = self._folders.get(key)
            if folder is None:
                return None
            family, name = check_model_folder(folder), str(folder)
        else:
            spec, found = resolve_model(key, must_exist=False)
            if found is None:
                return None
            family, folder, name = spec.family, found, key
        if family == "nar":
            return name
        if family == "granite" and has_ctc_head(folder):
            return name
        if family == "granite":
            raise ModelError(f"{folder.name} has no CTC head ({HEAD_FILE})")
        return None

    def __call__(self, model: str, device: str | None = None) -> CtcAligner:
        """Load the aligner of `model` (a name `find` gave); `in_language` sets the transcript's language."""
        return load_aligner(model, device)
