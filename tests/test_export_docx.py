"""DOCX export opened by python-docx: title, details line, bold speaker names via a named style, stamps."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE

from app.core.document import Speaker, Transcript
from app.core.exporters import ExportOptions, export_docx
from app.core.project import Project
from app.core.timing import spread_words


def _project(tmp_path: Path) -> Project:
    words = (
        spread_words("Thank you for meeting me today.".split(), 1_000, 3_000, "S1")
        + spread_words("It is a pleasure. The bridge matters to everyone here.".split(), 3_500, 8_000, "S2")
        + spread_words("Let us start with the budget.".split(), 65_000, 67_000, "S1")
    )
    doc = Transcript.from_words(words, [Speaker("S1", "Reporter", "#111111"), Speaker("S2", "Mayor Okafor", "#222222")])
    return Project(doc, tmp_path / "okafor-interview.wav", None, 3_725_000)


def _bold(run) -> bool:
    """Whether a run shows bold: its own setting, else its character style's."""
    return bool(run.bold if run.bold is not None else run.style.font.bold)


def test_layout_styles_and_bold_speakers(tmp_path: Path) -> None:
    options = ExportOptions(date=dt.date(2025, 5, 12), timestamps=False)
    path = export_docx(_project(tmp_path), tmp_path / "t.docx", options)
    d = docx.Document(str(path))
    paras = d.paragraphs

    assert paras[0].style.name == "Title" and paras[0].text == "okafor-interview.wav"
    assert d.core_properties.title == "okafor-interview.wav"
    assert paras[1].text == "okafor-interview.wav · 2025-05-12 · 1:02:05"
    body = paras[2:]
    assert [p.text for p in body] == [
        "Reporter: Thank you for meeting me today.",
        "Mayor Okafor: It is a pleasure. The bridge matters to everyone here.",
        "Reporter: Let us start with the budget.",
    ]
    for p in body:
        assert p.style.name == "Transcript" and p.style.base_style.name == "Normal"
        name_run, *rest = p.runs
        assert name_run.style.name == "Speaker Name" and name_run.style.type == WD_STYLE_TYPE.CHARACTER
        assert _bold(name_run) and name_run.bold is None  # bold comes from the style, so it can be restyled
        assert not any(_bold(r) for r in rest)
    assert paras[1].style.base_style.name == "Normal"
    assert not any(re.search(r"\[\d\d:\d\d:\d\d\]", p.text) for p in paras)


def test_timestamps_title_and_no_speakers_when_asked(tmp_path: Path) -> None:
    options = ExportOptions(timestamps=True, speakers=False, title="Okafor on the bridge")
    d = docx.Document(str(export_docx(_project(tmp_path), tmp_path / "s.docx", options)))
    assert d.paragraphs[0].text == "Okafor on the bridge"
    body = d.paragraphs[2:]
    assert [p.text for p in body] == [
        "[00:00:01] Thank you for meeting me today.",
        "[00:00:03] It is a pleasure. The bridge matters to everyone here.",
        "[00:01:05] Let us start with the budget.",
    ]
    assert all(p.runs[0].style.name == "Timestamp" for p in body)
    assert not any("Speaker Name" == r.style.name for p in body for r in p.runs)


def test_timestamps_by_default_header_page_numbers_and_line_numbers(tmp_path: Path) -> None:
    options = ExportOptions(date=dt.date(2025, 5, 12), line_numbers=True)
    path = export_docx(_project(tmp_path), tmp_path / "d.docx", options)
    d = docx.Document(str(path))
    assert [p.text for p in d.paragraphs[2:]][0] == "[00:00:01] Reporter: Thank you for meeting me today."
    section = d.sections[0]
    assert section.header.paragraphs[0].text == "okafor-interview.wav · 2025-05-12"
    footer_xml = section.footer.paragraphs[0]._p.xml
    assert "Page " in section.footer.paragraphs[0].text and " of " in section.footer.paragraphs[0].text
    assert footer_xml.index(" PAGE ") < footer_xml.index(" NUMPAGES ")  # "Page n of N", kept current by Word
    numbering = section._sectPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}lnNumType")
    assert numbering is not None and numbering.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}countBy") == "1"
    plain = docx.Document(str(export_docx(_project(tmp_path), tmp_path / "e.docx", ExportOptions())))
    assert plain.sections[0]._sectPr.find(numbering.tag) is None  # line numbers only when asked


def test_plain_transcript_without_media_still_exports(tmp_path: Path) -> None:
    doc = Transcript.from_words(spread_words("one two\x0b three".split(" "), 0, 90_000))
    d = docx.Document(str(export_docx(doc, tmp_path / "plain.docx", ExportOptions(timestamps=False))))
    assert d.paragraphs[0].text == "Transcript"
    assert d.paragraphs[1].text.endswith("0:01:30")
    assert d.paragraphs[2].text == "one two three"  # a control character Word cannot hold is dropped
