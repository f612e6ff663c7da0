"""The speech models Verbatim knows: Hub ids, pinned revisions, what each can do, and how long a piece may be.

`resolve_model(name_or_path)` turns a short key ("2b", "plus", "nar", "4.0-1b"), a full model name
or a local folder in the Hugging Face layout into a `ModelSpec` and a checked local folder. Keys are
looked up in the Hugging Face cache only; nothing here touches the network (downloading is
`app.cli.models` / `download_model`).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from app.asr.engines.base import Capabilities
from app.core.errors import ModelError

# Pinned Hub revisions: the commits that transcribe.cpp ported and validated tensor by tensor against the
# reference implementations (the NAR one is also the revision the Open ASR leaderboard's NAR jobs use).
# Downloads and cache look-ups ask for exactly these; a newer upload is not used until it is pinned here.
REVISION_4_1_2B = "8f4bb5f31ae98971bd218169f00065a041d20058"
REVISION_4_1_2B_PLUS = "edd3bf54fbb06d8e263aa0c1939321d67b073f86"
REVISION_4_1_2B_NAR = "99a4df9007ac5682f9daa093fb7008ff606e9a5d"
REVISION_4_0_1B = "bd87ab862416353633ea431fe49b1614003623c5"

# Files a download fetches: weights in safetensors only, configs, tokenizer, chat template, docs.
DOWNLOAD_PATTERNS = ("*.safetensors", "*.safetensors.index.json", "*.json", "*.jinja", "*.txt", "*.model", "*.md")

FAMILY_BY_MODEL_TYPE = {
    "granite_speech": "granite",
    "granite_speech_plus": "plus",
    "granite_speech_nar": "nar",
}

_ASR_5 = ("en", "fr", "de", "es", "pt")


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One model: where it comes from, what it can do, and the longest piece (seconds) per task.

    `max_piece_s` keys: "transcribe", "translate", "speakers", "timestamps" (only the tasks it has).
    """

    key: str
    hub_id: str
    revision: str | None
    family: str  # "granite" | "plus" | "nar"
    capabilities: Capabilities
    max_piece_s: Mapping[str, float] = field(default_factory=dict)
    name: str = ""
    size_hint: str = ""
    description: str = ""

    def __hash__(self) -> int:  # max_piece_s is a read-only mapping, which does not hash by itself
        return hash((self.key, self.hub_id, self.revision, self.family))

    @property
    def display_name(self) -> str:
        return self.name or self.hub_id.rsplit("/", 1)[-1]


def _spec(key: str, name: str, revision: str | None, family: str, caps: Capabilities,
          pieces: dict[str, float], size: str, description: str) -> ModelSpec:
    hub_id = f"ibm-granite/{name}"
    return ModelSpec(key, hub_id, revision, family, caps, MappingProxyType(pieces), name, size, description)


MODELS: Mapping[str, ModelSpec] = MappingProxyType({
    "2b": _spec(
        "2b", "granite-speech-4.1-2b", REVISION_4_1_2B, "granite",
        Capabilities(languages=_ASR_5 + ("ja",), translation_targets=("fr", "de", "es", "pt", "ja", "it", "zh"),
                     translation_to_english=True, keywords=True, punctuation=True, alignment=True),
        # 30 s is the official package's window; translation was seen to degrade past ~20 s per pass.
        {"transcribe": 30.0, "translate": 20.0},
        "~4.7 GB", "punctuated transcription and translation",
    ),
    "plus": _spec(
        "plus", "granite-speech-4.1-2b-plus", REVISION_4_1_2B_PLUS, "plus",
        Capabilities(languages=_ASR_5, keywords=True, timestamps=True, speakers=True),
        # The model takes 9 min (ASR, speakers) / 5 min (timestamps) per pass, but we cap pieces at 120 s:
        # a 540 s timestamp pass is ~5400 audio + ~6500 output positions per sample (past the 4096 positions
        # the LLM handles best), its KV cache is ~1 GB per sample in bf16 so batches shrink to a few, one
        # greedy loop costs minutes of work, and progress would move in 9-minute steps.
        {"transcribe": 120.0, "speakers": 120.0, "timestamps": 120.0},
        "~4.8 GB", "word timestamps and speaker labels (lowercase, no punctuation)",
    ),
    "nar": _spec(
        "nar", "granite-speech-4.1-2b-nar", REVISION_4_1_2B_NAR, "nar",
        Capabilities(languages=_ASR_5, alignment=True),
        {"transcribe": 30.0},
        "~4.7 GB", "fast non-autoregressive transcription (lowercase, no punctuation)",
    ),
    "4.0-1b": _spec(
        "4.0-1b", "granite-4.0-1b-speech", REVISION_4_0_1B, "granite",
        # Same topology and prompts as 4.1-2b; no punctuation prompt (4.1 added it). Translation targets as
        # in its model card's language list (unconfirmed for it and zh).
        Capabilities(languages=_ASR_5 + ("ja",), translation_targets=("fr", "de", "es", "pt", "ja"),
                     translation_to_english=True, keywords=True),
        {"transcribe": 30.0, "translate": 20.0},
        "~4.7 GB", "the predecessor of 4.1-2b",
    ),
})


