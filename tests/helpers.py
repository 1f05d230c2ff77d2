"""Helpers for tests: the real-document corpus, documents built here, SSE parsing."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


def corpus_files(kind: str) -> list[Path]:
    """Files of ``../shared/corpus/<kind>/``; empty when the corpus is absent."""
    folder = CORPUS / kind
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def corpus_file(kind: str, name: str) -> Path:
    path = CORPUS / kind / name
    if not path.is_file():
        pytest.skip(f"corpus file {kind}/{name} is absent")
    return path


def make_docx(paragraphs: list[tuple[str, str]]) -> bytes:
    """A real .docx written by python-docx: ``(style, text)`` pairs, e.g. ("Heading 1", ...)."""
    import docx

    document = docx.Document()
    for style, text in paragraphs:
        document.add_paragraph(text, style=style or None)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def parse_sse(body: str) -> list[tuple[str, dict[str, Any]]]:
    """Server-Sent Events text → [(event name, data)] in order."""
    events = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def inhouse_config(simulator: Any, tmp_path: Path) -> str:
    """A models.toml (its path) whose Summarize goes first to an in-house OpenAI-compatible
    model played by the vendor simulator, then to the offline engine."""
    config = tmp_path / "models.toml"
    config.write_text(f"""
[providers.inhouse]
kind = "openai_compatible"
model = "llama-test"
endpoint = "{simulator.url('compat')}"
in_house = true

[features.summarize]
primary = "inhouse"
fallbacks = ["local"]
""")
    return str(config)


def vendor_config(sim: Any, tmp_path: Path, *, primary: str = "gpt",
           fallbacks: tuple[str, ...] = ("claude", "local"), gpt_window: int = 128000,
           gpt_endpoint: str | None = None, extra: str = "") -> str:
    """A models.toml (its path) with three providers played by the vendor simulator: gpt
    (OpenAI, key env:SIM_OPENAI_KEY), claude (Anthropic, env:SIM_ANTHROPIC_KEY) and inhouse
    (OpenAI-compatible, in-house), and Summarize assigned to ``primary`` then ``fallbacks``;
    ``extra`` is appended as is."""
    fallbacks_toml = ", ".join(f'"{f}"' for f in fallbacks)
    text = f"""
[providers.gpt]
kind = "openai"
model = "gpt-test"
endpoint = "{gpt_endpoint or sim.url('openai')}"
api_key = "env:SIM_OPENAI_KEY"
price_in_per_mtok = 2.5
price_out_per_mtok = 10.0
context_window = {gpt_window}

[providers.claude]
kind = "anthropic"
model = "claude-test"
endpoint = "{sim.url('anthropic')}"
api_key = "env:SIM_ANTHROPIC_KEY"
price_in_per_mtok = 3.0
price_out_per_mtok = 15.0
context_window = 200000

[providers.inhouse]
kind = "openai_compatible"
model = "llama-test"
endpoint = "{sim.url('compat')}"
in_house = true

[features.summarize]
primary = "{primary}"
fallbacks = [{fallbacks_toml}]
{extra}
"""
    path = tmp_path / "models.toml"
    path.write_text(text)
    return str(path)
