"""Fuzzing every importer and the project loader: whatever the bytes, only the app's own errors come out.

A hostile or damaged file may be refused, never crash the caller with a KeyError, a RecursionError,
an OverflowError or Python's "Exceeds the limit (4300 digits)" ValueError.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import VerbatimError
from app.core.importers import import_transcript
from app.core.project import load_project
from app.core.recovery import RecoveryJournal

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.text(max_size=8),
                       st.floats(allow_nan=False, allow_infinity=False))
_json = st.recursive(_json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)), max_leaves=20)

_GOOD_PROJECT: dict[str, Any] = {
    "app": "verbatim", "schema_version": 1,
    "media": {"path": "a.wav", "absolute_path": "/x/a.wav", "fingerprint": "sha256:0", "duration_ms": 5000},
    "settings": {"model": "m", "revision": "r", "language": "en", "task": "transcribe",
                 "target_language": None, "device": "cpu"},
    "keywords": ["A"], "speakers": [{"id": "S1", "name": "Ana", "color": "#112233"}],
    "words": [{"t": "Hello", "s": 0, "e": 400, "spk": "S1", "c": 0.5, "src": "model", "p": True},
              {"t": "there", "s": 400, "e": 900, "spk": "S1"}],
}
_GOOD_EXPORT: dict[str, Any] = {
    "format": "verbatim-transcript", "version": 1, "speakers": [{"id": "S1", "name": "Ana", "color": "#112233"}],
    "segments": [{"speaker": "S1", "words": [{"text": "Hello", "start_ms": 0, "end_ms": 400, "speaker": "S1",
                                              "confidence": 0.9, "source": "model"}]}],
}


def _paths(d: Any) -> list[list[Any]]:
    out: list[list[Any]] = [[]]
    if isinstance(d, dict):
        out += [[k] + p for k, v in d.items() for p in _paths(v)]
    elif isinstance(d, list):
        out += [[i] + p for i, v in enumerate(d) for p in _paths(v)]
    return out


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """`base` with one to three of its values (at any depth) replaced by arbitrary JSON."""
    data = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(data)[1:]))
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = draw(_json)
    return data


_SRT_BITS = st.sampled_from(["1", "\n", "\n\n", " --> ", "00:00:01,000", "99999999999999999999:00:00,000",
                             "00:61:00,000", "-1", "Name: ", "MAYOR: ", "<i>", "</v>", "<v A>", "{\\an8}",
                             "WEBVTT", "NOTE", "&amp;", "&#99999999;", "\x00", "\ufeff", "text", "<", ">",
                             "1" * 5000, "[" * 300, "{", "\"", "00:00.000", "10000000:00:00.000"])
_subtitle_text = st.lists(_SRT_BITS, min_size=1, max_size=40).map("".join)


def _import_only_our_errors(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            import_transcript(path)
        except VerbatimError as exc:
            assert "Traceback" not in str(exc) and "\n" not in str(exc).strip()


def _load_only_our_errors(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.verbatim"
        path.write_bytes(data)
        for load in (lambda: load_project(path), lambda: RecoveryJournal.at(path).load()):
            try:
                load()
            except VerbatimError as exc:
                assert "Traceback" not in str(exc)


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from([".srt", ".vtt", ".json", ".verbatim", ".txt"]))
def test_random_bytes_in_any_importer(data: bytes, suffix: str) -> None:
    _import_only_our_errors(data, suffix)


@FUZZ
@given(_subtitle_text, st.sampled_from([".srt", ".vtt", ".sub"]))
def test_subtitle_like_text(text: str, suffix: str) -> None:
    _import_only_our_errors(text.encode("utf-8", "surrogatepass"), suffix)


@FUZZ
@given(st.one_of(mutated(_GOOD_EXPORT), mutated(_GOOD_PROJECT), _json))
def test_damaged_json_transcripts(data: Any) -> None:
    _import_only_our_errors(json.dumps(data).encode(), ".json")


@FUZZ
@given(st.one_of(mutated(_GOOD_PROJECT), _json, st.binary(max_size=500)))
def test_damaged_projects_and_journals(data: Any) -> None:
    _load_only_our_errors(data if isinstance(data, bytes) else json.dumps(data).encode())


def test_the_worst_json_is_refused_in_one_sentence(tmp_path: Path) -> None:
    worst = {
        "deep": "[" * 100_000 + "]" * 100_000,
        "digits": json.dumps(dict(_GOOD_PROJECT, words=[{"t": "a", "s": 7, "e": 1}])).replace(
            '"s": 7', '"s": ' + "9" * 5000),
        "huge_time": json.dumps(dict(_GOOD_PROJECT, words=[{"t": "a", "s": 0, "e": 10**30}])),
        "float": json.dumps(_GOOD_PROJECT).replace('"c": 0.5', '"c": 1e400'),
    }
    for name, text in worst.items():
        for suffix in (".json", ".verbatim"):
            path = tmp_path / f"{name}{suffix}"
            path.write_text(text, encoding="utf-8")
            for call in (import_transcript, load_project):
                try:
                    call(path)
                except VerbatimError as exc:
                    assert "\n" not in str(exc)
                else:
                    raise AssertionError(f"{name}{suffix} was accepted")
