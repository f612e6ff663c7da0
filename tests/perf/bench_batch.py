"""Encoder passes and time per batch of the 2b runner, before and after masked padded batching (CPU).

    python tests/perf/bench_batch.py                       # mid-size random model, batch 8, 15-30 s pieces
    python tests/perf/bench_batch.py --batch 4 --tokens 10

"before" is the runner's former encoder path, reproduced here: pieces of identical length encoded
together, every other length alone (pieces cut at pauses all differ, so a batch of N cost N passes).
"after" is `app.asr.granite.batched_encoder`: one pass over the right-padded batch with the padding masked.
Both then decode the batch in one left-padded generate call with `--tokens` new tokens (held with
min_new_tokens). The model is random-weight Granite Speech with a mid-size encoder (`--layers`,
`--hidden`; context blocks of 200 frames and kernel 15 as the real one) and a small LLM; the token ids
of both paths are compared (they must be equal).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "perf"))

from bench_asr import bench_tokenizer, full_shapes  # noqa: E402

from app.asr.granite.ar_runner import ARBatch, ARRunner  # noqa: E402
from app.asr.granite.prompts import instruction  # noqa: E402
from app.asr.models.registry import MODELS  # noqa: E402


def build(layers: int, hidden: int, llm_layers: int) -> ARRunner:
    from transformers import GraniteSpeechConfig, GraniteSpeechForConditionalGeneration

    shapes = full_shapes(False, tiny=True)
    shapes["encoder_config"].update(num_layers=layers, hidden_dim=hidden, num_heads=hidden // 64, dim_head=64)
    shapes["projector_config"].update(hidden_size=256, num_attention_heads=4, intermediate_size=1024,
                                      encoder_hidden_size=hidden)
    shapes["text_config"].update(hidden_size=256, intermediate_size=512, num_hidden_layers=llm_layers)
    config = GraniteSpeechConfig(**shapes)
    config._attn_implementation = "sdpa"
    torch.manual_seed(0)
    model = GraniteSpeechForConditionalGeneration(config).eval()
    return ARRunner(model, bench_tokenizer(False), MODELS["2b"], Path("<random mid-size>"), torch.device("cpu"),
                    torch.float32)


def grouped_embeddings(runner: ARRunner, batch: ARBatch, states: Any = None) -> torch.Tensor:
    """The former path: one encoder pass per distinct piece length."""
    feats = batch.input_features.to(runner.dtype)
    out: torch.Tensor | None = None
    for length in sorted(set(batch.frames)):
        idx = [i for i, f in enumerate(batch.frames) if f == length]
        emb = runner.model.get_audio_features(feats[idx, :length], return_dict=True).pooler_output
        runner.encoder_passes += 1
        if out is None:
            out = emb.new_zeros((feats.shape[0], max(batch.audio_tokens), emb.shape[-1]))
        out[idx, : emb.shape[1]] = emb
    assert out is not None
    return out


def time_encoder(runner: ARRunner, batch: ARBatch, grouped: bool) -> float:
    start = time.perf_counter()
    with torch.inference_mode():
        if grouped:
            grouped_embeddings(runner, batch)
        else:
            runner._audio_embeddings(batch)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--low-s", type=float, default=15.0)
    parser.add_argument("--high-s", type=float, default=30.0)
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--llm-layers", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    runner = build(args.layers, args.hidden, args.llm_layers)
    rng = np.random.default_rng(0)
    seconds = np.linspace(args.low_s, args.high_s, args.batch)
    pieces = [(0.1 * rng.standard_normal(int(s * 16_000))).astype(np.float32) for s in seconds]
    text = instruction("granite", "raw")
    batch = runner.build_inputs(pieces, text)
    padded_frames = len(pieces) * max(batch.frames)
    print(f"threads {torch.get_num_threads()}, encoder {args.layers} x {args.hidden}, batch {args.batch} pieces "
          f"of {args.low_s:g}-{args.high_s:g} s, padding {100 * (1 - sum(batch.frames) / padded_frames):.0f} % "
          f"of the padded frames")
    results: dict[str, dict[str, Any]] = {}
    for name, grouped in (("before (grouped by length)", True), ("after (one masked pass)", False)):
        time_encoder(runner, batch, grouped)  # warm-up
        runner.encoder_passes = 0
        enc = [time_encoder(runner, batch, grouped) for _ in range(args.repeats)]
        passes = runner.encoder_passes // args.repeats
        original = runner._audio_embeddings
        if grouped:
            runner._audio_embeddings = lambda b, states=None: grouped_embeddings(runner, b, states)  # type: ignore[method-assign]
        try:
            walls, ids = [], None
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                ids = runner.generate_ids(pieces, text, args.tokens, min_new_tokens=args.tokens)
                walls.append(time.perf_counter() - t0)
        finally:
            runner._audio_embeddings = original  # type: ignore[method-assign]
        results[name] = dict(passes=passes, enc=statistics.median(enc), wall=statistics.median(walls), ids=ids)
    print("\n| path | encoder passes per batch | encoder s per batch | batch s (encoder + generate) |")
    print("|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['passes']} | {r['enc']:.2f} | {r['wall']:.2f} |")
    same = [r["ids"] for r in results.values()]
    print(f"\ntoken ids equal: {same[0] == same[1]}")


if __name__ == "__main__":
    main()
