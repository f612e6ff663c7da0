"""Highlights in the project file (schema 2): written, read back with strict checks, and migrated.

    "highlights": {
      "labels": [{"id": "quote", "name": "Quote", "color": "#ffd54f"}, ...],
      "items": [{"id": "H1", "s": 6120, "e": 9480, "label": "quote", "note": "lede?"}]
    }

Only highlights that still have words are written (one whose words were all deleted is gone once
saved). A schema-1 file has no "highlights" key: it is read with the default labels and none marked.
"""

from __future__ import annotations

from typing import Any

from app.core.document import Transcript
from app.core.highlights import DEFAULT_LABELS, Highlight, HighlightSet, Label, live_highlights
from app.core.json_checks import Invalid, check_keys, get_int, get_list, get_str

HIGHLIGHTS_KEY = "highlights"
_SET_KEYS = {"labels", "items"}
_LABEL_KEYS = {"id", "name", "color"}
_ITEM_KEYS = {"id", "s", "e", "label", "note"}


def highlights_to_dict(doc: Transcript) -> dict[str, Any]:
    """The JSON form of the document's labels and its highlights that still have words."""
    hs = doc.highlights
    return {
        "labels": [{"id": lab.id, "name": lab.name, "color": lab.color} for lab in hs.labels],
        "items": [
            {"id": h.id, "s": int(h.start_ms), "e": int(h.end_ms), "label": h.label, "note": h.note}
            for h, _, _ in live_highlights(doc)
        ],
    }


def highlights_from_data(data: dict[str, Any]) -> HighlightSet:
    """The highlight set of a project's top-level dict (default labels, none marked, when absent).

    Raises `Invalid` (turned into a ProjectError sentence by the caller) for anything malformed.
    """
    raw = data.get(HIGHLIGHTS_KEY)
    if raw is None:
        return HighlightSet()
    if not isinstance(raw, dict):
        raise Invalid("highlights is not an object")
    check_keys(raw, _SET_KEYS, "highlights")
    labels = [_parse_label(d, i) for i, d in enumerate(get_list(raw, "labels", "highlights", optional=True))]
    if not labels:
        labels = list(DEFAULT_LABELS)
    ids = [lab.id for lab in labels]
    if len(set(ids)) != len(ids):
        raise Invalid("two highlight labels share one id")
    items = [_parse_item(d, i, set(ids)) for i, d in enumerate(get_list(raw, "items", "highlights", optional=True))]
    if len({h.id for h in items}) != len(items):
        raise Invalid("two highlights share one id")
    return HighlightSet(tuple(labels)).with_items(items)


def migrate_schema_1(data: dict[str, Any]) -> dict[str, Any]:
    """A schema-1 project dict brought to schema 2's highlights: no highlights, the default labels."""
    out = dict(data)
    out.setdefault(HIGHLIGHTS_KEY, {"labels": [{"id": lab.id, "name": lab.name, "color": lab.color}
                                               for lab in DEFAULT_LABELS], "items": []})
    return out


def _parse_label(d: Any, i: int) -> Label:
    where = f"highlights.labels[{i}]"
    if not isinstance(d, dict):
        raise Invalid(f"{where} is not an object")
    check_keys(d, _LABEL_KEYS, where, required=_LABEL_KEYS)
    lid, name, color = get_str(d, "id", where), get_str(d, "name", where), get_str(d, "color", where)
    if not lid:
        raise Invalid(f"{where} has an empty id")
    if not (color.startswith("#") and len(color) == 7 and all(c in "0123456789abcdefABCDEF" for c in color[1:])):
        raise Invalid(f"{where} has a colour that is not of the form #rrggbb")
    return Label(lid, name, color)


def _parse_item(d: Any, i: int, label_ids: set[str]) -> Highlight:
    where = f"highlights.items[{i}]"
    if not isinstance(d, dict):
        raise Invalid(f"{where} is not an object")
    check_keys(d, _ITEM_KEYS, where, required={"id", "s", "e"})
    start, end = get_int(d, "s", where), get_int(d, "e", where)
    if start < 0 or end < start:
        raise Invalid(f"{where} has a time span that is negative or ends before it starts")
    label = get_str(d, "label", where, "quote")
    if label not in label_ids:
        raise Invalid(f"{where} refers to the unknown label {label!r}")
    return Highlight(get_str(d, "id", where), start, end, label, get_str(d, "note", where, ""))
