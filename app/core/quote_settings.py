"""The house quote style, set once and kept in `quote_style.json` in the user's config folder.

The window's Quote Style dialog writes it; `verbatim quote` and Copy as Quote read it. A missing file
means the default style; a damaged one is reported in one sentence and the default is used.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from app.core.project import write_atomically
from app.core.quotes import QuoteStyle, QuoteStyleError

FILE_NAME = "quote_style.json"


def style_path() -> Path:
    """Where the style is kept (VERBATIM_CONFIG_DIR overrides the user config folder)."""
    folder = os.environ.get("VERBATIM_CONFIG_DIR")
    if not folder:
        from platformdirs import user_config_dir

        folder = user_config_dir("verbatim", appauthor=False)
    return Path(folder) / FILE_NAME


def load_quote_style(path: Path | None = None) -> QuoteStyle:
    """The saved style (the default when none is saved). QuoteStyleError when the file is damaged."""
    p = path or style_path()
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return QuoteStyle()
    except (OSError, ValueError) as exc:
        raise QuoteStyleError(f"The quote style in {p} cannot be read ({exc}); the default style is used.") from None
    if not isinstance(data, dict) or not isinstance(data.get("template", ""), str) \
            or not isinstance(data.get("check_note", ""), str):
        raise QuoteStyleError(f"The quote style in {p} is not a style file; the default style is used.")
    default = QuoteStyle()
    return QuoteStyle(data.get("template") or default.template, data.get("check_note", default.check_note)).validate()


def save_quote_style(style: QuoteStyle, path: Path | None = None) -> Path:
    """Save the style (after checking it) and return where it went."""
    style.validate()
    p = path or style_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(p, json.dumps({"template": style.template, "check_note": style.check_note},
                                   ensure_ascii=False, indent=2) + "\n")
    return p
