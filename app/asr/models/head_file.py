"""Whether a model folder ships granite-speech-4.1-2b's BPE CTC head, answered from the file alone.

Kept apart from `app.asr.granite.ctc_head` (which needs torch) so that the window can ask it while opening a
recording without loading torch into its process (a second of freeze and about 225 MB).
"""

from __future__ import annotations

from pathlib import Path

HEAD_FILE = "out_llm.safetensors"


def has_ctc_head(folder: str | Path) -> bool:
    """Whether a model folder ships the BPE CTC head file (a file check: nothing is read or imported)."""
    return (Path(folder) / HEAD_FILE).is_file()
