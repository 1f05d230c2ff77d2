"""Shared helpers for the benchmarks: where the corpus is, and .docx -> passages.

Documents are read with the project's own reader (``addin.documents.read_document``) and
turned into passages exactly as the summarize feature does (``addin.features.summarize
.passages``), so the benchmarks measure what a user gets.
"""

from __future__ import annotations

from pathlib import Path

from addin.models.local.summarizer import Passage

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "docx"


def read(path: Path):  # -> addin.documents.model.Document
    """The document model of a .docx file, from the project's reader."""
    from addin.documents import read_document

    return read_document(path.read_bytes(), path.name)


def to_passages(document) -> list[Passage]:
    """Passages the way the summarize feature builds them."""
    from addin.features.summarize import passages

    return list(passages(document))


def load_passages(path: Path) -> list[Passage]:
    return to_passages(read(path))

