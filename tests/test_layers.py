"""The layer rule, checked on the source: imports only point down (ui -> workers -> asr -> audio -> core).

Every `import` and `from ... import` statement is read with `ast`, including those inside functions and
relative ones (resolved against the module's package), so a lazy import cannot slip past.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"

QT = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pyqtgraph")
HEAVY = ("torch", "transformers")

# layer -> forbidden module prefixes
RULES: dict[str, tuple[str, ...]] = {
    "app.core": QT + HEAVY + ("app.audio", "app.asr", "app.workers", "app.ui", "app.cli", "app.server"),
    "app.audio": QT + ("app.asr", "app.workers", "app.ui", "app.cli", "app.server"),
    "app.asr": QT + ("app.workers", "app.ui", "app.cli", "app.server"),
    "app.workers": ("app.ui", "app.cli", "app.server"),
    "app.server": QT + ("app.workers", "app.ui", "app.cli"),
    "app.cli": QT + ("app.workers", "app.ui"),
}
# The one way up: `verbatim` with no subcommand starts the window (app/cli/main.py imports app.ui.app lazily).
ALLOWED_UP = {"app.cli.main": ("app.ui.app",)}
RAY = ("ray",)
RAY_ALLOWED = ("app.server", "app.cli.serve")  # only the server and the command that starts it import Ray


def module_name(path: Path, root: Path = APP) -> str:
    """`app/core/edits.py` -> `app.core.edits`; a package's `__init__.py` -> the package."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import in `source`; `from a import b` yields `a` and `a.b`."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names if alias.name != "*"]
    return found


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """Layer violations of one module's source, as readable strings."""
    layer = next((lay for lay in RULES if module == lay or module.startswith(lay + ".")), None)
    if layer is None:
        return []
    bad = []
    for line, name in imported_modules(source, module, is_package):
        if any(name == a or name.startswith(a + ".") for a in ALLOWED_UP.get(module, ())):
            continue
        for prefix in RULES[layer]:
            if name == prefix or name.startswith(prefix + "."):
                bad.append(f"{module}:{line} imports {name} (forbidden in {layer})")
                break
    return sorted(set(bad))


def test_layers_hold_across_app() -> None:
    files = sorted(APP.rglob("*.py"))
    assert any(f.parts[-3:] == ("app", "core", "document.py") for f in files)
    problems: list[str] = []
    for f in files:
        problems += violations(f.read_text(encoding="utf-8"), module_name(f), f.name == "__init__.py")
    assert problems == [], "\n".join(problems)


def test_only_the_server_imports_ray() -> None:
    problems = []
    for f in sorted(APP.rglob("*.py")):
        module = module_name(f)
        if any(module == a or module.startswith(a + ".") for a in RAY_ALLOWED):
            continue
        for line, name in imported_modules(f.read_text(encoding="utf-8"), module, f.name == "__init__.py"):
            if name in RAY or name.startswith("ray."):
                problems.append(f"{module}:{line} imports {name}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    "module, source, expect",
    [
        ("app.core.x", "import torch", "torch"),
        ("app.core.x", "def f():\n    from PySide6.QtCore import QTimer\n", "PySide6.QtCore"),
        ("app.core.x", "from app.ui import main_window", "app.ui"),
        ("app.core.x", "from .. import asr", "app.asr"),
        ("app.core.exporters.docx", "from ...audio.decode import probe", "app.audio.decode"),
        ("app.audio.cache", "import pyqtgraph as pg", "pyqtgraph"),
        ("app.asr.engines.text_engine", "if True:\n    import app.workers.transcription_worker", "app.workers"),
        ("app.workers.w", "from app.ui.dialogs import x", "app.ui.dialogs"),
        ("app.cli.info", "from PySide6 import QtWidgets", "PySide6"),
    ],
)
def test_checker_catches_violations(module: str, source: str, expect: str) -> None:
    found = violations(source, module)
    assert found and any(f" imports {expect}" in v for v in found), found


@pytest.mark.parametrize(
    "module, source",
    [
        ("app.core.x", "from app.core.document import Word\nimport json\nimport numpy"),
        ("app.core.x", "from . import timing\nfrom .document import Word"),
        ("app.audio.cache", "from app.core.fingerprint import media_fingerprint\nimport numpy as np"),
        ("app.asr.engines.text_engine", "import torch\nfrom app.audio.decode import probe"),
        ("app.workers.w", "from PySide6.QtCore import QThread\nfrom app.asr.engines.factory import create_engine"),
        ("app.ui.main_window", "from app.workers.transcription_worker import Worker"),
    ],
)
def test_checker_allows_downward_imports(module: str, source: str) -> None:
    assert violations(source, module) == []


def test_relative_import_in_package_init_resolves_to_package() -> None:
    assert ("app.core.exporters.srt" in [n for _, n in imported_modules("from . import srt", "app.core.exporters",
                                                                           is_package=True)])


# What the window may use of app/asr: the catalog, option and capability types, model status and the
# server address; all of them load without torch (checked below). Everything that needs torch runs
# behind app/workers.
UI_ASR_ALLOWED = ("app.asr.catalog", "app.asr.engines.base", "app.asr.models.registry", "app.asr.models.model_store",
                  "app.asr.models.expected_time", "app.asr.models.precision", "app.asr.models.hardware",
                  "app.asr.engines.remote_engine", "app.asr.align.realign")


def test_the_window_uses_only_torch_free_parts_of_asr() -> None:
    problems = []
    for f in sorted((APP / "ui").rglob("*.py")):
        module = module_name(f)
        for line, name in imported_modules(f.read_text(encoding="utf-8"), module, f.name == "__init__.py"):
            if not name.startswith("app.asr.") or any(name == a or name.startswith(a + ".") for a in UI_ASR_ALLOWED):
                continue
            problems.append(f"{module}:{line} imports {name} (the window reaches app/asr only through app/workers)")
    assert problems == [], "\n".join(problems)


def test_the_asr_modules_the_window_uses_load_without_torch() -> None:
    import subprocess
    import sys

    code = ("import sys\n" + "".join(f"import {m}\n" for m in UI_ASR_ALLOWED)
            + "heavy = [m for m in ('torch', 'transformers') if m in sys.modules]\n"
            + "assert not heavy, heavy\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=APP.parent, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
