"""The AR engines end to end on tiny random-weight models: the real runner, pieces, passes, merging, linking.

Random weights write noise, so the tests check structure: the words are exactly the model's text for
each piece, times are monotonic inside the audio, sources and speakers are what each engine promises,
batch size changes nothing, and cancelling keeps a clean prefix.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.asr.engines.base import CancelToken, TranscribeOptions, collect
from app.asr.engines.factory import create_engine, model_capabilities
from app.asr.engines.interview_engine import InterviewEngine
from app.asr.engines.plus_engine import PlusEngine, PlusPasses
from app.asr.engines.text_engine import (
    MAX_NEW_TOKENS_ENV,
    GraniteTextEngine,
    WordAssembler,
    spread_over_speech,
    token_budget,
)
from app.asr.granite.ar_runner import ARRunner
from app.asr.granite.prompts import instruction
from app.asr.pipeline.merge import split_words
from app.asr.pipeline.segmentation import Piece, plan_pieces, plan_pieces_with_cores
from app.core.document import TimingSource, Word
from app.core.errors import ModelError
from tests.tiny_models import shared_tiny

MAX_NEW = 8


@pytest.fixture(autouse=True)
def small_budget(monkeypatch) -> None:
    monkeypatch.setenv(MAX_NEW_TOKENS_ENV, str(MAX_NEW))


@pytest.fixture(scope="module")
def paused_speech(tmp_path_factory) -> np.ndarray:
    """Three short spoken phrases, each well under 2 s, with a second of silence between them: every
    piece then ends at a pause, so the engines' words are exactly each piece's text (nothing stitched)."""
    import soundfile as sf
    import soxr
    from conftest import make_speech

    folder = tmp_path_factory.mktemp("paused")
    parts: list[np.ndarray] = []
    for k, text in enumerate(("Hello from the newsroom.", "The bridge opens.", "Thank you.")):
        data, rate = sf.read(make_speech(folder / f"{k}.wav", text, speed=190), dtype="float32", always_2d=True)
        parts += [soxr.resample(data.mean(axis=1), rate, 16000).astype(np.float32), np.zeros(16000, np.float32)]
    return np.concatenate(parts[:-1])


@pytest.fixture(scope="module")
def granite(tmp_path_factory) -> ARRunner:
    return ARRunner.load(shared_tiny(tmp_path_factory, "granite"), "cpu")


@pytest.fixture(scope="module")
def plus(tmp_path_factory) -> ARRunner:
    return ARRunner.load(shared_tiny(tmp_path_factory, "plus"), "cpu")


def assert_timeline(words: list[Word], duration_ms: int) -> None:
    assert words
    prev = 0
    for w in words:
        assert prev <= w.start_ms <= w.end_ms <= duration_ms + 1, w
        prev = w.end_ms


def test_token_budget_and_cap(monkeypatch) -> None:
    monkeypatch.delenv(MAX_NEW_TOKENS_ENV)
    assert token_budget("timestamps", 16000 * 60) == 25 * 60 + 20
    assert token_budget("punctuated", 16000 * 30) == 8 * 30 + 20
    monkeypatch.setenv(MAX_NEW_TOKENS_ENV, "50")
    assert token_budget("timestamps", 16000 * 60) == 50


def test_spread_over_speech_skips_pauses() -> None:
    words = spread_over_speech(["aa", "bb", "cc", "dd"], [(1000, 2000), (5000, 6000)])
    assert words[0].start_ms == 1000 and words[-1].end_ms == 6000
    assert words[1].end_ms == 2000 and words[2].start_ms == 5000
    assert all(w.source == TimingSource.INTERPOLATED for w in words)


def test_assembler_releases_only_final_words() -> None:
    asm = WordAssembler(tolerance_ms=100)
    a = [Word("one", 0, 400), Word("two", 400, 800), Word("three", 800, 1200)]
    first = asm.add(a, Piece(0, 16000 * 1200 // 1000), None, 700)
    assert [w.text for w in first] == ["one"]  # "two" ends after the next piece starts
    b = [Word("two", 420, 800), Word("three", 810, 1200), Word("four", 1200, 1500)]
    second = asm.add(b, Piece(16000 * 700 // 1000, 16000 * 1500 // 1000), Piece(0, 16000 * 1200 // 1000), None)
    assert [w.text for w in second] == ["two", "three", "four"]
    assert asm.flush() == []


def test_text_engine_words_are_the_model_text_spread_over_speech(granite, paused_speech) -> None:
    speech_16k = paused_speech
    engine = GraniteTextEngine(granite, max_piece_s=2.5)
    options = TranscribeOptions(batch_size=2)
    updates = list(engine.transcribe(speech_16k, options))
    words = [w for u in updates for w in u.words]
    duration = len(speech_16k) * 1000 // 16000
    assert_timeline(words, duration)
    assert all(w.source == TimingSource.INTERPOLATED and w.speaker is None for w in words)
    assert updates[-1].progress.pieces_done == updates[-1].progress.pieces_total >= 2
    pieces = plan_pieces(speech_16k, 2.5, overlap_s=2.0)
    assert len(pieces) >= 2 and all(b.start >= a.end for a, b in zip(pieces, pieces[1:]))  # cut at pauses only
    prompt = instruction("granite", "punctuated")
    texts = granite.generate([speech_16k[p.start : p.end] for p in pieces], prompt, MAX_NEW)
    assert [w.text for w in words] == [t for text in texts for t in split_words(text)]
    settings = engine.settings(options)
    assert settings.task == "transcribe" and settings.device == "cpu"


def test_text_engine_batch_size_changes_nothing(granite, speech_16k) -> None:
    engine = GraniteTextEngine(granite, max_piece_s=2.0)
    one = collect(engine.transcribe(speech_16k, TranscribeOptions(batch_size=1))).words
    three = collect(engine.transcribe(speech_16k, TranscribeOptions(batch_size=3))).words
    assert one == three


def test_cancel_keeps_a_prefix(granite, speech_16k) -> None:
    engine = GraniteTextEngine(granite, max_piece_s=1.5)
    full = collect(engine.transcribe(speech_16k, TranscribeOptions(batch_size=1))).words
    cancel = CancelToken()
    got: list[Word] = []
    updates = 0
    for update in engine.transcribe(speech_16k, TranscribeOptions(batch_size=1), cancel):
        updates += 1
        got.extend(update.words)
        cancel.cancel()
    assert updates <= 2  # the first batch, then what the assembler still held
    assert 0 < len(got) <= len(full)
    assert [w.text for w in got] == [w.text for w in full[: len(got)]]


def test_options_are_checked_first(granite, plus, speech_16k) -> None:
    with pytest.raises(ModelError, match="cannot translate into 'ko'"):
        options = TranscribeOptions(task="translate", target_language="ko")
        next(GraniteTextEngine(granite).transcribe(speech_16k, options))
    with pytest.raises(ModelError, match="cannot translate"):
        next(PlusEngine(plus).transcribe(speech_16k, TranscribeOptions(task="translate")))
    translated = GraniteTextEngine(granite).settings(TranscribeOptions(task="translate", language="fr"))
    assert translated.target_language == "en"


def test_plus_engine_gives_times_and_linked_speakers(plus, speech_16k) -> None:
    engine = PlusEngine(plus, max_piece_s=2.5, context_s=0.8)
    result = collect(engine.transcribe(speech_16k, TranscribeOptions(batch_size=4)))
    duration = len(speech_16k) * 1000 // 16000
    assert_timeline(result.words, duration)
    ids = {s.id for s in result.speakers}
    assert ids and all(w.speaker in ids for w in result.words)
    assert [s.name for s in result.speakers] == [f"Speaker {i + 1}" for i in range(len(ids))]
    assert len(plan_pieces(speech_16k, 2.5, overlap_s=2.0, context_s=0.8)) >= 2


def test_plus_passes_link_realistic_outputs() -> None:
    """Two overlapping pieces of realistic plus output; the second numbers the speakers the other way."""
    passes = PlusPasses(runner=None)
    first = Piece(0, 16000 * 6)
    second = Piece(16000 * 3, 16000 * 9)
    a = passes.piece(first, "so [T:40] where [T:80] do [T:100] you [T:120] live [T:160] _ [T:300] i [T:320] live "
                            "[T:350] by [T:380] the [T:400] river [T:450]",
                     "[Speaker 1]: so where do you live [Speaker 2]: i live by the river")
    b = passes.piece(second, "i [T:20] live [T:50] by [T:80] the [T:100] river [T:150] nice [T:300] "
                             "thank [T:340] you [T:380]",
                     "[Speaker 1]: i live by the river [Speaker 2]: nice [Speaker 1]: thank you")
    assert len(b.pairs) == 5
    speakers_a = {w.text: w.speaker for w in a.words}
    speakers_b = {w.text: w.speaker for w in b.words}
    assert speakers_a["where"] == speakers_b["nice"] == "S1"  # "nice": not in the overlap, the spare speaker
    assert speakers_a["river"] == speakers_b["river"] == speakers_b["thank"] == "S2"
    assert [s.id for s in passes.linker.speakers] == ["S1", "S2"]
    assert b.words[0].start_ms == 3000 and b.words[0].source == TimingSource.MODEL


def test_interview_engine_keeps_every_text_word_with_times_and_speakers(granite, plus, paused_speech) -> None:
    speech_16k = paused_speech
    engine = InterviewEngine(granite, plus, max_piece_s=2.0, context_s=0.8)
    result = collect(engine.transcribe(speech_16k, TranscribeOptions(batch_size=2)))
    duration = len(speech_16k) * 1000 // 16000
    assert_timeline(result.words, duration)
    ids = {s.id for s in result.speakers}
    assert ids and all(w.speaker in ids for w in result.words)
    planned = plan_pieces_with_cores(speech_16k, engine.piece_s, overlap_s=2.0, context_s=engine.context_s)
    cores = [c for _, c in planned]
    assert len(cores) >= 2 and all(b.start >= a.end for a, b in zip(cores, cores[1:]))  # cut at pauses only
    texts = granite.generate([speech_16k[c.start : c.end] for c in cores], instruction("granite", "punctuated"),
                             MAX_NEW)
    assert [w.text for w in result.words] == [t for text in texts for t in split_words(text)]
    assert " + " in engine.settings(TranscribeOptions()).model


def test_factory_by_folder_and_capabilities(tmp_path_factory) -> None:
    folder = shared_tiny(tmp_path_factory, "plus")
    engine = create_engine(str(folder), "cpu")
    assert isinstance(engine, PlusEngine)
    name, caps = model_capabilities(str(folder))
    assert caps.speakers and caps.timestamps and not caps.punctuation
    assert isinstance(create_engine(str(shared_tiny(tmp_path_factory, "granite")), "cpu"), GraniteTextEngine)


def test_factory_errors(tmp_path, monkeypatch) -> None:
    import huggingface_hub.constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ModelError, match="not downloaded"):
        create_engine("interview")
    with pytest.raises(ModelError, match="Unknown model 'whisper'"):
        create_engine("whisper")
    with pytest.raises(ModelError):
        create_engine("   ")


def test_silence_gives_no_words(granite) -> None:
    updates = list(GraniteTextEngine(granite).transcribe(np.zeros(16000 * 2, dtype=np.float32), TranscribeOptions()))
    assert len(updates) == 1 and updates[0].words == () and updates[0].progress.fraction == 1.0


def test_factory_gives_the_nar_engine_for_a_nar_folder(tmp_path) -> None:
    from app.asr.nar.engine import NarEngine
    from tests.test_nar_tokenizer import install_tiny_tokenizer

    folder = install_tiny_tokenizer(tmp_path / "nar")
    engine = create_engine(str(folder), "cpu")
    assert isinstance(engine, NarEngine)
    assert not model_capabilities(str(folder))[1].keywords
