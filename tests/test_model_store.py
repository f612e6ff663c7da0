"""The model store: copying a model folder into the Hugging Face cache with progress, cancel and resume;
what is downloaded and how big it is; deleting; local folders; the hardware check; offline errors."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

import app.asr.models.model_store as model_store
from app.asr.engines.base import CancelToken
from app.asr.models.model_store import (
    DownloadProgress,
    HardwareInfo,
    HubUnreachable,
    ModelStore,
    folder_size,
    recommend,
)
from app.asr.models.registry import MODELS, cached_folder, resolve_model
from app.core.errors import Cancelled, ModelError
from tests.tiny_models import shared_tiny

GIB = 1 << 30


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelStore:
    """A store on an empty cache that the registry (and so the whole app) also reads."""
    from huggingface_hub import constants

    cache = tmp_path / "hf-cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("VERBATIM_CONFIG_DIR", str(tmp_path / "config"))
    return ModelStore(cache_dir=cache, config_path=tmp_path / "config" / "models.json")


@pytest.fixture()
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_tiny(tmp_path_factory, "granite")


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()
            if p.is_file() and model_store.wanted_file(p.name)}


def test_copy_from_folder_lands_where_the_registry_finds_it(store: ModelStore, source: Path) -> None:
    events: list[DownloadProgress] = []
    assert store.status("2b").state == "missing"
    folder = store.download("2b", events.append, CancelToken(), source=source)
    assert _digests(folder) == _digests(source)
    assert not (folder / ".tiny_model_done").exists()  # only model files are copied
    # the CLI's and engines' lookup sees it: no other step needed after a copy
    assert cached_folder(MODELS["2b"]) == folder
    assert resolve_model("2b")[1] == folder
    done = [e.done for e in events]
    assert done == sorted(done) and events[-1].done == events[-1].total == sum(
        (source / f).stat().st_size for f in _digests(source))
    assert events[-1].fraction == 1.0 and events[-1].files_done == events[-1].files_total
    status = store.status("2b")
    assert (status.state, status.where, status.folder) == ("ready", "cache", folder)
    assert status.size_bytes == folder_size(store.repo_folder(MODELS["2b"])) >= events[-1].total
    assert store.any_ready() and store.model_argument("2b") == "2b"


def test_cancel_leaves_a_partial_model_that_resumes(store: ModelStore, source: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_store, "CHUNK", 64 * 1024)
    token = CancelToken()

    def stop_midway(p: DownloadProgress) -> None:
        if p.file == "model.safetensors" and p.file_done >= 3 * 64 * 1024:
            token.cancel()

    with pytest.raises(Cancelled):
        store.download("2b", stop_midway, token, source=source)
    partial = store.status("2b")
    assert partial.state == "partial" and partial.folder is None and partial.size_bytes > 3 * 64 * 1024
    assert cached_folder(MODELS["2b"]) is None  # a half copy is never mistaken for a model
    resumed: list[DownloadProgress] = []
    folder = store.download("2b", resumed.append, CancelToken(), source=source)
    weights = [e for e in resumed if e.file == "model.safetensors"]
    assert weights[0].file_done > 3 * 64 * 1024  # appended to what was there, not started over
    assert resumed[0].done >= partial.size_bytes and resumed[0].fraction > 0.2  # reported as such from the start
    assert [e.done for e in resumed] == sorted(e.done for e in resumed)
    assert _digests(folder) == _digests(source)
    assert store.status("2b").state == "ready"


def test_a_wrong_or_broken_source_is_refused_with_a_sentence(store: ModelStore, source: Path,
                                                             tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not the expected nar model"):
        store.download("nar", source=source)
    broken = tmp_path / "broken"
    shutil.copytree(source, broken)
    (broken / "model.safetensors").unlink()
    with pytest.raises(ModelError, match="no model weights"):
        store.download("2b", source=broken)
    with pytest.raises(ModelError, match="is not a folder"):
        store.download("2b", source=tmp_path / "nowhere")
    with pytest.raises(ModelError, match="Unknown model"):
        store.status("7b")
    assert store.status("2b").state == "missing"


def test_delete_frees_the_cache(store: ModelStore, source: Path) -> None:
    store.download("2b", source=source)
    used = store.status("2b").size_bytes
    assert store.delete("2b") == used > 0
    assert store.status("2b").state == "missing" and not store.repo_folder(MODELS["2b"]).exists()
    assert store.delete("2b") == 0


def test_local_folder_is_remembered_and_never_deleted(store: ModelStore, source: Path, tmp_path: Path) -> None:
    store.set_local_folder("2b", source)
    again = ModelStore(cache_dir=store.cache_dir, config_path=store.config_path)
    status = again.status("2b")
    assert (status.state, status.where, status.folder) == ("ready", "local", source.resolve())
    assert again.model_argument("2b") == str(source.resolve())
    assert json.loads(store.config_path.read_text())["local_folders"] == {"2b": str(source.resolve())}
    with pytest.raises(ModelError, match="not the expected plus model"):
        again.set_local_folder("plus", source)
    assert resolve_model("2b") == (MODELS["2b"], source.resolve())  # the engines use the chosen folder
    again.delete("2b")  # forgets the folder, keeps the files
    assert again.status("2b").state == "missing" and (source / "model.safetensors").is_file()


def test_recommendation_follows_the_hardware() -> None:
    assert recommend(HardwareInfo("cuda", "RTX 4090", 24 * GIB, 64 * GIB, 16)).key == "2b"
    assert recommend(HardwareInfo("cuda", "GTX 1650", 4 * GIB, 16 * GIB, 8)).key == "nar"
    assert recommend(HardwareInfo("mps", "Apple GPU", None, 32 * GIB, 10)).key == "2b"
    assert recommend(HardwareInfo("cpu", "CPU", None, 8 * GIB, 4)).key == "nar"
    assert "RTX 4090" in HardwareInfo("cuda", "RTX 4090", 24 * GIB).describe()


def test_detect_hardware_matches_torch() -> None:
    import torch

    hw = model_store.detect_hardware()
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert hw.kind == expected and hw.cpu_count >= 1
    if hw.kind == "cuda":
        assert hw.gpu_memory == torch.cuda.get_device_properties(0).total_memory
        assert torch.cuda.get_device_name(0) in hw.describe()


def test_offline_download_says_what_to_do(store: ModelStore, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(HubUnreachable, match="offline mode"):
        store.download("nar")
    # the Hub unreachable (nothing listens on this port): one sentence saying what to do instead
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(HubUnreachable, match="cannot be reached: copy its model folder"):
        store.download("nar")
    assert "verbatim models download nar" in model_store.offline_help(MODELS["nar"])
    assert store.status("nar").state == "missing"


def test_progress_text_and_sizes() -> None:
    p = DownloadProgress("model.safetensors", 500_000_000, 2_000_000_000, 1_200_000_000, 4_700_000_000, 1, 6)
    assert p.describe() == "model.safetensors (2 of 6 files): 1.2 GB of 4.7 GB, 25%"
    assert model_store.format_bytes(999) == "999 bytes" and model_store.format_bytes(1536) == "1.5 KB"


def test_cli_progress_on_stderr(store: ModelStore, source: Path) -> None:
    """`verbatim models download` prints the same progress: every 10% when stderr is not a terminal."""
    import io

    from app.cli.models import StderrProgress

    stream = io.StringIO()
    printer = StderrProgress(stream)
    store.download("2b", printer, source=source)
    printer.close()
    lines = stream.getvalue().splitlines()
    assert lines[-1].endswith("100%") and "of 6 files" in lines[-1]
    percents = [int(line.rsplit(" ", 1)[1].rstrip("%")) for line in lines]
    assert percents == sorted(percents) and len(lines) <= 11


def test_a_stopped_copy_never_resumes_from_another_folder(store: ModelStore, source: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_store, "CHUNK", 64 * 1024)
    token = CancelToken()

    def stop_midway(p: DownloadProgress) -> None:
        if p.file == "model.safetensors" and p.file_done >= 2 * 64 * 1024:
            token.cancel()

    with pytest.raises(Cancelled):
        store.download("2b", stop_midway, token, source=source)
    other = tmp_path / "fine-tune"  # same names and sizes, other bytes
    shutil.copytree(source, other)
    weights = other / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[70_000:71_000] = bytes(1000)  # inside the part the stopped copy already took
    weights.write_bytes(bytes(data))
    folder = store.download("2b", None, CancelToken(), source=other)
    assert _digests(folder) == _digests(other)


def test_choosing_a_local_folder_keeps_the_rest_of_the_settings_file(store: ModelStore, source: Path) -> None:
    store.config_path.parent.mkdir(parents=True, exist_ok=True)
    store.config_path.write_text(json.dumps({"from_a_newer_version": {"x": 1}}), encoding="utf-8")
    store.set_local_folder("2b", source)
    data = json.loads(store.config_path.read_text(encoding="utf-8"))
    assert data["from_a_newer_version"] == {"x": 1} and data["local_folders"] == {"2b": str(source.resolve())}
    store.config_path.write_text("{ damaged", encoding="utf-8")
    with pytest.raises(ModelError, match="damaged"):
        store.set_local_folder("2b", None)
    assert store.config_path.read_text(encoding="utf-8") == "{ damaged"  # left for the person to look at
