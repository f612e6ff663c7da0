"""One masked encoder pass over pieces of different lengths gives what each piece gives alone.

Tiny Granite and Plus models (context blocks of 20 frames, so lengths below cross several blocks and
projector windows; Plus also concatenates an inner layer). The reference is transformers' own
`get_audio_features` on each piece alone.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.asr.granite.ar_runner import ARRunner
from app.asr.granite.batched_encoder import encode_padded
from app.asr.granite.ctc_head import capture_mid_blank
from app.asr.granite.features import audio_token_count, log_mel_features
from app.asr.granite.prompts import instruction
from tests.tiny_models import shared_tiny

SECONDS = (0.9, 2.33, 1.41, 3.0, 0.26)


def _pieces(speech: np.ndarray) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    out = []
    for i, s in enumerate(SECONDS):
        n = int(s * 16_000)
        start = int(rng.integers(0, len(speech) - n))
        out.append(speech[start : start + n] + (0.01 * i) * rng.standard_normal(n).astype(np.float32))
    return out


@pytest.fixture(scope="module", params=["granite", "plus"])
def runner(request, tmp_path_factory) -> ARRunner:
    return ARRunner.load(str(shared_tiny(tmp_path_factory, request.param)), device="cpu")


def test_one_pass_equals_each_piece_alone(runner: ARRunner, speech_16k: np.ndarray) -> None:
    pieces = _pieces(speech_16k)
    feats, frames = log_mel_features(pieces)
    assert len(set(frames)) == len(frames)  # all lengths differ
    encoder = runner.model.model.encoder
    with torch.inference_mode(), capture_mid_blank(encoder) as box:
        hidden, emb = encode_padded(runner.model, feats, frames)
        blank = box["blank"]
    for i, (piece, n) in enumerate(zip(pieces, frames, strict=True)):
        alone_feats, _ = log_mel_features([piece])
        with torch.inference_mode(), capture_mid_blank(encoder) as solo_box:
            alone = runner.model.get_audio_features(alone_feats, return_dict=True)
        tokens = audio_token_count(len(piece))
        assert alone.pooler_output.shape[1] == tokens
        torch.testing.assert_close(hidden[i, :n], alone.last_hidden_state[0], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(emb[i, :tokens], alone.pooler_output[0], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(blank[i, :n], solo_box["blank"][0], rtol=1e-5, atol=1e-5)
        assert not hidden[i, n:].any()  # the padding is zero: the projector's last window sees zeros
    assert torch.isfinite(emb).all()


def test_a_batch_of_different_lengths_is_one_encoder_pass(runner: ARRunner, speech_16k: np.ndarray) -> None:
    pieces = _pieces(speech_16k)
    text = instruction(runner.family, "raw")
    before = runner.encoder_passes
    batch = runner.generate_ids(pieces, text, 8)
    assert runner.encoder_passes - before == 1
    assert batch == [runner.generate_ids([p], text, 8)[0] for p in pieces]
    assert runner.encoder_passes - before == 1 + len(pieces)
