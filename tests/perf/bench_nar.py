"""Throughput of the NAR model at full size with random weights: RTFx and peak GPU memory per batch size.

    python tests/perf/bench_nar.py                 # CUDA, bf16, batch sizes 1 32 128 256, sdpa and flash
    python tests/perf/bench_nar.py --tiny          # the same code on CPU with the fixture-size config

The compute is the real model's: features, encoder, BPE head (argmax + log-normaliser per input),
projector, one packed bidirectional editor pass and the CTC collapse. Random weights give random drafts,
so the draft is replaced by random tokens at a realistic rate (`--tokens-per-s`, default 3.5), which
fixes the editor's sequence length to what real speech gives. Pieces are 10-20 s of noise. RTFx =
seconds of audio / seconds of wall time, median of `--repeats` runs after a warm-up; ratios between
rows of one run are what to compare.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.asr.nar.config import NarConfig, config_from_dict  # noqa: E402
from app.asr.nar.editor import flash_available  # noqa: E402
from app.asr.nar.model import NarModel, ctc_collapse  # noqa: E402

FIXTURE = ROOT / "tests" / "data" / "granite_nar_tiny"


def build_model(cfg: NarConfig, device: torch.device, dtype: torch.dtype) -> NarModel:
    """A NarModel with random weights made directly on `device` (no checkpoint needed)."""
    torch.manual_seed(0)
    with torch.device(device):
        model = NarModel(cfg)
    model = model.to(dtype=dtype).eval().requires_grad_(False)
    from app.asr.nar.weights import _restore_buffers

    _restore_buffers(model)  # float32 RoPE frequencies, as load_nar leaves them
    return model


@torch.inference_mode()
def decode(model: NarModel, waves: list[np.ndarray], tokens_per_s: float, rng: np.random.Generator) -> list[list[int]]:
    """The model's decode with synthetic drafts of realistic length (see the module docstring)."""
    blank = model.cfg.blank_token_id
    enc = model.encode(waves)
    flat = []
    for j in range(len(waves)):
        logits = model.bpe_logits(enc, j)
        flat.append(logits.argmax(-1))
        torch.logsumexp(logits.float(), dim=-1)
    torch.cat(flat).tolist()
    vocab = model.cfg.text.vocab_size
    drafts = [[int(t) for t in rng.integers(0, vocab, max(1, int(len(w) / 16000 * tokens_per_s)))] for w in waves]
    drafts = [[t if t != blank else t - 1 for t in d] for d in drafts]
    audio = model.project(enc)
    logits = model.edit(audio, drafts)
    ids = torch.cat([lg.argmax(-1) for lg in logits]).tolist()
    out, k = [], 0
    for lg in logits:
        out.append(ctc_collapse(ids[k : k + lg.shape[0]], blank))
        k += lg.shape[0]
    return out


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench_one(model: NarModel, batch: int, backend: str, args: argparse.Namespace, device: torch.device) -> dict:
    rng = np.random.default_rng(batch)
    lengths = rng.uniform(args.min_s, args.max_s, batch)
    waves = [(0.05 * rng.standard_normal(int(s * 16000))).astype(np.float32) for s in lengths]
    model.set_attention_backend(backend)
    audio_s = float(sum(lengths))
    try:
        if device.type == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        decode(model, waves, args.tokens_per_s, rng)  # warm-up
        times = []
        for _ in range(args.repeats):
            sync(device)
            t = time.perf_counter()
            decode(model, waves, args.tokens_per_s, rng)
            sync(device)
            times.append(time.perf_counter() - t)
    except torch.OutOfMemoryError:
        torch.cuda.empty_cache()
        return {"batch": batch, "backend": backend, "result": "out of memory"}
    wall = statistics.median(times)
    row = {"batch": batch, "backend": backend, "audio_s": round(audio_s, 1), "wall_s": round(wall, 4),
           "rtfx": round(audio_s / wall, 1)}
    if device.type == "cuda":
        row["peak_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    return row


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tiny", action="store_true", help="fixture-size model on CPU (a smoke check)")
    p.add_argument("--batches", type=int, nargs="+", help="batch sizes (default 1 32 128 256; tiny: 1 4)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--min-s", type=float, default=10.0)
    p.add_argument("--max-s", type=float, default=20.0)
    p.add_argument("--tokens-per-s", type=float, default=3.5)
    p.add_argument("--json", type=Path, help="also write the rows here")
    args = p.parse_args()

    if args.tiny:
        device, dtype = torch.device("cpu"), torch.float32
        cfg = config_from_dict(json.loads((FIXTURE / "config.json").read_text()))
        batches = args.batches or [1, 4]
        args.repeats = min(args.repeats, 2)
    else:
        if not torch.cuda.is_available():
            print("bench_nar: no CUDA GPU here; nothing to measure (use --tiny for the CPU smoke check).")
            return 0
        device, dtype = torch.device("cuda"), torch.bfloat16
        cfg = NarConfig()  # the full-size defaults (see app/asr/nar/config.py and the fixture README)
        batches = args.batches or [1, 32, 128, 256]
    model = build_model(cfg, device, dtype)
    params = sum(p.numel() for p in model.parameters())
    name = torch.cuda.get_device_name() if device.type == "cuda" else "CPU"
    print(f"NAR {'tiny' if args.tiny else 'full-size'}: {params / 1e6:.1f} M parameters, {dtype}, {name}")
    backends = ["sdpa"] + (["flash"] if flash_available(device) and dtype != torch.float32 else [])
    rows = []
    for backend in backends:
        for batch in batches:
            row = bench_one(model, batch, backend, args, device)
            rows.append(row)
            print(json.dumps(row), flush=True)
            if row.get("result") == "out of memory":
                break
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
