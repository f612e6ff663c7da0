"""NarEngine end to end on the tiny fixture model with a tiny tokenizer: pieces, batches, words, cancel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from test_nar_tokenizer import FIXTURE, build_tiny_tokenizer, install_tiny_tokenizer

from app.asr.engines.base import CancelToken, TranscribeOptions, collect
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
    engine.max_piece_s = 3.0
    try:
        updates = list(engine.transcribe(recording, TranscribeOptions(language="en", batch_size=2)))
    finally:
        engine.max_piece_s = 30.0
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


def test_cancel_stops_between_batches(engine: NarEngine, recording: np.ndarray) -> None:
    engine.max_piece_s = 3.0
    cancel = CancelToken()
    try:
        seen = []
        for update in engine.transcribe(recording, TranscribeOptions(batch_size=1), cancel):
            seen.append(update)
            cancel.cancel()
    finally:
        engine.max_piece_s = 30.0
    assert len(seen) == 1 and seen[0].progress.pieces_done == 1


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
