"""The crash log: where a bug's traceback goes while the person sees one sentence."""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path


def crash_log_path() -> Path:
    """`<user log dir>/crash.log` (created on first use; VERBATIM_LOG_DIR overrides the folder)."""
    folder = os.environ.get("VERBATIM_LOG_DIR")
    if folder:
        return Path(folder) / "crash.log"
    from platformdirs import user_log_dir

    return Path(user_log_dir("verbatim", appauthor=False)) / "crash.log"


def log_exception(exc: BaseException, context: str) -> Path | None:
    """Append `exc`'s traceback with a time and `context` to the crash log; its path, or None if unwritable."""
    log = crash_log_path()
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as f:
            f.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {context}\n")
            traceback.print_exception(type(exc), exc, exc.__traceback__, file=f)
    except OSError:
        return None
    return log


def unexpected_sentence(exc: BaseException, action: str, log: Path | None) -> str:
    """One sentence for a bug met while doing `action` ("open interview.wav")."""
    where = f" Details are in {log}." if log is not None else ""
    return f"Could not {action} because of an unexpected error ({type(exc).__name__}).{where}"
