"""Highlight exports read back: CSV with the csv module, DOCX with python-docx, plain text; the full DOCX."""

from __future__ import annotations

import csv
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from app.core.edits import History, ReplaceText
from app.core.errors import ImportExportError
from app.core.exporters import export_document
from app.core.exporters.highlights_export import CSV_HEADER, export_highlights
from app.core.highlight_edits import AddHighlight
from app.core.project import load_project

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo" / "demo.verbatim"


def _find(doc, text: str) -> int:
    return next(k for k, w in enumerate(doc.words) if w.text == text)


@pytest.fixture
def project():
    project = load_project(DEMO)
    doc = project.transcript
    hist = History(doc)
    we = _find(doc, "We")
    hist.push(AddHighlight(we, we + 6, "quote", "lede"))
    down = _find(doc, "Downstream")
    hist.push(AddHighlight(down, down + 10, "check", "four times: which baseline?"))
    hist.push(ReplaceText(down + 7, down + 8, "five"))  # typed by hand: that quote needs checking
    return project


def test_csv_has_one_row_per_highlight(project, tmp_path: Path) -> None:
    out = export_highlights("csv", project, tmp_path / "h.csv")
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == CSV_HEADER
    assert rows[1] == ["00:00:06.755", "00:00:09.349", "Dr. Amal Osei", "Quote", "lede",
                       "We found microplastics at every site.", ""]
    assert rows[2][:5] == ["00:00:09.569", "00:00:13.252", "Dr. Amal Osei", "Check", "four times: which baseline?"]
    assert rows[2][5] == "Downstream of the plant, the levels were five times higher."
    assert rows[2][6] == "1 edited or estimated word"
    assert len(rows) == 3


def test_docx_of_highlights_alone(project, tmp_path: Path) -> None:
    out = export_highlights("docx", project, tmp_path / "h.docx")
    d = docx.Document(str(out))
    texts = [p.text for p in d.paragraphs]
    assert texts[0] == "Highlights: demo.wav"
    assert "Quote \u00b7 00:06\u201300:09 \u00b7 Dr. Amal Osei" in texts
    assert "\u201cWe found microplastics at every site,\u201d said Dr. Amal Osei. [00:06]" in texts
    assert "Note: lede" in texts
    assert "Check against audio: 1 edited or estimated word" in texts
    quote = next(p for p in d.paragraphs if p.text.startswith("\u201cWe found"))
    fills = [r._r.rPr.find(qn("w:shd")).get(qn("w:fill")) for r in quote.runs]
    assert fills == ["FFD54F"]  # the Quote label's colour


def test_text_of_highlights(project, tmp_path: Path) -> None:
    text = export_highlights("txt", project, tmp_path / "h.txt").read_text(encoding="utf-8")
    blocks = text.strip().split("\n\n")
    assert blocks[0] == "Highlights: demo.wav"
    assert blocks[1] == ("[00:06 - 00:09] Quote \u00b7 Dr. Amal Osei\n"
                         "\u201cWe found microplastics at every site,\u201d said Dr. Amal Osei. [00:06]\nNote: lede")
    assert blocks[2].endswith("(check against audio)\nNote: four times: which baseline?\n"
                              "Check against audio: 1 edited or estimated word")


def test_the_full_docx_shades_highlights_and_adds_notes_as_comments(project, tmp_path: Path) -> None:
    out = export_document("docx", project, tmp_path / "full.docx")
    d = docx.Document(str(out))
    assert [c.text for c in d.comments] == ["Quote: lede", "Check: four times: which baseline?"]
    shaded = [(r.text, r._r.rPr.find(qn("w:shd")).get(qn("w:fill"))) for p in d.paragraphs for r in p.runs
              if r._r.rPr is not None and r._r.rPr.find(qn("w:shd")) is not None]
    assert shaded == [("We found microplastics at every site.", "FFD54F"),
                      ("Downstream of the plant, the levels were five times higher.", "EF9A9A")]
    body = "\n".join(p.text for p in d.paragraphs)
    assert "We found microplastics at every site. Downstream of the plant" in body  # text unchanged


def test_no_highlights_or_a_wrong_format_is_one_sentence(tmp_path: Path) -> None:
    project = load_project(DEMO)
    with pytest.raises(ImportExportError, match="no highlights"):
        export_highlights("csv", project, tmp_path / "h.csv")
    with pytest.raises(ImportExportError, match="docx, txt or csv"):
        export_highlights("srt", project, tmp_path / "h.srt")
    assert not (tmp_path / "h.csv").exists()
