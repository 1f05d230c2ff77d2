"""What a reader may do with any upload: return a result or raise our clear 4xx error.

:func:`check` reads the bytes with both readers (default :class:`Limits`), runs what reads
through its feature with the offline engine, and fails on anything else: another exception,
an AddinError with a 5xx status, more than ``FUZZ_TIME_LIMIT`` seconds, or more than
``FUZZ_MEMORY_MB`` of new peak memory. Shared by the hypothesis tests and the atheris harness.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable
from typing import Any

from addin.api.streaming import gather
from addin.documents import Limits, read_document, read_workbook
from addin.errors import AddinError
from addin.features import analyze, summarize
from addin.models.runner import Runner

TIME_LIMIT_S = float(os.environ.get("FUZZ_TIME_LIMIT", "10"))
MEMORY_LIMIT_MB = float(os.environ.get("FUZZ_MEMORY_MB", "1500"))
REQUEST_ID = "fuzz-request-0001"
OPTIONS, _ = summarize.parse_options({})


class ReaderBug(AssertionError):
    """The reader broke its contract on this input."""


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _summarize(data: bytes, runner: Runner) -> dict[str, Any]:
    document = read_document(data, "fuzz.docx", Limits())
    return gather(summarize.run(document, OPTIONS, runner, REQUEST_ID))


def _analyze(data: bytes, runner: Runner) -> dict[str, Any]:
    workbook = read_workbook(data, "fuzz.xlsx", Limits())
    return gather(analyze.run(workbook, None, runner, REQUEST_ID))


PIPELINES: dict[str, Callable[[bytes, Runner], dict[str, Any]]] = {
    "summarize": _summarize, "analyze": _analyze}


def check(data: bytes, runner: Runner) -> dict[str, str]:
    """Each pipeline's outcome ("ok" or the error code); ReaderBug on a broken contract
    (other exceptions propagate as they are, with their traceback)."""
    outcomes = {}
    for name, pipeline in PIPELINES.items():
        before, start = _peak_mb(), time.perf_counter()
        try:
            pipeline(data, runner)
            outcomes[name] = "ok"
        except AddinError as exc:
            if not 400 <= exc.status < 500:
                raise ReaderBug(f"{name}: {type(exc).__name__} with status {exc.status}: "
                                f"{exc.message}") from exc
            outcomes[name] = exc.code
        elapsed = time.perf_counter() - start
        if elapsed > TIME_LIMIT_S:
            raise ReaderBug(f"{name} took {elapsed:.1f} s (limit {TIME_LIMIT_S:g} s); "
                            f"outcome {outcomes[name]}")
        grown = _peak_mb() - before
        if grown > MEMORY_LIMIT_MB:
            raise ReaderBug(f"{name} raised the peak memory by {grown:.0f} MB "
                            f"(limit {MEMORY_LIMIT_MB:g} MB); outcome {outcomes[name]}")
    return outcomes
