"""ARRunner on the tiny saved models: parity with transformers' own processor + generate, batching, prompts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import BatchFeature, GraniteSpeechFeatureExtractor, GraniteSpeechProcessor

from app.asr.granite.ar_runner import ARRunner
from app.asr.granite.features import audio_token_count, log_mel_features
from app.asr.granite.prompts import PLUS_SYSTEM_MESSAGE, chat_messages, instruction
from tests.tiny_models import shared_tiny

MAX_NEW = 12


class _InjectedExtractor(GraniteSpeechFeatureExtractor):
    """transformers' extractor with the app's features injected (its own needs torchaudio, absent here).

    Everything else, the audio token counts and the feature mask, is transformers' own code.
    """

    def __init__(self) -> None:  # skip the torchaudio MelSpectrogram the parent builds
        self.sampling_rate = 16000
        self.melspec_kwargs = {"hop_length": 160}
        self.projector_window_size = 15
        self.projector_downsample_rate = 5

    def __call__(self, audios, device="cpu") -> BatchFeature:
        features, _ = log_mel_features(list(audios))
        sizes = self._get_num_audio_features([len(a) for a in audios])
        mask = torch.arange(max(sizes)).view(1, -1) < torch.tensor(sizes).view(-1, 1)
        return BatchFeature(data={"input_features": features, "audio_embed_sizes": sizes, "input_features_mask": mask})


def _pieces(speech: np.ndarray) -> list[np.ndarray]:
    t = np.arange(16000 * 3) / 16000
    tone = (0.3 * np.sin(2 * np.pi * 440 * t) * np.sin(2 * np.pi * 2 * t)).astype(np.float32)
    return [tone, speech[: int(16000 * 1.7)].astype(np.float32)]


def _reference_ids(runner: ARRunner, pieces: list[np.ndarray], text: str) -> list[list[int]]:
    """Direct model.generate on inputs built by GraniteSpeechProcessor (one batch, transformers' path)."""
    tokenizer = runner.tokenizer
    tokenizer.padding_side = "left"
    processor = GraniteSpeechProcessor(_InjectedExtractor(), tokenizer)
    prompt = tokenizer.apply_chat_template(
        chat_messages(runner.family, text), tokenize=False, add_generation_prompt=True
    )
    inputs = processor(text=[prompt] * len(pieces), audio=pieces, return_tensors="pt")
    assert inputs["input_ids"].eq(runner.audio_token_id).sum(1).tolist() == [audio_token_count(len(p)) for p in pieces]
    with torch.inference_mode():
        out = runner.model.generate(
            input_ids=inputs["input_ids"],
            attention_mask=inputs["attention_mask"],
            input_features=inputs["input_features"],
            input_features_mask=inputs["input_features_mask"],
            max_new_tokens=MAX_NEW,
            do_sample=False,
            num_beams=1,
        )
    return [runner._cut(row) for row in out[:, inputs["input_ids"].shape[1] :].tolist()]


@pytest.fixture(scope="module", params=["granite", "plus"])
def runners(request, tmp_path_factory) -> dict[bool, ARRunner]:
    folder = shared_tiny(tmp_path_factory, request.param)
    exact = ARRunner.load(str(folder), device="cpu")
    padded = ARRunner(
        exact.model, exact.tokenizer, exact.spec, exact.folder, exact.device, exact.dtype, exact_batches=False
    )
    return {True: exact, False: padded}


def test_single_piece_matches_processor_and_generate(runners, speech_16k) -> None:
    for runner in runners.values():
        text = instruction(runner.family, "raw")
        for piece in _pieces(speech_16k):
            ours = runner.generate_ids([piece], text, MAX_NEW)
            assert ours == _reference_ids(runner, [piece], text)
            assert len(ours[0]) > 0


def test_padded_batch_matches_processor_batch(runners, speech_16k) -> None:
    runner = runners[False]
    text = instruction(runner.family, "raw", keywords=("Mayor", "NASA"))
    pieces = _pieces(speech_16k)
    assert runner.generate_ids(pieces, text, MAX_NEW) == _reference_ids(runner, pieces, text)


def test_exact_batch_equals_each_piece_alone_and_transformers_solo(runners, speech_16k) -> None:
    runner = runners[True]
    text = instruction(runner.family, "raw")
    pieces = _pieces(speech_16k)
    batch = runner.generate_ids(pieces, text, MAX_NEW)
    solos = [runner.generate_ids([p], text, MAX_NEW)[0] for p in pieces]
    assert batch == solos
    assert batch == [_reference_ids(runner, [p], text)[0] for p in pieces]
    assert batch[0] != batch[1]  # the output depends on the audio


def test_build_inputs_left_pads_and_counts_audio_tokens(runners, speech_16k) -> None:
    runner = runners[True]
    pieces = _pieces(speech_16k)
    batch = runner.build_inputs(pieces, instruction(runner.family, "raw"))
    counts = [audio_token_count(len(p)) for p in pieces]
    assert batch.audio_tokens == tuple(counts)
    assert batch.input_ids.eq(runner.audio_token_id).sum(1).tolist() == counts
    assert batch.input_features.shape[0] == 2 and batch.input_features.shape[2] == 160
    assert batch.input_features_mask.sum(1).tolist() == counts
    short = int(np.argmin(counts))
    pad = batch.attention_mask.shape[1] - int(batch.attention_mask[short].sum())
    assert pad == abs(counts[0] - counts[1])
    assert batch.attention_mask[short, :pad].sum() == 0 and batch.input_ids[short, :pad].eq(runner.pad_token_id).all()


def test_generate_returns_text_without_special_tokens(runners, speech_16k) -> None:
    runner = runners[True]
    texts = runner.generate(_pieces(speech_16k), instruction(runner.family, "raw"), MAX_NEW)
    assert len(texts) == 2 and all(isinstance(t, str) for t in texts)
    for t in texts:
        assert "<|" not in t


def test_prompt_goes_through_the_chat_template(runners) -> None:
    runner = runners[True]
    ids = runner.prompt_ids(instruction(runner.family, "raw"), 6)
    text = runner.tokenizer.decode(ids)
    assert text.count("<|audio|>") == 6
    if runner.family == "plus":
        assert text.endswith("<|start_of_role|>assistant<|end_of_role|>")
        assert text.startswith("<|start_of_role|>system<|end_of_role|>" + PLUS_SYSTEM_MESSAGE)
        cont = runner.tokenizer.decode(
            runner.prompt_ids(instruction("plus", "speakers"), 3, prefix_text="[Speaker 1]: hello")
        )
        assert cont.endswith("<|end_of_role|>[Speaker 1]: hello")
    else:  # the 4.1-2b template: USER: ...\n ASSISTANT:
        assert text == "USER: " + "<|audio|>" * 6 + "can you transcribe the speech into a written format?\n ASSISTANT:"


def test_prompt_strings_are_the_trained_ones() -> None:
    assert instruction("granite", "punctuated") == (
        "<|audio|>transcribe the speech with proper punctuation and capitalization."
    )
    assert instruction("granite", "raw") == "<|audio|>can you transcribe the speech into a written format?"
    assert instruction("granite", "punctuated", keywords=["Jane  Doe", "NATO", " "]) == (
        "<|audio|>transcribe the speech to text. Keywords: Jane Doe, NATO"
    )
    assert instruction("granite", "translate", "ja") == (
        "<|audio|>translate the speech to Japanese with proper punctuation and capitalization."
    )
    assert instruction("granite", "translate", "zh").startswith("<|audio|>translate the speech to Mandarin ")
    assert instruction("plus", "raw") == "<|audio|> can you transcribe the speech into a written format?"
    assert instruction("plus", "speakers", keywords=["Ana"]).endswith("before speaker turns. Keywords: Ana")
    assert instruction("plus", "timestamps").startswith("<|audio|> Timestamps: Transcribe the speech.")
    from app.core.errors import ModelError

    with pytest.raises(ModelError):
        instruction("granite", "timestamps")
    with pytest.raises(ModelError):
        instruction("granite", "translate", "xx")


def test_out_of_memory_is_raised_as_torch_out_of_memory(runners, speech_16k, monkeypatch) -> None:
    runner = runners[False]

    def exhausted(*args, **kwargs):
        raise RuntimeError("MPS backend out of memory (MPS allocated: 17.9 GB)")

    monkeypatch.setattr(runner.model, "generate", exhausted)
    with pytest.raises(torch.OutOfMemoryError):
        runner.generate(_pieces(speech_16k), instruction(runner.family, "raw"), MAX_NEW)


def test_output_stops_at_end_of_text_and_respects_the_limit(runners, speech_16k) -> None:
    runner = runners[True]
    eos = runner.tokenizer.eos_token_id
    for limit in (1, 5):
        for ids in runner.generate_ids(_pieces(speech_16k), instruction(runner.family, "raw"), limit):
            assert len(ids) <= limit and eos not in ids
    held = runner.generate_ids(_pieces(speech_16k), instruction(runner.family, "raw"), 7, min_new_tokens=7)
    assert [len(ids) for ids in held] == [7, 7]
