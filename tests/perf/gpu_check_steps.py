"""The four steps of `gpu_check.py`, each run in its own process; see that file. Each returns a dict with
`env` (device, versions) and `rows` (a table for RESULTS.md), and skips what its deadline leaves no time for."""

from __future__ import annotations

import importlib.util
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

HERE = Path(__file__).resolve().parent


def run_step(step: str, tiny: bool, fixture: Path, deadline: float) -> dict[str, Any]:
    device = torch.device("cpu" if tiny or not torch.cuda.is_available() else "cuda")
    fn = {"fixtures": fixtures, "nar": nar, "speculative": speculative, "interview": interview}[step]
    out = fn(device, tiny, fixture, deadline)
    out["env"] = environment(device)
    return out


def environment(device: torch.device) -> dict[str, str]:
    import transformers

    name = torch.cuda.get_device_name() if device.type == "cuda" else "CPU"
    flash = "installed" if importlib.util.find_spec("flash_attn") else "not installed"
    return {"device": name, "torch": torch.__version__, "transformers": transformers.__version__, "flash_attn": flash}


def partial(rows: list[dict[str, Any]]) -> None:
    """Print the rows so far, so that a step stopped by its time guard still reports what it measured."""
    print("RESULT " + json.dumps({"rows": rows, "partial": True}), flush=True)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def margin(logits: torch.Tensor) -> float:
    top = logits.float().topk(2).values
    return round(float(top[0] - top[1]), 5)


def first_difference(a: list[int], b: list[int]) -> int | None:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return None if len(a) == len(b) else min(len(a), len(b))


# ---- 1. the NAR golden fixture on the device ----------------------------------------------------


def read_wav(path: Path) -> np.ndarray:
    """16-bit PCM mono as float32 (int16 / 32768, as soundfile reads it); only the standard library needed."""
    import wave

    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1, path
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return (data.astype(np.float32) / 32768.0).astype(np.float32)


def fixtures(device: torch.device, tiny: bool, fixture: Path, deadline: float) -> dict[str, Any]:
    from app.asr.nar import load_nar

    expected = [s["result"] for s in json.loads((fixture / "expected.json").read_text())["single"]]
    waves = [read_wav(fixture / f"input_{i}.wav") for i in range(len(expected))]
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 means fp32: no TF32 in matmuls or convolutions
    torch.backends.cudnn.allow_tf32 = False
    flash = device.type == "cuda" and importlib.util.find_spec("flash_attn") is not None
    rows, reference = [], None
    for dtype, backend in ((torch.float32, "sdpa"), (torch.bfloat16, "flash" if flash else "sdpa")):
        model = load_nar(fixture, device=device, dtype=dtype, attention=backend)
        results = model.run(waves, num_editing_steps=2, keep_details=True)
        with torch.inference_mode():
            encs = [model.encode([w]) for w in waves]
            ctc = [model.bpe_logits(e, 0).float().cpu() for e in encs]
        if reference is None:
            reference = (results, ctc)
        for i, (res, exp) in enumerate(zip(results, expected, strict=True)):
            row: dict[str, Any] = {"dtype": str(dtype).replace("torch.", ""), "attention": backend, "input": i,
                                   "draft equal": res.draft == exp["ctc_hypothesis_ids"],
                                   "ids equal": res.steps[0] == exp["final_prediction_ids"],
                                   "2-step ids equal": res.steps[1] == exp["two_step"]["final_prediction_ids"],
                                   "first difference": "", "fp32 margin there": ""}
            ref_results, ref_ctc = reference
            if not row["draft equal"]:
                frame = first_difference(ctc[i].argmax(-1).tolist(), exp["bpe_logits_valid"]["argmax"])
                frame = frame if frame is not None else 0
                row["first difference"] = f"CTC frame {frame}"
                row["fp32 margin there"] = margin(ref_ctc[i][min(frame, len(ref_ctc[i]) - 1)])
            elif not row["ids equal"]:
                slot = first_difference(res.logits[0].argmax(-1).tolist(), exp["final_logits"]["argmax"])
                slot = slot if slot is not None else 0
                row["first difference"] = f"editor slot {slot}"
                ref_logits = ref_results[i].logits[0]
                row["fp32 margin there"] = margin(ref_logits[min(slot, len(ref_logits) - 1)])
            rows.append(row)
        del model
    return {"rows": rows, "fp32_ids_equal": all(r["ids equal"] and r["draft equal"] for r in rows[: len(waves)])}


