"""Chinese and Japanese transcripts: real word units from model output, import, edits, cues and exports."""

from __future__ import annotations

import json
from pathlib import Path

from app.asr.engines.text_engine import token_budget
from app.asr.pipeline.merge import split_words
from app.asr.pipeline.stitch import stitch
from app.core.document import Transcript, Word
from app.core.exporters import build_docx, render_json, render_srt, render_text, render_vtt
from app.core.exporters.common import ExportOptions
from app.core.importers import import_transcript
from app.core.timing import retime_text, spread_words
from app.core.word_units import display_join, join_words, split_units

JA_SRT = """1
00:00:01,000 --> 00:00:04,200
昨日、東京のコンピューターセンターで
ジョン・スミスさんに会いました。

2
00:00:04,500 --> 00:00:08,000
彼は「インターネットの未来」について話しました。

3
00:00:08,400 --> 00:00:12,900
２０２４年には、スマートフォンを使う人々がさらに増えるそうです。
"""

ZH_SRT = """1
00:00:00,500 --> 00:00:03,000
我们今天在北京开会，讨论新的计划。

2
00:00:03,200 --> 00:00:06,800
他说：“这个项目非常重要！”我们都同意。
"""

KATAKANA_WORDS = ["コンピューターセンター", "ジョン・スミス", "インターネット", "スマートフォン"]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _cue_spans(text: str) -> list[tuple[int, int, str]]:
    from app.core.importers.subtitles import parse_srt_text

    return [(c.start_ms, c.end_ms, "".join(t for _, t in c.runs)) for c in parse_srt_text(text)]


def test_units_rule_han_kana_katakana_and_punctuation() -> None:
    units = split_units("昨日、東京のコンピューターセンターでジョン・スミスさんに会いました。")
    assert units == ["昨", "日、", "東", "京", "の", "コンピューターセンター", "で", "ジョン・スミス", "さんに",
                     "会", "いました。"]
    assert split_units("彼は「インターネット」と言った！") == ["彼", "は", "「インターネット」", "と", "言", "った！"]
    assert split_units("用AI处理3.5%的数据。") == ["用", "AI", "处", "理", "3.5%", "的", "数", "据。"]
    assert split_units("Hello , world") == ["Hello", ",", "world"]  # non-CJK text: whitespace words as before
    for text in (JA_SRT, ZH_SRT):
        for unit in split_units(text):
            assert split_units(unit) == [unit]  # stable: a unit cut again is the same unit


def test_model_output_split_into_units_and_rebuilt_without_spaces() -> None:
    text = "昨日、東京で ジョン・スミスさんに 会いました 。"
    words = split_words(text)
    assert "ジョン・スミス" in words and words[-1] == "いました。"
    assert join_words(words) == "昨日、東京でジョン・スミスさんに会いました。"
    assert join_words(["We", "met", "in", "東", "京", "today."]) == "We met in東京today."


