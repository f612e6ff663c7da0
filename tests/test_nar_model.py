"""The NAR model against the reference outputs recorded in tests/data/granite_nar_tiny (see its README).

The fixture follows IBM's remote code (layer-8 state after the self-conditioning add, 2 * (n // 320) mel
frames, at least 8 editor slots). Ids must match exactly (draft, 1 and 2 editing steps); features, encoder,
projector and logit summaries to float32 tolerance. A batch must give exactly what each input gives alone,
and with `isolate=False` the reference's own (padding-affected) batch is reproduced too.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from app.asr.nar import NarModel, load_nar
from app.asr.nar.features import batch_features, encoder_frames, log_mel_single

FIXTURE = Path(__file__).parent / "data" / "granite_nar_tiny"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text())
SINGLE = [s["result"] for s in EXPECTED["single"]]


def close(actual: float, expected: float, rel: float = 1e-4, abs_: float = 1e-4) -> bool:
    return abs(actual - expected) <= max(rel * abs(expected), abs_)


@pytest.fixture(scope="module")
def waves() -> list[np.ndarray]:
    return [sf.read(FIXTURE / f"input_{i}.wav", dtype="float32")[0] for i in range(3)]


@pytest.fixture(scope="module")
def model() -> NarModel:
    return load_nar(FIXTURE)


@pytest.fixture(scope="module")
def singles(model: NarModel, waves: list[np.ndarray]):
    return [model.run([w], num_editing_steps=2, keep_details=True)[0] for w in waves]


def test_features_match_reference(waves: list[np.ndarray]) -> None:
    for wave, exp in zip(waves, SINGLE, strict=True):
        f = log_mel_single(wave).double()
        ref = exp["features"]
        assert f.shape[0] == ref["valid_frames"] == encoder_frames(len(wave))
        assert close(float(f.sum()), ref["sum"])
        assert close(float(f.abs().mean()), ref["mean_abs"], abs_=1e-6)
        np.testing.assert_allclose(f[0, :5].numpy(), ref["first5_frame0"], atol=1e-4)
        np.testing.assert_allclose(f[-1, :5].numpy(), ref["first5_last_valid_frame"], atol=1e-4)
    # the frame count is n // 320: one less than ceil((n // 160 + 1) / 2), for every length
    assert [encoder_frames(n) for n in (319, 320, 639, 640, 20837)] == [0, 1, 1, 2, 65]
    padded, lengths = batch_features(waves, isolate=False)
    for i, exp in enumerate(EXPECTED["batch"]["samples"]):
        ref = exp["features"]
        assert list(padded.shape) == exp["features_batch_shape"] and lengths[i] == ref["valid_frames"]
        valid = padded[i, : lengths[i]].double()
        assert close(float(valid.sum()), ref["sum"], rel=1e-6)
        np.testing.assert_allclose(valid[-1, :5].numpy(), ref["first5_last_valid_frame"], atol=1e-4)


def test_encoder_and_bpe_head_match_reference(model: NarModel, waves: list[np.ndarray]) -> None:
    with torch.inference_mode():
        for wave, exp in zip(waves, SINGLE, strict=True):
            enc = model.encode([wave])
            hidden = enc.concat_hidden[0].double()
            ref = exp["encoder_concat_hidden_valid"]
            assert list(hidden.shape) == ref["shape"]
            assert close(float(hidden.sum()), ref["sum"])
            assert close(float(hidden.abs().mean()), ref["mean_abs"], abs_=1e-6)
            np.testing.assert_allclose(hidden[0, :5].numpy(), ref["first5_frame0"], atol=1e-4)
            bpe = model.bpe_logits(enc, 0).double()
            ref = exp["bpe_logits_valid"]
            assert list(bpe.shape) == ref["shape"]
            assert close(float(bpe.sum()), ref["sum"])
            np.testing.assert_allclose(bpe[0, :5].numpy(), ref["first5_window0"], atol=1e-4)
            assert bpe.argmax(-1).tolist() == ref["argmax"]
            columns = [80, 3, 19, 95]
            full = torch.log_softmax(bpe, dim=-1)[:, columns].numpy()
            np.testing.assert_allclose(model.ctc_log_probs(wave, columns), full, atol=1e-5)


def _check_record(res, exp) -> None:
    """One input's draft, audio embeddings, slot logits and ids (1 and 2 editing steps) against a reference record."""
    assert res.draft == exp["ctc_hypothesis_ids"]
    emb = res.audio_embeds.double()
    assert list(emb.shape) == exp["audio_embeds_valid"]["shape"]
    assert close(float(emb.sum()), exp["audio_embeds_valid"]["sum"])
    np.testing.assert_allclose(emb[0, :5].numpy(), exp["audio_embeds_valid"]["first5_row0"], atol=1e-4)
    logits = res.logits[0].double()
    ref = exp["final_logits"]
    assert list(logits.shape) == ref["shape"] == [len(exp["inserted_slot_ids"]), 96]
    assert close(float(logits.sum()), ref["sum"])
    assert close(float(logits.abs().mean()), ref["mean_abs"], abs_=1e-6)
    np.testing.assert_allclose(logits[0, :5].numpy(), ref["first5_row0"], atol=1e-4)
    np.testing.assert_allclose(logits[-1, :5].numpy(), ref["first5_last_row"], atol=1e-4)
    assert logits.argmax(-1).tolist() == ref["argmax"]
    assert res.steps[0] == exp["final_prediction_ids"]
    two = exp["two_step"]
    assert res.steps[1] == res.ids == two["final_prediction_ids"]
    assert res.logits[1].argmax(-1).tolist() == two["final_logits"]["argmax"]
    assert close(float(res.logits[1].double().sum()), two["final_logits"]["sum"])


