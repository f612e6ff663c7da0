"""Re-aligning edited words without Qt: runs, anchors, failures, and finding an aligner on this computer.

The aligner is the real one: the tiny NAR fixture model's CTC head with the tiny tokenizer, loaded
through the registry from a local folder chosen as the Models dialog does (models.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from test_nar_tokenizer import FIXTURE, install_tiny_tokenizer

from app.asr.align.realign import AlignerFactory, has_interpolated, retime_run, retime_runs, runs_touching
from app.core.document import TimingSource, Word
from app.core.errors import ModelError

M, INTERP, A = TimingSource.MODEL, TimingSource.INTERPOLATED, TimingSource.ALIGNED
TEXTS = "the mayor said the bridge opens in may and the city will open a station".split()


@pytest.fixture(scope="module")
def nar_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_tiny_tokenizer(tmp_path_factory.mktemp("realign") / "nar")


@pytest.fixture(scope="module")
def audio() -> np.ndarray:
    silence = np.zeros(4000, np.float32)
    waves = [sf.read(FIXTURE / f"input_{i}.wav", dtype="float32")[0] for i in range(3)]
    return np.concatenate([silence, waves[0], silence, waves[2], silence, waves[1], silence]).astype(np.float32)


@pytest.fixture(scope="module")
def aligner(nar_folder: Path, tmp_path_factory: pytest.TempPathFactory):
    """The aligner the registry finds for "nar" when the Models dialog chose the fixture folder for it."""
    config = tmp_path_factory.mktemp("config")
    (config / "models.json").write_text(json.dumps({"local_folders": {"nar": str(nar_folder)}}))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VERBATIM_CONFIG_DIR", str(config))
        factory = AlignerFactory()
        assert factory.find("nar") == ("nar", "")
        assert factory.find("plus") == ("nar", "")  # plus cannot align: fall back to the NAR model
        return factory("nar", "cpu")


def _words(interpolated: set[int]) -> list[Word]:
    return [Word(t, 300 + k * 580, 780 + k * 580, "S2" if k % 2 else "S1", 0.9, INTERP if k in interpolated else M,
                 starts_segment=k == 6) for k, t in enumerate(TEXTS)]


def test_runs_touching_a_range_are_whole_runs() -> None:
    words = _words({2, 3, 4, 9, 10})
    assert runs_touching(words) == [(2, 5), (9, 11)]
    assert runs_touching(words, 4, 5) == [(2, 5)]  # one selected word of a run takes the whole run
    assert runs_touching(words, 5, 9) == []
    assert runs_touching(words, 0, 10) == [(2, 5), (9, 11)]
    assert has_interpolated(words) and not has_interpolated(_words(set()))


def test_a_run_is_aligned_between_its_anchors(aligner, audio: np.ndarray) -> None:
    words = _words({5, 6, 7, 8})
    new = retime_run(words, 5, 9, audio, aligner)
    assert [w.text for w in new] == TEXTS[5:9]
    assert all(w.source == A for w in new)
    for old, w in zip(words[5:9], new):
        assert (w.speaker, w.confidence, w.starts_segment) == (old.speaker, old.confidence, old.starts_segment)
    edges = [words[4].end_ms] + [t for w in new for t in (w.start_ms, w.end_ms)] + [words[9].start_ms]
    assert edges == sorted(edges)  # monotonic, inside the anchors' span
    assert [(w.start_ms, w.end_ms) for w in new] != [(w.start_ms, w.end_ms) for w in words[5:9]]


def test_runs_at_the_edges_and_runs_that_cannot_fit(aligner, audio: np.ndarray) -> None:
    words = _words({0, 1, 14})
    new, report = retime_runs(words, audio, aligner)
    assert report.aligned == 3 and report.stretches == 2 and report.failed == []
    assert [w.source for w in new] == [A, A] + [M] * 12 + [A]
    assert new[2:14] == words[2:14]
    assert 0 <= new[0].start_ms <= new[0].end_ms <= new[1].start_ms <= new[1].end_ms <= words[2].start_ms
    assert words[13].end_ms <= new[14].start_ms <= new[14].end_ms <= len(audio) * 1000 // 16000
    # far more text than 150 ms of audio can carry: the aligner refuses, the words keep their times
    typed = [Word(t, 50 + k, 51 + k, source=INTERP) for k, t in enumerate(TEXTS)]
    crowded = [Word("the", 0, 50), *typed, Word("end", 100, 150)]
    with pytest.raises(ModelError, match="too long"):
        retime_run(crowded, 1, len(TEXTS) + 1, audio, aligner)
    kept, report = retime_runs(crowded, audio, aligner)
    assert kept == crowded and report.aligned == 0 and len(report.failed) == 1


def test_finding_an_aligner_without_the_network(nar_folder: Path, tmp_path: Path) -> None:
    assert AlignerFactory({"nar": nar_folder}).find("interview") == (str(nar_folder), "")
    assert AlignerFactory({"nar": nar_folder}).find(None) == (str(nar_folder), "")
    model, why = AlignerFactory({}).find("2b")
    assert model is None and why.startswith("No model that can align words is on this computer")
    assert "Transcribe > Models" in why and why.endswith(".")
    broken = tmp_path / "broken"
    broken.mkdir()
    model, why = AlignerFactory({"nar": broken}).find("nar")
    assert model is None and "config.json" in why
