from __future__ import annotations

import pytest

from addin.documents.plain import from_paragraphs, from_text
from addin.errors import BadRequest


def test_text_lines_become_paragraphs_and_markdown_headings_sections() -> None:
    document = from_text("# Budget\nCosts rose.\n\nRevenue fell.\n## Outlook\nStable.")
    assert [p.id for p in document.paragraphs] == ["p0", "p1", "p3", "p4", "p5"]
    assert [s.title for s in document.sections] == ["", "Budget", "Outlook"]
    assert document.sections[2].path == ("Budget", "Outlook")
    assert document.paragraph("p5").section == 2


def test_selection_paragraphs_keep_their_ids_and_styles() -> None:
    document = from_paragraphs([
        {"id": "p7", "text": "Results", "style": "Heading 1"},
        {"id": "p8", "text": "Lead fell.", "style": "Normal"},
        {"id": "p9", "text": "Replace pipes.", "style": "List Bullet"},
        "Plain string paragraph",
    ])
    assert [(p.id, p.kind) for p in document.paragraphs] == [
        ("p7", "heading"), ("p8", "body"), ("p9", "list"), ("p3", "body")]
    assert document.sections[1].title == "Results"


@pytest.mark.parametrize("items", [
    [{"id": "p1", "text": "a"}, {"id": "p1", "text": "b"}],
    [{"id": "x", "text": "a"}],
    [{"text": 5}],
    [7],
])
def test_malformed_paragraphs_are_400(items: list) -> None:
    with pytest.raises(BadRequest):
        from_paragraphs(items)
