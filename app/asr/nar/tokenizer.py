"""Loading the tokenizer a model folder ships (the NAR engine's and the aligners' way to read token ids).

Kept apart from `app.asr.nar.engine` so that `app.asr.align.forced` can load a tokenizer without importing the
engine, which imports the aligner's word timing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.core.errors import ModelError


def load_tokenizer(folder: Path) -> Any:
    """The tokenizer saved in a model folder; ModelError when the folder has none."""
    if not any((folder / n).is_file() for n in ("tokenizer.json", "vocab.json", "tokenizer.model")):
        raise ModelError(
            f"The NAR model folder {folder} has no tokenizer (tokenizer.json) to turn its output into words."
        )
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    try:
        if (folder / "tokenizer.json").is_file():  # no need to read the (non-transformers) model config
            return PreTrainedTokenizerFast.from_pretrained(str(folder), local_files_only=True,
                                                           trust_remote_code=False)
        return AutoTokenizer.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
    except Exception as exc:  # a broken tokenizer file is the user's folder, not our bug
        raise ModelError(f"The tokenizer in {folder} cannot be loaded ({type(exc).__name__}).") from None
