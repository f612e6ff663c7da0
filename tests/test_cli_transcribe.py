"""`verbatim transcribe` end to end on generated speech with the tiny models: a project file comes out."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from app.asr.engines.text_engine import MAX_NEW_TOKENS_ENV
from app.asr.models.registry import MODELS
from app.cli import main
from app.cli import transcribe as transcribe_cmd
from app.core.document import TimingSource
from app.core.project import load_project
from tests.test_asr_registry import fake_hub_cache
from tests.tiny_models import shared_tiny


@pytest.fixture(autouse=True)
def quick(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(MAX_NEW_TOKENS_ENV, "8")
    monkeypatch.setenv("VERBATIM_CACHE_DIR", str(tmp_path / "audio-cache"))


def check_project(path: Path, media: Path, speakers: bool) -> None:
    project = load_project(path)
    doc = project.transcript
    assert len(doc) > 0
    assert project.media_path == media.resolve()
    assert project.media_fingerprint and project.media_duration_ms and project.media_duration_ms > 3000
    prev = 0
    for w in doc.words:
        assert prev <= w.start_ms <= w.end_ms <= project.media_duration_ms + 1
        prev = w.end_ms
    if speakers:
        ids = {s.id for s in doc.speakers}
        assert ids and all(w.speaker in ids for w in doc.words)
        assert all(s.name.startswith("Speaker ") for s in doc.speakers)
    assert doc.settings.device == "cpu" and doc.settings.language == "en"
    assert json.loads(path.read_text())["schema_version"] >= 1


def test_plus_folder(tmp_path, tmp_path_factory, speech_wav, capsys) -> None:
    out = tmp_path / "plus.json"
    folder = shared_tiny(tmp_path_factory, "plus")
    code = main(["transcribe", str(speech_wav), "-o", str(out), "--model", str(folder), "--device", "cpu",
                 "--keywords", "Mayor, Bridge"])
    assert code == 0, capsys.readouterr().err
    check_project(out, speech_wav, speakers=True)
    doc = load_project(out).transcript
    assert doc.keywords == ("Mayor", "Bridge")
    assert doc.settings.model == "plus"  # a local folder is named after itself
    err = capsys.readouterr().err
    assert "\r[" in err and "pieces" in err and "ETA" in err and "wrote" in err


def test_interview_from_the_model_cache(tmp_path, tmp_path_factory, speech_wav, monkeypatch, capsys) -> None:
    import huggingface_hub.constants as hf_constants

    cache = tmp_path / "hub"
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(cache))
    fake_hub_cache(cache, MODELS["2b"].hub_id, shared_tiny(tmp_path_factory, "granite"))
    fake_hub_cache(cache, MODELS["plus"].hub_id, shared_tiny(tmp_path_factory, "plus"))
    out = tmp_path / "interview.verbatim"
    capsys.readouterr()
    assert main(["transcribe", str(speech_wav), "-o", str(out), "--device", "cpu", "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    check_project(out, speech_wav, speakers=True)
    settings = load_project(out).transcript.settings
    assert settings.model == "granite-speech-4.1-2b + granite-speech-4.1-2b-plus"


def test_2b_words_have_interpolated_times(tmp_path, tmp_path_factory, speech_wav, capsys) -> None:
    out = tmp_path / "text.json"
    folder = shared_tiny(tmp_path_factory, "granite")
    assert main(["transcribe", str(speech_wav), "-o", str(out), "--model", str(folder), "--device", "cpu",
                 "--quiet", "--no-punctuation", "--batch-size", "2"]) == 0
    check_project(out, speech_wav, speakers=False)
    doc = load_project(out).transcript
    assert all(w.source == TimingSource.INTERPOLATED for w in doc.words)


def test_translate_with_a_wrong_target_is_one_line(tmp_path, tmp_path_factory, speech_wav, capsys) -> None:
    out = tmp_path / "t.json"
    folder = shared_tiny(tmp_path_factory, "granite")
    code = main(["transcribe", str(speech_wav), "-o", str(out), "--model", str(folder), "--task", "translate",
                 "--target", "ko"])
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert err.count("\n") == 1 and err.startswith("verbatim: ") and "'ko'" in err
    plus = shared_tiny(tmp_path_factory, "plus")
    assert main(["transcribe", str(speech_wav), "-o", str(out), "--model", str(plus), "--task", "translate"]) == 1
    assert "cannot translate" in capsys.readouterr().err


def test_bad_inputs(tmp_path, speech_wav, capsys) -> None:
    assert main(["transcribe", str(tmp_path / "missing.wav"), "-o", str(tmp_path / "x.json"), "--model", "2b"]) == 1
    assert "missing.wav does not exist" in capsys.readouterr().err
    assert main(["transcribe", str(speech_wav), "-o", str(tmp_path / "no" / "x.json")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["transcribe", str(speech_wav), "-o", str(tmp_path / "x.json"), "--batch-size", "0"]) == 1
    assert "--batch-size" in capsys.readouterr().err
    assert main(["transcribe", str(speech_wav), "-o", str(tmp_path / "x.json"), "--keywords-file",
                 str(tmp_path / "nope.txt")]) == 1
    assert "keywords file" in capsys.readouterr().err


def test_keywords_file(tmp_path) -> None:
    f = tmp_path / "kw.txt"
    f.write_text("# names\nOkafor\n\n  Port  Authority \nOkafor\n", encoding="utf-8")
    args = type("A", (), {"keywords": None, "keywords_file": f})()
    assert transcribe_cmd.read_keywords(args) == ("Okafor", "Port Authority")


def test_ctrl_c_writes_the_partial_project(tmp_path, tmp_path_factory, speech_16k, monkeypatch, capsys) -> None:
    """A long recording (three 2b pieces); Ctrl+C arrives with the first progress line.

    A shell that starts pytest in the background may leave SIGINT ignored; the test sets Python's default
    handler first, so the Ctrl+C it raises always reaches the command.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    media = tmp_path / "long.wav"
    gap = np.zeros(16000 * 3, dtype=np.float32)
    sf.write(media, np.concatenate([speech_16k, gap] * 14), 16000)
    shown = []

    def press_ctrl_c(self, progress) -> None:
        shown.append(progress)
        if len(shown) == 1:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(transcribe_cmd.ProgressLine, "show", press_ctrl_c)
    out = tmp_path / "partial.json"
    folder = shared_tiny(tmp_path_factory, "granite")
    code = main(["transcribe", str(media), "-o", str(out), "--model", str(folder), "--device", "cpu",
                 "--batch-size", "1"])
    err = capsys.readouterr().err
    assert code == 130
    assert "cancelled; wrote a partial transcript" in err
    assert shown[0].pieces_done == 1 and shown[0].pieces_total >= 3
    doc = load_project(out).transcript
    assert len(doc) > 0 and doc.duration_ms <= shown[0].audio_done_s * 1000 + 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    signal.signal(signal.SIGINT, previous)


def test_console_script_runs(tmp_path, tmp_path_factory, speech_wav) -> None:
    """The real process: `python -m app.cli transcribe ...` (as the console script runs it)."""
    import os
    import sys

    out = tmp_path / "p.json"
    env = {**os.environ, MAX_NEW_TOKENS_ENV: "8", "VERBATIM_CACHE_DIR": str(tmp_path / "c"),
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "transcribe", str(speech_wav), "-o", str(out), "--model",
         str(shared_tiny(tmp_path_factory, "granite")), "--device", "cpu", "--quiet"],
        env=env, capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    check_project(out, speech_wav, speakers=False)
