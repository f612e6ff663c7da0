"""The catalog of transcription choices: every model, pipeline or server a person can transcribe with.

One `Choice` per entry: its key, the label and description people see, what it can do, the models it
needs on this machine (with their sizes, from the registry), the model it re-aligns words with, and how
to build its engine on a device. The CLI's `--model` choices and help, the factory, the transcribe
panel, the first-run guide, the Models dialog and realign all read this module; nothing else names the
choices. Importing it loads no torch: engines are built by functions that import their modules lazily.

Adding an engine is one new module plus one entry in `CHOICES` (the remote server engine shows how:
`app/asr/engines/remote_engine.py` and the "server" entry made by `remote_choice`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from app.asr.engines.base import Capabilities
from app.asr.models.registry import MODELS, ModelSpec, resolve_model
from app.core.errors import ModelError

if TYPE_CHECKING:
    from app.asr.engines.base import Engine

Resolved = tuple[ModelSpec, Path]
"""A needed model and the checked local folder it loads from."""
Builder = Callable[..., "Engine"]
"""`build(models, device, loader=LOCAL)`: the engine of a choice from its resolved models, on a device ("cpu",
"cuda", "mps" or None: the best), with its models from `loader` (this machine, or the server's deployments)."""

REMOTE_PREFIX = "server:"


@dataclass(frozen=True)
class Choice:
    """One transcription choice. `models` are registry keys; `aligner` a registry key with a CTC head or None.

    `panel`: listed in the window's model list; `first_run`: offered by the first-run guide (a single model
    people download on their first start). `remote`: transcribed on a server, not on this machine.
    """

    key: str
    label: str
    description: str
    capabilities: Capabilities
    models: tuple[str, ...]
    aligner: str | None
    build: Builder
    panel: bool = True
    first_run: bool = False
    remote: bool = False
    good_for: str = ""  # one line for people choosing a model (the first-run guide); "" = the description

    @property
    def specs(self) -> tuple[ModelSpec, ...]:
        """The registry entries of the models this choice needs (for names and sizes)."""
        return tuple(MODELS[k] for k in self.models)

    @property
    def size_text(self) -> str:
        """What it needs on disk, as people read it: "~4.7 GB" or "~4.7 GB + ~4.8 GB"."""
        return " + ".join(s.size_hint for s in self.specs if s.size_hint)


# ---- builders (lazy imports: the catalog itself stays torch-free) ---------------------------------------

class ModelLoader(Protocol):
    """Where a builder gets its loaded models: on this machine (`LOCAL`) or, in the server, model deployments."""

    def ar(self, model: Resolved, device: str | None) -> Any:
        """An autoregressive runner (`ARRunner` or one that behaves like it) for a 2b/plus/4.0-1b model."""
        ...

    def nar(self, model: Resolved, device: str | None) -> tuple[Any, Any]:
        """A NAR model (`NarModel` or one that behaves like it) and its tokenizer."""
        ...


class LocalLoader:
    """Loads the weights on this machine, in `precision` ("auto", "fp32", "bf16", "int8"; None: the saved
    choice, see `app.asr.models.precision`). 4.1-2b runs self-speculative where its folder ships the CTC head."""

    def __init__(self, precision: str | None = None) -> None:
        self.precision = precision

    def ar(self, model: Resolved, device: str | None) -> Any:
        from app.asr.granite.ar_runner import ARRunner

        return ARRunner.load(model[0], device, precision=self.precision, speculative=model[0].family == "granite")

    def nar(self, model: Resolved, device: str | None) -> tuple[Any, Any]:
        """The NAR model in the precision of the plan's encoder stage (the whole NAR model is arithmetic-bound)."""
        from app.asr.models.loading import pick_device, precision_plan
        from app.asr.models.precision import torch_dtype
        from app.asr.nar.model import load_nar
        from app.asr.nar.tokenizer import load_tokenizer

        dev, _dtype = pick_device(device)
        plan = precision_plan(dev, self.precision)
        if dev.type == "cpu":
            from app.asr.models.hardware import use_physical_cores

            use_physical_cores()
        nar_model = load_nar(model[1], device=dev, dtype=torch_dtype(plan.encoder))
        nar_model.precision_plan = plan  # what `verbatim system` and the speed record report
        return nar_model, load_tokenizer(model[1])


LOCAL = LocalLoader()


def _build_text(models: Sequence[Resolved], device: str | None, loader: ModelLoader = LOCAL) -> Engine:
    from app.asr.engines.text_engine import GraniteTextEngine

    return GraniteTextEngine(loader.ar(models[0], device))


def _build_plus(models: Sequence[Resolved], device: str | None, loader: ModelLoader = LOCAL) -> Engine:
    from app.asr.engines.plus_engine import PlusEngine

    return PlusEngine(loader.ar(models[0], device))


def _build_nar(models: Sequence[Resolved], device: str | None, loader: ModelLoader = LOCAL) -> Engine:
    from app.asr.nar.engine import NarEngine

    model, tokenizer = loader.nar(models[0], device)
    return NarEngine(model, tokenizer, revision=models[0][0].revision or "")


def _build_interview(models: Sequence[Resolved], device: str | None, loader: ModelLoader = LOCAL) -> Engine:
    from app.asr.engines.interview_engine import InterviewEngine

    return InterviewEngine(loader.ar(models[0], device), loader.ar(models[1], device))


def _interview_capabilities(text: Capabilities, timed: Capabilities) -> Capabilities:
    """2b text with plus times and speakers: the languages both know; re-aligned with the 2b CTC head."""
    return Capabilities(
        languages=tuple(x for x in text.languages if x in timed.languages),
        keywords=text.keywords and timed.keywords, punctuation=text.punctuation,
        timestamps=True, speakers=True, alignment=text.alignment,
    )


def _single(key: str, label: str, build: Builder, *, panel: bool = True, first_run: bool = True,
            good_for: str = "") -> Choice:
    spec = MODELS[key]
    return Choice(key, label, spec.description, spec.capabilities, (key,),
                  key if spec.capabilities.alignment else None, build, panel=panel, first_run=first_run,
                  good_for=good_for)


CHOICES: tuple[Choice, ...] = (
    Choice("interview", "Interview (2B + Plus)",
           "punctuated text from 4.1-2b with word timings and speakers from 4.1-2b-plus",
           _interview_capabilities(MODELS["2b"].capabilities, MODELS["plus"].capabilities),
           ("2b", "plus"), "2b", _build_interview),
    _single("2b", "Granite Speech 4.1 2B", _build_text, good_for=(
        "Punctuated, capitalised transcripts ready to quote, and translation. The best all-round choice.")),
    _single("plus", "Granite Speech 4.1 2B Plus", _build_plus, good_for=(
        "Word timestamps and speaker labels (who said what), in lowercase without punctuation.\n"
        "Together with 2B it makes the full interview transcript.")),
    _single("nar", "Granite Speech 4.1 2B NAR", _build_nar, good_for=(
        "Fast: many times quicker, also on a CPU; lowercase text without punctuation.")),
    _single("4.0-1b", "Granite Speech 4.0 1B", _build_text, panel=False, first_run=False),
)
BY_KEY: Mapping[str, Choice] = {c.key: c for c in CHOICES}
DEFAULT_CHOICE = "interview"
# Models with a CTC head that re-align words, lightest first (realign tries them after the chosen one's).
ALIGNER_ORDER = ("nar", "2b")


def keys() -> tuple[str, ...]:
    """Every local choice's key, in catalog order (the CLI's --model values besides a folder)."""
    return tuple(c.key for c in CHOICES)


def choices_help() -> str:
    """The CLI's --model help: "interview | 2b | plus | nar | 4.0-1b | a local model folder"."""
    return " | ".join(keys()) + " | a local model folder"


def panel_choices() -> tuple[Choice, ...]:
    """What the window's model list shows (local ones; server models are added by `remote_choice`)."""
    return tuple(c for c in CHOICES if c.panel)


def first_run_models() -> tuple[str, ...]:
    """The single models the first-run guide offers, in catalog order."""
    return tuple(c.key for c in CHOICES if c.first_run)


def needed_models() -> tuple[ModelSpec, ...]:
    """Every registry model some choice needs, once each, in catalog order (the Models dialog's rows)."""
    seen: dict[str, ModelSpec] = {}
    for choice in CHOICES:
        for spec in choice.specs:
            seen.setdefault(spec.key, spec)
    return tuple(seen.values())


def find(key: str) -> Choice | None:
    """The choice with this key (or a registry name such as "granite-speech-4.1-2b"); None when unknown."""
    choice = BY_KEY.get(key.strip().lower())
    if choice is not None:
        return choice
    from app.asr.models.registry import find_spec

    spec = find_spec(key)
    return BY_KEY.get(spec.key) if spec is not None else None


def for_family(family: str) -> Choice:
    """The single-model choice that runs a model of this family (a local folder's config decides)."""
    return next(c for c in CHOICES if len(c.models) == 1 and MODELS[c.models[0]].family == family)


def resolve(name: str, must_exist: bool = True) -> tuple[Choice, list[tuple[ModelSpec, Path | None]]]:
    """The choice for a key or a local model folder, and its models with their local folders.

    Every needed model is checked before any loads, so a missing one gives one clear sentence first.
    """
    text = name.strip()
    if not text:
        raise ModelError(f"No model given; use one of {', '.join(keys())} or a local model folder.")
    if text.startswith(REMOTE_PREFIX):
        from app.asr.engines.remote_engine import saved_server_model

        address, entry = saved_server_model(text[len(REMOTE_PREFIX):])
        return remote_choice(entry, address.url), []
    choice = find(text)
    if choice is not None:
        return choice, [resolve_model(k, must_exist=must_exist) for k in choice.models]
    path = Path(text).expanduser()
    if not path.is_dir():
        raise ModelError(f"Unknown model '{text}': use one of {', '.join(keys())} or a local model folder.")
    spec, folder = resolve_model(path)
    return for_family(spec.family), [(spec, folder)]


def aligner_for(name: str | None) -> str | None:
    """The model (registry key or folder) that re-aligns a transcript made with `name`; None when none can."""
    if not name:
        return None
    choice = find(name)
    if choice is not None:
        return choice.aligner
    return name if Path(name).expanduser().is_dir() else None


def remote_choice(model: Mapping[str, object], url: str) -> Choice:
    """The choice for one model a transcription server offers (an entry of its /v1/capabilities `models`).

    Its key is "server:<the server's key>"; it needs no local model and has no local aligner.
    """
    from app.asr.engines.remote_engine import build_remote, capabilities_from_json

    key = str(model.get("key", ""))
    label = str(model.get("label") or key)
    return Choice(REMOTE_PREFIX + key, f"{label} (server)", f"{model.get('description', '')} on {url}".strip(),
                  capabilities_from_json(model.get("capabilities")), (), None, build_remote(url, key),
                  panel=True, first_run=False, remote=True)
