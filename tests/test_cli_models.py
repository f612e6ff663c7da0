"""`verbatim models list` / `download` as a user runs them: offline, with an empty or a filled cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.asr.models.registry import MODELS
from app.cli import main
from tests.test_asr_registry import fake_hub_cache
from tests.tiny_models import shared_tiny

ROOT = Path(__file__).resolve().parents[1]


def _cli(args: list[str], hf_home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HOME": str(hf_home), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    env.pop("HF_HUB_CACHE", None)
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_list_offline_with_an_empty_cache(tmp_path) -> None:
    proc = _cli(["models", "list"], tmp_path / "hf")
    assert proc.returncode == 0, proc.stderr
    for spec in MODELS.values():
        assert f"{spec.key:7} {spec.hub_id}" in proc.stdout
    assert proc.stdout.count("downloaded: no") == len(MODELS)
    assert "word timestamps; speakers" in proc.stdout
    # each model's pinned commit, in full, so it can be checked against the Hub
    assert "unpinned" not in proc.stdout
    assert "granite-speech-4.1-2b-nar  (~4.7 GB, revision 99a4df9007ac5682f9daa093fb7008ff606e9a5d)" in proc.stdout
    for spec in MODELS.values():
        assert f"revision {spec.revision})" in proc.stdout


def test_download_offline_is_one_line_and_exit_1(tmp_path) -> None:
    proc = _cli(["models", "download", "2b"], tmp_path / "hf")
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("verbatim: Cannot download granite-speech-4.1-2b")
    assert proc.stdout == ""


def test_download_of_an_unknown_name(tmp_path, capsys) -> None:
    assert main(["models", "download", "whisper"]) == 1
    assert "Unknown model 'whisper'" in capsys.readouterr().err


def test_list_and_download_see_a_cached_model(tmp_path, tmp_path_factory, monkeypatch, capsys) -> None:
    import huggingface_hub.constants as hf_constants

    cache = tmp_path / "hub"
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    snap = fake_hub_cache(cache, MODELS["plus"].hub_id, shared_tiny(tmp_path_factory, "plus"))
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert f"downloaded: yes, {snap}" in out and out.count("downloaded: no") == len(MODELS) - 1
    assert main(["models", "download", "plus"]) == 0  # already there: no network needed
    assert str(snap) in capsys.readouterr().out
