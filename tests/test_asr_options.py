"""What a model can be asked to do is checked before any weights load, with one sentence."""

from __future__ import annotations

import pytest

from app.asr.engines.base import TranscribeOptions, validate_options
from app.asr.engines.factory import model_capabilities
from app.core.errors import ModelError


def _check(model: str, **options: object) -> None:
    name, caps = model_capabilities(model)
    validate_options(name, caps, TranscribeOptions(**options))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("model", "options", "sentence"),
    [
        ("nar", {"task": "translate"}, "cannot translate"),
        ("plus", {"task": "translate", "target_language": "en", "language": "fr"}, "cannot translate"),
        ("2b", {"task": "translate", "target_language": "ja", "language": "fr"}, "only from English"),
        ("2b", {"task": "translate", "target_language": "ko"}, "cannot translate into 'ko'"),
        ("nar", {"language": "ja"}, "does not transcribe 'ja'"),
        ("nar", {"keywords": ("Osei",)}, "does not take keyword lists"),
        ("2b", {"task": "translate", "target_language": "en", "language": "en"}, "spoken language"),
    ],
)
def test_impossible_requests_are_refused_before_loading(model: str, options: dict, sentence: str) -> None:
    with pytest.raises(ModelError, match=sentence) as info:
        _check(model, **options)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("model", "options"),
    [
        ("2b", {"task": "translate", "target_language": "en", "language": "fr"}),
        ("2b", {"task": "translate", "target_language": "ja", "language": "en"}),
        ("2b", {"keywords": ("Osei", "NATO")}),
        ("interview", {"language": "de", "keywords": ("Osei",)}),
        ("nar", {"language": "pt"}),
    ],
)
def test_what_the_models_can_do_passes(model: str, options: dict) -> None:
    _check(model, **options)
