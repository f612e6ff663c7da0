"""The interview engine: the words of the 4.1-2b text that 4.1-2b-plus's words do not match are force-aligned
with 4.1-2b's own CTC head between their matched neighbours; matched words keep Plus's times exactly.

Tiny random-weight models: "granite_ctc" is the tiny 4.1-2b with a random `out_llm.safetensors` beside the
same weights as "granite", so the two write the same text and differ only in having a head.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_asr_engines import paused_speech  # noqa: F401 - a fixture: three phrases with pauses between

from app.asr.align.align_text import ctc_form
from app.asr.engines.base import TranscribeOptions, collect
from app.asr.engines.interview_engine import InterviewEngine
from app.asr.engines.text_engine import MAX_NEW_TOKENS_ENV
from app.asr.granite.ar_runner import ARRunner
from app.asr.granite.plus_output import TimedWord
from app.asr.pipeline.merge import merge_passes
from app.asr.pipeline.segmentation import Piece
from app.core.document import TimingSource, Word
from tests.tiny_models import shared_tiny

M, INTERP, A = TimingSource.MODEL, TimingSource.INTERPOLATED, TimingSource.ALIGNED
REGION = Piece(16_000, 4 * 16_000)  # a core from 1 s to 4 s


@pytest.fixture(scope="module")
def granite(tmp_path_factory: pytest.TempPathFactory) -> ARRunner:
    return ARRunner.load(str(shared_tiny(tmp_path_factory, "granite")), device="cpu")


@pytest.fixture(scope="module")
def granite_with_head(tmp_path_factory: pytest.TempPathFactory) -> ARRunner:
    return ARRunner.load(str(shared_tiny(tmp_path_factory, "granite_ctc")), device="cpu")


@pytest.fixture(scope="module")
def plus(tmp_path_factory: pytest.TempPathFactory) -> ARRunner:
    return ARRunner.load(str(shared_tiny(tmp_path_factory, "plus")), device="cpu")


def assert_between_anchors(words: list[Word], region: Piece) -> None:
    """Every word not timed by Plus lies between the Plus-timed words around it (the region's edges where
    it has none), and the whole list is monotonic."""
    assert all(a.end_ms <= b.start_ms for a, b in zip(words, words[1:], strict=False))
    for k, w in enumerate(words):
        if w.source == M:
            continue
        low = max((x.end_ms for x in words[:k] if x.source == M), default=region.start_ms)
        high = min((x.start_ms for x in words[k + 1 :] if x.source == M), default=region.end_ms)
        assert low <= w.start_ms <= w.end_ms <= high, (w, low, high)


def test_unmatched_words_are_aligned_between_their_matched_neighbours(granite_with_head: ARRunner, plus: ARRunner,
                                                                     speech_16k: np.ndarray) -> None:
    engine = InterviewEngine(granite_with_head, plus)
    assert engine.timing_note(TranscribeOptions()) == ""
    texts = ["The", "mayor,", "said", "—", "the", "bridge", "opens", "in", "May."]
    timed = [TimedWord("mayor", 1400, 1700), TimedWord("bridge", 2500, 2900)]
    merged = merge_passes(texts, timed, (), REGION.start_ms, REGION.end_ms)
    assert [w.source for w in merged] == [INTERP, M, INTERP, INTERP, INTERP, M, INTERP, INTERP, INTERP]
    placed = engine.timer.place_unmatched(speech_16k, REGION, merged, "en")
    assert [w.text for w in placed] == texts
    assert [placed[1], placed[5]] == [merged[1], merged[5]]  # Plus's times, exactly
    assert (placed[1].start_ms, placed[1].end_ms, placed[5].start_ms, placed[5].end_ms) == (1400, 1700, 2500, 2900)
    # every word the head can spell is placed by it; the lone dash has nothing to spell
    assert [w.source for w in placed] == [A, M, A, INTERP, A, M, A, A, A]
    assert_between_anchors(placed, REGION)
    assert 1000 <= placed[0].start_ms and placed[-1].end_ms <= 4000


def test_runs_without_room_or_with_too_much_text_keep_interpolated_times(granite_with_head: ARRunner,
                                                                         plus: ARRunner,
                                                                         speech_16k: np.ndarray) -> None:
    timer = InterviewEngine(granite_with_head, plus).timer
    # Plus puts the two neighbours back to back: the word between them has no audio of its own
    no_room = merge_passes(["first", "word", "second"], [TimedWord("first", 1500, 2000),
                                                         TimedWord("second", 2000, 2500)], (), 1000, 4000)
    assert [w.source for w in no_room] == [M, INTERP, M]
    assert timer.place_unmatched(speech_16k, REGION, no_room, "en") == no_room
    # a gap of a few milliseconds: too little audio for even one frame per word (and for the features)
    sliver = merge_passes(["first", "word", "second"], [TimedWord("first", 1500, 1501),
                                                        TimedWord("second", 1504, 1505)], (), 1000, 4000)
    assert [w.source for w in sliver] == [M, INTERP, M]
    assert timer.place_unmatched(speech_16k, REGION, sliver, "en") == sliver
    # far more text than 200 ms between the anchors can carry: the head refuses, the merge's times stay
    crowded = merge_passes(["first", *["word"] * 60, "second"], [TimedWord("first", 1500, 1600),
                                                                 TimedWord("second", 1800, 1900)], (), 1000, 4000)
    assert timer.place_unmatched(speech_16k, REGION, crowded, "en") == crowded


def test_interview_engine_aligns_what_plus_does_not_time(granite: ARRunner, granite_with_head: ARRunner,
                                                         plus: ARRunner, paused_speech: np.ndarray,  # noqa: F811
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # random weights write noise; a short output keeps each piece's text within what its audio can carry
    monkeypatch.setenv(MAX_NEW_TOKENS_ENV, "6")
    options = TranscribeOptions(batch_size=2)
    with_head = InterviewEngine(granite_with_head, plus, max_piece_s=2.0, context_s=0.8)
    without = InterviewEngine(granite, plus, max_piece_s=2.0, context_s=0.8)
    note = without.timing_note(options)
    assert "out_llm.safetensors" in note and plus.spec.display_name in note and "\n" not in note
    assert with_head.timing_note(options) == ""
    aligned = collect(with_head.transcribe(paused_speech, options)).words
    spread = collect(without.transcribe(paused_speech, options)).words
    assert [(w.text, w.speaker) for w in aligned] == [(w.text, w.speaker) for w in spread]
    assert all(a == b for a, b in zip(aligned, spread, strict=True) if b.source == M)  # Plus's times untouched
    # what only interpolation timed without a head is placed by the head, unless it has nothing to spell
    assert [w.source for w in aligned] == [M if b.source == M else A if ctc_form(b.text) else INTERP
                                           for b in spread]
    assert any(w.source == A for w in aligned)
    duration = len(paused_speech) * 1000 // 16000
    assert_between_anchors(aligned, Piece(0, len(paused_speech)))
    assert aligned[-1].end_ms <= duration
