"""CPU precision side by side (fp32 vs the measured choice), random weights, through the app's own code.

    python tests/perf/bench_precision.py nar-full     # full-size NAR in bf16 (about 5 GB): 30 s of audio
    python tests/perf/bench_precision.py nar-mid      # NAR with 8 of 40 LLM layers: fp32 vs bf16, per stage
    python tests/perf/bench_precision.py ar-full      # full-size 4.1-2b, encoder bf16 + LLM int8: 30 s, 100 tokens
    python tests/perf/bench_precision.py ar-mid       # 4.1-2b with 8 LLM layers: s/token in fp32, bf16, int8

Each mode is meant to run in its own process (one full-size model at a time: fp32 full size would need
9.5 GB). Prints one JSON line per measurement with the peak RSS of the process so far.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE)]

from app.asr.models.hardware import use_physical_cores  # noqa: E402


def rss_gb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2)


def emit(**row: object) -> None:
    print(json.dumps({**row, "peak_rss_gb": rss_gb(), "threads": torch.get_num_threads()}), flush=True)


def nar(layers: int | None, dtypes: list[torch.dtype], seconds: float = 30.0, draft_rate: float = 3.5) -> None:
    """`draft_rate` draft tokens per second of audio: 3.5 is ordinary speech; a random-weight model's own CTC
    head drafts next to nothing (about 0), which leaves the editor only the audio and 8 slots."""
    from bench_nar import build_model

    from app.asr.nar.config import NarConfig

    cfg = NarConfig()
    if layers:
        cfg = dataclasses.replace(cfg, text=dataclasses.replace(cfg.text, num_hidden_layers=layers))
    wave = (0.05 * np.random.default_rng(0).standard_normal(int(seconds * 16000))).astype(np.float32)
    for dtype in dtypes:
        previous = torch.get_default_dtype()
        torch.set_default_dtype(dtype)  # made in its dtype: a full-size fp32 copy first would need 9.5 GB
        try:
            model = build_model(cfg, torch.device("cpu"), dtype)
        finally:
            torch.set_default_dtype(previous)
        with torch.inference_mode():
            model.run([wave[:16000]])  # warm-up
            t0 = time.perf_counter()
            enc = model.encode([wave])
            t1 = time.perf_counter()
            draft = [int(t) for t in np.random.default_rng(1).integers(0, 100000, int(seconds * draft_rate))]
            model.edit(model.project(enc), [draft])
            t2 = time.perf_counter()
        emit(model=f"nar {layers or 40} LLM layers", dtype=str(dtype), audio_s=seconds, draft_tokens=len(draft),
             encoder_s=round(t1 - t0, 2),
             editor_s=round(t2 - t1, 2), rtfx=round(seconds / (t2 - t0), 2))
        del model


def ar(layers: int | None, plans: list[tuple[str, str]], tokens: int = 100, seconds: float = 30.0,
       lean: bool = True) -> None:
    """`lean=False` decodes through transformers' generate instead of the CPU's lean passes (for comparison)."""
    import bench_asr
    from bench_asr import build_runner

    from app.asr.granite.prompts import instruction
    from app.asr.models.loading import apply_precision
    from app.asr.models.precision import PrecisionPlan

    bench_asr.limit_layers(layers)
    piece = (0.1 * np.random.default_rng(0).standard_normal(int(seconds * 16000))).astype(np.float32)
    text = instruction("granite", "punctuated")
    for encoder, llm in plans:
        load = torch.bfloat16 if encoder == "bf16" and llm != "fp32" else torch.float32
        runner = build_runner("2b", torch.device("cpu"), load, tiny=False)
        runner.dtype = apply_precision(runner.model, PrecisionPlan("cpu", encoder, llm, "bench"))
        if not lean:
            runner.lean = None
        runner.generate_ids([piece[:16000]], text, 2, min_new_tokens=2)  # warm-up
        t0 = time.perf_counter()
        runner.generate_ids([piece], text, 1, min_new_tokens=1)  # encoder + prefill + one token
        t1 = time.perf_counter()
        steps: list[float] = []  # when each language-model pass ends: the decoding steps' own times
        hook = runner.model.model.language_model.norm.register_forward_hook(  # the end of each pass
            lambda *_, into=steps: into.append(time.perf_counter()))
        runner.generate_ids([piece], text, tokens, min_new_tokens=tokens)
        t2 = time.perf_counter()
        hook.remove()
        gaps = sorted(b - a for a, b in zip(steps[1:], steps[2:]))  # after the prefill pass
        emit(model=f"2b {layers or 40} LLM layers", encoder=encoder, llm=llm, lean=runner.lean is not None,
             audio_s=seconds, tokens=tokens,
             prefill_s=round(t1 - t0, 2), s_per_token=round(gaps[len(gaps) // 2], 4),
             s_per_token_mean=round(((t2 - t1) - (t1 - t0)) / (tokens - 1), 4), total_s=round(t2 - t1, 2),
             rtfx=round(seconds / (t2 - t1), 2))
        del runner


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=("nar-full", "nar-mid", "ar-full", "ar-mid"))
    p.add_argument("--tokens", type=int, default=100)
    p.add_argument("--seconds", type=float, default=30.0, help="audio per piece")
    p.add_argument("--draft-rate", type=float, default=3.5, help="NAR draft tokens per audio second")
    p.add_argument("--no-lean", action="store_true", help="AR decoding through transformers' generate")
    args = p.parse_args()
    use_physical_cores()
    if args.mode == "nar-full":
        nar(None, [torch.bfloat16], args.seconds, args.draft_rate)
    elif args.mode == "nar-mid":
        nar(8, [torch.float32, torch.bfloat16], args.seconds, args.draft_rate)
    elif args.mode == "ar-full":
        ar(None, [("bf16", "int8")], args.tokens, args.seconds, lean=not args.no_lean)
    else:
        ar(8, [("fp32", "fp32"), ("bf16", "bf16"), ("bf16", "int8")], args.tokens, args.seconds, lean=not args.no_lean)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
