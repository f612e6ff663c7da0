"""WebVTT export read back by webvtt-py: voices, escaping, times; and WebVTT round trips."""

from __future__ import annotations

import html
from pathlib import Path

import webvtt

from app.core.document import Speaker, Transcript
from app.core.exporters import ExportOptions, export_vtt, render_vtt
from app.core.importers import import_transcript
from app.core.timing import spread_words


def _doc() -> Transcript:
    words = (
        spread_words("Is it true that <b>Smith & Sons</b> won the contract?".split(), 500, 4_000, "S1")
        + spread_words("Yes, by a margin of 3 > 2 votes.".split(), 4_200, 7_000, "S2")
        + spread_words("After a long silence the chair spoke again.".split(), 3_601_000, 3_605_001, "S1")
    )
    speakers = [Speaker("S1", "Reporter", "#111111"), Speaker("S2", "J. <Doe> & Co", "#222222")]
    return Transcript.from_words(words, speakers)


def test_webvtt_py_reads_cues_with_voices_and_escaped_text(tmp_path: Path) -> None:
    doc = _doc()
    path = export_vtt(doc, tmp_path / "out.vtt")
    raw = path.read_text(encoding="utf-8")
    assert raw.startswith("WEBVTT\n\n")
    assert "Smith &amp;" in raw and "&lt;b&gt;" in raw and "3 &gt; 2" in raw

    captions = webvtt.read(str(path))
    assert [c.voice for c in captions] == ["Reporter", "J. &lt;Doe&gt; &amp; Co", "Reporter"]
    assert [html.unescape(c.voice) for c in captions][1] == "J. <Doe> & Co"
    spoken = " ".join(html.unescape(c.text).replace("\n", " ") for c in captions)
    assert spoken == doc.text()
    assert captions[0].start_time.in_milliseconds() == 500
    assert captions[-1].start_time.in_milliseconds() == 3_601_000
    assert captions[-1].end == "01:00:05.001"
    for c in captions:
        assert all(len(line) <= 42 for line in html.unescape(c.text).split("\n"))


def test_no_speakers_leaves_voice_spans_out(tmp_path: Path) -> None:
    captions = webvtt.from_string(render_vtt(_doc(), ExportOptions(speakers=False)))
    assert len(captions) == 3 and all(c.voice is None for c in captions)


def test_own_webvtt_comes_back_with_speakers_text_and_times(tmp_path: Path) -> None:
    doc = _doc()
    back = import_transcript(export_vtt(doc, tmp_path / "rt.vtt"))
    assert back.text() == doc.text()
    assert [back.speaker_name(s.speaker) for s in back.segments()] == ["Reporter", "J. <Doe> & Co", "Reporter"]
    assert back.words[0].start_ms == 500 and back.words[-1].end_ms == 3_605_001