# ---- 2. full-size NAR throughput -----------------------------------------------------------------


def nar(device: torch.device, tiny: bool, fixture: Path, deadline: float) -> dict[str, Any]:
    from bench_nar import build_model, decode

    from app.asr.nar.config import NarConfig, config_from_dict

    cfg = config_from_dict(json.loads((fixture / "config.json").read_text())) if tiny else NarConfig()
    dtype = torch.float32 if device.type == "cpu" else torch.bfloat16
    model = build_model(cfg, device, dtype)
    flash = device.type == "cuda" and importlib.util.find_spec("flash_attn") is not None
    model.set_attention_backend("flash" if flash else "sdpa")
    seconds, batches = (2.0, [1, 2]) if tiny else (30.0, [1, 32, 128, 256])
    rng = np.random.default_rng(0)
    decode(model, [(0.05 * rng.standard_normal(int(seconds * 16000))).astype(np.float32)], 3.5, rng)  # warm-up
    rows = []
    for batch in batches:
        if time.time() > deadline - 25:
            rows.append({"batch": batch, "result": "skipped: time guard"})
            continue
        waves = [(0.05 * rng.standard_normal(int(seconds * 16000))).astype(np.float32) for _ in range(batch)]
        if device.type == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        try:
            sync(device)
            t = time.perf_counter()
            decode(model, waves, 3.5, rng)
            sync(device)
            wall = time.perf_counter() - t
        except torch.OutOfMemoryError:
            rows.append({"batch": batch, "result": "out of memory"})
            break
        peak = torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else 0.0
        rows.append({"batch": batch, "clip s": seconds, "attention": model.attention_backend, "wall s": round(wall, 3),
                     "RTFx": round(batch * seconds / wall, 1), "peak GiB": round(peak, 2)})
        partial(rows)
    return {"rows": rows}


# ---- 3. 4.1-2b plain vs self-speculative -------------------------------------------------------------


def _edited(tokens: list[int], seed: int) -> list[int]:
    """About one edit in ten tokens: a substitution, a drop or a doubled token."""
    rnd, out = random.Random(seed), []
    for tok in tokens:
        roll = rnd.random() * 10
        if roll < 1 / 3:
            out.append(rnd.randrange(1000, 90000))
        elif roll < 2 / 3:
            continue
        elif roll < 1:
            out += [tok, tok]
        else:
            out.append(tok)
    return out


