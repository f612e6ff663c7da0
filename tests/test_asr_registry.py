"""The model registry: known models, local folders, a Hugging Face cache laid out as a download leaves it, errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.asr.models.registry import MODELS, cached_folder, check_model_folder, find_spec, resolve_model
from app.core.errors import ModelError
from tests.tiny_models import shared_tiny

FAKE_COMMIT = "0123456789abcdef0123456789abcdef01234567"


def fake_hub_cache(root: Path, hub_id: str, source: Path, commit: str | None = None) -> Path:
    """Lay out `source` in `root` the way huggingface_hub's cache stores a downloaded snapshot.

    By default the snapshot is the model's pinned commit (what `verbatim models download` fetches);
    `refs/main` points at it too, as after a download of `main` at that commit.
    """
    spec = find_spec(hub_id)
    commit = commit or (spec.revision if spec is not None and spec.revision else FAKE_COMMIT)
    repo = root / ("models--" + hub_id.replace("/", "--"))
    snap = repo / "snapshots" / commit
    shutil.copytree(source, snap)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    return snap


@pytest.fixture()
def empty_cache(tmp_path, monkeypatch) -> Path:
    import huggingface_hub.constants as hf_constants

    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(cache))
    return cache


def _copy(tmp_path: Path, source: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copytree(source, dest)
    return dest


def test_known_models_and_their_capabilities() -> None:
    assert set(MODELS) == {"2b", "plus", "nar", "4.0-1b"}
    for key, spec in MODELS.items():
        assert spec.key == key and spec.hub_id == f"ibm-granite/{spec.name}"
        assert spec.revision is not None and len(spec.revision) == 40
    two, plus, nar = MODELS["2b"], MODELS["plus"], MODELS["nar"]
    assert two.family == "granite" and plus.family == "plus" and nar.family == "nar"
    assert two.capabilities.punctuation and two.capabilities.translation_to_english
    assert set(two.capabilities.translation_targets) == {"fr", "de", "es", "pt", "ja", "it", "zh"}
    assert "ja" in two.capabilities.languages and "ja" not in plus.capabilities.languages
    assert plus.capabilities.timestamps and plus.capabilities.speakers and not plus.capabilities.punctuation
    assert not nar.capabilities.keywords and nar.capabilities.alignment
    assert two.max_piece_s == {"transcribe": 30.0, "translate": 20.0}
    assert plus.max_piece_s["timestamps"] <= 300 and plus.max_piece_s["speakers"] <= 540
    assert nar.max_piece_s["transcribe"] == 30.0
    assert find_spec("granite-speech-4.1-2b-plus") is plus and find_spec("IBM-Granite/granite-speech-4.1-2b") is two


def test_every_model_is_pinned_to_the_validated_commit() -> None:
    """The commits transcribe.cpp ported and validated against the reference (GRANITE.md); never None."""
    pins = {key: spec.revision for key, spec in MODELS.items()}
    assert pins == {
        "2b": "8f4bb5f31ae98971bd218169f00065a041d20058",
        "plus": "edd3bf54fbb06d8e263aa0c1939321d67b073f86",
        "nar": "99a4df9007ac5682f9daa093fb7008ff606e9a5d",
        "4.0-1b": "bd87ab862416353633ea431fe49b1614003623c5",
    }
    assert all(isinstance(pin, str) and int(pin, 16) >= 0 for pin in pins.values())


def test_a_cached_snapshot_of_another_commit_is_not_used(empty_cache, tmp_path_factory) -> None:
    """Only the pinned commit counts: a newer `main` in the cache is not the model the app was validated with."""
    fake_hub_cache(empty_cache, MODELS["2b"].hub_id, shared_tiny(tmp_path_factory, "granite"), commit=FAKE_COMMIT)
    assert cached_folder(MODELS["2b"]) is None
    with pytest.raises(ModelError, match="not downloaded"):
        resolve_model("2b")
    snap = fake_hub_cache(empty_cache, MODELS["2b"].hub_id, shared_tiny(tmp_path_factory, "granite"))
    assert snap.name == MODELS["2b"].revision and cached_folder(MODELS["2b"]) == snap


def test_local_folders_get_their_family(tmp_path_factory) -> None:
    spec, folder = resolve_model(str(shared_tiny(tmp_path_factory, "granite")))
    assert folder is not None and spec.family == "granite" and spec.capabilities == MODELS["2b"].capabilities
    assert spec.revision is None and spec.key == str(folder)
    spec, _ = resolve_model(str(shared_tiny(tmp_path_factory, "plus")))
    assert spec.family == "plus" and spec.capabilities.speakers


def test_nar_folder_is_recognised_by_model_type(tmp_path, tmp_path_factory) -> None:
    folder = _copy(tmp_path, shared_tiny(tmp_path_factory, "granite"), "nar")
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = "granite_speech_nar"
    (folder / "config.json").write_text(json.dumps(config))
    spec, _ = resolve_model(str(folder))
    assert spec.family == "nar" and spec.capabilities == MODELS["nar"].capabilities


def test_downloaded_model_is_found_in_the_cache_without_network(empty_cache, tmp_path_factory) -> None:
    assert cached_folder(MODELS["2b"]) is None
    snap = fake_hub_cache(empty_cache, MODELS["2b"].hub_id, shared_tiny(tmp_path_factory, "granite"))
    spec, folder = resolve_model("2b")
    assert spec is MODELS["2b"] and folder == snap
    # a plus folder where the 2b should be is refused
    fake_hub_cache(empty_cache, MODELS["plus"].hub_id, shared_tiny(tmp_path_factory, "granite"))
    with pytest.raises(ModelError, match="not the expected plus"):
        resolve_model("plus")


def test_not_downloaded_gives_one_sentence(empty_cache) -> None:
    with pytest.raises(ModelError) as err:
        resolve_model("2b")
    assert str(err.value) == (
        "granite-speech-4.1-2b is not downloaded; run `verbatim models download 2b` "
        "or pass a local folder with --model."
    )
    assert resolve_model("plus", must_exist=False) == (MODELS["plus"], None)


def test_unknown_name(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelError, match="Unknown model 'large-v3'"):
        resolve_model("large-v3")


def test_bad_folders(tmp_path, tmp_path_factory) -> None:
    source = shared_tiny(tmp_path_factory, "granite")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelError, match="no config.json"):
        resolve_model(str(empty))

    wrong = _copy(tmp_path, source, "wrong")
    (wrong / "config.json").write_text(json.dumps({"model_type": "whisper"}))
    with pytest.raises(ModelError, match="'whisper' model, not a Granite Speech model"):
        resolve_model(str(wrong))

    no_tok = _copy(tmp_path, source, "notok")
    (no_tok / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match="no tokenizer"):
        resolve_model(str(no_tok))

    corrupt = _copy(tmp_path, source, "corrupt")
    data = (corrupt / "model.safetensors").read_bytes()
    (corrupt / "model.safetensors").write_bytes(b"\xff" * 8 + data[8:200])
    with pytest.raises(ModelError, match="corrupt or not a safetensors file"):
        resolve_model(str(corrupt))

    pickled = _copy(tmp_path, source, "pickled")
    (pickled / "model.safetensors").rename(pickled / "pytorch_model.bin")
    with pytest.raises(ModelError, match="safetensors only"):
        resolve_model(str(pickled))

    bad_json = _copy(tmp_path, source, "badjson")
    (bad_json / "config.json").write_text("{not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        check_model_folder(bad_json)
    for err_case in (empty, wrong, no_tok, corrupt, pickled):
        try:
            resolve_model(str(err_case))
        except ModelError as exc:
            assert "\n" not in str(exc) and str(exc).endswith(".")
