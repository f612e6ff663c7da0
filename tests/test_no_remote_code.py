"""A model folder can never run Python code: `auto_map` entries are ignored even when someone answers `y`.

Each folder below carries a `.py` file that, if imported, writes a marker file. The loaders run in a
subprocess whose stdin says `y` to any "run custom code?" prompt; the marker must never appear.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tiny_models import shared_tiny

EVIL = """
from pathlib import Path
Path(MARKER).write_text("custom code ran")
from transformers import PreTrainedTokenizerFast, PretrainedConfig
class EvilTokenizer(PreTrainedTokenizerFast):
    pass
class EvilConfig(PretrainedConfig):
    model_type = "evil"
"""

LOADERS = r"""
import sys
from pathlib import Path
from app.core.errors import VerbatimError
which, folder = sys.argv[1], Path(sys.argv[2])
try:
    if which == "nar_tokenizer":
        from app.asr.nar.engine import load_tokenizer
        load_tokenizer(folder)
    elif which == "ar_runner":
        from app.asr.granite.ar_runner import ARRunner
        ARRunner.load(str(folder), device="cpu")
    elif which == "control":  # what a loader without the argument would do once `y` is answered
        from transformers import AutoTokenizer
        AutoTokenizer.from_pretrained(str(folder), trust_remote_code=True)
    elif which == "ctc_config":
        import torch
        from app.asr.granite.ctc_head import load_granite_aligner
        load_granite_aligner(folder, torch.device("cpu"), torch.float32)
    print("LOADED")
except VerbatimError as exc:
    print("REFUSED", exc)
"""


def _plant(folder: Path, tokenizer_json: bool) -> Path:
    """Add an auto_map pointing at evil.py to the tokenizer and model configs of `folder`."""
    # transformers copies the module into its cache before importing it: the marker path is absolute
    (folder / "evil.py").write_text(f"MARKER = {str(folder / 'RAN')!r}\n" + EVIL)
    tok_cfg = folder / "tokenizer_config.json"
    data = json.loads(tok_cfg.read_text())
    data["auto_map"] = {"AutoTokenizer": ["evil.EvilTokenizer", "evil.EvilTokenizer"]}
    data["tokenizer_class"] = "EvilTokenizer"
    tok_cfg.write_text(json.dumps(data))
    cfg = folder / "config.json"
    if cfg.is_file():
        data = json.loads(cfg.read_text())
        data["auto_map"] = {"AutoConfig": "evil.EvilConfig", "AutoModel": "evil.EvilConfig"}
        cfg.write_text(json.dumps(data))
    if not tokenizer_json and (folder / "tokenizer.json").is_file():
        (folder / "tokenizer.json").unlink()
        (folder / "vocab.json").write_text("{}")
    return folder


def _run(which: str, folder: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]), HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", HF_MODULES_CACHE=str(folder.parent / "hf_modules"))
    return subprocess.run([sys.executable, "-c", LOADERS, which, str(folder)], input="y\ny\ny\n", text=True,
                          capture_output=True, env=env, timeout=120)


@pytest.fixture
def planted(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory):
    source = shared_tiny(tmp_path_factory)

    def make(name: str, tokenizer_json: bool = True) -> Path:
        folder = tmp_path / name
        shutil.copytree(source, folder)
        return _plant(folder, tokenizer_json)

    return make


@pytest.mark.parametrize("which,tokenizer_json", [
    ("nar_tokenizer", True), ("nar_tokenizer", False), ("ar_runner", True), ("ctc_config", True),
])
def test_an_auto_map_folder_runs_nothing_even_when_the_user_answers_yes(planted, which: str,
                                                                       tokenizer_json: bool) -> None:
    folder = planted(f"{which}-{tokenizer_json}", tokenizer_json)
    result = _run(which, folder)
    assert not (folder / "RAN").exists(), result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "LOADED" in result.stdout or "REFUSED" in result.stdout, result.stderr
    assert "custom code" not in result.stdout.lower() or "REFUSED" in result.stdout


def test_the_planted_code_does_run_when_remote_code_is_allowed(planted) -> None:
    """The control: the folder really holds code that transformers would import."""
    folder = planted("control")
    result = _run("control", folder)
    assert (folder / "RAN").exists(), result.stdout + result.stderr


def test_every_from_pretrained_in_the_app_refuses_remote_code() -> None:
    """A code check backing the test above: no call site can forget the argument."""
    import re

    app = Path(__file__).resolve().parents[1] / "app"
    missing = []
    for path in app.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"\.from_pretrained\(", text):
            depth, i = 1, m.end()
            while depth and i < len(text):
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                i += 1
            if "trust_remote_code=False" not in text[m.end():i]:
                missing.append(f"{path.relative_to(app.parent)}:{text.count(chr(10), 0, m.start()) + 1}")
    assert not missing, missing