def speculative(device: torch.device, tiny: bool, fixture: Path, deadline: float) -> dict[str, Any]:
    from bench_asr import attach_random_head, build_runner, pieces_for

    from app.asr.granite.prompts import instruction

    dtype = torch.float32 if device.type == "cpu" else torch.bfloat16
    runner = build_runner("2b", device, dtype, tiny)
    attach_random_head(runner)
    text = instruction("granite", "punctuated")
    tokens, seconds, batches = (12, 2.0, [2]) if tiny else (100, 30.0, [1, 32, 128])
    runner.generate_ids(pieces_for(1, seconds, seconds), text, 4, min_new_tokens=4)  # warm-up
    rows = []
    for batch in batches:
        pieces = pieces_for(batch, seconds, seconds)
        plain: list[list[int]] = []
        for name in ("plain", "spec, draft = plain output", "spec, draft 90% right", "spec, CTC head draft"):
            if time.time() > deadline - 20 or (name != "plain" and not plain):
                why = "time guard" if time.time() > deadline - 20 else "no plain output to compare with"
                rows.append({"batch": batch, "decoding": name, "result": f"skipped: {why}"})
                continue
            sync(device)
            t = time.perf_counter()
            try:
                if name == "plain":
                    runner.speculative = False
                    ids = runner.generate_ids(pieces, text, tokens, min_new_tokens=tokens)
                else:
                    drafts = None if "CTC" in name else [p if "plain" in name else _edited(p, k)
                                                         for k, p in enumerate(plain)]
                    ids = runner.speculative_generate_ids(pieces, text, tokens, min_new_tokens=tokens, drafts=drafts)
            except torch.OutOfMemoryError:
                rows.append({"batch": batch, "decoding": name, "result": "out of memory"})
                continue
            sync(device)
            wall = time.perf_counter() - t
            stats = runner.last_speculative_stats if name != "plain" else None
            if name == "plain":
                plain = ids
            rows.append({"batch": batch, "decoding": name, "wall s": round(wall, 3),
                         "RTFx": round(batch * seconds / wall, 1), "tokens/s": round(batch * tokens / wall, 1),
                         "LLM passes": stats.forwards if stats else "",
                         "accepted/drafted": f"{stats.accepted}/{stats.drafted}" if stats else "",
                         "fell back at pass": (stats.fell_back_at or "") if stats else "",
                         "same ids as plain": f"{sum(a == b for a, b in zip(ids, plain, strict=True))}/{batch}"})
            partial(rows)
    return {"rows": rows}


# ---- 4. the interview pipeline on one hour ------------------------------------------------------------


def one_hour(seconds: float, seed: int = 0) -> np.ndarray:
    """Speech-like noise bursts of 2-12 s with pauses of 0.4-1.5 s between them (where the pipeline cuts)."""
    rng = np.random.default_rng(seed)
    out, total = [], int(seconds * 16000)
    n = 0
    while n < total:
        burst = int(rng.uniform(2, 12) * 16000)
        pause = int(rng.uniform(0.4, 1.5) * 16000)
        out += [(0.1 * rng.standard_normal(burst)).astype(np.float32), np.zeros(pause, np.float32)]
        n += burst + pause
    return np.concatenate(out)[:total]


def interview(device: torch.device, tiny: bool, fixture: Path, deadline: float) -> dict[str, Any]:
    import os

    from bench_asr import build_runner

    from app.asr.engines.base import TranscribeOptions
    from app.asr.engines.interview_engine import InterviewEngine

    os.environ["VERBATIM_MAX_NEW_TOKENS"] = "16" if tiny else "64"  # random weights ramble to any budget
    dtype = torch.float32 if device.type == "cpu" else torch.bfloat16
    seconds, batch = (30.0, 4) if tiny else (3600.0, 32)
    audio = one_hour(seconds)
    t = time.perf_counter()
    engine = InterviewEngine(build_runner("2b", device, dtype, tiny), build_runner("plus", device, dtype, tiny))
    load = time.perf_counter() - t
    t = time.perf_counter()
    words, stopped, progress = 0, False, None
    for update in engine.transcribe(audio, TranscribeOptions(batch_size=batch)):
        words += len(update.words)
        progress = update.progress
        if time.time() > deadline - 5:  # the guard: say how far it got instead of being killed
            stopped = True
            break
    sync(device)
    wall = time.perf_counter() - t
    done_s = progress.audio_done_s if progress is not None else 0.0
    return {"rows": [{"audio s": seconds, "batch": batch, "models built s": round(load, 1),
                      "pieces": f"{progress.pieces_done}/{progress.pieces_total}" if progress else "",
                      "wall s": round(wall, 1), "RTFx": round(done_s / wall, 1) if wall > 0 else "",
                      "words": words, "finished": not stopped}]}
