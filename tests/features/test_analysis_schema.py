from __future__ import annotations

import pytest

from addin.features.analysis_schema import InvalidAnalysis, parse_analysis, schema_text

GOOD = ('{"narrative": "Sales rose.", "insights": [{"title": "Growth", "detail": "Up 12%.",'
        ' "range": "Sales!B2:B13", "kind": "trend", "severity": "info"}]}')


def test_a_valid_answer_parses_even_inside_a_code_fence() -> None:
    answer = parse_analysis(f"Here it is:\n```json\n{GOOD}\n```")
    assert answer.narrative == "Sales rose." and answer.insights[0].range == "Sales!B2:B13"


@pytest.mark.parametrize(("text", "says"), [
    ("No JSON here.", "no JSON object"),
    ('{"narrative": "x", "insights": [}', "does not parse"),
    ('{"narrative": "x"}', "insights"),
    (GOOD.replace('"trend"', '"vibes"'), "insights.0.kind"),
    (GOOD.replace('"Sales rose."', '""'), "narrative"),
])
def test_invalid_answers_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(InvalidAnalysis, match=says.replace(".", r"\.")):
        parse_analysis(text)


def test_the_schema_names_every_field() -> None:
    schema = schema_text()
    for field in ("narrative", "insights", "title", "detail", "range", "kind", "severity"):
        assert f'"{field}"' in schema
