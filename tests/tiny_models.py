"""Tiny random-weight Granite Speech models of the real architectures, saved like the Hub checkpoints.

`build_tiny_granite(folder)` makes a `granite_speech` model (the 4.1-2b topology) and
`build_tiny_plus(folder)` a `granite_speech_plus` one (encoder layer concatenated to the last, tied
embeddings). Both get a small byte-level BPE tokenizer trained in memory, with the Granite special
tokens (`<|end_of_text|>` as bos/eos, `<|pad|>`, role markers, `<|audio|>` as the last id) and chat
templates that follow the real ones. Everything is written with `save_pretrained` (safetensors) so that
the app loads it through the same code path as a real checkpoint. Weights come from a fixed seed.

A folder that already holds a finished build is reused (the builder writes a marker file last), so
session fixtures in several test files can share one build per folder.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

MARKER = ".tiny_model_done"

SPECIAL_TOKENS = ["<|end_of_text|>", "<|pad|>", "<|start_of_role|>", "<|end_of_role|>", "<|audio|>"]

# The chat templates of the real checkpoints (tests/data/chat_templates/README.md says where each comes from):
# 4.1-2b renders `USER: <content>\n ASSISTANT:`; plus is the Granite 4.0 role format with a default system
# message and the `prefix_text` hook (the model continues after that text).
_TEMPLATES = Path(__file__).parent / "data" / "chat_templates"
GRANITE_CHAT_TEMPLATE = (_TEMPLATES / "granite-speech-4.1-2b.jinja").read_text(encoding="utf-8")
PLUS_CHAT_TEMPLATE = (_TEMPLATES / "granite-speech-4.1-2b-plus.jinja").read_text(encoding="utf-8")

_CORPUS = [
    "transcribe the speech with proper punctuation and capitalization.",
    "can you transcribe the speech into a written format?",
    "transcribe the speech to text. Keywords: Mayor, Bridge, NASA, Reuters",
    "translate the speech to English with proper punctuation and capitalization.",
    "translate the speech to French, German, Spanish, Portuguese, Japanese, Italian, Mandarin.",
    "Speaker attribution: Transcribe and denote who is speaking by adding [Speaker 1]: and [Speaker 2]: tags.",
    "Timestamps: Transcribe the speech. After each word, add a timestamp tag showing the end time in "
    "centiseconds, e.g. hello [T:45] world [T:82] _ [T:130]",
    "Knowledge Cutoff Date: April 2024. Today's Date: December 19, 2024. You are Granite, developed by IBM.",
    "hello from the newsroom the mayor said the bridge opens in may and the council will vote next week",
    "user assistant system 0 1 2 3 4 5 6 7 8 9 the of and to a in is it that was for on are with as",
]


def _build_tokenizer(chat_template: str | None):
    """A byte-level BPE tokenizer trained on a small corpus, wrapped as a fast transformers tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=SPECIAL_TOKENS[:-1],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(_CORPUS * 4, trainer=trainer)
    core.add_special_tokens(["<|audio|>"])  # the last id, as in the real vocabulary
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<|end_of_text|>",
        eos_token="<|end_of_text|>",
        pad_token="<|pad|>",
        unk_token=None,
        additional_special_tokens=["<|start_of_role|>", "<|end_of_role|>", "<|audio|>"],
        padding_side="left",
    )
    tok.chat_template = chat_template
    return tok


def _tiny_config(plus: bool, tokenizer):
    from transformers import GraniteSpeechConfig, GraniteSpeechPlusConfig

    vocab = len(tokenizer)
    enc_hidden = 32
    cat_layers = [1] if plus else None
    encoder = {
        "input_dim": 160,
        "num_layers": 2,
        "hidden_dim": enc_hidden,
        "feedforward_mult": 2,
        "num_heads": 2,
        "dim_head": 16,
        "output_dim": 12,
        "context_size": 20,
        "max_pos_emb": 32,
        "dropout": 0.0,
        "conv_kernel_size": 5,
        "conv_expansion_factor": 2,
    }
    if plus:
        encoder["cat_hidden_layers"] = cat_layers
    projector = {
        "model_type": "blip_2_qformer",
        "hidden_size": 32,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 64,
        "encoder_hidden_size": enc_hidden * (2 if plus else 1),
        "cross_attention_frequency": 1,
        "max_position_embeddings": 64,
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "vocab_size": 8,
    }
    text = {
        "model_type": "granite",
        "vocab_size": vocab,
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 4096,
        "embedding_multiplier": 1.0,
        "residual_multiplier": 1.0,
        "attention_multiplier": 0.25,
        "logits_scaling": 8.0,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
        "tie_word_embeddings": plus,
    }
    cls = GraniteSpeechPlusConfig if plus else GraniteSpeechConfig
    return cls(
        text_config=text,
        encoder_config=encoder,
        projector_config=projector,
        audio_token_index=tokenizer.convert_tokens_to_ids("<|audio|>"),
        has_lora_adapter=False,
        downsample_rate=5,
        window_size=15,
        tie_word_embeddings=plus,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )


