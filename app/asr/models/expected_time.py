"""How long a one-hour interview takes on this computer, per model: measured where a run was recorded,
else estimated from the precision measurement (`app.asr.models.precision`). Reads no weights and imports no torch.

The estimate counts, per hour of speech, the arithmetic of the encoder, the projector and each language-model
pass over the prompt and audio (at the measured encoder-stage rate), plus the token-by-token decoding, each
step of which reads the language model's weights once (at the measured decoding rate; a batch of pieces
shares a step). Speech runs at about 3 words and 4.5 tokens a second; timestamps cost 3 tokens a word.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOUR_S = 3600.0
CPU_BATCH = 8  # pieces decoded together (the app's default batch)


@dataclass(frozen=True, slots=True)
class ModelCost:
    """What one hour of speech costs a model: arithmetic (FLOPs), decoding steps and weights read per step."""

    compute_flops: float
    decoded_tokens: float
    llm_params: float


_ENCODER = 2 * 0.39e9 * 50 * HOUR_S  # 16 Conformer layers (~390M weights) at 50 frames a second
_AUDIO_TOKENS = 10 * HOUR_S  # projector output: 10 audio tokens a second
_LLM = 1.6e9  # the 40-layer Granite language model
_HEAD = 0.21e9  # its 100k-token output layer
_TEXT = 4.5 * HOUR_S  # tokens of punctuated text

COSTS: dict[str, ModelCost] = {
    # one bidirectional pass over audio tokens and two slots per draft token
    "nar": ModelCost(_ENCODER + 2 * _LLM * (_AUDIO_TOKENS + 2 * _TEXT), 0.0, _LLM),
    "2b": ModelCost(_ENCODER + 2 * _LLM * _AUDIO_TOKENS, _TEXT, _LLM + _HEAD),
    # two passes (timestamps, speakers); the timestamp pass writes ~3 tokens a word
    "plus": ModelCost(2 * (_ENCODER + 2 * _LLM * _AUDIO_TOKENS), 9 * HOUR_S + _TEXT, _LLM + _HEAD),
    "4.0-1b": ModelCost(_ENCODER + 2 * 1.0e9 * _AUDIO_TOKENS, _TEXT, 1.0e9 + _HEAD),
}
COSTS["interview"] = ModelCost(COSTS["2b"].compute_flops + COSTS["plus"].compute_flops,
                               COSTS["2b"].decoded_tokens + COSTS["plus"].decoded_tokens, _LLM + _HEAD)


@dataclass(frozen=True, slots=True)
class Expected:
    """Seconds for one hour of speech, and whether they were `measured` in a real run or `estimated`."""

    seconds: float
    measured: bool

    def text(self) -> str:
        """'about 25 min for a one-hour interview (measured)'."""
        how = "measured on this computer" if self.measured else "estimated"
        return f"about {duration_text(self.seconds)} for a one-hour interview ({how})"


def duration_text(seconds: float) -> str:
    """95 -> '2 min', 4000 -> '1 h 7 min' (never less than 1 min)."""
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h" + (f" {minutes % 60} min" if minutes % 60 else "")


def estimate_seconds(key: str, measurement: Any, encoder: str, llm: str, batch: int = CPU_BATCH) -> float | None:
    """Seconds for one hour of speech with `key` from a CPU `app.asr.models.precision.Measurement`, in the
    given formats."""
    cost = COSTS.get(key)
    if cost is None or encoder not in measurement.compute_s or llm not in measurement.decode_s:
        return None
    rate = measurement.compute_rate(encoder)
    step = max(cost.llm_params / measurement.decode_rate(llm), batch * 2 * cost.llm_params / rate)
    return float(cost.compute_flops / rate + cost.decoded_tokens / batch * step)


def speed_key(key: str, device: str, precision: str) -> str:
    """How recorded speeds are filed: model, device and precision (a run in fp32 says nothing about bf16)."""
    return f"{key}|{device}|{precision}"


def record_speed(key: str, device: str, precision: str, audio_s: float, wall_s: float,
                 config_dir: Path | None = None) -> None:
    """Keep a real run's speed (seconds of audio per second) for `verbatim system` and the dialogs.

    Runs under a minute of audio are not kept: model loading and warm-up would dominate them.
    """
    from app.asr.models.precision import cache_path, read_cache, write_cache

    if audio_s < 60 or wall_s <= 0:
        return
    path = cache_path(config_dir)
    data = read_cache(path)
    found = data.get("speeds")
    speeds: dict[str, float] = found if isinstance(found, dict) else {}
    speeds[speed_key(key, device, precision)] = round(audio_s / wall_s, 3)
    data["speeds"] = speeds
    try:
        write_cache(path, data)
    except OSError:  # a read-only config folder: nothing to keep
        pass


def recorded_speed(key: str, device: str, precision: str, config_dir: Path | None = None) -> float | None:
    """The recorded real-time factor (audio seconds per second) of `key`, or None."""
    from app.asr.models.precision import cache_path, read_cache

    speeds = read_cache(cache_path(config_dir)).get("speeds")
    value = speeds.get(speed_key(key, device, precision)) if isinstance(speeds, dict) else None
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def expected(key: str, device: str, encoder: str, llm: str, measurement: Any = None,
             config_dir: Path | None = None) -> Expected | None:
    """What to show for `key`: its recorded speed, else an estimate from a CPU measurement, else None."""
    precision = encoder if encoder == llm else f"{encoder}+{llm}"
    speed = recorded_speed(key, device, precision, config_dir)
    if speed is not None:
        return Expected(HOUR_S / speed, True)
    if device != "cpu" or measurement is None:
        return None
    seconds = estimate_seconds(key, measurement, encoder, "fp32" if key == "nar" else llm)
    return None if seconds is None else Expected(seconds, False)


def expected_on_this_machine(keys: list[str], device: str = "cpu",
                             config_dir: Path | None = None) -> dict[str, Expected]:
    """For the dialogs: each model's expected time from what is already cached (never measures; no torch).

    Empty where nothing was measured or recorded yet (the first transcription, or `verbatim system`, does).
    """
    from app.asr.models.precision import STAGE_CANDIDATES, Measurement, cache_path, machine_fingerprint, read_cache

    data = read_cache(cache_path(config_dir))
    raw = data.get("measurement")
    m = None
    if isinstance(raw, dict) and raw.get("fingerprint") == machine_fingerprint():
        try:
            m = Measurement(**raw)
        except TypeError:
            m = None
    choice = data.get("choice", "auto")
    out: dict[str, Expected] = {}
    for key in keys:
        if device != "cpu":
            gpu = "fp32" if choice == "fp32" else "bf16"
            enc = llm = gpu
        elif m is not None and choice in STAGE_CANDIDATES["llm"]:
            enc = choice if choice in STAGE_CANDIDATES["encoder"] else m.best("encoder")
            llm = choice
        elif m is not None:
            enc, llm = m.best("encoder"), m.best("llm")
        else:
            enc = llm = "fp32"
        found = expected(key, device, enc, enc if key == "nar" else llm, m, config_dir)
        if found is not None:
            out[key] = found
    return out


def record_engine_speed(model: str, engine: Any, audio_s: float, wall_s: float) -> None:
    """`record_speed` for a finished run of a loaded engine (its plan tells the device and precision).

    Only the catalog's keys are kept (a folder path says nothing about another model), and nothing here
    may fail a transcription that already succeeded.
    """
    key = model.strip().lower()
    if key not in COSTS:
        return
    holder = engine
    for name in ("runner", "text_runner", "model"):  # AR engines hold runners; the NAR engine its model
        holder = getattr(engine, name, holder)
    plan = getattr(engine, "precision_plan", None) or getattr(holder, "precision_plan", None)
    if plan is None:
        return
    precision = plan.encoder if plan.encoder == plan.llm or key == "nar" else f"{plan.encoder}+{plan.llm}"
    try:
        record_speed(key, plan.device, precision, audio_s, wall_s)
    except Exception:
        pass
