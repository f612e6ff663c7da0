"""Self-speculative decoding gives EXACTLY the token ids of plain greedy generate, whatever the draft:
the random CTC head's (mostly wrong), a perfect one, a partly right one; alone and in batches. LLM forward
passes are counted by a hook on the language model itself, for both paths."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from app.asr.granite import speculative
from app.asr.granite.ar_runner import ARRunner
from app.asr.granite.prompts import instruction
from app.asr.granite.speculative import DraftCursor
from tests.tiny_models import shared_tiny

MAX_NEW = 40


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> ARRunner:
    folder: Path = shared_tiny(tmp_path_factory, "granite_ctc")
    return ARRunner.load(str(folder), device="cpu", speculative=True)


@pytest.fixture(scope="module")
def pieces(speech_16k: np.ndarray) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    t = np.arange(16000 * 2) / 16000
    tone = (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    noise = (0.1 * rng.standard_normal(int(16000 * 1.3))).astype(np.float32)
    return [speech_16k[: int(16000 * 2.6)].astype(np.float32), tone, noise]


@pytest.fixture(scope="module")
def text() -> str:
    return instruction("granite", "punctuated")


@contextmanager
def counted(runner: ARRunner) -> Iterator[list[int]]:
    """Count forward passes of the LLM (the Granite language model inside the speech model) by its final norm,
    which every pass ends with: transformers' forward (the prefill, GPU decoding) and the lean CPU passes."""
    calls = [0]
    handle = runner.model.model.language_model.norm.register_forward_pre_hook(
        lambda *_: calls.__setitem__(0, calls[0] + 1))
    try:
        yield calls
    finally:
        handle.remove()


def plain_ids(runner: ARRunner, pieces: list[np.ndarray], text: str, **kw) -> tuple[list[list[int]], int]:
    runner.speculative = False
    try:
        with counted(runner) as calls:
            ids = runner.generate_ids(pieces, text, MAX_NEW, **kw)
    finally:
        runner.speculative = True
    return ids, calls[0]


def spec_ids(runner: ARRunner, pieces: list[np.ndarray], text: str, drafts=None, **kw) -> tuple[list[list[int]], int]:
    with counted(runner) as calls:
        ids = runner.speculative_generate_ids(pieces, text, MAX_NEW, drafts=drafts, **kw)
    assert runner.last_speculative_stats is not None and runner.last_speculative_stats.forwards == calls[0]
    return ids, calls[0]


def test_random_head_draft_gives_the_plain_output(runner: ARRunner, pieces, text) -> None:
    plain, _ = plain_ids(runner, pieces, text)
    runner.last_speculative_stats = None
    with counted(runner):
        batched = runner.generate_ids(pieces, text, MAX_NEW)  # speculative=True: the head's drafts
    stats = runner.last_speculative_stats
    assert stats is not None and stats.drafted > 0  # the head did draft, and the LLM did verify
    assert batched == plain
    assert any(len(p) > 5 for p in plain)
    for piece, expected in zip(pieces, plain, strict=True):
        assert runner.generate_ids([piece], text, MAX_NEW) == [expected]
        assert runner.generate([piece], text, MAX_NEW) == [runner.decode(expected)]


def test_perfect_draft_is_accepted_in_one_pass(runner: ARRunner, pieces, text, monkeypatch) -> None:
    # as on a GPU: drafts of up to 128 tokens, verified from the first pass on
    monkeypatch.setattr("app.asr.granite.ar_runner.default_max_draft", lambda device: speculative.MAX_DRAFT)
    monkeypatch.setitem(speculative.COST_PER_TOKEN, "cpu", speculative.COST_PER_TOKEN["cuda"])
    plain, plain_passes = plain_ids(runner, pieces, text)
    for batch, drafts in ((pieces, plain), (pieces[:1], plain[:1])):
        ids, passes = spec_ids(runner, batch, text, drafts=drafts)
        assert ids == drafts
        stats = runner.last_speculative_stats
        assert stats.accepted == stats.drafted == sum(max(0, min(len(d), MAX_NEW - 1) - 1) for d in drafts)
        assert passes == 2  # the prefill gives the first token, one pass verifies everything after it
    assert plain_passes == max(min(len(p) + 1, MAX_NEW) for p in plain) > 2


