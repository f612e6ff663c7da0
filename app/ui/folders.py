"""Where file dialogs start: the current project's or recording's folder, then the last folder used.

The demo interview lives in a temporary folder that is removed when Verbatim quits, so it never counts
as "the current folder": its Save asks where to keep the project (and copies the recording there).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

LAST_FOLDER_KEY = "recent/folder"
DEMO_PREFIX = "verbatim-demo-"


def is_demo_path(path: Path | None) -> bool:
    """Whether `path` is inside a temporary copy of the demo (made by `app.ui.app.demo_copy`)."""
    if path is None:
        return False
    parent = Path(path).parent
    try:
        return parent.name.startswith(DEMO_PREFIX) and parent.parent.resolve() == Path(tempfile.gettempdir()).resolve()
    except OSError:
        return False


def last_folder(settings: QSettings) -> Path | None:
    """The folder of the last file opened or saved, when it still exists."""
    value = settings.value(LAST_FOLDER_KEY, "")
    folder = Path(str(value)) if value else None
    return folder if folder is not None and folder.is_dir() else None


def remember_folder(settings: QSettings, path: Path) -> None:
    """Remember the folder of a file the person chose (not the demo's temporary one)."""
    folder = Path(path).parent
    if not is_demo_path(path) and folder.is_dir():
        settings.setValue(LAST_FOLDER_KEY, str(folder))


def start_folder(project: Any, settings: QSettings | None) -> Path:
    """The folder a file dialog opens in: the project's, else its recording's, else the last used, else home."""
    for path in (getattr(project, "path", None), getattr(project, "media_path", None)):
        if path is not None and not is_demo_path(Path(path)) and Path(path).parent.is_dir():
            return Path(path).parent
    return (last_folder(settings) if settings is not None else None) or Path.home()


def bring_demo_media(project: Any, target: Path) -> None:
    """Saving the demo into a real folder: copy its recording there too (the temporary copy goes at exit)."""
    media = getattr(project, "media_path", None)
    if media is None or not is_demo_path(Path(media)) or not Path(media).is_file():
        return
    destination = Path(target).parent / Path(media).name
    if not destination.exists():
        shutil.copyfile(media, destination)
    project.media_path = destination
