"""The transcription worker thread: a real tiny model end to end, engine reuse, cancel, errors as sentences."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from tiny_models import shared_tiny
from ui_window_support import ScriptedEngine

from app.asr.engines.base import TranscribeOptions
from app.core.document import Word
from app.core.errors import ModelError, VerbatimError
from app.workers.transcription_worker import TranscriptionRequest, TranscriptionThread


def _run(
    qtbot,
    thread: TranscriptionThread,
    audio: np.ndarray,
    request: TranscriptionRequest,
    cancel_after: int | None = None,
):
    w = thread.worker
    got: dict[str, list] = {"words": [], "progress": [], "finished": [], "failed": [], "settings": []}
    w.words_ready.connect(lambda words, _s: got["words"].extend(words))
    w.progress.connect(lambda *a: got["progress"].append(a))
    w.finished.connect(got["finished"].append)
    w.failed.connect(got["failed"].append)
    w.run_started.connect(got["settings"].append)
    if cancel_after is not None:
        w.words_ready.connect(
            lambda *_: len(got["words"]) >= cancel_after and threading.Thread(target=thread.cancel).start()
        )
    thread.start(audio, request)
    qtbot.waitUntil(lambda: bool(got["finished"] or got["failed"]), timeout=20_000)
    qtbot.waitUntil(lambda: not thread.busy, timeout=2000)
    return got


@pytest.fixture
def thread(qtbot):
    threads: list[TranscriptionThread] = []

    def make(factory=None) -> TranscriptionThread:
        t = TranscriptionThread(factory)
        threads.append(t)
        return t

    yield make
    for t in threads:
        t.shutdown()


def test_a_tiny_granite_model_runs_end_to_end_in_the_worker_thread(qtbot, thread, tmp_path_factory, speech_16k) -> None:
    folder = shared_tiny(tmp_path_factory, "granite")
    calls: list[tuple[str, str | None]] = []

    def factory(model: str, device: str | None):
        from app.asr.engines.factory import create_engine

        calls.append((model, device))
        return create_engine(model, device)

    t = thread(factory)
    request = TranscriptionRequest(str(folder), TranscribeOptions(language="en"), "cpu", run_id=1)
    got = _run(qtbot, t, speech_16k, request)
    assert got["failed"] == [] and got["finished"] == [False]
    assert got["settings"][0].device == "cpu" and got["settings"][0].task == "transcribe"
    done, total, pieces_done, pieces_total = got["progress"][-1]
    assert done == pytest.approx(total, abs=0.05) and total == pytest.approx(len(speech_16k) / 16000)
    assert pieces_done == pieces_total >= 1
    words = got["words"]
    assert words and all(isinstance(w, Word) for w in words)
    starts = [w.start_ms for w in words]
    assert starts == sorted(starts) and words[-1].end_ms <= total * 1000 + 50
    engine = t.worker.engine
    french = TranscriptionRequest(str(folder), TranscribeOptions(language="fr"), "cpu", run_id=2)
    got2 = _run(qtbot, t, speech_16k, french)
    assert got2["finished"] == [False] and t.worker.engine is engine and len(calls) == 1  # reused, not reloaded


def test_cancel_from_another_thread_stops_within_a_batch_and_keeps_what_was_done(qtbot, thread) -> None:
    engine = ScriptedEngine(pieces=40, delay=0.05)
    t = thread(lambda m, d: engine)
    audio = np.zeros(16000 * 40, np.float32)
    started = time.monotonic()
    got = _run(qtbot, t, audio, TranscriptionRequest("scripted", TranscribeOptions()), cancel_after=6)
    assert got["finished"] == [True] and got["failed"] == []
    assert 6 <= len(got["words"]) <= 12 and engine.batches_run <= 4  # stopped after the batch in flight
    assert time.monotonic() - started < 1.5


def test_a_missing_model_and_impossible_options_fail_with_one_sentence(qtbot, thread) -> None:
    def missing(model: str, device: str | None):
        raise ModelError("granite-speech-4.1-2b is not downloaded; run `verbatim models download 2b`.")

    got = _run(qtbot, thread(missing), np.zeros(16000, np.float32), TranscriptionRequest("2b", TranscribeOptions()))
    assert got["failed"] == ["granite-speech-4.1-2b is not downloaded; run `verbatim models download 2b`."]
    engine = ScriptedEngine()
    got = _run(qtbot, thread(lambda m, d: engine), np.zeros(16000, np.float32),
               TranscriptionRequest("x", TranscribeOptions(language="ja")))
    assert got["failed"] == ["scripted does not transcribe 'ja'; it knows en, fr."] and engine.batches_run == 0


def test_an_unexpected_error_is_one_sentence_not_a_traceback(qtbot, thread) -> None:
    engine = ScriptedEngine(pieces=5, fail_at=2, error=ValueError("shape mismatch"))
    silence = np.zeros(16000 * 5, np.float32)
    got = _run(qtbot, thread(lambda m, d: engine), silence, TranscriptionRequest("x", TranscribeOptions()))
    assert got["failed"] == ["Transcription failed unexpectedly (ValueError: shape mismatch)."]
    assert "Traceback" not in got["failed"][0] and len(got["words"]) == 6  # the two pieces before stay delivered


def test_a_cancel_pressed_before_the_run_starts_still_counts(qtbot, thread) -> None:
    engine = ScriptedEngine(pieces=10)
    gate = threading.Event()

    def slow_factory(model: str, device: str | None):  # the model is still "loading" when Cancel is pressed
        gate.wait(5)
        return engine

    t = thread(slow_factory)
    finished: list[bool] = []
    t.worker.finished.connect(finished.append)
    request = TranscriptionRequest("scripted", TranscribeOptions())
    t.start(np.zeros(16000 * 10, np.float32), request)
    assert t.busy
    with pytest.raises(VerbatimError, match="already running"):  # one run at a time
        t.start(np.zeros(16000, np.float32), request)
    t.cancel()
    gate.set()
    qtbot.waitUntil(lambda: bool(finished), timeout=5000)
    assert finished == [True] and engine.batches_run == 0
    qtbot.waitUntil(lambda: not t.busy, timeout=2000)
