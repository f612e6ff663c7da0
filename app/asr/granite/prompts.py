"""The instructions the Granite Speech AR models were trained on, and the chat wrapping around them.

Families: "granite" (4.1-2b and 4.0-1b: no space after `<|audio|>`) and "plus" (4.1-2b-plus: a space
after `<|audio|>` and a fixed system message). Kinds: "punctuated", "raw", "translate", "speakers",
"timestamps". The text always goes through the tokenizer's own chat template: the two families ship
different templates (4.1-2b and 4.0-1b render `USER: <|audio|>...\n ASSISTANT:`; plus uses the Granite 4.0
role format and is given its fixed system message), and a hand-built wrapper makes the plus model loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.core.errors import ModelError

AUDIO_TOKEN = "<|audio|>"

PLUS_SYSTEM_MESSAGE = (
    "Knowledge Cutoff Date: April 2024.\nToday's Date: December 19, 2024.\n"
    "You are Granite, developed by IBM. You are a helpful AI assistant"
)

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "pt": "Portuguese",
    "ja": "Japanese",
    "it": "Italian",
    "zh": "Mandarin",
}

KINDS = ("punctuated", "raw", "translate", "speakers", "timestamps")

_GRANITE = {
    "punctuated": "transcribe the speech with proper punctuation and capitalization.",
    "raw": "can you transcribe the speech into a written format?",
    "keywords": "transcribe the speech to text.",
    "translate": "translate the speech to {language} with proper punctuation and capitalization.",
    "translate_keywords": "translate the speech to {language}",  # the card's keyword form: ". Keywords: ..." follows
}

_PLUS = {
    "raw": "can you transcribe the speech into a written format?",
    "speakers": (
        "Speaker attribution: Transcribe and denote who is speaking by adding [Speaker 1]: and "
        "[Speaker 2]: tags before speaker turns."
    ),
    "timestamps": (
        "Timestamps: Transcribe the speech. After each word, add a timestamp tag showing the end time "
        "in centiseconds, e.g. hello [T:45] world [T:82]"
    ),
}


def _keyword_list(keywords: Sequence[str]) -> str:
    cleaned = [" ".join(k.split()) for k in keywords]
    return ", ".join(k for k in cleaned if k)


def with_keywords(text: str, words: str) -> str:
    """`text` followed by ` Keywords: a, b`; an instruction that ends without punctuation gets `. Keywords:`."""
    if not words:
        return text
    joint = " " if text.rstrip()[-1:] in (".", "?", "!", ":") else ". "
    return f"{text.rstrip()}{joint}Keywords: {words}"


def instruction(
    family: str, kind: str, target_language: str | None = None, keywords: Sequence[str] = ()
) -> str:
    """The user-turn text (with its `<|audio|>` placeholder) for one task of one model family.

    granite: "punctuated" and "raw" ASR, "translate" (to `target_language`, default English); with
    keywords, ASR uses the keyword instruction `transcribe the speech to text. Keywords: a, b` and
    translation the card's `translate the speech to <Language>. Keywords: a, b`.
    plus: "raw" (also accepted as "punctuated": plus never punctuates), "speakers", "timestamps";
    keywords are appended as ` Keywords: a, b`, after a full stop where the instruction has none
    (the timestamps instruction ends with an example, `... world [T:82]`).
    """
    words = _keyword_list(keywords)
    if family == "granite":
        if kind == "translate":
            code = target_language or "en"
            if code not in LANGUAGE_NAMES:
                raise ModelError(f"Unknown translation target '{code}'; use one of {', '.join(LANGUAGE_NAMES)}.")
            template = _GRANITE["translate_keywords" if words else "translate"]
            return with_keywords(AUDIO_TOKEN + template.format(language=LANGUAGE_NAMES[code]), words)
        if kind not in ("punctuated", "raw"):
            raise ModelError(f"granite-speech-4.1-2b cannot do '{kind}'; it transcribes and translates.")
        if words:
            return with_keywords(AUDIO_TOKEN + _GRANITE["keywords"], words)
        return AUDIO_TOKEN + _GRANITE[kind]
    if family == "plus":
        key = "raw" if kind == "punctuated" else kind
        if key not in _PLUS:
            raise ModelError(
                f"granite-speech-4.1-2b-plus cannot do '{kind}'; it transcribes, labels speakers and times words."
            )
        return with_keywords(f"{AUDIO_TOKEN} {_PLUS[key]}", words)
    raise ModelError(f"Model family '{family}' takes no text prompt.")


def chat_messages(family: str, instruction_text: str) -> list[dict[str, str]]:
    """The chat turns for one instruction: plus gets its fixed system message first."""
    messages = [{"role": "user", "content": instruction_text}]
    if family == "plus":
        messages.insert(0, {"role": "system", "content": PLUS_SYSTEM_MESSAGE})
    return messages


def published_rendering(family: str, instruction_text: str, prefix_text: str | None = None) -> str:
    """What the checkpoint's own chat template renders for one instruction, for a tokenizer that has none.

    transformers loads the template from the model folder's `chat_template.jinja`; a folder without it
    (copied by hand, an older export) would otherwise fail with a traceback. The strings are those of the
    published templates, as the C++ ports build them: 4.1-2b and 4.0-1b `USER: <content>\n ASSISTANT:`;
    plus the Granite 4 role format with its system turn and the assistant turn opened
    (tests/data/chat_templates/README.md says where each was found).
    """
    prefix = prefix_text or ""
    if family == "plus":
        return (
            f"<|start_of_role|>system<|end_of_role|>{PLUS_SYSTEM_MESSAGE}<|end_of_text|>\n"
            f"<|start_of_role|>user<|end_of_role|>{instruction_text}<|end_of_text|>\n"
            f"<|start_of_role|>assistant<|end_of_role|>{prefix}"
        )
    return f"USER: {instruction_text}\n ASSISTANT:{prefix}"


def render_prompt(tokenizer: Any, family: str, instruction_text: str, prefix_text: str | None = None) -> str:
    """The full prompt string from the tokenizer's chat template, ending with the assistant's turn.

    `prefix_text` makes the model continue after that text: the plus template places it after the
    assistant marker itself; a template without that hook (4.1-2b's) gets it appended, so it is never lost.
    A tokenizer without a chat template gets the string the published template renders.
    """
    if not getattr(tokenizer, "chat_template", None):
        return published_rendering(family, instruction_text, prefix_text)
    extra = {"prefix_text": prefix_text} if prefix_text else {}
    text = str(tokenizer.apply_chat_template(
        chat_messages(family, instruction_text), tokenize=False, add_generation_prompt=True, **extra
    ))
    if prefix_text and not text.endswith(prefix_text):
        text += prefix_text
    return text
