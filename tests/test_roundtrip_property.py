"""Subtitle round trips keep the words: export random, realistic transcripts, import them back.

SRT and WebVTT hold cues, not word times: the words come back with their text and speakers, and each
cue's words come back inside that cue's times (the format's precision). JSON holds everything exactly.
Words here hold `<`, `>`, `&`, capitals and punctuation ("<laughs>", "AT&T", "a<b"); they never end in a
colon: a capitalised "Word:" opening a cue of a speaker-labelled SRT reads as a speaker turn (see
app/core/importers/subtitles.py), which no SRT reader can tell apart; and no word is itself an SRT tag
("<i>"), which SRT cannot escape.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.document import Speaker, Transcript, Word
from app.core.exporters import render_json, render_srt, render_vtt
from app.core.importers import import_transcript, parse_srt_text, parse_vtt_text
from app.core.importers.subtitles import _SRT_TAG

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéÉñ"
_word_text = st.text(_LETTERS + "<>&'\"-.,?!0123456789/", min_size=1, max_size=12).filter(
    lambda t: "-->" not in t and any(c.isalnum() for c in t) and not t.endswith(":") and not _SRT_TAG.search(t))
_name = st.lists(st.text(_LETTERS, min_size=1, max_size=8).map(str.capitalize), min_size=1, max_size=3).map(" ".join)


@st.composite
def transcripts(draw: st.DrawFn) -> Transcript:
    names = draw(st.lists(_name, min_size=0, max_size=3, unique=True))
    speakers = [Speaker(f"S{i + 1}", n, "#1f77b4") for i, n in enumerate(names)]
    n = draw(st.integers(1, 60))
    words, t = [], draw(st.integers(0, 5000))
    speaker = speakers[0].id if speakers else None
    for _ in range(n):
        if speakers and draw(st.integers(0, 9)) == 0:
            speaker = draw(st.sampled_from(speakers)).id
        t += draw(st.integers(0, 2500))
        length = draw(st.integers(1, 900))
        words.append(Word(draw(_word_text), t, t + length, speaker))
        t += length
    return Transcript.from_words(words, speakers)


def _import(text: str, suffix: str) -> Transcript:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"back{suffix}"
        path.write_text(text, encoding="utf-8")
        return import_transcript(path)


def _check_cues(doc: Transcript, back: Transcript, cues: list) -> None:
    assert [w.text for w in back.words] == [w.text for w in doc.words]
    assert [back.speaker_name(w.speaker) for w in back.words] == [doc.speaker_name(w.speaker) for w in doc.words]
    i = 0
    for cue in cues:
        count = sum(len(text.split()) for _, text in cue.runs)
        if not count:
            continue
        mine = back.words[i:i + count]
        assert mine[0].start_ms >= cue.start_ms and mine[-1].end_ms <= max(cue.end_ms, mine[0].start_ms)
        i += count
    assert i == len(back.words)
    assert back.words[0].start_ms == doc.words[0].start_ms


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(transcripts())
def test_srt_round_trip_keeps_words_speakers_and_cue_times(doc: Transcript) -> None:
    text = render_srt(doc)
    _check_cues(doc, _import(text, ".srt"), parse_srt_text(text))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(transcripts())
def test_webvtt_round_trip_keeps_words_speakers_and_cue_times(doc: Transcript) -> None:
    text = render_vtt(doc)
    _check_cues(doc, _import(text, ".vtt"), parse_vtt_text(text))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(transcripts())
def test_json_round_trip_is_exact(doc: Transcript) -> None:
    back = _import(render_json(doc), ".json")
    assert [(w.text, w.start_ms, w.end_ms, back.speaker_name(w.speaker)) for w in back.words] == [
        (w.text, w.start_ms, w.end_ms, doc.speaker_name(w.speaker)) for w in doc.words]


def test_a_sentence_with_a_colon_in_a_plain_srt_is_text_not_a_speaker(tmp_path: Path) -> None:
    text = ("1\n00:00:01,000 --> 00:00:03,000\nWe met at noon.\n\n"
            "2\n00:00:03,000 --> 00:00:05,000\nLook: we never agreed to that.\n\n"
            "3\n00:00:05,000 --> 00:00:07,000\nAnd <laughs> that was it, a<b.\n")
    path = tmp_path / "plain.srt"
    path.write_text(text, encoding="utf-8")
    doc = import_transcript(path)
    assert doc.text() == "We met at noon. Look: we never agreed to that. And <laughs> that was it, a<b."
    assert list(doc.speakers) == []