def test_on_a_cpu_drafts_are_verified_32_at_a_time(runner: ARRunner, pieces, text) -> None:
    assert speculative.default_max_draft("cpu") == 32 and speculative.default_max_draft("cuda") == 128
    plain, _ = plain_ids(runner, pieces[:1], text)
    assert len(plain[0]) == MAX_NEW  # long enough to need two passes of 32
    ids, passes = spec_ids(runner, pieces[:1], text, drafts=plain)
    stats = runner.last_speculative_stats
    assert ids == plain and stats.accepted == stats.drafted and stats.fell_back_at is None
    assert passes == 4  # prefill; 4 + 1 (a small start); 12 + 1; the last 20 + 1 (at most 32 a pass)


def test_a_draft_below_break_even_falls_back_to_plain_steps(runner: ARRunner, pieces, text) -> None:
    plain, plain_passes = plain_ids(runner, pieces, text)
    junk = [[(t * 7 + 3) % 400 for t in p] for p in plain]  # almost every draft token is wrong
    ids, passes = spec_ids(runner, pieces, text, drafts=junk)
    stats = runner.last_speculative_stats
    assert ids == plain
    # at most MIN_EVIDENCE rejections, of a few tokens each, before it stops drafting for good
    assert stats.fell_back_at is not None and stats.drafted <= (speculative.MIN_EVIDENCE + len(pieces)) * 4
    assert passes <= plain_passes + stats.fell_back_at  # after the fallback: one token per pass, as plain


def test_draft_budget_sizes_the_proposal_to_what_pays() -> None:
    from app.asr.granite.speculative import DraftBudget

    good = DraftBudget(32, 0.1)
    for _ in range(20):
        good.observe_row(16, 16)
    good.observe_row(16, 3)
    assert good.acceptance > 0.95 and good.cap() >= 16 and good.gain(good.cap()) > 2
    poor = DraftBudget(32, 0.1)  # about 1 token in 10 right: no draft size beats a plain step
    for k in range(10):
        poor.observe_row(8, int(k == 0))
    assert poor.cap() == 0 and poor.stopped and poor.cap() == 0  # stays plain for the rest of the batch
    fair = DraftBudget(128, 0.1)  # 90% right drafts: a few tokens per pass beat both 128 and plain steps
    for _ in range(10):
        fair.observe_row(10, 9)
    assert 1 < fair.cap() <= 16 and fair.gain(fair.cap()) > 3
    assert abs(fair.gain(128) - 0.72) < 0.01  # the issue measured 0.71x for such drafts, 128 at a time, on a CPU
    timed = DraftBudget(32, 0.1)  # measured passes: width 33 costs 1.5x width 1 -> c = 1/64
    for _ in range(3):
        timed.observe_pass(1, 0.10)
        timed.observe_pass(33, 0.15)
    assert abs(timed.slope() - 0.5 / 32) < 1e-9


def corrupt(tokens: list[int], seed: int, vocab: int = 400) -> list[int]:
    """Substitute, drop and insert tokens here and there (about one edit per six tokens)."""
    rnd = random.Random(seed)
    out: list[int] = []
    for k, tok in enumerate(tokens):
        roll = rnd.random() if k > 0 else 1.0
        if roll < 0.06:
            out.append(rnd.randrange(vocab))
        elif roll < 0.11:
            continue
        elif roll < 0.17:
            out += [tok, rnd.randrange(vocab)]
        else:
            out.append(tok)
    return out


