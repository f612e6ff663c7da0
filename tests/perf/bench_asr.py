"""Throughput of the AR engines' decoding path (ARRunner) on full-size random-weight models.

Builds granite-speech-4.1-2b and -plus with the shapes in shared/GRANITE.md directly on the GPU in bf16
(no download: the compute is the real model's, the output is noise), then reports, per engine, task and
batch size: RTFx (seconds of audio per second of wall time) and peak GPU memory. Output length is held
at a realistic value with min_new_tokens = max_new_tokens (~4 tokens per audio second for text, ~12 for
plus timestamps), since random weights would otherwise stop or ramble at random.

Pieces are 20-30 s (spread evenly, as cutting at pauses gives). Both batching modes are measured:
"exact" (one encoder pass with the padding masked, the app's default) and "padded" (transformers' own batched encoder).

Self-speculative decoding (4.1-2b only; `app.asr.granite.speculative`) is measured against plain generate on the
same batch, with four drafts, because with random weights its speed depends only on how much of the draft
the LLM accepts: "spec-ctc" drafts from a random BPE CTC head of the real shape (1024 -> 100353; the whole
path runs, but random encoder states give a draft of a token or two, so it is close to plain decoding),
"spec-wrong" is random tokens as long as the output (its first token already disagrees and nothing after it
ever matches, so the draft is dropped: the cost of a useless draft is bookkeeping only),
"spec-90" is the plain output with about one token in ten substituted, dropped or doubled (a draft of
realistic quality), and "spec-oracle" is the plain output itself (everything accepted: the upper bound).
Each row gives LLM forward passes, accepted/drafted tokens, and whether the ids equal plain generate's
(they must in float32; bf16 may flip a rare near-tie).
The real head's acceptance rate needs the real checkpoint.

    python tests/perf/bench_asr.py                     # on a CUDA machine; says so and exits without one
    python tests/perf/bench_asr.py --tiny              # shrunken shapes on the CPU: checks the code path
    python tests/perf/bench_asr.py --engines 2b --modes exact --batch-sizes 128   # the issue's target row
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.asr.granite.ar_runner import ARRunner
from app.asr.granite.ctc_head import CtcHead
from app.asr.granite.prompts import instruction
from app.asr.models.registry import MODELS

VOCAB = 100353
AUDIO_ID, EOS_ID, PAD_ID, SOR_ID, EOR_ID = 100352, 100257, 100256, 100264, 100265


def full_shapes(plus: bool, tiny: bool) -> dict:
    """Config kwargs for a GraniteSpeech(Plus)Config; `tiny` shrinks every width and depth but not the vocab."""
    enc_hidden, enc_layers, heads, dim_head = (64, 4, 2, 32) if tiny else (1024, 16, 8, 128)
    llm_hidden, llm_inter, llm_layers, llm_heads, kv = (64, 128, 2, 4, 2) if tiny else (2048, 4096, 40, 16, 4)
    q_hidden, q_heads, q_inter = (64, 2, 128) if tiny else (1024, 16, 4096)
    encoder = dict(input_dim=160, num_layers=enc_layers, hidden_dim=enc_hidden, feedforward_mult=4, num_heads=heads,
                   dim_head=dim_head, output_dim=348, context_size=200, max_pos_emb=512, dropout=0.0,
                   conv_kernel_size=15, conv_expansion_factor=2)
    if plus:
        encoder["cat_hidden_layers"] = [3]
    projector = dict(model_type="blip_2_qformer", hidden_size=q_hidden, num_hidden_layers=2,
                     num_attention_heads=q_heads, intermediate_size=q_inter,
                     encoder_hidden_size=enc_hidden * (2 if plus else 1),
                     cross_attention_frequency=1, max_position_embeddings=2048, hidden_dropout_prob=0.0,
                     attention_probs_dropout_prob=0.0)
    text = dict(model_type="granite", vocab_size=VOCAB, hidden_size=llm_hidden, intermediate_size=llm_inter,
                num_hidden_layers=llm_layers, num_attention_heads=llm_heads, num_key_value_heads=kv,
                max_position_embeddings=16384, embedding_multiplier=12.0, residual_multiplier=0.22,
                attention_multiplier=1 / 128, logits_scaling=8.0, bos_token_id=EOS_ID, eos_token_id=EOS_ID,
                pad_token_id=PAD_ID, tie_word_embeddings=plus)
    return dict(text_config=text, encoder_config=encoder, projector_config=projector, audio_token_index=AUDIO_ID,
                has_lora_adapter=False, downsample_rate=5, window_size=15, tie_word_embeddings=plus,
                bos_token_id=EOS_ID, eos_token_id=EOS_ID, pad_token_id=PAD_ID)


def limit_layers(layers: int | None) -> None:
    """From now on build models with `layers` language-model layers and 4 encoder layers (None: full size):
    a mid-size model with full widths, for CPU measurements that fit in memory."""
    global full_shapes
    original = full_shapes

    def shapes(plus: bool, tiny: bool) -> dict:
        out = original(plus, tiny)
        if layers:
            out["text_config"]["num_hidden_layers"] = layers
            out["encoder_config"]["num_layers"] = 4
        return out

    full_shapes = shapes


def bench_tokenizer(plus: bool):
    """A word-level tokenizer with the real special-token ids and a Granite-style chat template."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = {EOS_ID: "<|end_of_text|>", PAD_ID: "<|pad|>", SOR_ID: "<|start_of_role|>", EOR_ID: "<|end_of_role|>",
                AUDIO_ID: "<|audio|>"}
    vocab = {specials.get(i, f"w{i}"): i for i in range(VOCAB)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="w0"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    core.add_special_tokens(list(specials.values()))
    tok = PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<|end_of_text|>", eos_token="<|end_of_text|>",
                                  pad_token="<|pad|>", unk_token="w0", padding_side="left")
    system = (
        "{%- if messages[0]['role'] == 'system' %}{{- '<|start_of_role|>system<|end_of_role|>' + "
        "messages[0]['content'] + '<|end_of_text|>\n' }}{%- set messages = messages[1:] %}{%- endif %}"
    ) if plus else ""
    tok.chat_template = system + (
        "{%- for m in messages %}{{- '<|start_of_role|>' + m['role'] + '<|end_of_role|>' + m['content'] + "
        "'<|end_of_text|>\n' }}{%- endfor %}{%- if add_generation_prompt %}"
        "{{- '<|start_of_role|>assistant<|end_of_role|>' }}{%- endif %}")
    return tok