def test_japanese_srt_import_units_times_export_and_json_round_trip(tmp_path: Path) -> None:
    doc = import_transcript(_write(tmp_path, "ja.srt", JA_SRT))
    texts = [w.text for w in doc.words]
    for word in KATAKANA_WORDS:
        assert any(word in t for t in texts), word  # a Katakana word is one unit
    assert all(len(t) <= 12 for t in texts)  # no piece-long "word"
    assert len(texts) >= 30
    # every unit's times lie inside its cue, in order
    cues = _cue_spans(JA_SRT)
    k = 0
    for start, end, cue_text in cues:
        n = len(split_units(cue_text))
        for w in doc.words[k:k + n]:
            assert start <= w.start_ms <= w.end_ms <= end
        k += n
    assert k == len(doc.words)
    # plain text: no spaces inserted between units
    plain = render_text(doc, ExportOptions(timestamps=False)).strip()
    assert plain == "".join(t.replace("\n", "") for _, _, t in cues)
    # SRT lines: at most 16 full-width characters, never inside a Katakana word
    srt = render_srt(doc)
    lines = [ln for ln in srt.splitlines() if ln and "-->" not in ln and not ln.isdigit()]
    assert lines and all(len(ln) <= 16 for ln in lines)
    assert all(" " not in ln for ln in lines)
    joined_lines = "".join(lines)
    for word in KATAKANA_WORDS:
        assert word in joined_lines
        assert any(word in ln for ln in lines), f"{word} split across lines"
    assert all(" " not in ln for ln in render_vtt(doc).splitlines()[2:] if "-->" not in ln)
    body = [p.text for p in build_docx(doc, ExportOptions(timestamps=False)).paragraphs
            if "昨日" in p.text or "東京" in p.text or "２０２４" in p.text]
    assert body and all(" " not in p for p in body)  # DOCX: no spaces between units
    # JSON: lossless round trip
    path = _write(tmp_path, "ja.json", render_json(doc))
    again = import_transcript(path)
    assert [(w.text, w.start_ms, w.end_ms, w.source) for w in again.words] == \
           [(w.text, w.start_ms, w.end_ms, w.source) for w in doc.words]
    segment = json.loads(path.read_text(encoding="utf-8"))["segments"][0]
    assert " " not in segment["text"]


def test_chinese_srt_import_units_times_and_lines(tmp_path: Path) -> None:
    doc = import_transcript(_write(tmp_path, "zh.srt", ZH_SRT))
    texts = [w.text for w in doc.words]
    assert texts[:4] == ["我", "们", "今", "天"]
    assert "他说：" not in texts and "说：" in texts  # punctuation attached to the unit before it
    assert "“这" in texts  # an opening quote to the unit after it
    cues = _cue_spans(ZH_SRT)
    first_n = len(split_units(cues[0][2]))
    assert all(cues[0][0] <= w.start_ms <= w.end_ms <= cues[0][1] for w in doc.words[:first_n])
    assert all(cues[1][0] <= w.start_ms <= w.end_ms <= cues[1][1] for w in doc.words[first_n:])
    lines = [ln for ln in render_srt(doc).splitlines() if ln and "-->" not in ln and not ln.isdigit()]
    assert all(len(ln) <= 16 and " " not in ln for ln in lines)
    assert "".join(lines) == "".join(t for _, _, t in cues)
    again = import_transcript(_write(tmp_path, "zh.json", render_json(doc)))
    assert [w.text for w in again.words] == texts
    assert again.text() == doc.text() == "".join(t for _, _, t in cues)


def test_editing_cjk_text_retimes_only_changed_units() -> None:
    old = spread_words(split_units("東京に行きました。"), 0, 1800)
    new = retime_text(old, display_join(["東", "京", "に"]) + "戻りました。", 0, None)
    assert [w.text for w in new] == ["東", "京", "に", "戻", "りました。"]
    assert new[:3] == old[:3]  # unchanged units keep their very times


def test_stitching_japanese_pieces_keeps_one_copy_of_the_overlap() -> None:
    said = split_units("今日は東京でインターネットの未来について話しました。")
    timed = spread_words(said, 0, 6000)
    a = [w for w in timed if w.start_ms < 4000]
    b = [w for w in timed if w.end_ms > 2500]
    joined = stitch(a, b, 2500, 4000)
    assert "".join(w.text for w in joined) == "".join(said)


def test_japanese_output_gets_a_larger_token_budget() -> None:
    samples = 16000 * 30
    assert token_budget("punctuated", samples, "ja") >= 2 * token_budget("punctuated", samples, "en")
    assert token_budget("translate", samples, "zh") > token_budget("translate", samples, "en")
    # 30 s of fast Japanese speech: ~8 characters a second, about a token each, fits
    assert token_budget("punctuated", samples, "ja") > 8 * 30 * 1.2


def test_transcript_text_joins_cjk_units_without_spaces() -> None:
    doc = Transcript.from_words([Word("東", 0, 100), Word("京", 100, 200), Word("で", 200, 300),
                                 Word("AI", 300, 400), Word("を", 400, 500)])
    assert doc.text() == "東京でAIを"
