from __future__ import annotations

from addin.features.longdoc import input_budget, prompt_tokens, split_parts
from addin.models.local.summarizer import Passage


def passage(index: int, section: int, words: int = 40) -> Passage:
    return Passage(id=f"p{index}", text=" ".join(["word"] * words), section=section)


def test_parts_fit_the_budget_and_keep_sections_whole_when_they_can() -> None:
    items = [passage(i, section=i // 5) for i in range(40)]  # 8 sections of 5 paragraphs
    section_tokens = prompt_tokens(items[:5]) - prompt_tokens([])
    parts = split_parts(items, budget=2 * section_tokens + 5)
    assert [p.id for part in parts for p in part] == [p.id for p in items]  # nothing lost
    assert len(parts) == 4
    for part in parts:
        assert prompt_tokens(part) - prompt_tokens([]) <= 2 * section_tokens + 5
        assert len({p.section for p in part}) == 2


def test_a_section_larger_than_a_part_is_split_between_paragraphs() -> None:
    items = [passage(i, section=0) for i in range(30)]
    parts = split_parts(items, budget=200)
    assert len(parts) > 1 and sum(len(p) for p in parts) == 30


def test_no_window_means_no_limit() -> None:
    assert input_budget(0, 700) == 0
    assert input_budget(8000, 700) == 8000 - 700 - 600
