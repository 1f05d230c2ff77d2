"""Rendering points as streamed text with citation markers.

Markers have the one form the language-model prompts use too: ``[p12]`` or ``[p12, p15]``,
after the bullet or sentence they support, ids verbatim. Chunks are one bullet, one
sentence or one line each, so the task pane shows the answer growing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Protocol

from .cues import bare_title, section_weight
from .text import tokenize


class PointLike(Protocol):
    """What rendering reads of a point (summarizer.Point, without importing it)."""

    @property
    def text(self) -> str: ...
    @property
    def ids(self) -> tuple[str, ...]: ...
    @property
    def section(self) -> int: ...
    @property
    def section_title(self) -> str: ...


def marker(ids: Sequence[str]) -> str:
    """``[p12]`` or ``[p12, p15]``."""
    return "[" + ", ".join(ids) + "]"


def cited(point: PointLike) -> str:
    """The point's text followed by its marker."""
    return f"{point.text} {marker(point.ids)}"


def render_points(points: Sequence[PointLike], style: str, lang: str) -> Iterator[str]:
    """Yield the summary in a style: "bullets", "paragraph" or "executive"."""
    if style == "paragraph":
        return _paragraph(points)
    if style == "executive":
        return _executive(points, lang)
    return _bullets(points)


def _bullets(points: Sequence[PointLike]) -> Iterator[str]:
    for point in points:
        yield f"- {cited(point)}\n"


def _paragraph(points: Sequence[PointLike]) -> Iterator[str]:
    """Flowing prose; a new paragraph where the section changes after a few sentences."""
    in_paragraph = 0
    previous = None
    for point in points:
        if in_paragraph >= 3 and point.section != previous:
            yield "\n\n"
            in_paragraph = 0
        yield ("" if in_paragraph == 0 else " ") + cited(point)
        in_paragraph += 1
        previous = point.section
    if points:
        yield "\n"


def _executive(points: Sequence[PointLike], lang: str) -> Iterator[str]:
    """One overview sentence (the point closest to all others), then bullets by section."""
    if not points:
        return
    lead = _most_central(points, lang)
    yield cited(points[lead]) + "\n"
    title = None
    for i, point in enumerate(points):
        if i == lead:
            continue
        heading = bare_title(point.section_title)
        if heading and heading != title:
            yield f"\n**{heading}**\n"
        elif title is None:
            yield "\n"
        title = heading
        yield f"- {cited(point)}\n"


def _most_central(points: Sequence[PointLike], lang: str) -> int:
    """Index of the overview point: the one sharing most terms with the rest of the summary,
    favouring early points and those of an introduction or summary section (where
    documents state what they are about)."""
    bags = [Counter(tokenize(p.text, lang)) for p in points]
    total: Counter[str] = Counter()
    for bag in bags:
        total.update(bag)

    def weight(i: int) -> float:
        others = total - bags[i]
        shared = sum(min(c, others[t]) for t, c in bags[i].items())
        opening = 1.5 if section_weight(points[i].section_title) > 1 else 1.0
        return (1 + shared) / (1 + sum(bags[i].values())) ** 0.5 * opening / (1 + 0.25 * i)

    return max(range(len(points)), key=lambda i: (weight(i), -i))
