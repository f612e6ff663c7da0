"""The number format each stage of a model computes in, chosen by measuring this machine once.

Two stages behave differently on a CPU. The speech encoder (with the projector, the CTC heads and the
whole NAR model, whose language model runs one pass over many positions) is bound by arithmetic: bf16
weights help where the CPU computes bf16 natively. Token-by-token decoding in the AR language model is
bound by memory bandwidth: there dynamic int8 of the Linear layers, which reads a quarter of the fp32
bytes, is the fastest. bf16 autocast over fp32 weights is never used (it halves decoding speed).

`measure()` times a small encoder-like and a decoder-like workload in each candidate format (a few
seconds) and checks each against fp32 first (`parity`): the same argmax ids wherever fp32's margin is
clear, and the RMS logit error within `PARITY_TOLERANCE` x the RMS of the fp32 logits. A format that fails is
never chosen. The result is cached in the config folder under a fingerprint of the machine, so it is
measured once; `--precision` and the Models dialog override it.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from app.asr.models.hardware import cpu_flags, cpu_model_name, native_bf16, physical_cores
from app.core.errors import ModelError

PRECISIONS = ("fp32", "bf16", "int8")
PRECISION_CHOICES = ("auto", *PRECISIONS)
STAGE_CANDIDATES = {"encoder": ("fp32", "bf16"), "llm": ("fp32", "bf16", "int8")}
PARITY_TOLERANCE = {"fp32": 1e-4, "bf16": 0.04, "int8": 0.2}  # RMS(logits - fp32 logits) / RMS(fp32 logits)
# int8 quantizes activations per call with one scale per tensor: 10-15% RMS on the tiny fixtures, whose weights
# are ten times the usual scale; about 5% on the measurement's workloads.
CACHE_FILE = "precision.json"
PRECISION_ENV = "VERBATIM_PRECISION"  # "auto", "fp32", "bf16" or "int8" for every model of this process
CACHE_VERSION = 1


@dataclass(frozen=True, slots=True)
class PrecisionPlan:
    """What a model computes in: `encoder` for the speech encoder, projector, CTC heads and the NAR model;
    `llm` for the AR language model. `source` says why ("measured", "override", "GPU default", ...)."""

    device: str
    encoder: str
    llm: str
    source: str

    def describe(self) -> str:
        same = self.encoder == self.llm
        text = self.encoder if same else f"encoder {self.encoder}, language model {self.llm}"
        return f"{text} ({self.source})"


@dataclass(frozen=True, slots=True)
class Measurement:
    """Seconds per run of each workload in each format, parity results, and what one run costs."""

    fingerprint: str
    compute_s: dict[str, float]
    decode_s: dict[str, float]
    parity: dict[str, bool]
    compute_flops: float  # floating-point operations of one compute-workload run
    decode_params: float  # weights read by one decode-workload run (one token through the layers)
    threads: int
    measured_at: str = ""
    errors: dict[str, float] = field(default_factory=dict)  # max relative logit error per format

    def best(self, stage: str) -> str:
        """The fastest format for a stage among those that passed the parity check (fp32 at worst)."""
        times = self.compute_s if stage == "encoder" else self.decode_s
        ok = [p for p in STAGE_CANDIDATES[stage] if p in times and self.parity.get(p, p == "fp32")]
        return min(ok, key=lambda p: times[p]) if ok else "fp32"

    def plan(self, source: str = "measured") -> PrecisionPlan:
        return PrecisionPlan("cpu", self.best("encoder"), self.best("llm"), source)

    def compute_rate(self, precision: str) -> float:
        """Floating-point operations per second of encoder-like work in `precision`."""
        return self.compute_flops / self.compute_s[precision]

    def decode_rate(self, precision: str) -> float:
        """Weights streamed per second in token-by-token decoding in `precision`."""
        return self.decode_params / self.decode_s[precision]


def machine_fingerprint() -> str:
    """A short hash of what decides which format is fastest: CPU model, its flags, cores, torch version
    (read without importing torch)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        torch_version = version("torch")
    except PackageNotFoundError:  # a frozen build without metadata
        torch_version = "unknown"
    flags = sorted(f for f in cpu_flags() if f.startswith(("avx", "amx", "fma", "sse4", "bf16", "i8mm", "sve")))
    parts = [cpu_model_name(), ",".join(flags), str(physical_cores()), platform.machine(), torch_version]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def cpu_candidates() -> tuple[str, ...]:
    """The formats worth measuring here: fp32 always; bf16 where computed natively; int8 where torch has it."""
    out = ["fp32"]
    if native_bf16(cpu_flags()):
        out.append("bf16")
    if int8_available():
        out.append("int8")
    return tuple(out)


