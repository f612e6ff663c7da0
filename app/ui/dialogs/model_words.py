"""How the model dialogs name models and folders, and what they say when the Hub cannot be reached.

Shared by the first-run guide and the Models dialog (which also embeds the first-run download panel),
so neither dialog imports the other for its words.
"""

from __future__ import annotations

from pathlib import Path

from app.asr import catalog
from app.asr.models.registry import ModelSpec


def title(spec: ModelSpec) -> str:
    """The name people see: the catalog's label ("Granite Speech 4.1 2B"), else the model's own name."""
    choice = catalog.find(spec.key)
    return choice.label if choice is not None and not choice.remote else spec.display_name


def short_path(path: Path) -> str:
    """A folder as people read it: the home folder as ~."""
    try:
        return "~/" + Path(path).relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)


def gui_offline_help(spec: ModelSpec) -> str:
    """What to do when the Hub cannot be reached, with GUI steps only (no command line)."""
    return (f"{title(spec)} cannot be downloaded because this computer cannot reach huggingface.co. "
            f"On a computer with internet access, download https://huggingface.co/{spec.hub_id}, copy the model "
            "folder (the one with config.json) to this computer (a USB stick works), then choose it with "
            "\u201cCopy from folder\u2026\u201d to copy it into Verbatim's model store, or with "
            "\u201cUse local folder\u2026\u201d to use it where it is.")
