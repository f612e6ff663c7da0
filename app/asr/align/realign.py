"""Re-aligning edited words: re-time the INTERPOLATED words of a transcript against the recording.

Words typed or changed by hand get times interpolated between their neighbours. A BPE CTC head (the
NAR model's, or the one granite-speech-4.1-2b ships) can put them where they are spoken: each run of
consecutive interpolated words is aligned together with its kept neighbours as anchors, on the audio
from the previous anchor's start to the next anchor's end, and the new times are kept between the
anchors (`app.asr.align.retime.retime_run`, whose names are importable from here too). A long run (a
whole imported subtitle file) is aligned in windows of about 30 s, each anchored on the last word
placed, so time and memory grow linearly with the recording (a run of two hours aligns in the memory
of one window). The aligner feeds each head the text as it spells it (`app.asr.align.align_text`:
numbers in words of the transcript's language, which `verbatim align` and the window's "Re-align
Edited Words" both pass on), and the displayed words never change.

`AlignerFactory` tells which model can align on this computer (never asking the network) and loads it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.asr.align.retime import WINDOW_MS as WINDOW_MS  # the run-level names, importable from here too
from app.asr.align.retime import WINDOW_SLACK_MS as WINDOW_SLACK_MS
from app.asr.align.retime import Aligner as Aligner
from app.asr.align.retime import interpolated_runs as interpolated_runs
from app.asr.align.retime import retime_run as retime_run
from app.asr.catalog import ALIGNER_ORDER
from app.core.document import TimingSource, Word
from app.core.errors import ModelError

if TYPE_CHECKING:
    from app.asr.align.forced import CtcAligner

FALLBACK_MODELS = ALIGNER_ORDER  # tried in this order after the preferred model


@dataclass(frozen=True, slots=True)
class AlignReport:
    """What a re-alignment did: words aligned, runs tried, and one line per run that failed."""

    aligned: int
    stretches: int
    failed: list[str] = field(default_factory=list)


def runs_touching(words: Sequence[Word], first: int = 0, last: int | None = None) -> list[tuple[int, int]]:
    """Whole runs of INTERPOLATED words that share at least one word with the index range [first, last).

    A run is never cut by the range, so that its anchors are always words with trusted times.
    """
    last = len(words) if last is None else last
    return [(i, j) for i, j in interpolated_runs(words) if i < last and j > first]


def has_interpolated(words: Sequence[Word]) -> bool:
    """Whether any word's times were interpolated (typed or changed by hand)."""
    return any(w.source == TimingSource.INTERPOLATED for w in words)




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