def find_spec(name: str) -> ModelSpec | None:
    """The spec for a key ("2b"), a model name ("granite-speech-4.1-2b") or a Hub id; None if unknown."""
    wanted = name.strip().lower()
    for spec in MODELS.values():
        if wanted in (spec.key, spec.name.lower(), spec.hub_id.lower()):
            return spec
    return None


def cached_folder(spec: ModelSpec) -> Path | None:
    """The local snapshot folder of a known model in the Hugging Face cache, or None (never uses the network)."""
    from huggingface_hub import snapshot_download

    try:
        folder = snapshot_download(
            spec.hub_id, revision=spec.revision, local_files_only=True, allow_patterns=list(DOWNLOAD_PATTERNS)
        )
    except Exception as exc:  # LocalEntryNotFoundError, unreadable cache: "not downloaded"
        if type(exc).__name__ == "IncompleteSnapshotError":
            raise ModelError(
                f"{spec.display_name} is only partly downloaded; run `verbatim models download {spec.key}` again."
            ) from None
        return None
    path = Path(folder)
    return path if (path / "config.json").is_file() else None


def not_downloaded_error(spec: ModelSpec) -> ModelError:
    return ModelError(
        f"{spec.display_name} is not downloaded; run `verbatim models download {spec.key}` "
        "or pass a local folder with --model."
    )


def resolve_model(name_or_path: str | os.PathLike[str], must_exist: bool = True) -> tuple[ModelSpec, Path | None]:
    """A spec and a checked local folder for a key, model name, Hub id or local folder.

    A known model that is not in the cache raises ModelError (or gives folder None with `must_exist=False`).
    A local folder gets the capabilities of the model family its config.json names.
    """
    text = os.fspath(name_or_path)
    spec = find_spec(text) if isinstance(name_or_path, str) else None
    if spec is not None:
        folder = local_folder_choices().get(spec.key) or cached_folder(spec)
        if folder is None:
            if must_exist:
                raise not_downloaded_error(spec)
            return spec, None
        check_model_folder(folder, expected_family=spec.family)
        return spec, folder
    path = Path(text).expanduser()
    if not path.exists():
        known = ", ".join(MODELS)
        raise ModelError(f"Unknown model '{text}': use one of {known} or a local model folder.")
    if not path.is_dir():
        raise ModelError(f"{path} is not a model folder; pass the folder that holds config.json.")
    family = check_model_folder(path)
    base = next(s for s in MODELS.values() if s.family == family)
    return dataclasses.replace(base, key=str(path), hub_id=str(path), revision=None, name=path.name), path


def default_config_path() -> Path:
    """`models.json` in the user config folder (VERBATIM_CONFIG_DIR overrides the folder)."""
    folder = os.environ.get("VERBATIM_CONFIG_DIR")
    if not folder:
        from platformdirs import user_config_dir

        folder = user_config_dir("verbatim", appauthor=False)
    return Path(folder) / "models.json"


def local_folder_choices(config_path: Path | None = None) -> dict[str, Path]:
    """Model key -> a local folder the person chose (Models dialog) in place of the Hugging Face cache."""
    try:
        data = json.loads((config_path or default_config_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    folders = data.get("local_folders", {}) if isinstance(data, dict) else {}
    return {str(k): Path(v) for k, v in folders.items() if isinstance(v, str) and k in MODELS}


def read_model_type(folder: Path) -> str:
    """The `model_type` of a folder's config.json (ModelError when missing or unreadable)."""
    config = folder / "config.json"
    if not config.is_file():
        raise ModelError(f"{folder} has no config.json; it is not a Hugging Face model folder.")
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ModelError(f"The config.json in {folder} is not valid JSON.") from None
    model_type = data.get("model_type") if isinstance(data, dict) else None
    return str(model_type or "")


def check_model_folder(folder: Path, expected_family: str | None = None) -> str:
    """Check a model folder (config, tokenizer, safetensors weights) and return its family."""
    model_type = read_model_type(folder)
    family = FAMILY_BY_MODEL_TYPE.get(model_type)
    if family is None:
        raise ModelError(
            f"{folder} holds a '{model_type or 'unknown'}' model, not a Granite Speech model "
            "(granite_speech, granite_speech_plus or granite_speech_nar)."
        )
    if expected_family is not None and family != expected_family:
        raise ModelError(f"{folder} holds a {model_type} model, not the expected {expected_family} model.")
    if not any((folder / name).is_file() for name in ("tokenizer.json", "vocab.json", "tokenizer.model")):
        raise ModelError(f"{folder} has no tokenizer (tokenizer.json); the model folder is incomplete.")
    _check_weights(folder)
    return family


def _check_weights(folder: Path) -> None:
    from safetensors import safe_open

    files = sorted(folder.glob("*.safetensors"))
    if not files:
        if any(folder.glob("*.bin")) or any(folder.glob("*.pt")) or any(folder.glob("*.pth")):
            raise ModelError(f"{folder} has weights only in pickle format (.bin); Verbatim loads safetensors only.")
        raise ModelError(f"{folder} has no model weights (*.safetensors).")
    for file in files:
        try:
            with safe_open(str(file), framework="pt") as handle:
                keys = list(handle.keys())
        except Exception:
            raise ModelError(f"The weight file {file.name} in {folder} is corrupt or not a safetensors file.") from None
        if not keys:
            raise ModelError(f"The weight file {file.name} in {folder} holds no tensors.")