def _build(folder: Path, plus: bool) -> Path:
    folder = Path(folder)
    if (folder / MARKER).exists():
        return folder
    from transformers import GraniteSpeechForConditionalGeneration, GraniteSpeechPlusForConditionalGeneration

    final = folder
    folder = final.with_name(final.name + ".building")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    tokenizer = _build_tokenizer(PLUS_CHAT_TEMPLATE if plus else GRANITE_CHAT_TEMPLATE)
    config = _tiny_config(plus, tokenizer)
    cls = GraniteSpeechPlusForConditionalGeneration if plus else GraniteSpeechForConditionalGeneration
    with torch.random.fork_rng():
        torch.manual_seed(1234 if plus else 4321)
        model = cls(config)
        # Larger random weights than the default init, so that greedy output depends on the audio.
        with torch.no_grad():
            for name, param in model.named_parameters():
                if param.dim() >= 2 and "norm" not in name:
                    param.normal_(0.0, 0.2)
    model.eval()
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    (folder / MARKER).write_text(json.dumps({"plus": plus}))
    shutil.rmtree(final, ignore_errors=True)
    folder.rename(final)
    return final


def build_tiny_granite(folder: Path) -> Path:
    """Build (once per folder) a tiny random `granite_speech` model with tokenizer; return the folder."""
    return _build(Path(folder), plus=False)


def build_tiny_plus(folder: Path) -> Path:
    """Build (once per folder) a tiny random `granite_speech_plus` model with tokenizer; return the folder."""
    return _build(Path(folder), plus=True)


def write_tiny_ctc_head(folder: Path, seed: int = 2468, blank_bias: float = 1.0) -> Path:
    """Write a random BPE CTC head `out_llm.safetensors` into a tiny granite folder and return its path.

    Shapes as in 4.1-2b: [vocab, encoder hidden] weight and [vocab] bias, where vocab = the LLM vocabulary
    (the ids before `<|audio|>`, plus the blank as label 0). `blank_bias` favours the blank a little so
    that drafts are a few tokens per second rather than one per frame.
    """
    from safetensors.torch import save_file

    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    hidden = int(config["encoder_config"]["hidden_dim"])
    labels = int(config["text_config"]["vocab_size"])
    gen = torch.Generator().manual_seed(seed)
    weight = torch.randn(labels, hidden, generator=gen) * 0.3
    bias = torch.zeros(labels)
    bias[0] = blank_bias
    path = folder / "out_llm.safetensors"
    save_file({"weight": weight.contiguous(), "bias": bias}, str(path))
    return path


def build_tiny_granite_with_head(folder: Path, source: Path | None = None) -> Path:
    """A tiny granite folder that also ships a random CTC head (a copy of `source` when given, else a build)."""
    folder = Path(folder)
    if (folder / MARKER).exists() and (folder / "out_llm.safetensors").exists():
        return folder
    building = folder.with_name(folder.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    if source is not None and (Path(source) / MARKER).exists():
        shutil.copytree(source, building)
    else:
        build_tiny_granite(building)
    write_tiny_ctc_head(building)
    shutil.rmtree(folder, ignore_errors=True)
    building.rename(folder)
    return folder


def shared_tiny(tmp_path_factory, kind: str = "granite") -> Path:
    """The session's one copy of a tiny model ("granite", "plus", or "granite_ctc": granite with a CTC head)."""
    base = Path(tmp_path_factory.getbasetemp()) / "tiny_models"
    if kind == "granite_ctc":
        return build_tiny_granite_with_head(base / "granite_ctc", build_tiny_granite(base / "granite"))
    return build_tiny_plus(base / "plus") if kind == "plus" else build_tiny_granite(base / "granite")
