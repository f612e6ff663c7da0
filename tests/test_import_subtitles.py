"""SRT and WebVTT import: the messy files people really have, and clear errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import pysubs2
import pytest

from app.core.document import TimingSource
from app.core.errors import ImportExportError
from app.core.importers import import_transcript


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_srt_with_bom_crlf_missing_numbers_tags_and_speakers(tmp_path: Path) -> None:
    text = (
        "\ufeff1\r\n00:00:01,000 --> 00:00:03,000\r\nMAYOR OKAFOR: The bridge <i>will</i> open\r\nin May.\r\n\r\n"
        "00:00:03,500 --> 00:00:05,000 X1:10 X2:20\r\n{\\an8}And it will be free.\r\n\r\n"
        "3\r\n00:00:08,000 --> 00:00:09,000\r\nReporter: Free?\r\n\r\n"
        "4\r\n00:00:09,200 --> 00:00:10,000\r\nHe said: yes.\r\n"
    )
    doc = import_transcript(_write(tmp_path, "a.srt", text))
    assert doc.text() == "The bridge will open in May. And it will be free. Free? He said: yes."
    assert [s.name for s in doc.speakers] == ["MAYOR OKAFOR", "Reporter"]
    # a name holds until the next one; "He said:" is a sentence, not a speaker
    assert [doc.speaker_name(w.speaker) for w in doc.words][-3:] == ["Reporter", "Reporter", "Reporter"]
    assert all(w.source is TimingSource.INTERPOLATED for w in doc.words)
    assert (doc.words[0].start_ms, doc.words[5].end_ms, doc.words[6].start_ms) == (1_000, 3_000, 3_500)
    # cues are not paragraphs: only the speaker change splits the text
    assert len(doc.segments()) == 2


def test_srt_in_windows_1252_with_a_long_pause_starts_a_paragraph(tmp_path: Path) -> None:
    text = "1\n00:00:00,000 --> 00:00:01,000\nCafé crème\n\n2\n00:00:03,000 --> 00:00:04,000\nà côté\n"
    doc = import_transcript(_write(tmp_path, "legacy.srt", text, "cp1252"))
    assert doc.text() == "Café crème à côté"
    assert [w.starts_segment for w in doc.words] == [False, False, True, False]
    assert len(doc.segments()) == 2


def test_srt_written_by_pysubs2_imports(tmp_path: Path) -> None:
    subs = pysubs2.SSAFile()
    subs.append(pysubs2.SSAEvent(start=250, end=2_000, text="First line\\Nsecond line"))
    subs.append(pysubs2.SSAEvent(start=2_100, end=4_000, text="{\\i1}Slanted{\\i0} words"))
    subs.save(str(tmp_path / "p.srt"))
    doc = import_transcript(tmp_path / "p.srt")
    assert doc.text() == "First line second line Slanted words"
    assert doc.words[0].start_ms == 250 and doc.words[-1].end_ms == 4_000


def test_webvtt_header_note_style_region_settings_and_voices(tmp_path: Path) -> None:
    text = (
        "WEBVTT - an interview\nKind: captions\nLanguage: en\n\n"
        "STYLE\n::cue { color: yellow }\n\n"
        "REGION\nid:left width:40%\n\n"
        "NOTE this is\na comment\n\n"
        "intro\n00:01.000 --> 00:03.000 align:start position:10%\n<v.loud Ana Lima>Hello &amp; <i>welcome</i>.</v>\n\n"
        "00:00:03.500 --> 00:00:06.000\n"
        "<v Ben>Thanks.</v> <v Ana Lima>So, <c.yellow>tell</c> us<00:00:05.000> more.\n\n"
        "100:00:00.000 --> 100:00:01.000\nNo voice here.\n"
    )
    doc = import_transcript(_write(tmp_path, "b.vtt", text))
    assert doc.text() == "Hello & welcome. Thanks. So, tell us more. No voice here."
    assert [doc.speaker_name(w.speaker) for w in doc.words] == ["Ana Lima"] * 3 + ["Ben"] + ["Ana Lima"] * 4 + [""] * 3
    assert doc.words[0].start_ms == 1_000 and doc.words[-1].end_ms == 360_001_000


def test_unknown_extension_is_recognised_by_content(tmp_path: Path) -> None:
    vtt = import_transcript(_write(tmp_path, "captions.txt", "WEBVTT\n\n00:00.000 --> 00:01.000\nHi there\n"))
    srt = import_transcript(_write(tmp_path, "subs.sub", "00:00:00,000 --> 00:00:01,000\nHi there\n"))
    assert vtt.text() == srt.text() == "Hi there"


@pytest.mark.parametrize(
    ("name", "content", "phrase"),
    [
        ("empty.srt", "", "is empty"),
        ("blank.vtt", " \n\n", "is empty"),
        ("binary.srt", "\x00\x01\x02garbage", "not a text file"),
        ("prose.srt", "Dear editor,\nhere is my story.\n", "not an SRT file"),
        ("numbers.srt", "1\n2\n3\n", "no SRT subtitles"),
        ("bad-time.srt", "1\n00:00:01,000 --> 00:00:xx,000\nHi\n", "line 2"),
        ("backwards.srt", "1\n00:00:05,000 --> 00:00:01,000\nHi\n", "ends before it starts"),
        ("noheader.vtt", "00:00.000 --> 00:01.000\nHi\n", "does not start with WEBVTT"),
        ("nocues.vtt", "WEBVTT\n\nNOTE nothing here\n", "no WebVTT cues"),
        ("badtime.vtt", "WEBVTT\n\n00:00,000 --> 00:01.000\nHi\n", "Line 3"),
        ("silent.vtt", "WEBVTT\n\n00:00.000 --> 00:01.000\n<i></i>\n", "no words"),
    ],
)
def test_bad_files_give_one_clear_sentence(tmp_path: Path, name: str, content: str, phrase: str) -> None:
    with pytest.raises(ImportExportError) as info:
        import_transcript(_write(tmp_path, name, content))
    message = str(info.value)
    assert phrase.lower() in message.lower() and "\n" not in message


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImportExportError, match="does not exist"):
        import_transcript(tmp_path / "nope.srt")
    with pytest.raises(ImportExportError, match="is a folder"):
        import_transcript(tmp_path)