def test_single_inputs_reproduce_reference_ids_and_logits(singles) -> None:
    for res, exp in zip(singles, SINGLE, strict=True):
        _check_record(res, exp)


def test_short_draft_gets_at_least_eight_slots(singles) -> None:
    """Input 0 alone drafts 3 tokens: 7 slots by 2n + 1, 8 by the remote code's rule, which its ids depend on."""
    assert len(SINGLE[0]["ctc_hypothesis_ids"]) == 3
    assert SINGLE[0]["inserted_slot_ids"] == [80, 19, 80, 19, 80, 83, 80, 80]
    assert singles[0].logits[0].shape[0] == 8


def test_reference_batch_is_reproduced_with_its_padding(model: NarModel, waves) -> None:
    """`isolate=False` reproduces the reference's batch of 3 exactly, zero padding leaking into inputs 0 and 1."""
    batch = model.run(waves, num_editing_steps=2, keep_details=True, isolate=False)
    recorded = EXPECTED["batch"]
    assert recorded["order"] == [0, 1, 2]
    assert [r.audio_embeds.shape[0] for r in batch] == recorded["packed"]["audio_tokens_per_sample"]
    assert [r.logits[0].shape[0] for r in batch] == recorded["packed"]["seq_lengths"]
    for res, exp in zip(batch, recorded["samples"], strict=True):
        _check_record(res, exp)
    with torch.inference_mode():
        enc = model.encode(waves, isolate=False)
        for i, exp in enumerate(recorded["samples"]):
            n = exp["features"]["valid_frames"]
            hidden = enc.concat_hidden[i, :n].double()
            assert list(enc.concat_hidden.shape[:2]) == exp["features_batch_shape"][:2]
            assert close(float(hidden.sum()), exp["encoder_concat_hidden_valid"]["sum"])
            assert model.bpe_logits(enc, i).argmax(-1).tolist() == exp["bpe_logits_valid"]["argmax"]


def test_batch_gives_exactly_what_each_input_gives_alone(model: NarModel, waves, singles) -> None:
    batch = model.run(waves, num_editing_steps=2, keep_details=True)
    for got, alone, exp in zip(batch, singles, SINGLE, strict=True):
        assert got.draft == alone.draft == exp["ctc_hypothesis_ids"]
        assert got.steps == alone.steps == [exp["final_prediction_ids"], exp["two_step"]["final_prediction_ids"]]
        torch.testing.assert_close(got.logits[0], alone.logits[0], atol=1e-5, rtol=1e-5)
        assert got.ctc_columns == alone.ctc_columns and got.ctc_columns[0] == 80
        np.testing.assert_allclose(got.ctc_log_probs, alone.ctc_log_probs, atol=1e-5)
    # one editing step (the default), and order and repetition do not matter either
    again = model.decode_ids([waves[2], waves[0], waves[2]])
    ids = [s["final_prediction_ids"] for s in SINGLE]
    assert again == [ids[2], ids[0], ids[2]]


def test_reference_batch_padding_differs_but_ours_does_not(model: NarModel, waves) -> None:
    """The reference's unmasked batch changes input 0; ours gives its single result in any batch."""
    ref_batch0 = EXPECTED["batch"]["samples"][0]["final_prediction_ids"]
    assert ref_batch0 != SINGLE[0]["final_prediction_ids"]  # the fixture records the reference's padding effect
    assert model.decode_ids(waves)[0] == SINGLE[0]["final_prediction_ids"]
    assert EXPECTED["batch"]["samples"][2]["final_prediction_ids"] == SINGLE[2]["final_prediction_ids"]


def test_empty_and_tiny_inputs(model: NarModel) -> None:
    out = model.decode_ids([np.zeros(0, np.float32), np.zeros(319, np.float32), np.zeros(400, np.float32)])
    assert out[0] == [] and out[1] == []  # shorter than one 20 ms encoder frame
    assert all(isinstance(t, int) for t in out[2])
    assert model.decode_ids([]) == []
    assert model.ctc_log_probs(np.zeros(300, np.float32), [80]).shape == (0, 1)
