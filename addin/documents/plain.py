"""Documents from what the task pane sends for a selection: plain text, or a list of paragraphs.

``from_paragraphs`` accepts strings or objects ``{"text", "id"?, "style"?, "level"?}``. When
the pane sends ids (``p<N>``: the paragraph's index in Word's ``body.paragraphs``), they are
kept, so citations select the right paragraph in the document; otherwise paragraphs are
numbered from ``p0``. A style such as "Heading 2" (or an outline ``level``) makes a heading,
"Title" a title, "List Paragraph" a list item.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..errors import BadRequest
from .model import Document, Paragraph, ParagraphKind, Section

_ID = re.compile(r"^p\d{1,7}$")
_HEADING_STYLE = re.compile(r"^(?:heading|titre|überschrift|título|titolo)\s*([1-9])$", re.I)
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
MAX_PARAGRAPHS = 50_000


def from_text(text: str) -> Document:
    """Plain text: one paragraph per line; markdown ``#`` lines become headings."""
    drafts: list[tuple[str, str, ParagraphKind, int]] = []
    for index, line in enumerate(re.split(r"\r\n|\r|\n|\v", text)):
        match = _MARKDOWN_HEADING.match(line.strip())
        if match:
            drafts.append((f"p{index}", match.group(2).strip(), "heading", len(match.group(1))))
        else:
            drafts.append((f"p{index}", line, "body", 0))
    return assemble(drafts)


def from_paragraphs(items: Sequence[Any]) -> Document:
    """A list of paragraphs (strings or objects) as the task pane sends for a selection."""
    if len(items) > MAX_PARAGRAPHS:
        raise BadRequest(f"Too many paragraphs ({len(items)}); the limit is {MAX_PARAGRAPHS}.")
    drafts: list[tuple[str, str, ParagraphKind, int]] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, dict) or not isinstance(item.get("text", ""), str):
            raise BadRequest(
                f"paragraphs[{index}] must be a string or an object with a text string."
            )
        pid = item.get("id", f"p{index}")
        if not isinstance(pid, str) or not _ID.match(pid) or pid in seen:
            raise BadRequest(
                f"paragraphs[{index}].id must be a unique id like p12 (the paragraph's index "
                f"in the document), not {pid!r}."
            )
        seen.add(pid)
        kind, level = _kind(item)
        drafts.append((pid, item.get("text", ""), kind, level))
    return assemble(drafts)


def _kind(item: dict[str, Any]) -> tuple[ParagraphKind, int]:
    style = str(item.get("style") or "").strip()
    level = item.get("level")
    match = _HEADING_STYLE.match(style)
    if match:
        return "heading", int(match.group(1))
    if style.lower() == "title":
        return "title", 1
    if isinstance(level, int) and 1 <= level <= 9 and not isinstance(level, bool):
        return "heading", level
    if style.lower().startswith("list"):
        return "list", 0
    return "body", 0


def assemble(drafts: Sequence[tuple[str, str, ParagraphKind, int]]) -> Document:
    """Paragraph drafts ``(id, text, kind, level)`` in order → a Document with its sections."""
    sections = [Section(index=0)]
    trail: list[tuple[int, str]] = []  # enclosing headings: (level, title)
    paragraphs: list[Paragraph] = []
    for pid, raw, kind, level in drafts:
        text = " ".join(raw.split())
        if not text:
            continue
        if kind in ("heading", "title"):
            trail = [(lvl, title) for lvl, title in trail if lvl < level] + [(level, text)]
            sections.append(Section(index=len(sections), title=text, level=level,
                                    heading_id=pid, path=tuple(t for _, t in trail)))
        else:
            sections[-1].paragraph_ids.append(pid)
        paragraphs.append(Paragraph(id=pid, text=text, kind=kind, level=level,
                                    section=len(sections) - 1))
    title = next((p.text for p in paragraphs if p.kind in ("title", "heading")), "")
    return Document(paragraphs=paragraphs, sections=sections, title=title, source="text")
