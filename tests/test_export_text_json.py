"""Plain text and Verbatim JSON exports; JSON at full fidelity, read back by `json` and by our importer."""

from __future__ import annotations

import json
from pathlib import Path

from app.core.document import Speaker, TimingSource, Transcript, TranscriptionSettings, Word
from app.core.exporters import ExportOptions, export_document, export_json, export_txt
from app.core.importers import import_transcript
from app.core.project import Project


def _doc() -> Transcript:
    words = [
        Word("Hello,", 0, 400, "S1", 0.91, TimingSource.MODEL),
        Word("everyone.", 420, 900, "S1", 0.88, TimingSource.ALIGNED),
        Word("New", 5_000, 5_300, "S1", None, TimingSource.MANUAL, starts_segment=True),
        Word("paragraph.", 5_300, 5_900, "S1", 0.5, TimingSource.MODEL),
        Word("Grüße", 6_000, 6_500, "S2", 0.99, TimingSource.INTERPOLATED),
        Word("aus", 6_500, 6_700, "S2", 0.97, TimingSource.MODEL),
        Word("Köln.", 6_700, 7_400, "S2", 0.95, TimingSource.MODEL),
    ]
    settings = TranscriptionSettings(model="granite-speech-4.1-2b", revision="abc", language="de", device="cuda")
    return Transcript.from_words(
        words, [Speaker("S1", "Host", "#1f77b4"), Speaker("S2", "Gast", "#d62728")], ["Köln"], settings
    )


def test_plain_text_paragraphs(tmp_path: Path) -> None:
    out = export_txt(_doc(), tmp_path / "t.txt")
    assert out.read_text(encoding="utf-8") == (
        "Host: Hello, everyone.\n\nHost: New paragraph.\n\nGast: Grüße aus Köln.\n"
    )
    stamped = export_document("txt", _doc(), tmp_path / "s.txt", ExportOptions(timestamps=True, speakers=False))
    assert stamped.read_text(encoding="utf-8").split("\n\n") == [
        "[00:00:00] Hello, everyone.",
        "[00:00:05] New paragraph.",
        "[00:00:06] Grüße aus Köln.\n",
    ]


def test_json_holds_everything_and_reimports_identically(tmp_path: Path) -> None:
    doc = _doc()
    project = Project(doc, tmp_path / "koeln.mp3", "sha256:00", 8_000)
    out = export_json(project, tmp_path / "t.json")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["format"] == "verbatim-transcript" and data["version"] == 1
    assert data["media"] == {"name": "koeln.mp3", "duration_ms": 8_000}
    assert data["speakers"] == [
        {"id": "S1", "name": "Host", "color": "#1f77b4"},
        {"id": "S2", "name": "Gast", "color": "#d62728"},
    ]
    assert [(s["speaker"], s["start_ms"], s["end_ms"], s["text"]) for s in data["segments"]] == [
        ("S1", 0, 900, "Hello, everyone."),
        ("S1", 5_000, 5_900, "New paragraph."),
        ("S2", 6_000, 7_400, "Grüße aus Köln."),
    ]
    assert data["segments"][0]["words"][1] == {
        "text": "everyone.", "start_ms": 420, "end_ms": 900, "speaker": "S1", "confidence": 0.88, "source": "aligned",
    }

    back = import_transcript(out)
    assert list(back.words) == list(doc.words)
    assert back.speakers == doc.speakers and back.segments() == doc.segments()
    assert back.settings == doc.settings and back.keywords == doc.keywords
