from __future__ import annotations

import pytest

from addin.prompts import PromptError, load


def test_summarize_prompt_renders_ids_and_rules() -> None:
    template = load("summarize")
    assert template.version >= 1
    system, user = template.render(
        title="Budget", passages=[{"id": "p0", "text": "Costs", "heading": True},
                                  {"id": "p1", "text": "Costs rose 4%.", "heading": False}],
        length="short", style="bullets", focus="", language="fr",
    )
    assert system[0] == "system" and user[0] == "user"
    assert "[p12]" in system[1] and 'code "fr"' in system[1] and "under 80 words" in system[1]
    assert "[p1] Costs rose 4%." in user[1] and "## Costs [p0]" in user[1]


def test_a_missing_variable_fails_loudly() -> None:
    with pytest.raises(PromptError, match="focus"):
        load("summarize").render(title="", passages=[], length="short", style="bullets",
                                 language="auto")


def test_a_missing_prompt_file_fails_loudly() -> None:
    with pytest.raises(PromptError, match="no prompt file"):
        load("does-not-exist")
