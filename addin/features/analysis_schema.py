"""The shape a model's analysis must have, checked with pydantic.

Language models are asked for one JSON object ``{"narrative", "insights": [...]}``; this
module extracts it from their text (tolerating a code fence or words around it), validates
it, and says in plain words what was wrong, so one repair request can quote the error.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Kind = Literal["overview", "trend", "outlier", "correlation", "quality", "error",
               "distribution", "answer"]
Severity = Literal["info", "notice", "warning", "critical"]
MAX_INSIGHTS = 12


class InsightOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: str = Field(min_length=1, max_length=160)
    detail: str = Field(min_length=1, max_length=800)
    range: str = Field(min_length=1, max_length=300,
                       description="A1 range with its sheet, copied from the profile")
    kind: Kind
    severity: Severity


class AnalysisOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    narrative: str = Field(min_length=1, max_length=4000)
    insights: list[InsightOut] = Field(max_length=MAX_INSIGHTS)


class InvalidAnalysis(ValueError):
    """The model's text is not a valid analysis; the message says why, for the repair."""


@lru_cache(maxsize=1)
def schema_text() -> str:
    return json.dumps(AnalysisOut.model_json_schema(), separators=(",", ":"))


def parse_analysis(text: str) -> AnalysisOut:
    """The analysis in ``text``, or InvalidAnalysis saying what is wrong."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise InvalidAnalysis("the answer holds no JSON object")
    try:
        data = json.loads(text[start:end + 1])
    except json.JSONDecodeError as exc:
        raise InvalidAnalysis(
            f"the JSON does not parse: {exc.msg} at character {exc.pos}") from None
    try:
        return AnalysisOut.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'answer'}: {error['msg']}"
            for error in exc.errors()[:5])
        raise InvalidAnalysis(f"the JSON does not follow the schema: {problems}") from None