def int8_available() -> bool:
    """Whether torch can run dynamically quantized int8 Linear layers on this CPU."""
    try:
        import torch

        engines = set(torch.backends.quantized.supported_engines)
        return bool(engines & {"x86", "fbgemm", "qnnpack", "onednn"}) and _quantize_dynamic() is not None
    except Exception:  # an old or unusual torch build
        return False


def _quantize_dynamic() -> Callable[..., Any] | None:
    try:
        from torch.ao.quantization import quantize_dynamic
    except ImportError:
        return None
    return quantize_dynamic


# ---- turning a module into a format ----------------------------------------------------------------


def torch_dtype(precision: str) -> Any:
    """The dtype weights are stored in: bf16 -> torch.bfloat16; fp32 and int8 (fp32 activations) -> float32."""
    import torch

    return torch.bfloat16 if precision == "bf16" else torch.float32


def convert(module: Any, precision: str) -> Any:
    """`module` in `precision`: fp32 or bf16 weights, or int8 dynamic quantization of its Linear layers.

    int8 works in place, one sub-module at a time (`app.asr.models.quantize`: a bf16 model never sits in memory in
    fp32 as a whole, and what it replaces is freed at once); a bare Linear comes back as a new module.
    """

    if precision not in PRECISIONS:
        raise ModelError(f"Unknown precision '{precision}': use one of {', '.join(PRECISION_CHOICES)}.")
    if precision != "int8":
        return module.to(torch_dtype(precision))
    if not int8_available():
        raise ModelError("This torch build cannot run int8 on this CPU; use --precision bf16 or fp32.")
    from app.asr.models.quantize import quantize_int8

    return quantize_int8(module)


# ---- the measurement ---------------------------------------------------------------------------------


def measure(rounds: int = 4, scale: float = 1.0) -> Measurement:
    """Time and parity-check an encoder-like and a decoder-like workload in each candidate format.

    The formats take turns, `rounds` times, and each keeps its best time, so that other programs slowing the
    machine down for a moment do not decide. `scale` shrinks the workloads (tests); 1.0 takes a few seconds.
    """
    import torch

    from app.asr.models.precision_bench import compute_workload, decode_workload, parity

    threads = physical_cores()
    torch.set_num_threads(threads)
    candidates = cpu_candidates()
    times: dict[str, dict[str, float]] = {"encoder": {}, "llm": {}}
    ok: dict[str, bool] = {}
    errors: dict[str, float] = {}
    with torch.inference_mode():
        work = {"encoder": compute_workload(scale), "llm": decode_workload(scale)}
        for stage, load in work.items():
            ref = load.reference()
            models = {p: load.build(p, convert) for p in candidates if p in STAGE_CANDIDATES[stage]}
            for p, model in models.items():
                passed, err = parity(ref, load.run(model), PARITY_TOLERANCE[p])
                ok[p] = ok.get(p, True) and passed
                errors[p] = max(errors.get(p, 0.0), round(err, 6))
            for _ in range(max(1, rounds)):
                for p, model in models.items():
                    took = load.once(model)
                    times[stage][p] = min(times[stage].get(p, took), took)
            del models
    return Measurement(machine_fingerprint(), times["encoder"], times["llm"], ok, work["encoder"].flops,
                       work["llm"].params, threads, time.strftime("%Y-%m-%d %H:%M"), errors)


