"""Highlights in the core: undoable commands, edits inside and around them, labels, markers, the project file."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest

from app.core.document import Speaker, TimingSource, Transcript, Word
from app.core.edits import History, ReplaceText, SpliceWords
from app.core.errors import EditError, ProjectError
from app.core.highlight_edits import (
    AddHighlight,
    AddLabel,
    RemoveHighlight,
    RenameLabel,
    SetHighlightLabel,
    SetHighlightNote,
)
from app.core.highlights import highlight_words, highlights_at_word, live_highlights
from app.core.markers import InsertMarker, marker_position, timestamp_text
from app.core.project import SCHEMA_VERSION, Project, load_project, project_to_dict, save_project

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo" / "demo.verbatim"
TEXT = "Thank you. We found microplastics at every site. Downstream the levels were higher."


def _doc() -> Transcript:
    words = [Word(t, 1000 + k * 500, 1000 + k * 500 + 400, "S1" if k < 2 else "S2", 0.95)
             for k, t in enumerate(TEXT.split())]
    speakers = [Speaker("S1", "Reporter", "#1f77b4"), Speaker("S2", "Dr. Amal Osei", "#d62728")]
    return Transcript.from_words(words, speakers)


def _texts(doc: Transcript) -> list[str]:
    return [" ".join(w.text for w in doc.words[i:j]) for _, i, j in live_highlights(doc)]


@pytest.fixture
def hist() -> History:
    return History(_doc())


def test_a_highlight_is_added_undone_and_redone(hist: History) -> None:
    cmd = AddHighlight(2, 8, "quote", "  the lede  ")
    hist.push(cmd)
    assert _texts(hist.doc) == ["We found microplastics at every site."]
    h = hist.doc.highlights.get(cmd.highlight_id or "")
    assert h is not None and h.note == "the lede" and (h.start_ms, h.end_ms) == (2000, 4900)
    hist.undo()
    assert _texts(hist.doc) == [] and hist.doc.highlights.items == ()
    hist.redo()
    assert _texts(hist.doc) == ["We found microplastics at every site."]
    assert hist.doc.highlights.items[0].id == cmd.highlight_id


def test_typing_inside_a_highlight_keeps_it(hist: History) -> None:
    hist.push(AddHighlight(2, 8))
    hist.push(ReplaceText(4, 5, "micro-plastics"))  # a spelling change
    hist.push(ReplaceText(6, 7, "every single"))  # a word added inside
    assert _texts(hist.doc) == ["We found micro-plastics at every single site."]
    hist.undo()
    hist.undo()
    assert _texts(hist.doc) == ["We found microplastics at every site."]


def test_edits_around_a_highlight_leave_its_words_alone(hist: History) -> None:
    hist.push(AddHighlight(2, 8))
    hist.push(ReplaceText(0, 2, "Thanks so much, doctor."))  # before it, more words
    hist.push(ReplaceText(len(hist.doc) - 1, len(hist.doc), "higher, much higher."))  # after it
    hist.push(SpliceWords(0, 0, [Word("Hello.", 0, 300, "S1")]))  # at the very start
    assert _texts(hist.doc) == ["We found microplastics at every site."]
    i, j = highlight_words(hist.doc, hist.doc.highlights.items[0])
    assert hist.doc.words[i].text == "We" and hist.doc.words[j - 1].text == "site."
    assert [h.id for h in highlights_at_word(hist.doc, i)] == [hist.doc.highlights.items[0].id]
    assert highlights_at_word(hist.doc, i - 1) == []


def test_deleting_all_its_words_removes_a_highlight_and_undo_restores_it(hist: History, tmp_path: Path) -> None:
    hist.push(AddHighlight(2, 8, note="keep"))
    hist.push(ReplaceText(2, 8, ""))
    assert _texts(hist.doc) == []
    saved = project_to_dict(Project(hist.doc), tmp_path)
    assert saved["highlights"]["items"] == []  # gone from the file too
    hist.undo()
    assert _texts(hist.doc) == ["We found microplastics at every site."]
    assert hist.doc.highlights.items[0].note == "keep"


def test_remove_note_and_label_commands_undo(hist: History) -> None:
    add = AddHighlight(2, 8)
    hist.push(add)
    hid = add.highlight_id or ""
    hist.push(SetHighlightNote(hid, "a"))
    hist.push(SetHighlightNote(hid, "ab"))  # consecutive note edits are one step
    hist.push(SetHighlightLabel(hid, "check"))
    assert (hist.doc.highlights.get(hid).note, hist.doc.highlights.get(hid).label) == ("ab", "check")  # type: ignore[union-attr]
    hist.undo()
    hist.undo()
    assert hist.doc.highlights.get(hid).note == ""  # type: ignore[union-attr]
    hist.push(RemoveHighlight(hid))
    assert hist.doc.highlights.items == ()
    hist.undo()
    assert hist.doc.highlights.get(hid) is not None


def test_labels_can_be_added_and_renamed_but_not_duplicated(hist: History) -> None:
    add = AddLabel("Lede", "#a5d6a7")
    hist.push(add)
    assert [lab.name for lab in hist.doc.highlights.labels] == ["Quote", "Check", "Follow up", "Lede"]
    hist.push(RenameLabel("follow", "Call back"))
    assert hist.doc.highlights.label_name("follow") == "Call back"
    with pytest.raises(EditError, match="already a label called Quote"):
        hist.push(RenameLabel("check", "quote"))
    with pytest.raises(EditError, match="no highlight label"):
        hist.push(AddHighlight(0, 2, "nope"))
    hist.undo()
    hist.undo()
    assert [lab.name for lab in hist.doc.highlights.labels] == ["Quote", "Check", "Follow up"]


def test_bad_highlights_are_refused_in_one_sentence(hist: History) -> None:
    with pytest.raises(EditError, match="Select the words"):
        hist.push(AddHighlight(3, 3))
    hist.push(AddHighlight(2, 8))
    with pytest.raises(EditError, match="already highlighted"):
        hist.push(AddHighlight(2, 8))
    with pytest.raises(EditError, match="no longer exists"):
        hist.push(RemoveHighlight("H99"))
    assert len(hist.doc.highlights.items) == 1


def test_markers_go_between_words_at_the_playhead(hist: History) -> None:
    doc = hist.doc
    assert marker_position(doc, 2200) == (3, 2400)  # inside "We" (2000-2400): after it, at its end
    assert marker_position(doc, 2450) == (3, 2450)  # in the gap before "found"
    assert timestamp_text(83_400) == "[01:23]" and timestamp_text(3_725_000) == "[1:02:05]"
    cmd = InsertMarker(2450, timestamp_text(2450))
    hist.push(cmd)
    w = doc.words[3]
    assert (w.text, w.start_ms, w.end_ms, w.source, w.speaker) == ("[00:02]", 2450, 2450, TimingSource.MANUAL, "S2")
    hist.undo()
    assert doc.text() == TEXT
    with pytest.raises(EditError, match="one word"):
        hist.push(InsertMarker(100, "two words"))


def test_highlights_survive_save_and_load(hist: History, tmp_path: Path) -> None:
    hist.push(AddHighlight(2, 8, "follow", "call the lab"))
    hist.push(AddLabel("Lede"))
    path = tmp_path / "p.verbatim"
    save_project(Project(hist.doc), path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["schema_version"] == SCHEMA_VERSION == 2
    loaded = load_project(path).transcript
    assert loaded.highlights == hist.doc.highlights
    assert _texts(loaded) == ["We found microplastics at every site."]


def test_a_schema_1_project_is_migrated_with_no_highlights(tmp_path: Path) -> None:
    raw = json.loads(DEMO.read_text(encoding="utf-8"))
    assert raw["schema_version"] == 1 and "highlights" not in raw
    project = load_project(DEMO)
    hs = project.transcript.highlights
    assert hs.items == () and [lab.name for lab in hs.labels] == ["Quote", "Check", "Follow up"]
    out = tmp_path / "demo2.verbatim"
    save_project(project, out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["schema_version"] == 2 and data["highlights"]["items"] == []
    assert [w.text for w in load_project(out).transcript.words] == [w.text for w in project.transcript.words]


@pytest.mark.parametrize(("highlights", "message"), [
    ({"items": [{"id": "H1", "s": 5, "e": 1}]}, "ends before it starts"),
    ({"items": [{"id": "H1", "s": 1, "e": 5, "label": "ghost"}]}, "unknown label"),
    ({"items": [{"id": "H1", "s": 1, "e": 5}, {"id": "H1", "s": 2, "e": 6}]}, "share one id"),
    ({"labels": [{"id": "q", "name": "Q", "color": "yellow"}]}, "#rrggbb"),
    ({"items": [], "extra": 1}, "extra"),
    ([1, 2], "not an object"),
])
def test_damaged_highlights_are_one_sentence(tmp_path: Path, highlights: object, message: str) -> None:
    data = {"app": "verbatim", "schema_version": 2, "words": [{"t": "a", "s": 0, "e": 9}], "highlights": highlights}
    path = tmp_path / "bad.verbatim"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ProjectError, match=message):
        load_project(path)


def test_markers_export_as_written_in_every_format(hist: History, tmp_path: Path) -> None:
    from app.core.exporters import export_document

    hist.push(InsertMarker(2450, "[inaudible]"))
    hist.push(InsertMarker(4000, timestamp_text(4000)))
    for fmt in ("txt", "srt", "vtt", "docx", "json"):
        out = export_document(fmt, hist.doc, tmp_path / f"out.{fmt}")
        if fmt == "docx":
            text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
        else:
            text = out.read_text(encoding="utf-8")
        assert "We [inaudible] found" in text.replace("\n", " ") and "[00:04]" in text, fmt
