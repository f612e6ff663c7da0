"""The first-run guide and the Models dialog show the expected time for a one-hour interview on this
computer (the measurement injected), and the Models dialog keeps a precision choice."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from app.asr.models.expected_time import Expected
from app.asr.models.model_store import HardwareInfo, ModelStore
from app.asr.models.precision import Measurement, cache_path, machine_fingerprint, plan_for, saved_choice, write_cache
from app.ui.dialogs.first_run_dialog import FirstRunDialog
from app.ui.dialogs.models_dialog import ModelsDialog

CPU = HardwareInfo("cpu", "CPU", None, 8 << 30, 2)


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelStore:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return ModelStore(cache_dir=tmp_path / "hf-cache", config_path=tmp_path / "config" / "models.json")


def _show(qtbot, dialog):
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_first_run_guide_shows_each_models_time_here(qtbot, store: ModelStore) -> None:
    times = {"nar": Expected(900.0, False), "2b": Expected(5400.0, True)}
    dialog = _show(qtbot, FirstRunDialog(store, hardware=CPU, expected=times))
    texts = {k: label.text() for k, label in dialog.expected_labels.items()}
    assert texts["nar"] == "On this computer: about 15 min for a one-hour interview (estimated)"
    assert texts["2b"] == "On this computer: about 1 h 30 min for a one-hour interview (measured on this computer)"
    assert texts["plus"].startswith("Speed on this computer: known after the first transcription")


def test_first_run_guide_reads_a_cached_measurement(qtbot, store: ModelStore) -> None:
    m = Measurement(machine_fingerprint(), {"fp32": 0.2, "bf16": 0.07}, {"fp32": 0.1, "bf16": 0.06, "int8": 0.02},
                    {"fp32": True, "bf16": True, "int8": True}, 7e9, 8.5e7, 2)
    write_cache(cache_path(store.config_path.parent), {"measurement": asdict(m)})
    dialog = _show(qtbot, FirstRunDialog(store, hardware=CPU))
    texts = [label.text() for label in dialog.expected_labels.values()]
    assert len(texts) == 3 and all(t.endswith("for a one-hour interview (estimated)") for t in texts)


def test_models_dialog_has_a_time_column_and_keeps_the_precision(qtbot, store: ModelStore,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VERBATIM_PRECISION", raising=False)
    dialog = _show(qtbot, ModelsDialog(store, expected={"nar": Expected(1500.0, False)}))
    header = dialog.tree.headerItem()
    column = [header.text(i) for i in range(dialog.tree.columnCount())].index("One-hour interview")
    dialog.select("nar")
    assert dialog.tree.currentItem().text(column) == "about 25 min (estimated)"
    dialog.select("2b")
    assert dialog.tree.currentItem().text(column) == "\u2014"
    config = store.config_path.parent
    assert dialog.precision.choice == "auto" == saved_choice(config)
    dialog.precision.combo.setCurrentIndex(dialog.precision.combo.findData("bf16"))
    assert saved_choice(config) == "bf16"
    assert plan_for("cpu", None, config).llm == "bf16"  # every later run uses it
    again = _show(qtbot, ModelsDialog(store, expected={}))
    assert again.precision.choice == "bf16"
