"""Batched greedy decoding with the autoregressive Granite Speech models (4.1-2b, 4.1-2b-plus, 4.0-1b).

`ARRunner` owns a loaded model and its tokenizer. One call to `generate` runs one batch: it computes
the features with `app.asr.granite.features`, renders the instruction with the tokenizer's chat template,
expands the `<|audio|>` placeholder to each piece's audio token count, left-pads the prompts, and
decodes greedily.

Batching modes. transformers' own path runs the speech encoder over the right-padded feature batch;
the encoder has no padding mask (block attention and convolutions see the padding), so a short piece
comes out slightly different in a batch than alone. With `exact_batches=True` (the default) the runner
encodes the whole batch in one pass with the padding masked (`app.asr.granite.batched_encoder`), then decodes
all pieces in one left-padded batch: every piece gets the same tokens whatever batch it is in (so
halving a batch on out-of-memory changes nothing). `exact_batches=False` is transformers' path exactly.
That holds in fp32 and bf16. With the language model in int8 (the CPU choice where it decodes fastest) each
product quantizes its input with one scale for the whole batch, so a piece's tokens can differ slightly with
the pieces it is batched with (and a self-speculative pass with the tokens it verifies); the same recording
run the same way gives the same transcript.

A CUDA (or MPS) out-of-memory error is raised as `torch.OutOfMemoryError` with the GPU cache emptied,
so the caller can halve the batch and retry.

Self-speculative decoding (opt-in: `ARRunner.load(..., speculative=True)`, used only when the model folder
ships the BPE CTC head `out_llm.safetensors`, i.e. 4.1-2b): the encoder pass that feeds the projector also
feeds the head, whose greedy CTC output is the draft the LLM verifies (`app.asr.granite.speculative`). The token ids
are those of plain greedy decoding; only the number of LLM forward passes changes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from app.asr.granite.batched_encoder import encode_padded
from app.asr.granite.ctc_head import CtcHead, capture_mid_blank, load_ctc_head
from app.asr.granite.features import audio_token_count, log_mel_features
from app.asr.granite.lean_decoder import LeanDecoder
from app.asr.granite.prompts import AUDIO_TOKEN, render_prompt
from app.asr.granite.speculative import SpeculativeStats, default_max_draft, speculative_greedy
from app.asr.models.head_file import has_ctc_head
from app.asr.models.loading import load_ar_model_with_precision, pick_device
from app.asr.models.registry import ModelSpec, read_model_type, resolve_model
from app.core.errors import ModelError

EncoderStates = list[tuple[torch.Tensor, "torch.Tensor | None"]]  # per piece: encoder states [T, D], P(blank) [T]

# generation_config settings that change greedy choices, with the value that leaves them off; the app's own
# decoding loop (self-speculative, and plain greedy on the CPU) does not apply them, so a model that sets one
# decodes through transformers' generate (min_new_tokens passed to generate_ids is honoured by both)
_UNSUPPORTED_SETTINGS: dict[str, Any] = {
    "repetition_penalty": 1.0, "no_repeat_ngram_size": 0, "bad_words_ids": None, "suppress_tokens": None,
    "begin_suppress_tokens": None, "sequence_bias": None, "forced_bos_token_id": None, "forced_eos_token_id": None,
    "encoder_repetition_penalty": 1.0, "exponential_decay_length_penalty": None, "min_new_tokens": None,
    "min_length": 0,
}


@dataclass(frozen=True, slots=True)
class ARBatch:
    """The model inputs for one batch (all tensors on the runner's device)."""

    input_ids: torch.Tensor  # [B, L] left-padded
    attention_mask: torch.Tensor  # [B, L]
    input_features: torch.Tensor  # [B, T, 160] float32, right-padded
    input_features_mask: torch.Tensor  # [B, audio tokens of the longest piece] bool
    audio_tokens: tuple[int, ...]  # audio tokens of each piece
    frames: tuple[int, ...]  # valid feature frames of each piece


class ARRunner:
    """A loaded AR Granite Speech model, its tokenizer, and batched greedy decoding."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        spec: ModelSpec,
        folder: Path,
        device: torch.device,
        dtype: torch.dtype,
        exact_batches: bool = True,
        ctc_head: CtcHead | None = None,
        speculative: bool = False,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.spec = spec
        self.folder = folder
        self.device = device
        self.dtype = dtype
        self.exact_batches = exact_batches
        self.family = spec.family
        self.audio_token_id = int(model.config.audio_token_id)
        if tokenizer.convert_tokens_to_ids(AUDIO_TOKEN) != self.audio_token_id:
            raise ModelError(f"The tokenizer in {folder} does not match the model's audio token id.")
        self._prompt_cache: dict[tuple[str, str | None], tuple[list[int], list[int]]] = {}
        self.pad_token_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.ctc_head = ctc_head
        self.speculative = speculative
        self.last_speculative_stats: SpeculativeStats | None = None
        self.precision_plan: Any = None  # the app.asr.models.precision.PrecisionPlan it was loaded in (set by load)
        self._early_fallbacks = 0  # speculative batches in a row that stopped drafting at once
        self._norm_cache: dict[int, str] = {}
        self.encoder_passes = 0  # encoder forward passes so far (benchmarks count them)
        self.lean = LeanDecoder.for_model(model, device)  # CPU decoding passes without transformers' overhead

    @classmethod
    def load(
        cls, path_or_spec: str | os.PathLike[str] | ModelSpec, device: str | None = None, exact_batches: bool = True,
        speculative: bool = False, precision: str | None = None,
    ) -> ARRunner:
        """Load from a key ("2b", "plus", "4.0-1b"), a ModelSpec or a local folder; `device` as in pick_device.

        `precision` ("auto", "fp32", "bf16", "int8"; None = the saved choice) as in `app.asr.models.precision`.

        `speculative=True` loads the folder's BPE CTC head (where it ships one) and makes `generate_ids`
        decode self-speculatively; without a head it changes nothing.
        """
        from transformers import AutoTokenizer

        target = path_or_spec.key if isinstance(path_or_spec, ModelSpec) else path_or_spec
        spec, folder = resolve_model(target)
        assert folder is not None
        if spec.family not in ("granite", "plus"):
            raise ModelError(f"{spec.display_name} is not an autoregressive model; it has its own engine.")
        model_type = read_model_type(folder)
        if (folder / "adapter_config.json").is_file():
            import importlib.util

            if importlib.util.find_spec("peft") is None:
                raise ModelError(f"{spec.display_name} ships a LoRA adapter that needs the peft package; "
                                 "pip install peft.")
        dev, dtype = pick_device(device)
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
        except (OSError, ValueError) as exc:
            raise ModelError(f"The tokenizer in {folder} cannot be loaded ({str(exc).splitlines()[0][:200]}).") from exc
        model, dtype, plan = load_ar_model_with_precision(folder, model_type, dev, precision)
        head = None
        if speculative and has_ctc_head(folder):
            head = load_ctc_head(folder, int(model.config.encoder_config.hidden_dim),
                                 int(model.config.text_config.vocab_size), dev, dtype)
        runner = cls(model, tokenizer, spec, folder, dev, dtype, exact_batches=exact_batches, ctc_head=head,
                     speculative=speculative)
        runner.precision_plan = plan
        return runner

    # ---- inputs ---------------------------------------------------------------------------------------

    def prompt_ids(self, instruction: str, n_audio_tokens: int, prefix_text: str | None = None) -> list[int]:
        """Token ids of one chat prompt with the `<|audio|>` placeholder expanded to `n_audio_tokens`."""
        before, after = self._prompt_halves(instruction, prefix_text)
        return before + [self.audio_token_id] * n_audio_tokens + after

    def _prompt_halves(self, instruction: str, prefix_text: str | None) -> tuple[list[int], list[int]]:
        key = (instruction, prefix_text)
        cached = self._prompt_cache.get(key)
        if cached is not None:
            return cached
        if instruction.count(AUDIO_TOKEN) != 1:
            raise ValueError("the instruction must hold exactly one <|audio|> placeholder")
        text = render_prompt(self.tokenizer, self.family, instruction, prefix_text)
        ids = list(self.tokenizer(text)["input_ids"])
        where = [i for i, t in enumerate(ids) if t == self.audio_token_id]
        if len(where) != 1:
            raise ModelError("The chat template changed the <|audio|> placeholder; the model folder is inconsistent.")
        halves = (ids[: where[0]], ids[where[0] + 1 :])
        if len(self._prompt_cache) > 64:
            self._prompt_cache.clear()
        self._prompt_cache[key] = halves
        return halves

    def build_inputs(
        self, pieces: Sequence[np.ndarray], instruction: str, prefix_texts: Sequence[str | None] | None = None
    ) -> ARBatch:
        """Features, left-padded prompt ids, attention mask and audio-token mask for one batch."""
        if not pieces:
            raise ValueError("build_inputs needs at least one piece")
        prefixes = list(prefix_texts) if prefix_texts is not None else [None] * len(pieces)
        if len(prefixes) != len(pieces):
            raise ValueError("prefix_texts must have one entry per piece")
        # the STFT runs on the GPU where there is one (a batch of 128 x 30 s is slow on a small CPU)
        features, frames = log_mel_features(pieces, device=self.device if self.device.type == "cuda" else None)
        counts = tuple(audio_token_count(len(p)) for p in pieces)
        rows = [self.prompt_ids(instruction, n, pre) for n, pre in zip(counts, prefixes)]
        width = max(len(r) for r in rows)
        input_ids = torch.full((len(rows), width), self.pad_token_id, dtype=torch.long)
        attention = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            input_ids[i, width - len(row) :] = torch.tensor(row, dtype=torch.long)
            attention[i, width - len(row) :] = 1
        mask = torch.arange(max(counts)).view(1, -1) < torch.tensor(counts).view(-1, 1)
        return ARBatch(
            input_ids.to(self.device),
            attention.to(self.device),
            features.to(self.device),
            mask.to(self.device),
            counts,
            tuple(frames),
        )

    # ---- decoding -------------------------------------------------------------------------------------

    def _audio_embeddings(self, batch: ARBatch, states: EncoderStates | None = None) -> torch.Tensor:
        """Projected audio embeddings [B, max tokens, hidden] from one masked encoder pass over the batch
        (`app.asr.granite.batched_encoder`): each piece gets what it gets alone.

        With a `states` list, each piece's final encoder states and mid-layer P(blank) are appended to it.
        """
        feats = batch.input_features.to(self.dtype)
        capture: AbstractContextManager[dict[str, torch.Tensor]] = (
            capture_mid_blank(self.model.model.encoder) if states is not None else nullcontext({}))
        with capture as box:
            hidden, emb = encode_padded(self.model, feats, batch.frames)
        if states is not None:
            blank = box.get("blank")
            for i, n in enumerate(batch.frames):
                states.append((hidden[i, :n], None if blank is None else blank[i, :n]))
        self.encoder_passes += 1
        return emb[:, : max(batch.audio_tokens)]

    def _padded_audio_embeddings(self, batch: ARBatch, states: EncoderStates) -> torch.Tensor:
        """transformers' batched encoder path (exact_batches=False), keeping each piece's encoder states."""
        with capture_mid_blank(self.model.model.encoder) as box:
            enc = self.model.get_audio_features(batch.input_features.to(self.dtype), return_dict=True)
        self.encoder_passes += 1
        blank = box.get("blank")
        for i, n in enumerate(batch.frames):
            states.append((enc.last_hidden_state[i, :n], None if blank is None else blank[i, :n]))
        pooled: torch.Tensor = enc.pooler_output
        return pooled

    def generate_ids(
        self,
        pieces: Sequence[np.ndarray],
        instruction: str,
        max_new_tokens: int,
        min_new_tokens: int | None = None,
        prefix_texts: Sequence[str | None] | None = None,
    ) -> list[list[int]]:
        """Greedy decode one batch; the new token ids of each piece, cut at the first end of text.

        Self-speculative (same ids, fewer LLM passes) when the runner was loaded with speculative=True and a
        CTC head, and the model's generation settings are plain greedy ones.
        """
        if max_new_tokens < 1:
            raise ValueError("max_new_tokens must be at least 1")
        if self.speculative and self.ctc_head is not None and not self.speculative_blockers():
            return self.speculative_generate_ids(pieces, instruction, max_new_tokens, min_new_tokens, prefix_texts)
        if self.lean is not None and self.exact_batches and not self.speculative_blockers():
            return self._lean_generate_ids(pieces, instruction, max_new_tokens, min_new_tokens, prefix_texts)
        batch = self.build_inputs(pieces, instruction, prefix_texts)
        kwargs: dict[str, Any] = dict(
            attention_mask=batch.attention_mask,
            max_new_tokens=int(max_new_tokens),
            do_sample=False,
            num_beams=1,
            pad_token_id=self.pad_token_id,
        )
        if min_new_tokens:
            kwargs["min_new_tokens"] = int(min_new_tokens)
        with _out_of_memory_as_one_error(self.device), torch.inference_mode():
            if self.exact_batches:
                embeds = self.model.model.get_merged_audio_embeddings(
                    input_ids=batch.input_ids,
                    audio_features=self._audio_embeddings(batch),
                    input_features_mask=batch.input_features_mask,
                )
                out = _plain_generate(self.model, input_ids=batch.input_ids, inputs_embeds=embeds, **kwargs)
            else:
                out = self.model.generate(
                    input_ids=batch.input_ids,
                    input_features=batch.input_features,
                    input_features_mask=batch.input_features_mask,
                    **kwargs,
                )
        new = out[:, batch.input_ids.shape[1] :].tolist()
        return [self._cut(row) for row in new]

    def _lean_generate_ids(
        self,
        pieces: Sequence[np.ndarray],
        instruction: str,
        max_new_tokens: int,
        min_new_tokens: int | None,
        prefix_texts: Sequence[str | None] | None,
    ) -> list[list[int]]:
        """Plain greedy decoding with the app's own loop and `LeanDecoder` passes (the CPU path), without
        generate's per-token overhead: generate's ids in float32 (bf16 and int8: see `app.asr.granite.lean_decoder`)."""
        no_drafts: list[list[int]] = [[] for _ in pieces]
        return self.speculative_generate_ids(pieces, instruction, max_new_tokens, min_new_tokens, prefix_texts,
                                             drafts=no_drafts, max_draft=0)

    # ---- self-speculative decoding ------------------------------------------------------------------

    def speculative_blockers(self) -> list[str]:
        """generation_config settings of this model that the app's own decoding loop cannot honour (then
        neither self-speculative nor the CPU's lean decoding is used: transformers' generate decodes)."""
        config = self.model.generation_config
        out = []
        for name, off in _UNSUPPORTED_SETTINGS.items():
            value = getattr(config, name, None)
            if value is not None and value not in ([], {}) and (off is None or value != off):  # None: unset
                out.append(name)
        return out

    def speculative_generate_ids(
        self,
        pieces: Sequence[np.ndarray],
        instruction: str,
        max_new_tokens: int,
        min_new_tokens: int | None = None,
        prefix_texts: Sequence[str | None] | None = None,
        drafts: Sequence[Sequence[int]] | None = None,
        max_draft: int | None = None,
    ) -> list[list[int]]:
        """What `generate_ids` gives, decoded self-speculatively; stats in `last_speculative_stats`.

        The drafts are the CTC head's greedy output (canonically re-tokenized), or `drafts` when given
        (one list of token ids per piece; any source: a previous pass, another model, a test). `max_draft`
        caps the draft tokens per pass (default: the device's); 0 decodes plainly, one token per pass.
        """
        if drafts is None and self.ctc_head is None:
            raise ModelError(f"{self.spec.display_name} has no CTC head ({self.folder} lacks out_llm.safetensors).")
        if drafts is not None and len(drafts) != len(pieces):
            raise ValueError("drafts must have one entry per piece")
        drafts_given = drafts
        batch = self.build_inputs(pieces, instruction, prefix_texts)
        eos = self.model.generation_config.eos_token_id
        eos_ids = list(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if getattr(self.model, "_hf_peft_config_loaded", False):
            self.model.enable_adapters()
        with _out_of_memory_as_one_error(self.device), torch.inference_mode():
            states: EncoderStates = []
            if self.exact_batches:  # the encoder states only feed the head's drafts
                audio = self._audio_embeddings(batch, states if drafts is None else None)
            else:
                audio = self._padded_audio_embeddings(batch, states)
            if drafts is None:
                assert self.ctc_head is not None
                drafts = [self.canonical_draft(d) for d in self.ctc_head.draft_ids(states)]
            del states
            embeds = self.model.model.get_merged_audio_embeddings(
                input_ids=batch.input_ids, audio_features=audio, input_features_mask=batch.input_features_mask
            )
            out, stats = speculative_greedy(
                self.model, embeds, batch.attention_mask, drafts, int(max_new_tokens), self._stop_ids(),
                self._norm_token, min_new_tokens=int(min_new_tokens or 0), eos_ids=eos_ids,
                pad_token_id=self.pad_token_id, lean=self.lean,
                max_draft=default_max_draft(self.device.type) if max_draft is None else max_draft,
            )
        if max_draft == 0:
            return out
        self.last_speculative_stats = stats
        # two batches in a row below break-even from the start: stop drafting (and running the head) for good
        self._early_fallbacks = self._early_fallbacks + 1 if (stats.fell_back_at or 99) <= 4 else 0
        if self._early_fallbacks >= 2 and drafts_given is None:
            self.speculative = False
        return out

    def canonical_draft(self, ids: Sequence[int]) -> list[int]:
        """A CTC draft as the tokenizer would spell its text (the head may split words differently)."""
        text = self.tokenizer.decode([int(i) for i in ids], skip_special_tokens=True).strip()
        return list(self.tokenizer.encode(text, add_special_tokens=False)) if text else []

    def _norm_token(self, token: int) -> str:
        norm = self._norm_cache.get(token)
        if norm is None:
            text = self.tokenizer.decode([token], skip_special_tokens=True)
            norm = "".join(ch for ch in text.lower() if ch.isalnum())
            self._norm_cache[token] = norm
        return norm

    def _stop_ids(self) -> set[int]:
        eos = self.model.generation_config.eos_token_id
        stops = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if self.tokenizer.eos_token_id is not None:
            stops.add(self.tokenizer.eos_token_id)
        return stops

    def _cut(self, row: list[int]) -> list[int]:
        stops = self._stop_ids()
        for i, tok in enumerate(row):
            if tok in stops:
                return row[:i]
        return row

    def decode(self, ids: Sequence[int]) -> str:
        """Text of generated ids, special tokens dropped."""
        text: str = self.tokenizer.decode(list(ids), skip_special_tokens=True)
        return text.strip()

    def generate(
        self,
        pieces: Sequence[np.ndarray],
        instruction: str,
        max_new_tokens: int,
        prefix_texts: Sequence[str | None] | None = None,
    ) -> list[str]:
        """Greedy decode one batch of 16 kHz mono pieces with one instruction; one string per piece."""
        ids = self.generate_ids(pieces, instruction, max_new_tokens, prefix_texts=prefix_texts)
        return [self.decode(one) for one in ids]


def _plain_generate(model: Any, **kwargs: Any) -> torch.Tensor:
    """GenerationMixin.generate, skipping GraniteSpeech's override (which would switch a LoRA adapter off
    when no input_features are passed); with an adapter loaded it stays on, as audio is always present."""
    from transformers.generation import GenerationMixin

    if getattr(model, "_hf_peft_config_loaded", False):
        model.enable_adapters()
    out: torch.Tensor = GenerationMixin.generate(model, **kwargs)
    return out


@contextmanager
def _out_of_memory_as_one_error(device: torch.device) -> Iterator[None]:
    """Free the GPU cache and raise torch.OutOfMemoryError for any out-of-memory, so that the long-form
    loop can halve the batch (some backends report it as a plain RuntimeError)."""
    try:
        yield
    except torch.OutOfMemoryError:
        _empty_cache(device)
        raise
    except RuntimeError as exc:
        if "out of memory" not in str(exc).lower():
            raise
        _empty_cache(device)
        raise torch.OutOfMemoryError(str(exc)) from exc


def _empty_cache(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.type == "mps":
        torch.mps.empty_cache()
