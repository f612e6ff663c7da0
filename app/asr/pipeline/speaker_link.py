"""Giving speakers one identity across a long interview whose pieces were labelled separately.

The plus model numbers speakers by order of appearance within one pass, so "Speaker 1" of piece 2
may be "Speaker 2" of piece 1. Neighbouring pieces share some audio (see `plan_pieces(context_s=)`);
the words heard in both carry a global label from the earlier piece and a local label from the new
one. Each local label is mapped to the global label it shares most words with (greedy by count, each
global label used once). A local label with no shared words goes to a speaker of the previous piece
that is still unclaimed (the one who spoke most there first), then to any speaker heard earlier in the
run (the most recently heard first): in a two-person interview the overlap often holds only one voice,
and a long answer can fill a whole piece, so the other person may be missing from the previous piece
too; without this they would become a new speaker again and again. Only when every known speaker is
already claimed in this piece is the label a new speaker, with the next "S<n>". The cost: a third
person who first speaks outside any overlap, while a known speaker is silent in that piece, takes the
silent speaker's id; the editor's "assign speaker" fixes that in one step.

Why this and not the model card's `prefix_text` continuation (feeding the previous transcript so the
model keeps its numbering): overlap voting does not depend on the model following the prefix (with
random or unfamiliar voices it may renumber anyway, and nothing would tell us); it works with
batching, because the pieces stay independent and any batch can decode any pieces; and prefix
continuation would serialize the pieces, each waiting for the previous one's text, which throws away
the GPU batch throughput that makes long recordings fast.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from app.core.document import Speaker, default_color


class SpeakerLinker:
    """The running table of global speakers ("S1", "S2", ...) and the mapping of each new piece onto it."""

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._heard: list[str] = []  # global ids, the most recently heard last

    @property
    def speakers(self) -> tuple[Speaker, ...]:
        """The speaker table so far: ids in order of appearance, named "Speaker N"."""
        return tuple(Speaker(sid, f"Speaker {i + 1}", default_color(i)) for i, sid in enumerate(self._ids))

    def _new_id(self) -> str:
        sid = f"S{len(self._ids) + 1}"
        self._ids.append(sid)
        return sid

    def link(
        self,
        local_labels: Iterable[str | None],
        shared: Iterable[tuple[str | None, str | None]] = (),
        recent: Iterable[str] = (),
    ) -> dict[str, str]:
        """Map a piece's local labels to global ids.

        `local_labels`: the piece's labels in order of appearance. `shared`: (global label in the
        earlier piece, local label in this piece) for each word both pieces heard. `recent`: the global
        labels of the previous piece, most talkative first, for labels the overlap says nothing about.
        """
        order: list[str] = []
        for label in local_labels:
            if label is not None and label not in order:
                order.append(label)
        votes = Counter((loc, glob) for glob, loc in shared if loc is not None and glob is not None)
        mapping: dict[str, str] = {}
        used: set[str] = set()
        # greedy by count; ties go to the earlier local label, then the earlier global id
        ranked = sorted(
            votes.items(),
            key=lambda kv: (-kv[1], _index(order, kv[0][0]), _index(self._ids, kv[0][1])),
        )
        for (loc, glob), _count in ranked:
            if loc in mapping or glob in used or loc not in order:
                continue
            mapping[loc] = glob
            used.add(glob)
        earlier = [g for g in reversed(self._heard)]
        spare = [g for g in dict.fromkeys([*recent, *earlier]) if g not in used]
        for loc in order:
            if loc not in mapping:
                mapping[loc] = spare.pop(0) if spare else self._new_id()
        for glob in mapping.values():
            if glob not in self._ids:
                self._ids.append(glob)
            if glob in self._heard:
                self._heard.remove(glob)
            self._heard.append(glob)
        return mapping


def _index(items: list[str], item: str) -> int:
    return items.index(item) if item in items else len(items)
