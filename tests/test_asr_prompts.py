"""Prompt construction on the chat templates of the pinned checkpoints, and keywords in every task.

The templates are in tests/data/chat_templates (its README says where each comes from and what is confirmed):
- granite-speech-4.1-2b: the template text published in the model's GGUF, `USER: <content>\\n ASSISTANT:`;
  granite-4.0-1b-speech: the same text (its own file was not found; transcribe.cpp: "same chat template").
- granite-speech-4.1-2b-plus: IBM's Granite 4.0 template with the `prefix_text` hook; every property that
  published sources describe for the plus template is in it, but the byte-exact file of `edd3bf54` was not found
  (where it was looked for: the README). tests/test_asr_prompt_templates.py checks every task against the ports.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.asr.granite.prompts import PLUS_SYSTEM_MESSAGE, chat_messages, instruction, render_prompt, with_keywords
from tests.tiny_models import _build_tokenizer

TEMPLATES = Path(__file__).parent / "data" / "chat_templates"
TIMESTAMPS = (
    "Timestamps: Transcribe the speech. After each word, add a timestamp tag showing the end time in "
    "centiseconds, e.g. hello [T:45] world [T:82]"
)


def _tokenizer(name: str):
    return _build_tokenizer((TEMPLATES / f"{name}.jinja").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def two_b():
    return _tokenizer("granite-speech-4.1-2b")


@pytest.fixture(scope="module")
def plus():
    return _tokenizer("granite-speech-4.1-2b-plus")


@pytest.mark.parametrize("name", ["granite-speech-4.1-2b", "granite-4.0-1b-speech"])
def test_granite_template_renders_user_assistant(name: str) -> None:
    tok = _tokenizer(name)
    prompt = render_prompt(tok, "granite", instruction("granite", "punctuated"))
    assert prompt == "USER: <|audio|>transcribe the speech with proper punctuation and capitalization.\n ASSISTANT:"
    raw = render_prompt(tok, "granite", instruction("granite", "raw"))
    assert raw == "USER: <|audio|>can you transcribe the speech into a written format?\n ASSISTANT:"


def test_granite_translation_with_keywords_uses_the_cards_prompt(two_b) -> None:
    prompt = render_prompt(two_b, "granite", instruction("granite", "translate", "fr", ["Jane  Doe", "NATO"]))
    assert prompt == "USER: <|audio|>translate the speech to French. Keywords: Jane Doe, NATO\n ASSISTANT:"
    plain = render_prompt(two_b, "granite", instruction("granite", "translate", "en"))
    assert plain == (
        "USER: <|audio|>translate the speech to English with proper punctuation and capitalization.\n ASSISTANT:"
    )
    asr = render_prompt(two_b, "granite", instruction("granite", "punctuated", keywords=["Reuters"]))
    assert asr == "USER: <|audio|>transcribe the speech to text. Keywords: Reuters\n ASSISTANT:"


def test_granite_template_keeps_a_continuation_prefix(two_b) -> None:
    """4.1-2b's template has no prefix hook: the text is appended after the assistant marker, never dropped."""
    prompt = render_prompt(two_b, "granite", instruction("granite", "raw"), prefix_text="So the mayor")
    assert prompt.endswith("\n ASSISTANT:So the mayor") and prompt.count("So the mayor") == 1


def test_plus_template_renders_the_fixed_system_message(plus) -> None:
    prompt = render_prompt(plus, "plus", instruction("plus", "timestamps", keywords=["Ana", "NATO"]))
    assert prompt == (
        f"<|start_of_role|>system<|end_of_role|>{PLUS_SYSTEM_MESSAGE}<|end_of_text|>\n"
        f"<|start_of_role|>user<|end_of_role|><|audio|> {TIMESTAMPS}. Keywords: Ana, NATO<|end_of_text|>\n"
        "<|start_of_role|>assistant<|end_of_role|>"
    )


def test_plus_template_would_otherwise_add_its_default_system_message(plus) -> None:
    """Why the system message is always passed: without it the template inserts a different one."""
    bare = plus.apply_chat_template([{"role": "user", "content": "<|audio|> hi"}], tokenize=False,
                                    add_generation_prompt=True)
    assert "You are a helpful assistant. Please ensure responses are professional" in bare
    ours = render_prompt(plus, "plus", instruction("plus", "raw"))
    assert "Please ensure responses" not in ours and ours.count("<|start_of_role|>system") == 1


def test_plus_continuation_prefix_comes_from_the_template_once(plus) -> None:
    prompt = render_prompt(plus, "plus", instruction("plus", "speakers"), prefix_text="[Speaker 1]: hello")
    assert prompt.endswith("<|start_of_role|>assistant<|end_of_role|>[Speaker 1]: hello")
    assert prompt.count("[Speaker 1]: hello") == 1


@pytest.mark.parametrize(
    ("family", "kind", "target"),
    [("granite", "punctuated", None), ("granite", "raw", None), ("granite", "translate", "ja"),
     ("plus", "raw", None), ("plus", "speakers", None), ("plus", "timestamps", None)],
)
def test_every_prompt_tokenizes_with_one_audio_placeholder(two_b, plus, family: str, kind: str,
                                                           target: str | None) -> None:
    tok = plus if family == "plus" else two_b
    text = render_prompt(tok, family, instruction(family, kind, target, keywords=["Reuters", "NATO"]))
    ids = tok(text)["input_ids"]
    assert ids.count(tok.convert_tokens_to_ids("<|audio|>")) == 1
    assert tok.decode(ids) == text


def test_keywords_join_after_punctuation_or_with_a_full_stop() -> None:
    assert with_keywords("can you transcribe the speech into a written format?", "A") == (
        "can you transcribe the speech into a written format? Keywords: A"
    )
    assert with_keywords("tags before speaker turns.", "A, B") == "tags before speaker turns. Keywords: A, B"
    assert with_keywords("e.g. hello [T:45] world [T:82]", "A") == "e.g. hello [T:45] world [T:82]. Keywords: A"
    assert with_keywords("translate the speech to German", "A") == "translate the speech to German. Keywords: A"
    assert with_keywords("anything", "") == "anything"


@pytest.mark.parametrize("target", ["en", "fr", "de", "es", "pt", "ja", "it", "zh"])
def test_translation_never_drops_keywords(target: str) -> None:
    text = instruction("granite", "translate", target, ["Jane Doe", " ", "NATO"])
    assert text.startswith("<|audio|>translate the speech to ") and text.endswith(". Keywords: Jane Doe, NATO")
    assert "punctuation" not in text  # the card's keyword form of the translation prompt


def test_plus_keywords_after_every_instruction() -> None:
    assert instruction("plus", "timestamps", keywords=["A"]).endswith("world [T:82]. Keywords: A")
    assert instruction("plus", "speakers", keywords=["A"]).endswith("before speaker turns. Keywords: A")
    assert instruction("plus", "raw", keywords=["A"]).endswith("written format? Keywords: A")
    assert chat_messages("plus", "x")[0] == {"role": "system", "content": PLUS_SYSTEM_MESSAGE}
    assert chat_messages("granite", "x") == [{"role": "user", "content": "x"}]
