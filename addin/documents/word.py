"""Read a Word package (.docx, .docm, .dotx, .dotm, Strict OOXML) into a :class:`Document`.

The package is read directly rather than through python-docx, which refuses .docm and
template content types, crashes on ``#anchor`` relationships, sees nothing in Strict files
and skips text boxes. The body is walked once, in order, comparing ``element.tag`` with
precomputed Clark names (no per-element XPath), which keeps a 12 MB document.xml fast.

Decisions worth knowing:

* Body paragraphs are numbered ``p<N>`` like Word's ``body.paragraphs`` (table cells and
  content controls included, text boxes not); empty ones consume a number but aren't listed.
* A "Title"-styled paragraph has kind "title" and can give the document its title, but does
  not start a section: it names the whole document, so the first "Heading 1" after it is a
  top-level section rather than its child.
* A heading-styled paragraph that reads like prose (over 250 characters, or over 100
  ending with sentence punctuation) is body text: heading styles get used for emphasis.
* Paragraphs inside tables and text boxes keep kind "table"/"textbox" and never start a
  section, even when heading-styled.
* A table cell's text holds its own paragraphs only; a nested table is a Table of its own.
  A horizontally merged cell (gridSpan) is followed by "" for each spanned grid column, so
  columns line up without repeating the text.
* Section.paragraph_ids lists body, table and text-box paragraphs. Footnote, endnote and
  comment paragraphs are reached through Document.notes; their Paragraph.section is the
  section of the paragraph that references them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from addin.documents.model import (
    Document,
    Note,
    NoteKind,
    Paragraph,
    ParagraphKind,
    Section,
    Table,
)
from addin.documents.package import Package
from addin.documents.safety import Limits, corrupt
from addin.documents.word_package import (
    W_VAL,
    W,
    WordParts,
    heading_from_outline,
    int_or_none,
    load_word_parts,
    para_props,
    word_source,
)
from addin.documents.word_xml import (
    ALT,
    BLOCK_WRAPPERS,
    BODY,
    BOX_CARRIERS,
    BR,
    COMMENT_REF,
    COMMENT_START,
    CR,
    ENDNOTE_REF,
    FLD_CHAR,
    FLD_TYPE,
    FOOTNOTE_REF,
    INLINE_SKIP,
    NO_BREAK_HYPHEN,
    OMATH,
    OMATH_PARA,
    PPR,
    PSTYLE,
    PTAB,
    RUBY,
    RUBY_BASE,
    SDT,
    SDT_CONTENT,
    TAB,
    TBL,
    TC,
    TR,
    W_ID,
    W_TYPE,
    P,
    R,
    T,
    choice,
    find_boxes,
    first_child,
    grid_span,
    math_text,
    wrapped,
)

_PROSE_CHARS = 250  # longer "headings" are body text
_SENTENCE_CHARS = 100  # ... and so are shorter ones that end like a sentence
_NOTE_KINDS: tuple[tuple[NoteKind, str], ...] = (
    ("footnote", "fn"), ("endnote", "en"), ("comment", "cm"))


def read_docx(data: bytes, limits: Limits) -> Document:
    """Read .docx/.docm/.dotx/.dotm bytes into a Document; 4xx AddinErrors on bad input."""
    return read_word_package(Package(data, limits))


def read_word_package(package: Package) -> Document:
    """Read an already opened package whose main part is a Word document."""
    if package.main_part is None:
        raise corrupt("it has no main document part")
    root = package.xml(package.main_part)
    if root.tag != W + "document":
        raise corrupt(f"{package.main_part} is not a Word document body")
    parts = load_word_parts(package)
    walker = _Walker(parts)
    body = root.find(BODY)
    if body is not None:
        walker.walk_story(body, _Story("p", None, in_flow=True))
    walker.walk_notes()
    properties = package.properties()
    return Document(
        paragraphs=walker.paragraphs + walker.note_paragraphs,
        sections=walker.sections,
        tables=walker.tables,
        notes=walker.notes,
        title=properties.get("title") or walker.first_title(),
        source=word_source(package, root),
        language_hint=parts.styles.language,
        properties=properties,
    )


def reads_like_prose(text: str) -> bool:
    """True for a heading-styled paragraph that is really prose: authors use heading styles
    for emphasis, and a 400-character "section title" would mislead the outline."""
    return len(text) > _PROSE_CHARS or (len(text) > _SENTENCE_CHARS and text[-1] in ".!?;:")


@dataclass(slots=True)
class _Story:
    """One independent flow of paragraphs: the body, a text box, a note or a comment."""

    prefix: str  # "p", "tb3.", "fn2."
    kind: ParagraphKind | None  # forced kind; None = decided per paragraph (the body)
    in_flow: bool  # paragraphs belong to Section.paragraph_ids
    count: int = 0

    def next_id(self) -> str:
        self.count += 1
        return f"{self.prefix}{self.count - 1}"


@dataclass(slots=True)
class _Cell:
    """Where a table paragraph's text goes: its table and the current cell's texts."""

    table: Table
    texts: list[str] = field(default_factory=list)


class _Walker:
    """Walks the stories of one document once, building paragraphs, sections and tables."""

    def __init__(self, parts: WordParts) -> None:
        self.parts = parts
        self.paragraphs: list[Paragraph] = []
        self.note_paragraphs: list[Paragraph] = []
        self.sections = [Section(index=0)]
        self.tables: list[Table] = []
        self.notes: list[Note] = []
        self._section = 0
        self._path: list[tuple[int, str]] = []
        self._boxes = 0
        self._out = self.paragraphs
        self._pid = ""
        self._anchors: dict[str, tuple[str, int]] = {}  # "fn3" → (paragraph id, section)
        self._pending: list[str] = []  # comment anchors seen between paragraphs
        self._fields: list[bool] = []  # open complex fields: True once past "separate"
        self._hidden = 0  # open fields still in their instruction part

    # ------------------------------------------------------------------ blocks

    def walk_story(self, container: etree._Element, story: _Story,
                   cell: _Cell | None = None) -> None:
        """Walk block-level content: paragraphs, tables and their wrappers."""
        for child in container:
            tag = child.tag
            if tag == P:
                self._paragraph(child, story, cell)
            elif tag == TBL:
                self._table(child, story)
            elif tag == SDT:
                content = child.find(SDT_CONTENT)
                if content is not None:
                    self.walk_story(content, story, cell)
            elif tag in BLOCK_WRAPPERS:
                self.walk_story(child, story, cell)
            elif tag == ALT:
                branch = choice(child)
                if branch is not None:
                    self.walk_story(branch, story, cell)
            elif tag == COMMENT_START:
                self._pending.append(child.get(W_ID) or "")

    def _table(self, tbl: etree._Element, story: _Story) -> None:
        table = Table(id=f"t{len(self.tables)}", rows=[], section=self._section)
        self.tables.append(table)
        for tr in wrapped(tbl, TR):
            row: list[str] = []
            for tc in wrapped(tr, TC):
                cell = _Cell(table)
                self.walk_story(tc, story, cell)
                row.append("\n".join(cell.texts))
                row.extend([""] * (grid_span(tc) - 1))
            table.rows.append(row)

    # ------------------------------------------------------------------ paragraphs

    def _paragraph(self, p: etree._Element, story: _Story, cell: _Cell | None) -> None:
        pid = self._pid = story.next_id()
        for comment_id in self._pending:
            self._anchor("cm", comment_id)
        self._pending.clear()
        out: list[str] = []
        boxes: list[etree._Element] = []
        self._inline(p, out, boxes)
        self._close_unfinished_fields()
        text = " ".join("".join(out).split())
        if text:
            self._emit(p, pid, text, story, cell)
        for box in boxes:
            self._boxes += 1
            self.walk_story(box, _Story(f"tb{self._boxes - 1}.", "textbox", story.in_flow))

    def _emit(self, p: etree._Element, pid: str, text: str, story: _Story,
              cell: _Cell | None) -> None:
        ppr = first_child(p, PPR)
        style_el = first_child(ppr, PSTYLE) if ppr is not None else None
        style = self.parts.styles.resolve(style_el.get(W_VAL) if style_el is not None else None)
        props = para_props(ppr)
        kind: ParagraphKind
        kind, level = heading_from_outline(props.outline) or (style.kind, style.level)
        if kind == "body":
            num_id = props.num_id if props.num_id is not None else style.num_id
            if num_id and num_id != "0" and num_id in self.parts.numbering:
                ilvl = props.ilvl if props.num_id is not None else style.ilvl
                kind, level = "list", min(max(ilvl or 0, 0), 8)
        if kind == "heading" and reads_like_prose(text):
            kind, level = "body", 0
        if story.kind is not None or cell is not None:
            kind, level = story.kind or "table", 0
        starts_section = kind == "heading"
        if starts_section:
            self._start_section(pid, text, level)
        elif story.in_flow:
            self.sections[self._section].paragraph_ids.append(pid)
        table = cell.table if cell is not None else None
        if cell is not None:
            cell.texts.append(text)
            cell.table.paragraph_ids.append(pid)
        self._out.append(Paragraph(pid, text, kind, level, self._section, style.name,
                                   table.id if table else None))

    def _start_section(self, pid: str, title: str, level: int) -> None:
        while self._path and self._path[-1][0] >= level:
            self._path.pop()
        self._path.append((level, title))
        self._section = len(self.sections)
        self.sections.append(Section(self._section, title, level, pid, [],
                                     tuple(t for _, t in self._path)))

    # ------------------------------------------------------------------ inline text

    def _inline(self, el: etree._Element, out: list[str], boxes: list[etree._Element]) -> None:
        """Append the visible text of a paragraph (or inline wrapper) to ``out``."""
        for child in el:
            tag = child.tag
            if tag == R:
                self._run(child, out, boxes)
            elif tag in INLINE_SKIP or not isinstance(tag, str):
                continue
            elif tag == SDT:
                content = child.find(SDT_CONTENT)
                if content is not None:
                    self._inline(content, out, boxes)
            elif tag == ALT:
                branch = choice(child)
                if branch is not None:
                    self._inline(branch, out, boxes)
            elif tag in (OMATH, OMATH_PARA):
                if not self._hidden:
                    out.append(math_text(child))
            elif tag == COMMENT_START:
                self._anchor("cm", child.get(W_ID))
            else:  # hyperlinks, smart tags, insertions, fldSimple and unknown wrappers
                self._inline(child, out, boxes)

    def _run(self, r: etree._Element, out: list[str], boxes: list[etree._Element]) -> None:
        for child in r:
            tag = child.tag
            if tag == FLD_CHAR:
                self._field(child.get(FLD_TYPE))
            elif self._hidden:
                continue  # a field instruction, not its result
            elif tag == T:
                out.append(child.text or "")
            elif tag in (TAB, PTAB):
                out.append("\t")
            elif tag in (BR, CR):
                out.append("\n")
            elif tag == NO_BREAK_HYPHEN:
                out.append("-")
            elif tag in BOX_CARRIERS:
                find_boxes(child, boxes)
            elif tag == FOOTNOTE_REF:
                self._anchor("fn", child.get(W_ID))
            elif tag == ENDNOTE_REF:
                self._anchor("en", child.get(W_ID))
            elif tag == COMMENT_REF:
                self._anchor("cm", child.get(W_ID))
            elif tag == RUBY:
                base = child.find(RUBY_BASE)
                if base is not None:
                    self._inline(base, out, boxes)

    def _field(self, kind: str | None) -> None:
        """Track complex fields: text between "begin" and "separate" is the instruction."""
        if kind == "begin":
            self._fields.append(False)
            self._hidden += 1
        elif kind == "separate" and self._fields and not self._fields[-1]:
            self._fields[-1] = True
            self._hidden -= 1
        elif kind == "end" and self._fields and not self._fields.pop():
            self._hidden -= 1  # the field ended without a "separate"

    def _close_unfinished_fields(self) -> None:
        """Drop fields whose instruction runs past the paragraph end, so a malformed field
        can hide at most one paragraph. Fields showing their result stay open (a TOC's
        result spans many paragraphs)."""
        while self._fields and not self._fields[-1]:
            self._fields.pop()
            self._hidden -= 1

    def _anchor(self, prefix: str, note_id: str | None) -> None:
        """Remember the first paragraph (and its section) that references a note."""
        number = int_or_none(note_id)
        if number is not None:
            self._anchors.setdefault(f"{prefix}{number}", (self._pid, self._section))

    # ------------------------------------------------------------------ notes

    def walk_notes(self) -> None:
        """Footnotes, endnotes then comments, after the body, each in part order."""
        self._out = self.note_paragraphs
        parts = self.parts
        roots = {"footnote": parts.footnotes, "endnote": parts.endnotes,
                 "comment": parts.comments}
        seen: set[str] = set()
        for kind, prefix in _NOTE_KINDS:
            root, tag = roots[kind], W + kind
            for note in root if root is not None else ():
                if note.tag == tag:
                    self._note(note, kind, prefix, seen)

    def _note(self, note: etree._Element, kind: NoteKind, prefix: str, seen: set[str]) -> None:
        number = int_or_none(note.get(W_ID))
        if number is None or note.get(W_TYPE, "normal") != "normal":
            return  # separators and continuation notices carry no content
        key = f"{prefix}{number}"
        anchor = self._anchors.get(key)
        if key in seen or (anchor is None and number in (-1, 0) and kind != "comment"):
            return
        seen.add(key)
        self._fields, self._hidden = [], 0
        self._section = anchor[1] if anchor else 0
        start = len(self.note_paragraphs)
        self.walk_story(note, _Story(f"{key}.", kind, in_flow=False))
        ids = [p.id for p in self.note_paragraphs[start:]]
        if ids:
            author = (note.get(W + "author") or "").strip() or None if kind == "comment" else None
            self.notes.append(Note(key, kind, ids, anchor[0] if anchor else None, author))

    # ------------------------------------------------------------------ title

    def first_title(self) -> str:
        """Text of the first "Title" paragraph, else of the first heading, else ""."""
        for kind in ("title", "heading"):
            for paragraph in self.paragraphs:
                if paragraph.kind == kind:
                    return paragraph.text
        return ""
