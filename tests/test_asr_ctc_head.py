"""The 4.1-2b BPE CTC head (`out_llm.safetensors`): loading and its checks, pooling, drafts, and alignment
with it (`verbatim align --model <4.1-2b folder>`), on the tiny granite model with a random head."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from safetensors.torch import save_file

from app.asr.align.forced import align_words, load_ctc_aligner
from app.asr.granite.ar_runner import ARRunner
from app.asr.granite.ctc_head import HEAD_FILE, capture_mid_blank, labels_to_tokens, load_ctc_head
from app.cli import main
from app.core.document import TimingSource, Transcript, Word
from app.core.errors import ModelError
from app.core.project import Project, load_project, save_project
from tests.tiny_models import shared_tiny

HIDDEN, LABELS = 32, 401  # the tiny granite model: encoder hidden 32, LLM vocabulary 401 (400 tokens + <|audio|>)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_tiny(tmp_path_factory, "granite_ctc")


@pytest.fixture(scope="module")
def runner(folder: Path) -> ARRunner:
    return ARRunner.load(str(folder), device="cpu", speculative=True)


def test_head_loads_with_the_model_shapes(folder: Path, runner: ARRunner) -> None:
    head = load_ctc_head(folder, HIDDEN, LABELS)
    assert (head.labels, head.hidden) == (LABELS, HIDDEN)
    assert runner.ctc_head is not None and runner.ctc_head.labels == LABELS
    assert head.frame_s == pytest.approx(0.08)
    plain = ARRunner(runner.model, runner.tokenizer, runner.spec, runner.folder, runner.device, runner.dtype)
    assert plain.ctc_head is None and not plain.speculative  # the default is unchanged


@pytest.mark.parametrize(
    "tensors, match",
    [
        ({"weight": torch.zeros(LABELS, HIDDEN + 1), "bias": torch.zeros(LABELS)}, "reads 33 features"),
        ({"weight": torch.zeros(LABELS + 5, HIDDEN), "bias": torch.zeros(LABELS + 5)}, "do not map"),
        ({"weight": torch.zeros(LABELS, HIDDEN), "bias": torch.zeros(LABELS - 1)}, "not one linear layer"),
        ({"weight": torch.zeros(LABELS, HIDDEN)}, "exactly a weight and a bias"),
        ({"weight": torch.zeros(LABELS, HIDDEN), "bias": torch.zeros(LABELS), "extra": torch.zeros(1)}, "exactly"),
        ({"weight": torch.full((LABELS, HIDDEN), float("nan")), "bias": torch.zeros(LABELS)}, "non-finite"),
    ],
)
def test_malformed_heads_are_a_clear_model_error(tmp_path: Path, tensors: dict, match: str) -> None:
    save_file(tensors, str(tmp_path / HEAD_FILE))
    with pytest.raises(ModelError, match=match) as info:
        load_ctc_head(tmp_path, HIDDEN, LABELS)
    assert HEAD_FILE in str(info.value) and "\n" not in str(info.value)


def test_unreadable_head_and_runner_load_with_a_bad_head(tmp_path: Path, folder: Path) -> None:
    (tmp_path / HEAD_FILE).write_bytes(b"not a safetensors file at all")
    with pytest.raises(ModelError, match="corrupt"):
        load_ctc_head(tmp_path, HIDDEN, LABELS)
    with pytest.raises(ModelError, match="no CTC head"):
        load_ctc_head(tmp_path / "nowhere", HIDDEN, LABELS)
    copy = tmp_path / "model"
    shutil.copytree(folder, copy)
    save_file({"weight": torch.zeros(LABELS, 16), "bias": torch.zeros(LABELS)}, str(copy / HEAD_FILE))
    with pytest.raises(ModelError, match="reads 16 features, the encoder gives 32"):
        ARRunner.load(str(copy), device="cpu", speculative=True)
    assert ARRunner.load(str(copy), device="cpu").ctc_head is None  # not asked for: not read


def test_greedy_ctc_maps_labels_to_tokens() -> None:
    # label 0 is the blank, label i is token i - 1; repeats merge unless a blank separates them
    assert labels_to_tokens([0, 5, 5, 0, 5, 3, 3, 0, 0, 1]) == [4, 4, 2, 0]
    assert labels_to_tokens([0, 0]) == []


def test_pooling_weights_frames_by_one_minus_blank(runner: ARRunner) -> None:
    head = runner.ctc_head
    assert head is not None
    gen = torch.Generator().manual_seed(0)
    hidden = torch.randn(10, HIDDEN, generator=gen)
    blank = torch.rand(10, generator=gen)
    pooled = head.pool(hidden, blank)
    assert pooled.shape == (3, HIDDEN)  # ceil(10 / 4) windows, the last one holds frames 8 and 9 only
    for w in range(3):
        frames = range(4 * w, min(10, 4 * w + 4))
        weights = torch.tensor([1 - float(blank[t]) for t in frames])
        expected = sum(weights[k] * hidden[t] for k, t in enumerate(frames)) / weights.sum()
        torch.testing.assert_close(pooled[w], expected, rtol=1e-5, atol=1e-5)
    certain = blank.clone()
    certain[:4] = torch.tensor([1.0, 1.0, 0.0, 1.0])  # only frame 2 is speech in the first window
    torch.testing.assert_close(head.pool(hidden, certain)[0], hidden[2], rtol=1e-5, atol=1e-5)


def test_mid_layer_blank_and_drafts_from_the_encoder(runner: ARRunner, speech_16k: np.ndarray) -> None:
    """The hook sees the encoder's own mid-layer CTC; drafts are the greedy CTC of the head's log-posteriors."""
    from app.asr.granite.features import log_mel_features

    encoder = runner.model.model.encoder
    feats, frames = log_mel_features([speech_16k[:32000]])
    with torch.inference_mode():
        with capture_mid_blank(encoder) as box:
            out = encoder(feats, return_dict=True).last_hidden_state
        x = encoder.input_linear(feats)
        for layer in encoder.layers[: encoder.num_layers // 2]:
            x = layer(x, attention_dists=encoder.attention_dists)
        expected = torch.softmax(encoder.out(x), dim=-1)[..., 0]
        torch.testing.assert_close(box["blank"], expected)
        head = runner.ctc_head
        states = [(out[0], box["blank"][0])]
        lp = head.log_probs(*states[0])
        assert lp.shape == (-(-frames[0] // 4), LABELS)
        torch.testing.assert_close(lp.exp().sum(-1), torch.ones(lp.shape[0]))
        assert head.draft_ids(states) == [labels_to_tokens(lp.argmax(-1).tolist())]
        cols = [-1, 5, 17]
        picked = head.token_log_probs(*states[0], cols)
        np.testing.assert_allclose(picked, lp[:, [0, 6, 18]].numpy(), rtol=1e-5, atol=1e-5)


def test_2b_alignment_gives_monotonic_words_inside_the_audio(folder: Path, speech_16k: np.ndarray) -> None:
    model, tokenizer = load_ctc_aligner(str(folder), "cpu")
    text = "hello from the newsroom the mayor said the bridge opens in may"
    words = align_words(model, speech_16k, text, tokenizer, offset_ms=2000, speaker="S1")
    assert [w.text for w in words] == text.split()
    end_ms = 2000 + len(speech_16k) * 1000 // 16000
    for w in words:
        assert 2000 <= w.start_ms <= w.end_ms <= end_ms
        assert w.source == TimingSource.ALIGNED and w.speaker == "S1"
    for a, b in zip(words, words[1:]):
        assert a.end_ms <= b.start_ms
    assert words[-1].end_ms > words[0].start_ms
    with pytest.raises(ModelError, match="too long"):
        align_words(model, speech_16k[:3200], text, tokenizer)


def test_align_command_with_a_2b_folder(folder: Path, tmp_path: Path, speech_16k: np.ndarray,
                                        tmp_path_factory: pytest.TempPathFactory,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    sf.write(tmp_path / "talk.wav", speech_16k, 16000, subtype="PCM_16")
    texts = "hello from the newsroom the mayor said the bridge opens in may".split()
    words = [Word(t, 200 + 300 * k, 400 + 300 * k, "S1", None,
                  TimingSource.INTERPOLATED if 3 <= k <= 7 else TimingSource.MODEL) for k, t in enumerate(texts)]
    save_project(Project(Transcript.from_words(words), media_path=tmp_path / "talk.wav"), tmp_path / "talk.verbatim")
    out = tmp_path / "aligned.verbatim"
    args = ["align", str(tmp_path / "talk.verbatim"), "--model", str(folder), "--device", "cpu", "-o", str(out)]
    assert main(args) == 0
    assert "Aligned 5 words" in capsys.readouterr().out
    new = list(load_project(out).transcript.words)
    assert [w.text for w in new] == texts
    assert [w.source for w in new[3:8]] == [TimingSource.ALIGNED] * 5
    assert new[:3] == words[:3] and new[8:] == words[8:]
    for a, b in zip(new, new[1:]):
        assert a.start_ms <= a.end_ms <= b.start_ms
    # a 4.1-2b folder without the head file is refused with one sentence
    assert main(["align", str(tmp_path / "talk.verbatim"), "--model", str(shared_tiny(tmp_path_factory))]) == 1
    assert "has no CTC head" in capsys.readouterr().err
