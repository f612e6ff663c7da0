"""Re-align spells a typed number in the transcript's language, on the path the window takes: a
`RealignRequest` with the document's language, the align worker in its thread, the aligner the
`AlignerFactory` loads (the tiny NAR model's real CTC head), and the text normaliser.

The proof is what the head can fit: "110" between two kept words, over just enough audio for the
number as French speech says it ("cent dix") and too little for "one hundred and ten". In French the
typed number is placed; in English, or with no language or one the normaliser does not know
(digits then read as English, as before languages were passed on), the same run does not fit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import Qt
from test_nar_tokenizer import FIXTURE, install_tiny_tokenizer

from app.asr.align.align_text import ctc_form
from app.asr.align.forced import CtcAligner, frames_needed, tokenize_words
from app.asr.align.realign import AlignerFactory, load_aligner, retime_runs
from app.core.document import TimingSource, Word
from app.workers.align_worker import AlignThread, RealignRequest

TEXTS = ["Il", "110", "euros."]
START_MS = 500  # where the first kept word starts in the audio


@pytest.fixture(scope="module")
def nar_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_tiny_tokenizer(tmp_path_factory.mktemp("realign_language") / "nar")


@pytest.fixture(scope="module")
def audio() -> np.ndarray:
    """The fixture model's three test utterances, one after the other (about 4 s of speech)."""
    waves = [sf.read(FIXTURE / f"input_{i}.wav", dtype="float32")[0] for i in range(3)]
    return np.concatenate(waves).astype(np.float32)


def _frames_for(aligner: CtcAligner, language: str) -> int:
    forms = [ctc_form(t, language) for t in TEXTS]
    return frames_needed([t for word in tokenize_words(aligner.tokenizer, TEXTS, forms) for t in word])


@pytest.fixture(scope="module")
def typed(nar_folder: Path, audio: np.ndarray) -> list[Word]:
    """'Il 110 euros.' with the number typed (interpolated) between two kept words whose span holds exactly
    as many CTC frames as the French spelling needs, fewer than the English one needs."""
    aligner = AlignerFactory({"nar": nar_folder})(str(nar_folder), "cpu")
    french, english = _frames_for(aligner, "fr"), _frames_for(aligner, "en")
    assert french < english

    def frames(ms: int) -> int:
        cut = audio[START_MS * 16 : (START_MS + ms) * 16]
        return int(aligner.model.ctc_log_probs(cut).shape[0])

    frame_ms = int(round(aligner.model.frame_s * 1000))
    span = french * frame_ms  # then the shortest span (in steps of half a frame) that holds the French
    while frames(span) < french:
        span += frame_ms // 2
    while span > frame_ms and frames(span - frame_ms // 2) >= french:
        span -= frame_ms // 2
    assert frames(span) < english and START_MS + span <= len(audio) * 1000 // 16000
    end = START_MS + span
    typed_number = Word("110", START_MS + 150, end - 200, source=TimingSource.INTERPOLATED)
    return [Word("Il", START_MS, START_MS + 150), typed_number, Word("euros.", end - 200, end)]


def test_the_worker_spells_numbers_in_the_requests_language(qtbot, nar_folder: Path, audio: np.ndarray,
                                                             typed: list[Word]) -> None:
    thread = AlignThread(AlignerFactory({"nar": nar_folder}))
    w = thread.worker
    aligned: list[list[Word]] = []
    failed: list[str] = []
    loads: list[str] = []
    w.run_aligned.connect(lambda i, j, new: aligned.append(new), Qt.ConnectionType.DirectConnection)
    w.run_failed.connect(lambda i, j, why: failed.append(why), Qt.ConnectionType.DirectConnection)
    w.status.connect(lambda text: loads.append(text) if text.startswith("Loading") else None,
                     Qt.ConnectionType.DirectConnection)
    try:
        with qtbot.waitSignal(w.finished, timeout=20_000):
            thread.start(typed, audio, RealignRequest(str(nar_folder), language="fr"))
        assert failed == [] and len(aligned) == 1
        new = aligned[0][0]
        assert (new.text, new.source) == ("110", TimingSource.ALIGNED)
        assert typed[0].end_ms <= new.start_ms <= new.end_ms <= typed[2].start_ms
        for language in ("en", None, "xx"):  # English, no language, a language the normaliser does not know
            with qtbot.waitSignal(w.finished, timeout=20_000):
                thread.start(typed, audio, RealignRequest(str(nar_folder), language=language))
        assert len(aligned) == 1 and len(failed) == 3 and all("too long" in why for why in failed)
        assert len(loads) == 1  # one model load serves every language
        qtbot.waitUntil(lambda: not thread.busy, timeout=5_000)
    finally:
        thread.shutdown()
    assert not thread.running


def test_the_command_line_aligner_takes_the_language_too(nar_folder: Path, audio: np.ndarray,
                                                         typed: list[Word]) -> None:
    french = load_aligner(str(nar_folder), "cpu", "fr")
    new, report = retime_runs(typed, audio, french)
    assert report.aligned == 1 and report.failed == [] and new[1].source == TimingSource.ALIGNED
    kept, report = retime_runs(typed, audio, french.in_language(None))
    assert kept == typed and report.aligned == 0 and "too long" in report.failed[0]
