"""The catalog of transcription choices is the one place that names them; everything else derives from it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.asr import catalog
from app.asr.models.registry import MODELS
from app.core.errors import ModelError


def test_importing_the_catalog_and_factory_loads_no_torch() -> None:
    code = ("import sys, app.asr.catalog, app.asr.engines.factory, app.asr.models.model_store; "
            "print('torch' in sys.modules, 'transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_every_choice_names_known_models_and_a_usable_aligner() -> None:
    assert len(set(catalog.keys())) == len(catalog.CHOICES)
    for choice in catalog.CHOICES:
        assert choice.label and choice.description and choice.models
        assert all(k in MODELS for k in choice.models)
        assert choice.size_text.startswith("~")
        # the aligner is a model that can align, and a choice says it can align exactly when it has one
        assert (choice.aligner is not None) == choice.capabilities.alignment
        if choice.aligner is not None:
            assert MODELS[choice.aligner].capabilities.alignment
    assert set(catalog.ALIGNER_ORDER) == {c.aligner for c in catalog.CHOICES if c.aligner}


def test_interview_can_do_what_both_of_its_models_can() -> None:
    interview = catalog.find("interview")
    assert interview is not None
    caps = interview.capabilities
    assert interview.models == ("2b", "plus") and interview.size_text == "~4.7 GB + ~4.8 GB"
    assert caps.punctuation and caps.timestamps and caps.speakers and caps.keywords
    assert caps.languages == ("en", "fr", "de", "es", "pt")  # plus has no Japanese
    assert not caps.translation_targets and interview.aligner == "2b"


def test_lists_derive_from_the_catalog() -> None:
    from app.asr.engines.factory import ENGINE_KEYS, choices_help
    from app.asr.models.model_store import FIRST_RUN_MODELS

    assert ENGINE_KEYS == catalog.keys() == ("interview", "2b", "plus", "nar", "4.0-1b")
    assert choices_help() == "interview | 2b | plus | nar | 4.0-1b | a local model folder"
    assert FIRST_RUN_MODELS == ("2b", "plus", "nar")
    assert [c.key for c in catalog.panel_choices()] == ["interview", "2b", "plus", "nar"]
    assert [s.key for s in catalog.needed_models()] == ["2b", "plus", "nar", "4.0-1b"]


def test_cli_help_lists_the_catalog(capsys) -> None:
    from app.cli import main

    with pytest.raises(SystemExit):
        main(["transcribe", "--help"])
    assert catalog.choices_help() in " ".join(capsys.readouterr().out.split())


def test_realign_takes_its_aligner_from_the_catalog(tmp_path) -> None:
    assert catalog.aligner_for("interview") == "2b"
    assert catalog.aligner_for("nar") == "nar"
    assert catalog.aligner_for("plus") is None
    assert catalog.aligner_for(str(tmp_path)) == str(tmp_path)  # a folder: its own CTC head, if any
    assert catalog.aligner_for(None) is None


def test_unknown_and_empty_names_get_one_sentence(tmp_path) -> None:
    with pytest.raises(ModelError, match="Unknown model 'whisper': use one of interview, 2b"):
        catalog.resolve("whisper")
    with pytest.raises(ModelError, match="No model given"):
        catalog.resolve("  ")
    assert catalog.find("granite-speech-4.1-2b-plus") is catalog.find("plus")


def test_a_pipeline_resolves_all_its_models_before_loading() -> None:
    choice, models = catalog.resolve("interview", must_exist=False)
    assert choice.key == "interview" and [s.key for s, _ in models] == ["2b", "plus"]
    assert all(folder is None for _, folder in models)
