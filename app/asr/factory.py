"""Making an engine from what a user types: "2b", "plus", "nar", "interview", "4.0-1b" or a model folder."""

from __future__ import annotations

import os
from pathlib import Path

from app.asr.engine import Capabilities, Engine
from app.core.errors import ModelError

ENGINE_KEYS = ("interview", "2b", "plus", "nar", "4.0-1b")


def create_engine(model: str, device: str | None = None, precision: str | None = None) -> Engine:
    """A loaded engine for a model key or a local model folder (its config.json's model_type decides).

    `precision` ("auto", "fp32", "bf16", "int8"; None = the saved choice) as in `app.asr.precision`.

    "interview" loads both 4.1-2b and 4.1-2b-plus. Missing models raise ModelError with one sentence.
    """
    from app.asr.registry import resolve_model

    name = os.fspath(model).strip()
    if not name:
        raise ModelError(f"No model given; use one of {', '.join(ENGINE_KEYS)} or a local model folder.")
    if name.lower() == "interview":
        from app.asr.ar_runner import ARRunner
        from app.asr.interview_engine import InterviewEngine

        resolve_model("2b")  # both must be there before loading either: one clear error first
        resolve_model("plus")
        return InterviewEngine(ARRunner.load("2b", device, precision=precision, speculative=True),
                               ARRunner.load("plus", device, precision=precision))
    spec, folder = resolve_model(name if not Path(name).expanduser().is_dir() else Path(name).expanduser())
    assert folder is not None
    if spec.family == "nar":
        return _nar_engine(folder, device, precision, spec.revision or "")
    from app.asr.ar_runner import ARRunner

    # self-speculative where the folder ships the CTC head (4.1-2b); it stops drafting where it does not pay
    runner = ARRunner.load(folder if spec.key == str(folder) else spec, device, precision=precision,
                           speculative=spec.family == "granite")
    if spec.family == "plus":
        from app.asr.plus_engine import PlusEngine

        return PlusEngine(runner)
    from app.asr.engines import GraniteTextEngine

    return GraniteTextEngine(runner)


def _nar_engine(folder: Path, device: str | None, precision: str | None, revision: str) -> Engine:
    """The NAR engine in the precision of the plan's encoder stage (the whole NAR model is arithmetic-bound)."""
    from app.asr.loading import pick_device, precision_plan
    from app.asr.nar.engine import NarEngine, load_tokenizer
    from app.asr.nar.model import load_nar
    from app.asr.precision import torch_dtype

    dev, _dtype = pick_device(device)
    plan = precision_plan(dev, precision)
    tokenizer = load_tokenizer(folder)
    if dev.type == "cpu":
        from app.asr.hardware import use_physical_cores

        use_physical_cores()
    engine = NarEngine(load_nar(folder, dev, dtype=torch_dtype(plan.encoder)), tokenizer=tokenizer, revision=revision)
    engine.precision_plan = plan  # type: ignore[attr-defined]
    return engine


def model_capabilities(model: str) -> tuple[str, Capabilities]:
    """The display name and capabilities of what `create_engine(model)` would load, without loading weights.

    Lets a caller reject impossible options (a translation target the model lacks) before the slow load.
    """
    from app.asr.registry import MODELS, resolve_model

    name = os.fspath(model).strip()
    if name.lower() == "interview":
        text, plus = MODELS["2b"], MODELS["plus"]
        caps = Capabilities(
            languages=tuple(x for x in text.capabilities.languages if x in plus.capabilities.languages),
            keywords=True, punctuation=True, timestamps=True, speakers=True,
        )
        return f"{text.display_name} + {plus.display_name}", caps
    path = Path(name).expanduser()
    spec, _folder = resolve_model(path if path.is_dir() else name, must_exist=False)
    return spec.display_name, spec.capabilities
