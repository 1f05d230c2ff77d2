from __future__ import annotations

from addin.features.citations import CitationLinker

KNOWN = {"p1", "p2", "p7", "fn3.0"}


def run(chunks: list[str]) -> tuple[str, list[dict]]:
    linker = CitationLinker(KNOWN.__contains__, lambda pid: f"text of {pid}")
    events = [e for chunk in chunks for e in linker.feed(chunk)] + list(linker.flush())
    text = "".join(e.data["text"] for e in events if e.name == "delta")
    return text, [e.data for e in events if e.name == "citation"]


def test_markers_become_numbers_announced_once() -> None:
    text, citations = run(["- Revenue grew [p1].\n- It fell later [p2, p7].\n- Again [p1]."])
    assert text == "- Revenue grew [1].\n- It fell later [2].\n- Again [1]."
    assert [c["paragraph_ids"] for c in citations] == [["p1"], ["p2", "p7"]]
    assert citations[0]["preview"] == "text of p1"


def test_marker_split_across_chunks_is_reassembled() -> None:
    text, citations = run(["Growth [", "p", "7", "] and notes [fn3", ".0]"])
    assert text == "Growth [1] and notes [2]"
    assert [c["paragraph_ids"] for c in citations] == [["p7"], ["fn3.0"]]


def test_unknown_ids_are_dropped_and_plain_brackets_pass_through() -> None:
    text, citations = run(["See [p99] and [p2; p404] in [the appendix] [x"])
    assert text == "See  and [1] in [the appendix] [x"
    assert [c["paragraph_ids"] for c in citations] == [["p2"]]


def test_citation_event_comes_before_the_text_that_uses_it() -> None:
    linker = CitationLinker(KNOWN.__contains__, str)
    names = [e.name for e in linker.feed("A [p1] B")]
    assert names == ["citation", "delta"]
