"""The document model: what every reader produces and every feature consumes. Pure data.

Paragraph ids are stable and meaningful to the task pane:

* ``p<N>``: the N-th paragraph (0-based) of the document body, counted the way Word's
  ``body.paragraphs`` collection counts them (paragraphs inside table cells and content
  controls included, in document order), so a citation can select the paragraph in Word.
  Empty paragraphs keep their number but are not listed.
* ``tb<N>.<K>``: paragraph K of the N-th text box (text boxes are outside body.paragraphs).
* ``fn<ID>.<K>``, ``en<ID>.<K>``: paragraph K of footnote / endnote ``ID``.
* ``cm<ID>.<K>``: paragraph K of comment ``ID``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ParagraphKind = Literal[
    "title", "heading", "body", "list", "table", "textbox", "footnote", "endnote", "comment"
]
NoteKind = Literal["footnote", "endnote", "comment"]


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph of text with a stable id."""

    id: str
    text: str
    kind: ParagraphKind = "body"
    level: int = 0  # heading level (1-9) for headings, list level (0-based) for list items
    section: int = 0  # index into Document.sections
    style: str = ""  # the paragraph style's name, e.g. "Heading 1"
    table: str | None = None  # id of the table holding this paragraph, if any


@dataclass(slots=True)
class Section:
    """A heading and what follows it up to the next heading (of any level).

    Section 0 holds what comes before the first heading (its title is "" and level 0).
    ``path`` is the titles of the enclosing headings, outermost first, this one last.
    """

    index: int
    title: str = ""
    level: int = 0
    heading_id: str | None = None
    paragraph_ids: list[str] = field(default_factory=list)  # not including the heading
    path: tuple[str, ...] = ()


@dataclass(slots=True)
class Table:
    """A table: cell texts row by row (ragged rows kept ragged), and its paragraphs' ids."""

    id: str  # "t<N>" in document order, nested tables numbered too
    rows: list[list[str]]
    section: int = 0
    paragraph_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Note:
    """A footnote, endnote or comment."""

    id: str  # "fn<ID>", "en<ID>", "cm<ID>"
    kind: NoteKind
    paragraph_ids: list[str] = field(default_factory=list)
    anchor: str | None = None  # id of the body paragraph that references it, when known
    author: str | None = None  # comments only


@dataclass(slots=True)
class Document:
    """A whole document, in reading order."""

    paragraphs: list[Paragraph]
    sections: list[Section]
    tables: list[Table] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    title: str = ""
    source: str = "text"  # "docx", "docm", "dotx", "dotm", "docx-strict", "text"
    language_hint: str | None = None  # from the document's own language settings, e.g. "fr"
    properties: dict[str, str] = field(default_factory=dict)  # core + custom properties
    _by_id: dict[str, Paragraph] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {p.id: p for p in self.paragraphs}

    def paragraph(self, paragraph_id: str) -> Paragraph | None:
        return self._by_id.get(paragraph_id)

    def __contains__(self, paragraph_id: object) -> bool:
        return paragraph_id in self._by_id

    @property
    def is_empty(self) -> bool:
        return not any(p.text.strip() for p in self.paragraphs)

    def word_count(self) -> int:
        return sum(len(p.text.split()) for p in self.paragraphs)