def test_partly_right_draft_gives_the_plain_output_in_fewer_passes(runner: ARRunner, pieces, text) -> None:
    plain, plain_passes = plain_ids(runner, pieces, text)
    for seed in range(3):
        drafts = [corrupt(p, seed) for p in plain]
        ids, passes = spec_ids(runner, pieces, text, drafts=drafts)
        assert ids == plain
        stats = runner.last_speculative_stats
        assert 0 < stats.accepted < stats.drafted
        assert passes < plain_passes
        alone, _ = spec_ids(runner, pieces[:1], text, drafts=drafts[:1])
        assert alone == plain[:1]
    # the draft runs out half-way: the rest is decoded one token per pass
    ids, passes = spec_ids(runner, pieces[:1], text, drafts=[plain[0][: len(plain[0]) // 2]])
    assert ids == plain[:1] and passes < plain_passes


def test_holes_in_the_cache_are_compacted(runner: ARRunner, pieces, text, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows accepting different numbers of tokens leave holes in the KV cache; squeezing them out
    (compacting as often as possible here) changes nothing in the output."""
    plain, _ = plain_ids(runner, pieces, text)
    monkeypatch.setattr(speculative, "COMPACT_MIN_HOLES", 1)
    monkeypatch.setattr(speculative, "COMPACT_FRACTION", 10_000)
    for seed in (11, 12):
        ids, _ = spec_ids(runner, pieces, text, drafts=[corrupt(p, seed + k) for k, p in enumerate(plain)])
        assert ids == plain
        assert runner.last_speculative_stats.compactions >= 1


def test_min_new_tokens_and_the_padded_encoder_path(runner: ARRunner, pieces, text) -> None:
    plain, _ = plain_ids(runner, pieces, text, min_new_tokens=MAX_NEW - 4)
    assert all(len(p) >= MAX_NEW - 4 for p in plain)
    ids, _ = spec_ids(runner, pieces, text, drafts=[p[: len(p) // 2] for p in plain], min_new_tokens=MAX_NEW - 4)
    assert ids == plain
    runner.exact_batches = False
    try:
        padded, _ = plain_ids(runner, pieces, text)
        assert runner.generate_ids(pieces, text, MAX_NEW) == padded
    finally:
        runner.exact_batches = True


NORM = {1: "the", 2: "", 3: "the", 4: "may", 5: "or", 6: "mayor", 7: "said", 8: "bridge", 9: "b", 10: "ridge", 11: "uh"}


def cursor(draft: list[int]) -> DraftCursor:
    return DraftCursor(draft, lambda t: NORM.get(t, f"x{t}"))


def test_draft_cursor_follows_the_llm_back_onto_the_draft() -> None:
    c = cursor([1, 6, 7, 1, 8])  # "the mayor said the bridge"
    assert c.proposal(2) == [1, 6]
    c.accept(1)
    c.observe(2)  # punctuation inserted where the draft has "mayor": the draft goes on from there
    assert c.synced and c.proposal(9) == [6, 7, 1, 8]
    c.observe(4)  # "may" + "or" instead of "mayor": lost for one token, then back after "mayor"
    assert not c.synced and c.proposal(3) == []
    c.observe(5)
    assert c.proposal(3) == [7, 1, 8]
    c.observe(3)  # another token spelling "the" where the draft says "said": a substituted word
    assert not c.synced
    c.observe(8)  # ... and "bridge" follows, so the draft continues after its "bridge"
    assert c.synced and c.pos == 5 and c.proposal(4) == []  # the draft is used up


def test_draft_cursor_skips_words_the_llm_left_out_and_waits_after_extra_words() -> None:
    c = cursor([1, 6, 7, 1, 9, 10])  # "the mayor said the b ridge"
    c.observe(1)
    c.observe(7)  # "mayor" left out
    assert c.synced and c.proposal(5) == [1, 9, 10]
    c.observe(11)  # "uh": said by the LLM, not in the draft
    assert not c.synced
    c.observe(1)
    assert c.synced and c.proposal(5) == [9, 10]
    c.observe(8)  # "bridge" in one token where the draft has "b" + "ridge"
    assert c.synced and c.proposal(5) == []


def test_generation_settings_it_cannot_honour_fall_back_to_plain_generate(runner: ARRunner, pieces, text) -> None:
    config = runner.model.generation_config
    assert runner.speculative_blockers() == []
    config.repetition_penalty = 1.3
    try:
        assert runner.speculative_blockers() == ["repetition_penalty"]
        runner.last_speculative_stats = None
        with counted(runner) as calls:
            ids = runner.generate_ids(pieces[:1], text, MAX_NEW)
        assert runner.last_speculative_stats is None  # transformers' generate ran, with the penalty
        assert calls[0] == min(len(ids[0]) + 1, MAX_NEW)
    finally:
        config.repetition_penalty = 1.0
