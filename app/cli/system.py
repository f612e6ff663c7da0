"""`verbatim system [--measure] [--precision P] [--json]`: what a transcription would use on this computer.

Per model: the device, the number formats (precision) and why, the attention backend, the threads, the
free memory, whether it is downloaded, and how long a one-hour interview takes (the recorded speed of a
real run, else an estimate from the precision measurement, which is made here if it was never made).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any, TextIO

from app.asr.models.expected_time import COSTS, Expected, expected
from app.asr.models.hardware import (
    cpu_flags,
    cpu_model_name,
    free_memory,
    memory_text,
    native_bf16,
    physical_cores,
)

MODEL_KEYS = ("interview", "2b", "plus", "nar", "4.0-1b")


@dataclass(frozen=True, slots=True)
class ModelRow:
    """One model's line in the report."""

    key: str
    device: str
    precision: str
    attention: str
    threads: int
    free_memory: int | None
    downloaded: bool
    expected: Expected | None

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.key, "device": self.device, "precision": self.precision, "attention": self.attention,
                "threads": self.threads, "free_memory": self.free_memory, "downloaded": self.downloaded,
                "one_hour_s": None if self.expected is None else round(self.expected.seconds),
                "one_hour_measured": None if self.expected is None else self.expected.measured}


def model_rows(device: str | None = None, precision: str | None = None, measurement: Any = None,
               keys: tuple[str, ...] = MODEL_KEYS) -> list[ModelRow]:
    """The report's rows. `measurement` (an `app.asr.models.precision.Measurement`) is injected by tests; None reads
    the cached one, or measures now on a CPU."""
    import torch

    from app.asr.models.loading import attention_implementation, flash_attn_installed, pick_device, precision_plan
    from app.asr.models.precision import cpu_measurement

    dev, _dtype = pick_device(device)
    plan = precision_plan(dev, precision)
    if dev.type == "cpu" and measurement is None:
        measurement = cpu_measurement()
    free = free_memory()
    if dev.type == "cuda":
        free = int(torch.cuda.mem_get_info()[0])
    threads = physical_cores() if dev.type == "cpu" else torch.get_num_threads()
    rows = []
    for key in keys:
        enc, llm = plan.encoder, (plan.encoder if key == "nar" else plan.llm)
        if key == "nar":
            attention = "flash-attn varlen" if (dev.type == "cuda" and flash_attn_installed() and enc != "fp32") \
                else "SDPA, block-diagonal mask"
            shown = f"{enc} ({plan.source})"
        else:
            attention = attention_implementation(dev)
            shown = plan.describe()
        rows.append(ModelRow(key, dev.type, shown, attention, threads, free, _downloaded(key),
                             expected(key, dev.type, enc, llm, measurement)))
    return rows


def _downloaded(key: str) -> bool:
    from app.asr.models.registry import resolve_model
    from app.core.errors import VerbatimError

    names = ("2b", "plus") if key == "interview" else (key,)
    try:
        return all(resolve_model(n, must_exist=False)[1] is not None for n in names)
    except VerbatimError:
        return False


def machine_lines(measurement: Any) -> list[str]:
    """The computer: CPU, cores, bf16, memory, torch, GPU; and the precision measurement."""
    import torch

    flags = cpu_flags()
    lines = [f"CPU: {cpu_model_name()}, {physical_cores()} physical cores, "
             f"bf16 in hardware: {'yes' if native_bf16(flags) else 'no'}"
             f"{' (AMX)' if 'amx_bf16' in flags else ''}, torch {torch.__version__} "
             f"(CPU capability {torch.backends.cpu.get_cpu_capability()})"]
    free = free_memory()
    if free:
        lines.append(f"Free memory: {memory_text(free)}")
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        lines.append(f"GPU: {props.name}, {memory_text(int(torch.cuda.mem_get_info()[0]))} free "
                     f"of {memory_text(int(props.total_memory))}")
    if measurement is not None:
        comp = ", ".join(f"{p} {measurement.compute_rate(p) / 1e9:.0f} GFLOP/s" for p in measurement.compute_s)
        dec = ", ".join(f"{p} {measurement.decode_rate(p) / 1e9:.2f} G weights/s" for p in measurement.decode_s)
        failed = [p for p, ok in measurement.parity.items() if not ok]
        lines.append(f"Measured {measurement.measured_at} with {measurement.threads} threads: encoder-like {comp}; "
                     f"decoding {dec}" + (f"; failed the fp32 parity check: {', '.join(failed)}" if failed else ""))
    return lines


def report(rows: list[ModelRow], measurement: Any, out: TextIO) -> None:
    """The human form: the machine, then one line per model."""
    for line in machine_lines(measurement):
        print(line, file=out)
    print(file=out)
    for row in rows:
        when = row.expected.text() if row.expected else "one-hour interview: not measured yet"
        have = "" if row.downloaded else " [not downloaded]"
        print(f"{row.key:10} {row.device}, {row.precision}, attention {row.attention}, {row.threads} threads"
              f"{have}\n{'':10} {when}", file=out)


def run(args: argparse.Namespace) -> int:
    """Print the report; `--measure` measures again (a few seconds) and keeps the new result."""
    from app.asr.models.loading import pick_device
    from app.asr.models.precision import cpu_measurement, measure

    measurement = None
    if pick_device(args.device)[0].type == "cpu":
        measurement = cpu_measurement(measure_fn=measure) if not args.measure else _remeasure()
    rows = model_rows(args.device, args.precision, measurement, tuple(k for k in MODEL_KEYS if k in COSTS))
    if args.json:
        print(json.dumps({"models": [r.as_dict() for r in rows],
                          "measurement": None if measurement is None else _measurement_dict(measurement)}))
    else:
        report(rows, measurement, sys.stdout)
    return 0


def _remeasure() -> Any:
    from dataclasses import asdict

    from app.asr.models.precision import cache_path, measure, read_cache, write_cache

    result = measure()
    data = read_cache(cache_path())
    data["measurement"] = asdict(result)
    write_cache(cache_path(), data)
    return result


def _measurement_dict(m: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(m)
