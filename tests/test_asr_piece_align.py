"""4.1-2b alone: each piece's words are aligned with the checkpoint's own CTC head right after decoding."""

from __future__ import annotations

import numpy as np
import pytest

from app.asr.align.align_text import ctc_form
from app.asr.engines.base import TranscribeOptions
from app.asr.engines.text_engine import MAX_NEW_TOKENS_ENV, GraniteTextEngine
from app.asr.granite.ar_runner import ARRunner
from app.asr.pipeline.segmentation import Piece
from app.core.document import TimingSource
from tests.tiny_models import shared_tiny


@pytest.fixture(scope="module")
def granite(tmp_path_factory: pytest.TempPathFactory) -> ARRunner:
    return ARRunner.load(str(shared_tiny(tmp_path_factory, "granite")), device="cpu")


@pytest.fixture(scope="module")
def runner_with_head(tmp_path_factory: pytest.TempPathFactory) -> ARRunner:
    return ARRunner.load(str(shared_tiny(tmp_path_factory, "granite_ctc")), device="cpu")


def test_words_of_2b_are_aligned_with_its_ctc_head(runner_with_head: ARRunner, speech_16k: np.ndarray,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # random weights write noise; a short output keeps each piece's text within what its audio can carry
    monkeypatch.setenv(MAX_NEW_TOKENS_ENV, "6")
    engine = GraniteTextEngine(runner_with_head, max_piece_s=2.5)
    assert engine.timing_note(TranscribeOptions()) == ""
    words = [w for u in engine.transcribe(speech_16k, TranscribeOptions()) for w in u.words]
    assert words
    duration = len(speech_16k) * 1000 // 16000
    assert all(0 <= w.start_ms <= w.end_ms <= duration for w in words)
    assert all(a.end_ms <= b.start_ms for a, b in zip(words, words[1:], strict=False))
    spellable = [w for w in words if ctc_form(w.text)]
    assert spellable and all(w.source == TimingSource.ALIGNED for w in spellable)
    # only what the head cannot spell (noise without letters) keeps an interpolated time
    assert all(w.source == TimingSource.INTERPOLATED for w in words if not ctc_form(w.text))


def test_piece_timer_aligns_inside_the_piece(runner_with_head: ARRunner, speech_16k: np.ndarray) -> None:
    engine = GraniteTextEngine(runner_with_head)
    piece = Piece(16000, 16000 * 3)
    words = engine.timer.align(speech_16k, piece, ["The", "mayor,", "said", "—", "110"], "en")
    assert words is not None and [w.text for w in words] == ["The", "mayor,", "said", "—", "110"]
    assert all(1000 <= w.start_ms <= w.end_ms <= 3000 for w in words)
    assert [w.source for w in words].count(TimingSource.INTERPOLATED) == 1  # the dash: nothing to spell
    too_long = ["word"] * 400
    assert engine.timer.align(speech_16k, Piece(0, 3200), too_long, "en") is None  # the engine spreads these


def test_without_a_head_the_engine_says_why(granite: ARRunner, speech_16k: np.ndarray) -> None:
    engine = GraniteTextEngine(granite, max_piece_s=2.5)
    note = engine.timing_note(TranscribeOptions())
    assert "out_llm.safetensors" in note and "\n" not in note
    assert "translation" in engine.timing_note(TranscribeOptions(task="translate", target_language="en",
                                                                 language="fr")).lower()
    words = [w for u in engine.transcribe(speech_16k, TranscribeOptions()) for w in u.words]
    assert words and all(w.source == TimingSource.INTERPOLATED for w in words)
