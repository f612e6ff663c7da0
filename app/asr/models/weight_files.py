"""An AR model folder's safetensors weights, read into memory the process owns one tensor at a time.

transformers' `from_pretrained(folder)` memory-maps the weight files, and the loaded model's tensors point into
that mapping. Every page of it the app reads stays counted in the process's resident memory until the last
tensor of the file is gone. On a CPU with the language model in int8, converting reads every page while the
encoder keeps its bf16 weights in the mapping for good: the whole file (4.5 GB for 4.1-2b) stays resident next
to the converted model. Read with `pread` instead, each tensor is its own allocation, read when transformers
places it and freed as soon as a conversion replaces it, so memory follows what the model holds.

`lazy_state_dict` gives transformers the same lazy slices its own loader uses, only with the `pread` backend;
the files are the ones `from_pretrained` itself would read (the shard index, else `model.safetensors`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from app.core.errors import ModelError

INDEX_FILE = "model.safetensors.index.json"
SINGLE_FILE = "model.safetensors"


def weight_files(folder: Path) -> list[Path]:
    """The safetensors files of a transformers model folder: those its shard index names, else the single file.

    Other safetensors files in the folder (the CTC head `out_llm.safetensors`) are not the model's.
    """
    index = folder / INDEX_FILE
    if index.exists():
        try:
            names = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise ModelError(f"The weight index {INDEX_FILE} in {folder} is damaged.") from None
        missing = [n for n in names if not (folder / n).is_file()]
        if missing:
            raise ModelError(f"The model in {folder} is incomplete: {missing[0]} is missing.")
        return [folder / n for n in names]
    if (folder / SINGLE_FILE).is_file():
        return [folder / SINGLE_FILE]
    raise ModelError(f"The model folder {folder} holds no {SINGLE_FILE} (nor a shard index).")


@contextmanager
def lazy_state_dict(folder: Path) -> Iterator[dict[str, Any]]:
    """{name: lazy slice} over the folder's weight files, read with `pread` when a tensor is taken; the files stay
    open inside the `with` block only."""
    from safetensors import safe_open

    with ExitStack() as stack:
        weights: dict[str, Any] = {}
        for path in weight_files(folder):
            try:
                handle = stack.enter_context(safe_open(str(path), framework="pt", device="cpu", backend="pread"))
            except Exception as exc:  # SafetensorError, OSError: a truncated or foreign file
                raise ModelError(f"The weight file {path.name} in {folder} cannot be read ({exc}).") from None
            for key in handle.keys():
                weights[key] = handle.get_slice(key)
        yield weights
