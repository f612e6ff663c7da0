"""Making an engine from what a user types: a catalog key ("interview", "2b", ...), a model folder or a server model.

Everything about the choices themselves (which exist, what each needs and can do) is in `app.asr.catalog`.
"""

from __future__ import annotations

from app.asr.catalog import LocalLoader, choices_help, keys, resolve
from app.asr.engines.base import Capabilities, Engine
from app.core.errors import ModelError

ENGINE_KEYS = keys()
__all__ = ["ENGINE_KEYS", "choices_help", "create_engine", "model_capabilities"]


def create_engine(model: str, device: str | None = None, precision: str | None = None) -> Engine:
    """A loaded engine for a catalog key, a local model folder (its config.json's model_type decides) or a
    server model ("server:<key>", with the saved server settings).

    `precision` ("auto", "fp32", "bf16", "int8"; None = the saved choice) as in `app.asr.models.precision`.
    Every model a choice needs is checked before any loads: a missing one raises ModelError with one sentence.
    """
    choice, models = resolve(str(model))
    ready = []
    for spec, folder in models:
        if folder is None:  # resolve() with must_exist raises first; kept for a clear error if that changes
            raise ModelError(f"{spec.display_name} is not downloaded.")
        ready.append((spec, folder))
    if choice.remote or precision is None:
        return choice.build(ready, device)
    return choice.build(ready, device, LocalLoader(precision))


def model_capabilities(model: str) -> tuple[str, Capabilities]:
    """The display name and capabilities of what `create_engine(model)` would load, without loading weights.

    Lets a caller reject impossible options (a translation target the model lacks) before the slow load.
    """
    choice, models = resolve(str(model), must_exist=False)
    name = " + ".join(spec.display_name for spec, _ in models) or choice.label
    return name, choice.capabilities
