"""SRT export, read back by two independent parsers (`srt` and `pysubs2`), and SRT round trips."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pysubs2
import srt
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.document import Speaker, Transcript, Word
from app.core.exporters import ExportOptions, export_document, export_srt, render_srt
from app.core.importers import import_transcript
from app.core.timing import spread_words

SENTENCES = [
    "The council met on Tuesday evening to talk about the bridge.",
    "Nobody expected the vote to be this close, said one member.",
    "The budget for the project has doubled since last spring.",
    "Engineers say the old structure cannot carry buses any more.",
    "A final decision is expected before the end of the month.",
    "Residents on both banks have been waiting for years now.",
]


def _ms(td: dt.timedelta) -> int:
    return round(td.total_seconds() * 1000)


def _write_reference_srt(path: Path, gaps_ms: list[int]) -> list[srt.Subtitle]:
    """An SRT file made by the `srt` library, one sentence per cue."""
    subs, t = [], 1_000
    for n, (text, gap) in enumerate(zip(SENTENCES, gaps_ms, strict=True), start=1):
        length = 2_500 + 97 * len(text) % 1500
        subs.append(srt.Subtitle(n, dt.timedelta(milliseconds=t), dt.timedelta(milliseconds=t + length), text))
        t += length + gap
    path.write_text(srt.compose(subs), encoding="utf-8")
    return subs


def test_well_formed_cues_survive_import_and_export_to_the_millisecond(tmp_path: Path) -> None:
    original = _write_reference_srt(tmp_path / "in.srt", [40, 300, 0, 900, 120, 0])
    doc = import_transcript(tmp_path / "in.srt")
    export_srt(doc, tmp_path / "out.srt")

    again = list(srt.parse((tmp_path / "out.srt").read_text(encoding="utf-8")))
    assert [(_ms(s.start), _ms(s.end)) for s in again] == [(_ms(s.start), _ms(s.end)) for s in original]
    assert [" ".join(s.content.split()) for s in again] == [s.content for s in original]
    assert all(len(line) <= 42 for s in again for line in s.content.split("\n"))

    events = pysubs2.load(str(tmp_path / "out.srt"))
    assert [(e.start, e.end) for e in events] == [(_ms(s.start), _ms(s.end)) for s in original]
    assert [" ".join(e.plaintext.split()) for e in events] == [s.content for s in original]


def test_recut_cues_keep_every_word_inside_its_original_time(tmp_path: Path) -> None:
    # short cues close together get merged; the words and times must still be those of the source
    subs, t = [], 0
    for n, word_group in enumerate(["Yes.", "I think so,", "but not today.", "Maybe", "tomorrow", "at noon."], 1):
        subs.append(srt.Subtitle(n, dt.timedelta(milliseconds=t), dt.timedelta(milliseconds=t + 800), word_group))
        t += 900
    (tmp_path / "short.srt").write_text(srt.compose(subs), encoding="utf-8")
    export_srt(import_transcript(tmp_path / "short.srt"), tmp_path / "out.srt")

    events = pysubs2.load(str(tmp_path / "out.srt"))
    assert " ".join(e.plaintext.replace("\n", " ") for e in events) == " ".join(s.content for s in subs)
    owner = [s for s in subs for _ in s.content.split()]  # the source cue of every word, in order
    k = 0
    for e in events:
        n = len(e.plaintext.split())
        first, last = owner[k], owner[k + n - 1]
        assert _ms(first.start) <= e.start and e.end <= max(_ms(last.end), e.start + 700)
        k += n
    assert events[0].start == 0 and events[-1].end == _ms(subs[-1].end)


def _interview() -> Transcript:
    words = (
        spread_words("Where were you when the bridge closed?".split(), 0, 2_400, "S1")
        + spread_words("At home. I heard it on the radio & could not believe it.".split(), 2_600, 6_000, "S2")
        + spread_words("What did you do next?".split(), 6_500, 8_000, "S1")
    )
    return Transcript.from_words(words, [Speaker("S1", "Reporter", "#1f77b4"), Speaker("S2", "Mrs Alvarez", "#d62728")])


def test_speaker_names_start_the_cue_where_the_speaker_changes_and_come_back_on_import(tmp_path: Path) -> None:
    out = export_document("srt", _interview(), tmp_path / "i.srt")
    subs = list(srt.parse(out.read_text(encoding="utf-8")))
    assert subs[0].content.startswith("Reporter: Where")
    assert any(s.content.startswith("Mrs Alvarez: At home.") for s in subs)
    assert "&" in out.read_text(encoding="utf-8")  # SRT has no escapes

    back = import_transcript(out)
    assert [s.name for s in back.speakers] == ["Reporter", "Mrs Alvarez"]
    assert [back.speaker_name(s.speaker) for s in back.segments()] == ["Reporter", "Mrs Alvarez", "Reporter"]
    assert back.text() == _interview().text()


def test_no_speakers_leaves_names_out(tmp_path: Path) -> None:
    out = export_srt(_interview(), tmp_path / "n.srt", ExportOptions(speakers=False))
    text = " ".join(s.content for s in srt.parse(out.read_text(encoding="utf-8")))
    assert "Reporter" not in text and "Alvarez" not in text


words_strategy = st.lists(
    st.tuples(
        st.text("abcdefghijklmnopqrstuvwxyzé", min_size=1, max_size=14).flatmap(
            lambda t: st.sampled_from([t, t + ".", t + ",", t + "?"])
        ),
        st.integers(0, 1200),
        st.integers(1, 900),
        st.sampled_from(["S1", "S2"]),
    ),
    min_size=1,
    max_size=80,
)


@settings(max_examples=40, deadline=None)
@given(words_strategy)
def test_any_transcript_survives_srt_with_words_and_speakers(specs) -> None:
    words, t = [], 0
    for text, gap, length, speaker in specs:
        words.append(Word(text, t + gap, t + gap + length, speaker))
        t += gap + length
    doc = Transcript.from_words(words, [Speaker("S1", "Ana", "#111111"), Speaker("S2", "Ben Lee", "#222222")])
    text = render_srt(doc)
    subs = list(srt.parse(text))
    assert [_ms(s.start) for s in subs] == sorted(_ms(s.start) for s in subs)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "any.srt"
        path.write_text(text, encoding="utf-8")
        back = import_transcript(path)
    assert [w.text for w in back.words] == [w.text for w in words]
    assert [back.speaker_name(w.speaker) for w in back.words] == [doc.speaker_name(w.speaker) for w in words]
    assert back.words[0].start_ms == words[0].start_ms