# ---- the cache and the choice --------------------------------------------------------------------


def cache_path(config_dir: Path | None = None) -> Path:
    """`precision.json` beside models.json (VERBATIM_CONFIG_DIR overrides the folder)."""
    from app.asr.models.registry import default_config_path

    return (config_dir if config_dir is not None else default_config_path().parent) / CACHE_FILE


def read_cache(path: Path) -> dict[str, Any]:
    """The cache file's content ({} when missing or damaged)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("version") == CACHE_VERSION else {}


def write_cache(path: Path, data: dict[str, Any]) -> None:
    """Write the cache atomically (a damaged cache is only re-measured, but keep it whole anyway)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**data, "version": CACHE_VERSION}, indent=1), encoding="utf-8")
    tmp.replace(path)


def cached_measurement(path: Path, fingerprint: str) -> Measurement | None:
    """The measurement stored for this machine, or None (none yet, another machine, or damaged)."""
    raw = read_cache(path).get("measurement")
    if not isinstance(raw, dict) or raw.get("fingerprint") != fingerprint:
        return None
    try:
        return Measurement(**raw)
    except TypeError:
        return None


def cpu_measurement(config_dir: Path | None = None, measure_fn: Callable[[], Measurement] = measure) -> Measurement:
    """This machine's measurement: from the cache, or measured now (a few seconds) and cached."""
    path = cache_path(config_dir)
    found = cached_measurement(path, machine_fingerprint())
    if found is not None:
        return found
    result = measure_fn()
    data = read_cache(path)
    data["measurement"] = asdict(result)
    try:
        write_cache(path, data)
    except OSError:  # a read-only config folder: measure again next time, but run now
        pass
    return result


def saved_choice(config_dir: Path | None = None) -> str:
    """The precision chosen in the Models dialog ("auto" when none)."""
    value = read_cache(cache_path(config_dir)).get("choice", "auto")
    return value if value in PRECISION_CHOICES else "auto"


def save_choice(choice: str, config_dir: Path | None = None) -> None:
    """Keep the Models dialog's choice for every later run on this machine."""
    if choice not in PRECISION_CHOICES:
        raise ModelError(f"Unknown precision '{choice}': use one of {', '.join(PRECISION_CHOICES)}.")
    path = cache_path(config_dir)
    data = read_cache(path)
    data["choice"] = choice
    write_cache(path, data)


def plan_for(device: str, override: str | None = None, config_dir: Path | None = None,
             measure_fn: Callable[[], Measurement] = measure) -> PrecisionPlan:
    """The formats a model loaded on `device` ("cpu", "cuda", "mps") computes in.

    `override` ("auto", "fp32", "bf16", "int8"; None = the saved choice) wins over the measurement.
    GPUs compute in bf16 (fp32 on request); int8 is for CPUs only.
    """
    choice = override or os.environ.get(PRECISION_ENV, "").strip().lower() or saved_choice(config_dir)
    if choice not in PRECISION_CHOICES:
        raise ModelError(f"Unknown precision '{choice}': use one of {', '.join(PRECISION_CHOICES)}.")
    if device != "cpu":
        if choice == "int8":
            raise ModelError("int8 is for CPUs; on a GPU use --precision bf16 or fp32.")
        if choice == "auto":
            return PrecisionPlan(device, "bf16", "bf16", "GPU default")
        return PrecisionPlan(device, choice, choice, "chosen")
    if choice != "auto":
        encoder = choice if choice in STAGE_CANDIDATES["encoder"] else ("bf16" if native_bf16(cpu_flags()) else "fp32")
        return PrecisionPlan("cpu", encoder, choice, "chosen")
    return cpu_measurement(config_dir, measure_fn).plan()
