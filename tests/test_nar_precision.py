"""The blank weights (1 - p_blank) and the BPE pooling are float32 in a bf16 model too (run here on the CPU).

In bfloat16, 0.9995 rounds to 1.0, so 1 - p_blank would be 0 for every frame of a quiet window and the window
would pool to nothing. The test makes every frame's blank probability 0.9995 (mid-CTC head: zero weights,
bias favouring the blank) in a bf16 copy of the fixture model: then every frame weighs the same, and each
pooled window must be the plain float32 mean of its frames' final hidden states.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from app.asr.nar import NarModel, load_nar

FIXTURE = Path(__file__).parent / "data" / "granite_nar_tiny"
P_BLANK = 0.9995


@pytest.fixture(scope="module")
def quiet_bf16_model() -> NarModel:
    model = load_nar(FIXTURE, dtype=torch.bfloat16)
    out = model.encoder.out
    classes = out.out_features
    with torch.no_grad():
        out.weight.zero_()
        out.bias.zero_()
        out.bias[0] = math.log(P_BLANK * (classes - 1) / (1 - P_BLANK))  # softmax gives the blank P_BLANK
    return model


def test_bf16_would_round_the_blank_weight_to_zero() -> None:
    """The premise: in bf16 the weight of such a frame is exactly 0."""
    p = torch.tensor(P_BLANK, dtype=torch.bfloat16)
    assert float(1 - p) == 0.0
    assert 1 - torch.tensor(P_BLANK, dtype=torch.float32) > 4e-4


def test_pooling_is_float32_in_a_bf16_model(quiet_bf16_model: NarModel) -> None:
    model = quiet_bf16_model
    wave = sf.read(FIXTURE / "input_1.wav", dtype="float32")[0]
    with torch.inference_mode():
        enc = model.encode([wave])
    assert enc.concat_hidden.dtype == torch.bfloat16
    assert enc.pooled.dtype == torch.float32
    frames = enc.lengths[0]
    hidden = model.cfg.encoder.hidden_dim
    final = enc.concat_hidden[0, :frames, -hidden:].float()  # the last layer: what the BPE head pools
    w = model.cfg.encoder.pooling_window
    windows = enc.bpe_lengths[0]
    expected = torch.stack([final[k * w : (k + 1) * w].mean(dim=0) for k in range(windows)])
    pooled = enc.pooled[0, :windows]
    torch.testing.assert_close(pooled, expected, atol=1e-5, rtol=1e-5)
    assert float(pooled.abs().mean()) > 0.1  # not the zeros a bf16 weight of 0 would give


def test_bpe_logits_and_draft_are_not_those_of_empty_windows(quiet_bf16_model: NarModel) -> None:
    """With zero-pooled windows every window's logits would be the head's bias and the draft one token at most."""
    model = quiet_bf16_model
    wave = sf.read(FIXTURE / "input_2.wav", dtype="float32")[0]
    with torch.inference_mode():
        enc = model.encode([wave])
        logits = model.bpe_logits(enc, 0).float()
    bias = model.out_bpe.bias.float()
    assert float((logits - bias).abs().max()) > 0.5
    assert len(set(logits.argmax(-1).tolist())) > 1
    log_probs = model.ctc_log_probs(wave, [80, 3])
    assert log_probs.dtype == np.float32 and log_probs.shape == (enc.bpe_lengths[0], 2)
    assert np.all(np.isfinite(log_probs))
