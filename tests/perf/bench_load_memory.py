"""Resident memory while a 4.1-2b is loaded on the CPU with encoder bf16 + language model int8 (random weights).

    python tests/perf/bench_load_memory.py direct                # build the full-size model in bf16, convert it
    python tests/perf/bench_load_memory.py save /tmp/ar-full     # write a full-size random folder (4.5 GB of disk)
    python tests/perf/bench_load_memory.py folder /tmp/ar-full   # the app's path: load_ar_model_with_precision
    ... folder /tmp/ar-full --tokens 20                          # then one 30 s piece, 20 tokens (ARRunner)
    ... --layers 8                                               # 8 of 40 LLM layers, 4 of 16 encoder layers

Prints one JSON line per stage: the resident memory now (VmRSS, of which file-backed pages RssFile), the peak
since the previous stage (VmHWM, reset after each stage through /proc/self/clear_refs) and the process's peak so
far (ru_maxrss, which the reset also lowers: take the largest VmHWM of a run as its peak). One full-size run needs
up to 5 GB of memory and 1-3 minutes; run one at a time. Linux only.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import torch

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE)]

_START = time.perf_counter()


def mark(stage: str) -> None:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            fields[key + "_gb"] = round(int(value.split()[0]) / 1e6, 3)
    print(json.dumps({"stage": stage, "s": round(time.perf_counter() - _START, 1), **fields,
                      "ru_maxrss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 3)}), flush=True)
    Path("/proc/self/clear_refs").write_text("5")  # the next VmHWM is the peak of the next stage


def build() -> Any:
    from bench_asr import build_runner

    return build_runner("2b", torch.device("cpu"), torch.bfloat16, tiny=False).model


def transcribe(model: Any, dtype: torch.dtype, folder: Path, tokens: int) -> None:
    """One 30 s piece of noise through the app's runner, held to `tokens` output tokens."""
    import numpy as np
    from bench_asr import bench_tokenizer

    from app.asr.granite.ar_runner import ARRunner
    from app.asr.granite.prompts import instruction
    from app.asr.models.registry import MODELS

    runner = ARRunner(model, bench_tokenizer(False), MODELS["2b"], folder, torch.device("cpu"), dtype)
    piece = (0.1 * np.random.default_rng(0).standard_normal(30 * 16000)).astype(np.float32)
    runner.generate_ids([piece], instruction("granite", "punctuated"), tokens, min_new_tokens=tokens)
    mark(f"transcribed 30 s, {tokens} tokens")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=("direct", "save", "folder"))
    p.add_argument("folder", nargs="?", type=Path)
    p.add_argument("--layers", type=int, default=None)
    p.add_argument("--tokens", type=int, default=0, help="folder: then transcribe 30 s of noise to this many tokens")
    args = p.parse_args()
    import bench_asr

    from app.asr.models import loading
    from app.asr.models.hardware import use_physical_cores
    from app.asr.models.precision import PrecisionPlan

    use_physical_cores()
    bench_asr.limit_layers(args.layers)
    mark("imports")
    if args.mode == "direct":
        model = build()
        mark("built in bf16")
        loading.apply_precision(model, PrecisionPlan("cpu", "bf16", "int8", "bench"))
        mark("converted: encoder bf16, LLM int8")
    elif args.mode == "save":
        if args.folder is None:
            p.error("save needs a folder")
        build().save_pretrained(args.folder, safe_serialization=True)
        mark("saved")
    else:
        if args.folder is None:
            p.error("folder needs a folder")
        load, apply = loading.load_ar_model, loading.apply_precision

        def timed_load(*a: Any, **k: Any) -> Any:
            out = load(*a, **k)
            mark("load_ar_model (int8 decoder layers as read)")
            return out

        def timed_apply(*a: Any, **k: Any) -> Any:
            out = apply(*a, **k)
            mark("converted: encoder bf16, LLM int8")
            return out

        loading.load_ar_model, loading.apply_precision = timed_load, timed_apply
        model, dtype, plan = loading.load_ar_model_with_precision(args.folder, "granite_speech",
                                                                  torch.device("cpu"), "int8")
        print(json.dumps({"plan": plan.describe()}))
        if args.tokens:
            transcribe(model, dtype, args.folder, args.tokens)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
