"""A tiny byte-level BPE tokenizer that fits the NAR fixture's 96-token vocabulary (pad 79, eos = blank 80).

`install_tiny_tokenizer(folder)` writes it next to a copy of the fixture model, as a real model folder
holds it; the engine, aligner and CLI tests import it from here. The tests below check that it
behaves like the real Granite tokenizer where the app relies on it: 'Ġ' marks a word start, words
can take several tokens, and decoding joins them back.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

FIXTURE = Path(__file__).parent / "data" / "granite_nar_tiny"
VOCAB = 96
PAD, EOS = 79, 80
CORPUS = (
    "the mayor said the bridge opens in may hello from the newsroom we checked every quote "
    "against the recording before the story ran and the reporter read the notes again "
    "a council member spoke about the budget the city will open a new station near the river"
)


def build_tiny_tokenizer() -> PreTrainedTokenizerFast:
    """Train a 94-piece byte-level BPE on a small corpus and place `<pad>` at 79 and `<|endoftext|>` at 80."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB - 2, show_progress=False, initial_alphabet=[])
    tok.train_from_iterator([CORPUS] * 20, trainer)
    data = json.loads(tok.to_str())
    pieces = sorted(data["model"]["vocab"].items(), key=lambda kv: kv[1])
    assert len(pieces) == VOCAB - 2, len(pieces)
    free = [i for i in range(VOCAB) if i not in (PAD, EOS)]
    data["model"]["vocab"] = {piece: free[n] for n, (piece, _) in enumerate(pieces)}
    data["model"]["vocab"]["<pad>"] = PAD
    data["model"]["vocab"]["<|endoftext|>"] = EOS
    data["added_tokens"] = [
        {"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
         "special": True}
        for i, c in ((PAD, "<pad>"), (EOS, "<|endoftext|>"))
    ]
    fast = Tokenizer.from_str(json.dumps(data))
    return PreTrainedTokenizerFast(tokenizer_object=fast, pad_token="<pad>", eos_token="<|endoftext|>",
                                   bos_token="<|endoftext|>")


def install_tiny_tokenizer(folder: Path) -> Path:
    """A copy of the fixture model in `folder` with the tiny tokenizer saved beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "model.safetensors", "preprocessor_config.json"):
        shutil.copy(FIXTURE / name, folder / name)
    build_tiny_tokenizer().save_pretrained(folder)
    return folder


def test_tiny_tokenizer_matches_the_fixture_vocabulary(tmp_path: Path) -> None:
    folder = install_tiny_tokenizer(tmp_path / "model")
    tok = AutoTokenizer.from_pretrained(folder)
    assert len(tok) == VOCAB
    assert tok.pad_token_id == PAD and tok.eos_token_id == EOS
    ids = tok.encode("the mayor said hello", add_special_tokens=False)
    assert all(0 <= i < VOCAB and i not in (PAD, EOS) for i in ids)
    assert tok.decode(ids) == "the mayor said hello"
    pieces = tok.convert_ids_to_tokens(tok.encode(" newsroom", add_special_tokens=False))
    assert pieces[0].startswith("Ġ")
