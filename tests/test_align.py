"""CTC forced alignment: exact on constructed posteriors, optimal against brute force, clear errors,
and on the tiny model."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import soundfile as sf
from test_nar_tokenizer import FIXTURE, build_tiny_tokenizer

from app.asr.align.forced import align_words, ctc_viterbi, frames_needed, timed_words, word_frame_spans
from app.asr.nar import ctc_collapse, load_nar
from app.core.document import TimingSource
from app.core.errors import ModelError, VerbatimError


def posteriors(labels: list[int], vocab: int, p: float = 0.9) -> np.ndarray:
    """Log-posteriors whose frame t gives `labels[t]` probability p and shares the rest."""
    out = np.full((len(labels), vocab), (1 - p) / (vocab - 1))
    out[np.arange(len(labels)), labels] = p
    return np.log(out)


def test_recovers_known_boundaries_exactly() -> None:
    b = 0
    frames = [b, b, 1, 1, 1, b, 2, 2, b, 2, 2, b, b, 3, 3, 3, b, b]
    spans = ctc_viterbi(posteriors(frames, 5), [1, 2, 2, 3], blank=b)
    assert [(s.token, s.start, s.end) for s in spans] == [(1, 2, 5), (2, 6, 8), (2, 9, 11), (3, 13, 16)]
    words = word_frame_spans(posteriors(frames, 5), [[1], [2, 2], [3]], blank=b)
    assert words == [(2, 5), (6, 11), (13, 16)]
    timed = timed_words(["a", "bb", "c"], words, frame_ms=80.0, offset_ms=1000, speaker="S1")
    assert [(w.start_ms, w.end_ms) for w in timed] == [(1160, 1400), (1480, 1880), (2040, 2280)]
    assert all(w.source == TimingSource.ALIGNED and w.speaker == "S1" for w in timed)


def test_tokens_without_blanks_between_them() -> None:
    frames = [1, 2, 3, 3, 4]
    spans = ctc_viterbi(posteriors(frames, 6), [1, 2, 3, 4], blank=0)
    assert [(s.start, s.end) for s in spans] == [(0, 1), (1, 2), (2, 4), (4, 5)]


def _path_score(lp: np.ndarray, spans, blank: int) -> float:
    labels = [blank] * lp.shape[0]
    for s in spans:
        labels[s.start : s.end] = [s.token] * (s.end - s.start)
    return float(sum(lp[t, label] for t, label in enumerate(labels)))


def test_viterbi_is_optimal_against_brute_force() -> None:
    rng = np.random.default_rng(1)
    for tokens in ([1, 2], [1, 1], [2, 1, 2]):
        for _ in range(3):
            lp = np.log(rng.dirichlet(np.ones(3), size=6))
            best = max(
                sum(lp[t, label] for t, label in enumerate(seq))
                for seq in itertools.product(range(3), repeat=6)
                if ctc_collapse(seq, 0) == tokens
            )
            spans = ctc_viterbi(lp, tokens, blank=0)
            assert [s.token for s in spans] == tokens
            assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))
            assert _path_score(lp, spans, 0) == pytest.approx(best, abs=1e-9)


def test_text_that_cannot_fit_is_a_clear_error() -> None:
    assert frames_needed([1, 1, 2]) == 4
    lp = posteriors([0, 1, 0], 3)
    assert len(ctc_viterbi(lp, [1, 1], blank=0)) == 2  # exactly fits: 1, blank, 1
    with pytest.raises(ModelError, match="too long"):
        ctc_viterbi(lp, [1, 1, 2], blank=0)
    with pytest.raises(VerbatimError):
        ctc_viterbi(lp, [0, 1], blank=0)
    assert ctc_viterbi(lp, [], blank=0) == []


def test_align_words_on_the_tiny_model() -> None:
    model = load_nar(FIXTURE)
    tok = build_tiny_tokenizer()
    audio = sf.read(FIXTURE / "input_2.wav", dtype="float32")[0]
    text = "the mayor said the bridge opens in may"
    words = align_words(model, audio, text, tok, offset_ms=5000, speaker="S2")
    assert [w.text for w in words] == text.split()
    duration_ms = len(audio) * 1000 // 16000
    for w in words:
        assert 5000 <= w.start_ms < w.end_ms <= 5000 + duration_ms
        assert w.source == TimingSource.ALIGNED and w.speaker == "S2"
    for a, b in zip(words, words[1:]):
        assert a.end_ms <= b.start_ms
    assert model.frame_s == pytest.approx(0.08)
    with pytest.raises(ModelError, match="too long"):
        align_words(model, audio[:8000], text * 3, tok)
    assert align_words(model, audio, "", tok) == []


def test_a_token_the_audio_never_allows_gives_a_sentence_not_a_crash() -> None:
    import numpy as np
    import pytest

    from app.asr.align.forced import ctc_viterbi
    from app.core.errors import ModelError

    lp = np.log(np.full((10, 5), 0.2))
    lp[:, 3] = -np.inf  # token 3 has zero probability in every frame
    with pytest.raises(ModelError, match="no possible alignment"):
        ctc_viterbi(lp, [1, 3], 0)
