"""Mutated Word and Excel packages never crash, hang or balloon the readers.

Seeds are small generated documents and the corpus files (``../shared/corpus``; only the
generated seeds when it is absent). Each example mutates a seed (:mod:`tests.fuzz.mutations`)
and hands it to both readers and, when it reads, to its feature with the offline engine
(:mod:`tests.fuzz.oracle`): the only acceptable outcomes are an answer or our clear 4xx error.

The run is derandomized and short in ``make test``; ``make fuzz`` sets ``FUZZ_EXAMPLES`` (and
``FUZZ_SEED_MB`` for larger corpus seeds) for a long, random one: a failure prints the
``@reproduce_failure`` line that replays it.
"""

from __future__ import annotations

import os

import pytest
from flask import Flask
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from addin.models.runner import Runner
from tests.fuzz import mutations
from tests.fuzz.oracle import check

LONG = bool(os.environ.get("FUZZ_EXAMPLES"))  # make fuzz: explore anew on every run
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0")) or 200
SEED_BYTES = int(float(os.environ.get("FUZZ_SEED_MB", "0.2")) * 1024 * 1024)
FUZZ = settings(max_examples=EXAMPLES, derandomize=not LONG, database=None, deadline=None,
                print_blob=True, phases=[Phase.explicit, Phase.generate, Phase.shrink],
                suppress_health_check=[
                    HealthCheck.too_slow, HealthCheck.data_too_large,
                    HealthCheck.function_scoped_fixture])  # the app is only read from


class Draws:
    """A mutations.Chooser backed by hypothesis draws (so failures shrink)."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high)) if high > low else low


@pytest.fixture()
def runner(app: Flask) -> Runner:
    engine: Runner = app.extensions["addin.runner"]
    return engine


def _fuzz(kind: str, data: st.DataObject, runner: Runner) -> None:
    seeds = dict(mutations.seeds(kind, SEED_BYTES))
    name = data.draw(st.sampled_from(sorted(seeds)), label="seed")  # a name reports well
    mutated = mutations.mutate(Draws(data), seeds[name])
    for pipeline, outcome in check(mutated, runner).items():
        event(f"{pipeline}: {outcome}")  # --hypothesis-show-statistics shows the mix


@FUZZ
@given(data=st.data())
def test_mutated_word_documents_read_or_fail_clearly(data: st.DataObject, runner: Runner) -> None:
    _fuzz("docx", data, runner)


@FUZZ
@given(data=st.data())
def test_mutated_workbooks_read_or_fail_clearly(data: st.DataObject, runner: Runner) -> None:
    _fuzz("xlsx", data, runner)


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_seeds_read(kind: str, runner: Runner) -> None:
    """The generated seeds are good documents, so mutations start from a full read."""
    name, seed = mutations.seeds(kind)[0]
    outcome = check(seed, runner)
    assert outcome["summarize" if kind == "docx" else "analyze"] == "ok", (name, outcome)