def build_runner(key: str, device: torch.device, dtype: torch.dtype, tiny: bool) -> ARRunner:
    from transformers import (
        GraniteSpeechConfig,
        GraniteSpeechForConditionalGeneration,
        GraniteSpeechPlusConfig,
        GraniteSpeechPlusForConditionalGeneration,
    )

    plus = key == "plus"
    config = (GraniteSpeechPlusConfig if plus else GraniteSpeechConfig)(**full_shapes(plus, tiny))
    config._attn_implementation = "sdpa"
    cls = GraniteSpeechPlusForConditionalGeneration if plus else GraniteSpeechForConditionalGeneration
    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with device:
            model = cls(config)
    finally:
        torch.set_default_dtype(previous)
    model.eval()
    return ARRunner(model, bench_tokenizer(plus), MODELS[key], Path(f"<random {key}>"), device, dtype)


def pieces_for(batch: int, low_s: float, high_s: float) -> list[np.ndarray]:
    rng = np.random.default_rng(batch)
    seconds = np.linspace(low_s, high_s, batch) if batch > 1 else [high_s]
    return [(0.1 * rng.standard_normal(int(s * 16000))).astype(np.float32) for s in seconds]


def run_one(runner: ARRunner, text: str, pieces: list[np.ndarray], tokens: int, cuda: bool) -> tuple[float, float]:
    """Wall seconds and peak GPU GiB for one generate call."""
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    out = runner.generate_ids(pieces, text, max_new_tokens=tokens, min_new_tokens=tokens)
    if cuda:
        torch.cuda.synchronize()
    wall = time.perf_counter() - start
    assert all(len(ids) == tokens for ids in out), "output length was not held"
    peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else 0.0
    return wall, peak


def attach_random_head(runner: ARRunner) -> None:
    """A random BPE CTC head of the real shape (encoder hidden -> vocabulary), blank slightly favoured."""
    hidden = runner.model.config.encoder_config.hidden_dim
    gen = torch.Generator().manual_seed(5)
    weight = torch.randn(VOCAB, hidden, generator=gen) * hidden**-0.5
    bias = torch.zeros(VOCAB)
    bias[0] = 1.0
    runner.ctc_head = CtcHead(weight.to(runner.device, runner.dtype), bias.to(runner.device, runner.dtype))


def corrupt(tokens: list[int], every: int, seed: int) -> list[int]:
    """About one edit (substitution, drop or doubled token) per `every` tokens."""
    rnd = random.Random(seed)
    out: list[int] = []
    for tok in tokens:
        roll = rnd.random() * every
        if roll < 1 / 3:
            out.append(rnd.randrange(1000, 90000))
        elif roll < 2 / 3:
            continue
        elif roll < 1:
            out += [tok, tok]
        else:
            out.append(tok)
    return out


def draft_for(kind: object, plain: list[list[int]]) -> list[list[int]] | None:
    """None (the CTC head drafts), random tokens, plain with edits every `kind` tokens, or plain itself (0)."""
    if kind == "ctc":
        return None
    if kind == "wrong":
        rnd = random.Random(3)
        return [[rnd.randrange(1000, 90000) for _ in p] for p in plain]
    return [corrupt(p, int(kind), 100 + k) if kind else p for k, p in enumerate(plain)]


@contextmanager
def forward_counter(runner: ARRunner) -> Iterator[list[int]]:
    calls = [0]
    handle = runner.model.model.language_model.norm.register_forward_pre_hook(  # every pass ends with it
        lambda *_: calls.__setitem__(0, calls[0] + 1))
    try:
        yield calls
    finally:
        handle.remove()


