"""Turns the citation markers a model writes into numbered citations, while streaming.

Every provider (language models, prompted so, and the offline engine) writes its sources as
markers of paragraph ids: ``[p12]`` or ``[p12, p15]``. The :class:`CitationLinker` reads the
text as it streams, keeps only ids that exist in the document, replaces each marker by a
short number ``[1]`` and announces the number once with a ``citation`` event, before the text
that uses it. Markers naming no real paragraph are dropped; brackets that are not markers
pass through untouched. A marker split across two chunks is held back until it is complete.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .events import Event

_ID = r"(?:(?:p|tb)\d+|(?:fn|en|cm)-?\d+)(?:\.\d+)?"
MARKER = re.compile(rf"\[\s*({_ID}(?:\s*[,;]\s*{_ID})*)\s*\]")
_SPLIT = re.compile(r"\s*[,;]\s*")
_MAX_MARKER = 200  # characters held back waiting for a closing bracket


@dataclass(frozen=True, slots=True)
class Citation:
    n: int
    paragraph_ids: tuple[str, ...]


class CitationLinker:
    """Stateful, one per answer. ``feed`` and ``flush`` yield ``delta``/``citation`` events."""

    def __init__(self, exists: Callable[[str], bool], preview: Callable[[str], str]) -> None:
        self._exists = exists
        self._preview = preview
        self._pending = ""
        self._numbers: dict[tuple[str, ...], int] = {}
        self.citations: list[Citation] = []

    def feed(self, text: str) -> Iterator[Event]:
        self._pending += text
        out: list[str] = []
        events: list[Event] = []
        while self._pending:
            start = self._pending.find("[")
            if start < 0:
                out.append(self._pending)
                self._pending = ""
                break
            out.append(self._pending[:start])
            rest = self._pending[start:]
            match = MARKER.match(rest)
            if match:
                self._pending = rest[match.end():]
                out.append(self._link(match.group(1), events))
                continue
            end = rest.find("]")
            if end < 0 and len(rest) < _MAX_MARKER:
                self._pending = rest  # maybe a marker still arriving
                break
            out.append("[")
            self._pending = rest[1:]
        yield from events
        text_out = "".join(out)
        if text_out:
            yield Event("delta", {"text": text_out})

    def flush(self) -> Iterator[Event]:
        if self._pending:
            text, self._pending = self._pending, ""
            yield Event("delta", {"text": text})

    def _link(self, inner: str, events: list[Event]) -> str:
        ids = tuple(dict.fromkeys(i for i in _SPLIT.split(inner.strip()) if self._exists(i)))
        if not ids:
            return ""
        number = self._numbers.get(ids)
        if number is None:
            number = self._numbers[ids] = len(self._numbers) + 1
            self.citations.append(Citation(number, ids))
            events.append(
                Event("citation", {
                    "n": number,
                    "paragraph_ids": list(ids),
                    "preview": self._preview(ids[0]),
                })
            )
        return f"[{number}]"
