"""Every prompt the app builds, rendered on the published chat templates, against what the ports build.

The templates are the fixtures in tests/data/chat_templates (their README gives each source: repository,
path, commit). What is byte-exact and what is not:
- granite-speech-4.1-2b (8f4bb5f3): the template text as published in the model's GGUF (quoted verbatim by a
  multi-model server's tests); handy-computer/transcribe.cpp, validated against this revision, builds the same
  `USER: <|audio|>...\\n ASSISTANT:` around the audio, and CrispASR checked it against the real tokenizer.
- granite-4.0-1b-speech (bd87ab86): the template file itself was not found; transcribe.cpp documents "same chat
  template" as 4.1-2b and CrispASR's token ids for it spell `USER: ` / `...?\\n ASSISTANT:`, so the fixture is the
  4.1-2b text.
- granite-speech-4.1-2b-plus (edd3bf54): the template file itself was NOT found (searched: the Hugging Face copies
  of the model, ibm-granite/gguf, ggml-org/llama.cpp models/templates, transcribe.cpp, CrispASR, mlx-audio,
  granite-speech ports on GitHub). The fixture is IBM's Granite 4.0 template with the `prefix_text` hook; every
  rendering tested here is the one CrispASR reports from the real plus tokenizer and transcribe.cpp builds.
- granite-speech-4.1-2b-nar (99a4df90) takes no text prompt: no template applies.
The expected strings below are written the way the C++ ports splice them (prefix, audio, suffix), not by
re-rendering the template, so a wrong fixture or a wrong app both fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.asr.granite.ar_runner import ARRunner
from app.asr.granite.prompts import (
    LANGUAGE_NAMES,
    PLUS_SYSTEM_MESSAGE,
    instruction,
    published_rendering,
    render_prompt,
)
from tests.tiny_models import _build_tokenizer, shared_tiny

TEMPLATES = Path(__file__).parent / "data" / "chat_templates"
GRANITE_FIXTURES = ("granite-speech-4.1-2b", "granite-4.0-1b-speech")
KEYWORDS = ("Jane Doe", "NATO")

# The splice the ports build around the audio (transcribe.cpp src/arch/granite/model.cpp, CrispASR
# examples/cli/crispasr_backend_granite.cpp): text before the audio placeholder and text after the instruction.
GRANITE_BEFORE = "USER: "
GRANITE_AFTER = "\n ASSISTANT:"
PLUS_BEFORE = (
    f"<|start_of_role|>system<|end_of_role|>{PLUS_SYSTEM_MESSAGE}<|end_of_text|>\n"
    "<|start_of_role|>user<|end_of_role|>"
)
PLUS_AFTER = "<|end_of_text|>\n<|start_of_role|>assistant<|end_of_role|>"

# The instructions word for word (model cards; transcribe.cpp and CrispASR use the same plus texts).
SAA = (" Speaker attribution: Transcribe and denote who is speaking by adding [Speaker 1]: and [Speaker 2]: "
       "tags before speaker turns.")
TIMESTAMPS = (" Timestamps: Transcribe the speech. After each word, add a timestamp tag showing the end time in "
              "centiseconds, e.g. hello [T:45] world [T:82]")
RAW_PLUS = " can you transcribe the speech into a written format?"

GRANITE_TASKS = [
    ("punctuated", None, (), "transcribe the speech with proper punctuation and capitalization."),
    ("raw", None, (), "can you transcribe the speech into a written format?"),
    ("punctuated", None, KEYWORDS, "transcribe the speech to text. Keywords: Jane Doe, NATO"),
    ("raw", None, KEYWORDS, "transcribe the speech to text. Keywords: Jane Doe, NATO"),
    *[("translate", code, (), f"translate the speech to {name} with proper punctuation and capitalization.")
      for code, name in LANGUAGE_NAMES.items()],
    ("translate", "fr", KEYWORDS, "translate the speech to French. Keywords: Jane Doe, NATO"),
]
PLUS_TASKS = [
    ("raw", (), RAW_PLUS),
    ("punctuated", (), RAW_PLUS),  # plus never punctuates: the ASR instruction
    ("speakers", (), SAA),
    ("timestamps", (), TIMESTAMPS),
    ("raw", KEYWORDS, RAW_PLUS + " Keywords: Jane Doe, NATO"),
    ("speakers", KEYWORDS, SAA + " Keywords: Jane Doe, NATO"),
    ("timestamps", KEYWORDS, TIMESTAMPS + ". Keywords: Jane Doe, NATO"),
]


def _fixture(name: str):
    return _build_tokenizer((TEMPLATES / f"{name}.jinja").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def granite_toks():
    return {name: _fixture(name) for name in GRANITE_FIXTURES}


@pytest.fixture(scope="module")
def plus_tok():
    return _fixture("granite-speech-4.1-2b-plus")


@pytest.mark.parametrize(("kind", "target", "keywords", "text"), GRANITE_TASKS)
def test_granite_prompts_are_what_the_published_template_renders(granite_toks, kind, target, keywords,
                                                                 text) -> None:
    expected = f"{GRANITE_BEFORE}<|audio|>{text}{GRANITE_AFTER}"
    for tok in granite_toks.values():  # 4.1-2b and 4.0-1b: the same template
        assert render_prompt(tok, "granite", instruction("granite", kind, target, keywords)) == expected


@pytest.mark.parametrize(("kind", "keywords", "text"), PLUS_TASKS)
def test_plus_prompts_carry_the_fixed_system_turn_and_open_the_assistant_turn(plus_tok, kind, keywords,
                                                                              text) -> None:
    expected = f"{PLUS_BEFORE}<|audio|>{text}{PLUS_AFTER}"
    assert render_prompt(plus_tok, "plus", instruction("plus", kind, keywords=keywords)) == expected
    continued = render_prompt(plus_tok, "plus", instruction("plus", kind, keywords=keywords),
                              prefix_text="[Speaker 1]: so the mayor")
    assert continued == expected + "[Speaker 1]: so the mayor"


def test_plus_template_without_a_system_turn_falls_back_to_granite4s_default(plus_tok) -> None:
    """CrispASR rendered this from the real plus tokenizer: its template always opens with a system turn."""
    bare = plus_tok.apply_chat_template([{"role": "user", "content": "<|audio|>" + RAW_PLUS}], tokenize=False,
                                        add_generation_prompt=True)
    assert bare == ("<|start_of_role|>system<|end_of_role|>You are a helpful assistant. Please ensure responses "
                    "are professional, accurate, and safe.<|end_of_text|>\n<|start_of_role|>user<|end_of_role|>"
                    f"<|audio|>{RAW_PLUS}{PLUS_AFTER}")


@pytest.mark.parametrize("family", ["granite", "plus"])
def test_a_tokenizer_without_a_template_gets_the_published_rendering(granite_toks, plus_tok, family) -> None:
    """A model folder without chat_template.jinja renders what the real template would, not a traceback."""
    with_template = plus_tok if family == "plus" else granite_toks["granite-speech-4.1-2b"]
    without = _build_tokenizer(None)
    assert not without.chat_template
    tasks = ([(k, None, kw) for k, _, kw in PLUS_TASKS] if family == "plus"
             else [(k, t, kw) for k, t, kw, _ in GRANITE_TASKS])
    for kind, target, keywords in tasks:
        text = instruction(family, kind, target, keywords)
        for prefix in (None, "[Speaker 1]: so"):
            ours = render_prompt(without, family, text, prefix_text=prefix)
            assert ours == render_prompt(with_template, family, text, prefix_text=prefix)
            assert ours == published_rendering(family, text, prefix)


@pytest.fixture(scope="module", params=["granite", "plus"])
def runner(request, tmp_path_factory) -> ARRunner:
    return ARRunner.load(str(shared_tiny(tmp_path_factory, request.param)), device="cpu")


def test_tiny_models_carry_the_fixture_templates(runner) -> None:
    name = "granite-speech-4.1-2b-plus" if runner.family == "plus" else "granite-speech-4.1-2b"
    assert runner.tokenizer.chat_template == (TEMPLATES / f"{name}.jinja").read_text(encoding="utf-8")


@pytest.mark.parametrize("n_audio", [1, 3, 75])
def test_audio_placeholder_expands_inside_the_published_prompt(runner, n_audio: int) -> None:
    """prompt ids = the processor's expansion (`<|audio|>` repeated n times, then tokenized) for every task,
    and = the ports' splice: ids(before) + n audio ids + ids(after)."""
    tok = runner.tokenizer
    before, after = (PLUS_BEFORE, PLUS_AFTER) if runner.family == "plus" else (GRANITE_BEFORE, GRANITE_AFTER)
    kinds = ["raw", "speakers", "timestamps"] if runner.family == "plus" else ["punctuated", "raw", "translate"]
    for kind in kinds:
        for keywords in ((), KEYWORDS):
            text = instruction(runner.family, kind, "de" if kind == "translate" else None, keywords)
            ids = runner.prompt_ids(text, n_audio)
            rendered = render_prompt(tok, runner.family, text)
            assert ids == tok(rendered.replace("<|audio|>", "<|audio|>" * n_audio))["input_ids"]
            rest = text.removeprefix("<|audio|>")
            spliced = tok(before)["input_ids"] + [runner.audio_token_id] * n_audio + tok(rest + after)["input_ids"]
            assert ids == spliced
            assert ids.count(runner.audio_token_id) == n_audio
            assert tok.decode(ids) == before + "<|audio|>" * n_audio + rest + after
