"""Forced alignment: the most likely CTC path (Viterbi) of a known token sequence through log-posteriors.

The NAR encoder's BPE CTC head gives one frame per 80 ms: 16 kHz audio, 10 ms mel hops, two mel
frames stacked per 50 Hz encoder frame, and windows of 4 encoder frames pooled per CTC frame
(`NarModel.frame_s`). A token occupies the frames its path state holds; a word spans from its first
token's first frame to its last token's last frame. Words come back with source ALIGNED.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol, cast

import numpy as np

from app.asr.align.align_text import ctc_form
from app.core.document import TimingSource, Word
from app.core.errors import ModelError
from app.core.timing import spread_words
from app.core.word_units import needs_space, split_units

_NEG = -1e30
SAMPLE_RATE = 16_000


@dataclass(frozen=True, slots=True)
class TokenSpan:
    """Frames [start, end) that token `index` of the sequence occupies on the best path."""

    index: int
    token: int
    start: int
    end: int


def frames_needed(tokens: Sequence[int]) -> int:
    """The fewest CTC frames that can carry `tokens`: one each, plus a blank between equal neighbours."""
    return len(tokens) + sum(1 for a, b in zip(tokens, tokens[1:]) if a == b)


def ctc_viterbi(log_probs: np.ndarray, tokens: Sequence[int], blank: int) -> list[TokenSpan]:
    """Best CTC alignment of `tokens` through `log_probs` [T, V]; one span per token, in order.

    Raises ModelError when the tokens cannot fit in the frames.
    """
    lp = np.asarray(log_probs, dtype=np.float64)
    t_total = lp.shape[0]
    tokens = [int(t) for t in tokens]
    if not tokens:
        return []
    if blank in tokens:
        raise ModelError("The text to align contains the blank token, which cannot be aligned.")
    if frames_needed(tokens) > t_total:
        raise ModelError(
            f"The text is too long for its audio: {len(tokens)} tokens need {frames_needed(tokens)} "
            f"frames of {t_total}; give a longer stretch of audio or less text."
        )
    labels = np.full(2 * len(tokens) + 1, blank, dtype=np.int64)
    labels[1::2] = tokens
    s_total = len(labels)
    # a skip from s-2 to s is allowed into a token that differs from the token two states back
    skip = np.zeros(s_total, dtype=bool)
    skip[3::2] = labels[3::2] != labels[1:-2:2]
    emit = lp[:, labels]  # [T, S]
    score = np.full(s_total, _NEG)
    score[0] = emit[0, 0]
    score[1] = emit[0, 1]
    back = np.zeros((t_total, s_total), dtype=np.int8)  # 0 stay, 1 from s-1, 2 from s-2
    step = np.full(s_total, _NEG)
    jump = np.full(s_total, _NEG)
    no_skip = ~skip
    for t in range(1, t_total):  # preallocated buffers: a long window costs no allocation per frame
        step[1:] = score[:-1]
        jump[2:] = score[:-2]
        jump[no_skip] = _NEG
        from_step = step > score  # ties stay, then step, then jump
        best = np.where(from_step, step, score)
        from_jump = jump > best
        row = back[t]
        row[:] = from_step
        row[from_jump] = 2
        score = np.maximum(best, jump) + emit[t]
    s = s_total - 1 if score[-1] >= score[-2] else s_total - 2
    if not np.isfinite(score[s]) or score[s] <= _NEG / 2:
        raise ModelError("The audio gives no possible alignment for this text; check that the text matches it.")
    states = np.empty(t_total, dtype=np.int64)
    for t in range(t_total - 1, -1, -1):
        states[t] = s
        s -= int(back[t, s])
    spans: list[TokenSpan] = []
    for i, tok in enumerate(tokens):
        frames = np.nonzero(states == 2 * i + 1)[0]
        spans.append(TokenSpan(i, tok, int(frames[0]), int(frames[-1]) + 1))
    return spans


def word_frame_spans(log_probs: np.ndarray, word_tokens: Sequence[Sequence[int]], blank: int,
                     columns: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """[start, end) frames per word, where each word is the list of its tokens (at least one each).

    With `columns`, column k of `log_probs` holds token `columns[k]` (a slice of the vocabulary).
    """
    if any(len(w) == 0 for w in word_tokens):
        raise ModelError("A word to align has no tokens; the tokenizer cannot spell it.")
    flat = [int(t) for w in word_tokens for t in w]
    if columns is not None:
        where = {int(c): k for k, c in enumerate(columns)}
        if blank not in where or any(t not in where for t in flat):
            raise ModelError("The posteriors given for alignment lack some of the text's tokens.")
        flat, blank = [where[t] for t in flat], where[blank]
    spans = ctc_viterbi(log_probs, flat, blank)
    out: list[tuple[int, int]] = []
    i = 0
    for w in word_tokens:
        out.append((spans[i].start, spans[i + len(w) - 1].end))
        i += len(w)
    return out


def timed_words(texts: Sequence[str], frame_spans: Sequence[tuple[int, int]], frame_ms: float,
                offset_ms: int = 0, speaker: str | None = None) -> list[Word]:
    """Words with times from frame spans (`frame_ms` per frame, `offset_ms` added), source ALIGNED."""
    words: list[Word] = []
    for text, (start, end) in zip(texts, frame_spans):
        s = offset_ms + int(round(start * frame_ms))
        e = offset_ms + int(round(end * frame_ms))
        words.append(Word(text, s, max(e, s), speaker, None, TimingSource.ALIGNED))
    return words


class _Tokenizer(Protocol):
    def encode(self, text: str, add_special_tokens: bool = ...) -> list[int]: ...


class _CtcConfig(Protocol):
    @property
    def blank_token_id(self) -> int: ...


class _CtcModel(Protocol):
    @property
    def cfg(self) -> _CtcConfig: ...

    frame_s: float

    def ctc_log_probs(self, waveform: np.ndarray, columns: Sequence[int] | None = None) -> np.ndarray: ...


def tokenize_words(tokenizer: _Tokenizer, words: Sequence[str], forms: Sequence[str] | None = None) -> list[list[int]]:
    """Each word's token ids, spelled as in running text: `forms[k]` (the head's spelling, default the
    word itself) after a space, except for the first word and between Chinese or Japanese units."""
    forms = list(words) if forms is None else list(forms)
    out: list[list[int]] = []
    for i, (word, form) in enumerate(zip(words, forms, strict=True)):
        spaced = i > 0 and needs_space(words[i - 1], word)
        out.append(list(tokenizer.encode(" " + form if spaced else form, add_special_tokens=False)))
    return out


def align_words(model: _CtcModel, audio: np.ndarray, words: Sequence[str] | str, tokenizer: _Tokenizer,
                offset_ms: int = 0, speaker: str | None = None, language: str = "en") -> list[Word]:
    """Time `words` (or a text, cut into word units) against `audio` with a BPE CTC head.

    Each word is fed to the head as the head spells it (`app.asr.align.align_text.ctc_form`: lowercase, no
    punctuation, numbers in words); the words keep their displayed text. Words with nothing the head
    can spell (a lone dash) are placed at their neighbours' boundary, source INTERPOLATED. Times are
    absolute: `offset_ms` is where `audio` starts in the recording. Raises ModelError when the text
    cannot fit in the audio.
    """
    texts = split_units(words) if isinstance(words, str) else [w for w in words]
    if not texts:
        return []
    blank = int(model.cfg.blank_token_id)
    forms = [ctc_form(t, language) for t in texts]
    spellable = [k for k, f in enumerate(forms) if f]
    end_ms = offset_ms + len(audio) * 1000 // SAMPLE_RATE  # the last frame may reach past the audio
    if not spellable:
        return spread_words(texts, offset_ms, end_ms, speaker)
    kept_texts = [texts[k] for k in spellable]
    word_tokens = tokenize_words(tokenizer, kept_texts, [forms[k] for k in spellable])
    columns = [blank] + sorted({t for w in word_tokens for t in w} - {blank})
    log_probs = model.ctc_log_probs(np.asarray(audio, dtype=np.float32), columns)
    spans = word_frame_spans(log_probs, word_tokens, blank, columns)
    timed = timed_words(kept_texts, spans, model.frame_s * 1000.0, offset_ms, speaker)
    timed = [w.replace(start_ms=min(w.start_ms, end_ms), end_ms=min(w.end_ms, end_ms)) for w in timed]
    return _with_unspellable(texts, spellable, timed, offset_ms, speaker)


@dataclass(frozen=True)
class CtcAligner:
    """A loaded CTC model and its tokenizer as an aligner: `aligner(audio, texts, offset_ms)` times the texts
    on that cut of audio (`align_words`), spelling numbers in the text as the head would in `language`.

    Loading is slow and the language belongs to the document, so one loaded aligner serves every
    language: `in_language` gives the same model spelling for another one.
    """

    model: _CtcModel
    tokenizer: _Tokenizer
    language: str = "en"

    def __call__(self, audio: np.ndarray, texts: list[str], offset_ms: int) -> list[Word]:
        return align_words(self.model, audio, texts, self.tokenizer, offset_ms=offset_ms, language=self.language)

    def in_language(self, language: str | None) -> CtcAligner:
        """This aligner for text in `language` (None or "": English, whose number spelling was always used)."""
        return replace(self, language=(language or "en").strip().lower() or "en")


def _with_unspellable(texts: Sequence[str], spellable: Sequence[int], timed: Sequence[Word], offset_ms: int,
                      speaker: str | None) -> list[Word]:
    """All words in order: the aligned ones, and the others as zero-length words where they fall."""
    by_index = dict(zip(spellable, timed))
    out: list[Word] = []
    for k, text in enumerate(texts):
        if k in by_index:
            out.append(by_index[k])
            continue
        at = out[-1].end_ms if out else min((w.start_ms for w in timed), default=offset_ms)
        out.append(Word(text, at, at, speaker, None, TimingSource.INTERPOLATED))
    return out


def load_ctc_aligner(model_name: str, device: str | None = None) -> tuple[_CtcModel, _Tokenizer]:
    """A CTC model and tokenizer to align with: the NAR model's BPE head ("nar" or a NAR folder), or the
    4.1-2b BPE head `out_llm.safetensors` ("2b" or a 4.1-2b folder that ships it; only its encoder loads).

    Raises ModelError (one sentence) for a model without a usable CTC head.
    """
    from app.asr.granite.ctc_head import load_granite_aligner
    from app.asr.models.head_file import HEAD_FILE, has_ctc_head
    from app.asr.models.loading import pick_device
    from app.asr.models.registry import resolve_model
    from app.asr.nar.tokenizer import load_tokenizer

    spec, folder = resolve_model(model_name)
    if folder is None:
        raise ModelError(f"{spec.display_name} is not downloaded.")
    dev, dtype = pick_device(device)
    if spec.family == "nar":
        from app.asr.nar.model import load_nar

        return cast(_CtcModel, load_nar(folder, device=dev, dtype=dtype)), load_tokenizer(folder)
    if spec.family == "granite" and has_ctc_head(folder):
        return cast(_CtcModel, load_granite_aligner(folder, dev, dtype)), load_tokenizer(folder)
    if spec.family == "granite":
        raise ModelError(
            f"{folder} has no CTC head ({HEAD_FILE}, shipped with granite-speech-4.1-2b); "
            "align with --model nar, or 2b once it is downloaded with that file."
        )
    raise ModelError(f"{spec.display_name} has no CTC head to align with; use --model nar or 2b.")
