"""NarEngine end to end on the tiny fixture model with a tiny tokenizer: pieces, batches, words, cancel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from test_nar_tokenizer import FIXTURE, build_tiny_tokenizer, install_tiny_tokenizer

from app.asr.engines.base import CancelToken, TranscribeOptions, collect
from app.asr.engines.piece_words import HARD_CUT_OVERLAP_S
from app.asr.nar import load_nar
from app.asr.nar.engine import NarEngine, group_words
from app.asr.pipeline.segmentation import plan_pieces
from app.core.document import TimingSource
from app.core.errors import ModelError


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_tiny_tokenizer(tmp_path_factory.mktemp("nar_engine") / "model")


@pytest.fixture(scope="module")
def engine(model_folder: Path) -> NarEngine:
    return NarEngine(model_folder)


@pytest.fixture(scope="module")
def recording() -> np.ndarray:
    silence = np.zeros(8000, np.float32)
    waves = [sf.read(FIXTURE / f"input_{i}.wav", dtype="float32")[0] for i in range(3)]
    return np.concatenate([silence, waves[0], silence, waves[1], silence, waves[2], silence])


def test_words_come_from_the_model_ids_of_each_piece(engine: NarEngine, recording: np.ndarray) -> None:
    """Without overlaps (every cut at a pause) the words are exactly each piece's ids, piece after piece."""
    engine.max_piece_s, engine.overlap_s = 3.0, 0.0
    try:
        updates = list(engine.transcribe(recording, TranscribeOptions(language="en", batch_size=2)))
    finally:
        engine.max_piece_s, engine.overlap_s = 30.0, HARD_CUT_OVERLAP_S
    pieces = plan_pieces(recording, 3.0)
    assert len(pieces) > 2
    progress = [u.progress for u in updates]
    assert [p.pieces_done for p in progress] == sorted(p.pieces_done for p in progress)
    assert progress[-1].pieces_done == len(pieces) and progress[-1].fraction == pytest.approx(1.0)
    words = [w for u in updates for w in u.words]
    expected: list[str] = []
    for ids in engine.model.decode_ids([recording[p.start : p.end] for p in pieces]):
        expected += [t for t, _ in group_words(engine.tokenizer, ids)]
    assert [w.text for w in words] == expected and words
    duration_ms = len(recording) * 1000 // 16000
    for a, b in zip(words, words[1:], strict=False):
        assert a.start_ms <= a.end_ms <= b.start_ms
    assert all(0 <= w.start_ms <= w.end_ms <= duration_ms for w in words)
    assert all(w.source in (TimingSource.ALIGNED, TimingSource.INTERPOLATED) for w in words)
    assert any(w.source == TimingSource.ALIGNED for w in words)


def test_a_cut_inside_speech_is_overlapped_and_stitched(engine: NarEngine, recording: np.ndarray) -> None:
    """With 3 s pieces some phrase has no pause within reach: that cut is overlapped by 2 s (a word there lies
    whole in one piece), and the words both pieces heard come out once, in time order."""
    engine.max_piece_s = 3.0
    try:
        updates = list(engine.transcribe(recording, TranscribeOptions(language="en", batch_size=2)))
    finally:
        engine.max_piece_s = 30.0
    pieces = plan_pieces(recording, 3.0, overlap_s=HARD_CUT_OVERLAP_S)
    seams = [(a, b) for a, b in zip(pieces, pieces[1:], strict=False) if a.end - b.start >= 16_000]
    assert seams
    assert updates[-1].progress.pieces_done == len(pieces)
    words = [w for u in updates for w in u.words]
    assert words
    for a, b in zip(words, words[1:], strict=False):
        assert a.start_ms <= a.end_ms <= b.start_ms
    own = engine.model.run([recording[p.start : p.end] for p in pieces])
    per_piece = [engine.piece_words(r, p.start_ms, p.end_ms) for r, p in zip(own, pieces, strict=True)]
    both = 0
    for a, b in seams:  # the words each piece heard in the shared audio, and what came out there
        lo, hi = b.start_ms, a.end_ms
        before, after, out = ([w for w in ws if lo <= (w.start_ms + w.end_ms) / 2 <= hi]
                              for ws in (per_piece[pieces.index(a)], per_piece[pieces.index(b)], words))
        assert len(out) <= max(len(before), len(after))  # once, not twice
        both += bool(before and after)
    assert both  # at least one seam where both pieces heard words in the shared audio


def test_cancel_stops_between_batches(engine: NarEngine, recording: np.ndarray) -> None:
    """Cancelled after the first piece: nothing more is decoded; the words the stitcher still held for the next
    piece come out in one last update."""
    engine.max_piece_s = 3.0
    full = collect(engine.transcribe(recording, TranscribeOptions(batch_size=1))).words
    cancel = CancelToken()
    try:
        seen = []
        for update in engine.transcribe(recording, TranscribeOptions(batch_size=1), cancel):
            seen.append(update)
            cancel.cancel()
    finally:
        engine.max_piece_s = 30.0
    assert 1 <= len(seen) <= 2 and all(u.progress.pieces_done == 1 for u in seen)
    got = [w.text for u in seen for w in u.words]
    assert got and got == [w.text for w in full[: len(got)]]


def test_silence_gives_no_words(engine: NarEngine) -> None:
    result = collect(engine.transcribe(np.zeros(16000, np.float32), TranscribeOptions()))
    assert result.words == []


@pytest.mark.parametrize(
    "options, phrase",
    [
        (TranscribeOptions(task="translate", target_language="en", language="fr"), "cannot translate"),
        (TranscribeOptions(keywords=("Ada Lovelace",)), "keyword"),
        (TranscribeOptions(language="ja"), "does not transcribe 'ja'"),
    ],
)
def test_unsupported_options_are_refused(engine: NarEngine, options: TranscribeOptions, phrase: str) -> None:
    with pytest.raises(ModelError, match=phrase):
        list(engine.transcribe(np.zeros(1600, np.float32), options))


def test_capabilities_and_settings(engine: NarEngine) -> None:
    caps = engine.capabilities
    assert caps.languages == ("en", "fr", "de", "es", "pt")
    assert not (caps.keywords or caps.punctuation or caps.translation_to_english or caps.translation_targets)
    settings = engine.settings(TranscribeOptions(language="de"))
    assert settings.model == "granite-speech-4.1-2b-nar" and settings.language == "de" and settings.device == "cpu"


def test_a_tokenizer_is_required(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="tokenizer"):
        NarEngine(load_nar(FIXTURE), None)
    with pytest.raises(ModelError, match="tokenizer"):
        NarEngine(FIXTURE)


def test_group_words_uses_space_markers_and_skips_specials() -> None:
    tok = build_tiny_tokenizer()
    ids = tok.encode("the mayor said", add_special_tokens=False)
    assert [t for t, _ in group_words(tok, ids + [80, 79] + ids)] == ["the", "mayor", "said"] * 2
    mayor = tok.encode(" mayor", add_special_tokens=False)
    assert len(mayor) > 1 and group_words(tok, mayor) == [("mayor", mayor)]