def bench_speculative(runner: ARRunner, text: str, sizes: list[int], low: float, high: float, cuda: bool,
                      per_s: int = 4) -> None:
    """Plain generate vs self-speculative decoding on the same batches (exact batching), `per_s` tokens/s."""
    runner.exact_batches = True
    attach_random_head(runner)
    print(f"{'engine':8} {'decoding':12} {'batch':>5} {'audio s':>8} {'wall s':>7} {'RTFx':>7} {'passes':>6} "
          f"{'accepted/drafted':>17} {'same ids':>8}")
    runner.speculative_generate_ids(pieces_for(1, low, high)[:1], text, 4, min_new_tokens=4)  # warm-up
    for batch in sizes:
        pieces = pieces_for(batch, low, high)
        audio_s = sum(len(x) for x in pieces) / 16000
        tokens = int(round(per_s * high))
        runs: list[tuple[str, object]] = [("plain", None), ("spec-ctc", "ctc"), ("spec-wrong", "wrong"),
                                          ("spec-90", 10), ("spec-oracle", 0)]
        plain: list[list[int]] = []
        for name, draft in runs:
            if cuda:
                torch.cuda.synchronize()
            try:
                with forward_counter(runner) as calls:
                    start = time.perf_counter()
                    if draft is None:
                        ids = runner.generate_ids(pieces, text, tokens, min_new_tokens=tokens)
                    else:
                        drafts = draft_for(draft, plain)
                        ids = runner.speculative_generate_ids(
                            pieces, text, tokens, min_new_tokens=tokens, drafts=drafts
                        )
                    if cuda:
                        torch.cuda.synchronize()
                    wall = time.perf_counter() - start
            except torch.OutOfMemoryError:
                print(f"{'2b':8} {name:12} {batch:5d}   out of memory")
                continue
            if draft is None:
                plain = ids
                ratio, same = "", ""
            else:
                stats = runner.last_speculative_stats
                ratio = f"{stats.accepted}/{stats.drafted}"
                same = f"{sum(a == b for a, b in zip(ids, plain))}/{len(ids)}"
            print(f"{'2b':8} {name:12} {batch:5d} {audio_s:8.1f} {wall:7.2f} {audio_s / wall:7.1f} {calls[0]:6d} "
                  f"{ratio:>17} {same:>8}")
    runner.ctc_head = None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tiny", action="store_true", help="shrunken shapes on the CPU (a smoke test of this script)")
    p.add_argument("--engines", nargs="+", default=["2b", "plus"], choices=["2b", "plus"])
    p.add_argument("--batch-sizes", nargs="+", type=int, default=None)
    p.add_argument("--min-s", type=float, default=20.0)
    p.add_argument("--max-s", type=float, default=30.0)
    p.add_argument("--modes", nargs="+", default=["exact", "padded"], choices=["exact", "padded"])
    p.add_argument("--no-speculative", action="store_true", help="skip the self-speculative rows (2b)")
    args = p.parse_args(argv)

    cuda = torch.cuda.is_available()
    if not cuda and not args.tiny:
        print("bench_asr: no CUDA GPU on this machine; nothing to measure (use --tiny for a CPU smoke run).")
        return 0
    device = torch.device("cuda") if cuda and not args.tiny else torch.device("cpu")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    sizes = args.batch_sizes or ([1, 2] if args.tiny else [1, 8, 32, 128])
    low, high = (1.0, 2.0) if args.tiny else (args.min_s, args.max_s)
    print(f"device {device} {dtype}; pieces {low:.0f}-{high:.0f} s; output held at 4 tokens/s (timestamps 12/s)")
    print(f"{'engine':8} {'task':10} {'mode':6} {'batch':>5} {'audio s':>8} {'wall s':>7} {'RTFx':>7} {'peak GiB':>8}")
    tasks = {"2b": [("punctuated", 4)], "plus": [("speakers", 4), ("timestamps", 12)]}
    for key in args.engines:
        runner = build_runner(key, device, dtype, args.tiny)
        family = runner.family
        for task, per_s in tasks[key]:
            text = instruction(family, task)
            for mode in args.modes:
                runner.exact_batches = mode == "exact"
                run_one(runner, text, pieces_for(1, low, high)[:1], 4, device.type == "cuda")  # warm-up
                for batch in sizes:
                    pieces = pieces_for(batch, low, high)
                    audio_s = sum(len(x) for x in pieces) / 16000
                    tokens = int(round(per_s * high))
                    try:
                        wall, peak = run_one(runner, text, pieces, tokens, device.type == "cuda")
                    except torch.OutOfMemoryError:
                        print(f"{key:8} {task:10} {mode:6} {batch:5d}   out of memory")
                        continue
                    print(f"{key:8} {task:10} {mode:6} {batch:5d} {audio_s:8.1f} {wall:7.2f} "
                          f"{audio_s / wall:7.1f} {peak:8.2f}")
        if key == "2b" and not args.no_speculative:
            # the tiny pieces are 1-2 s: 16 tokens/s there gives the drafts something to do
            bench_speculative(runner, instruction(runner.family, "punctuated"), sizes, low, high, device.type == "cuda",
                              per_s=16 if args.tiny else 4)
        del runner
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
