"""What the model layer adds over calling the langchain client directly.

Both sides stream the same answer from the local vendor simulator (OpenAI wire format,
answering at once) through the same ``ChatOpenAI`` client configuration:

* direct: ``ChatOpenAI.stream(messages)`` consumed to the end;
* ours: ``Runner.stream(request)`` consumed to the end: the selector (with its store
  revision check), the confidentiality filter, the circuit breaker, the provider wrapper
  (messages, secret resolution, finish-marker and usage checks), cost, and the usage record
  handed to the background writer that stores it in a SQLite file, as in production.

Calls alternate between the two sides in blocks of 50 so both see the same machine state,
and the background usage writer does its work while our block runs. Printed: p50 and
p99 of each side and the difference (what we add). Targets: under 2 ms at p50 and under
10 ms at p99.

    .venv/bin/python bench/runner_overhead.py [--calls 400]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from langchain_openai import ChatOpenAI  # noqa: E402

from addin.models.base import Assignment, ModelRequest, ProviderEntry  # noqa: E402
from addin.models.providers.common import to_messages  # noqa: E402
from addin.models.runner import Runner  # noqa: E402
from addin.models.selector import Selector  # noqa: E402
from addin.recorder import UsageWriter  # noqa: E402
from addin.store import Store  # noqa: E402
from tests.fakes import start_simulator  # noqa: E402

MESSAGES = [("system", "You summarize documents. Cite ids like [p1]."),
            ("user", "[p0] Lead levels fell in all four districts.\n"
                     "[p1] Nitrate stayed below the limit.\n[p2] Quality improved.\n"
                     "Summarize this document.")]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=400)
    args = parser.parse_args()
    os.environ["BENCH_OPENAI_KEY"] = "sk-bench"
    with start_simulator() as sim, tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/bench.sqlite")
        store.create_all()
        store.upsert_provider(ProviderEntry(
            id="gpt", kind="openai", model="gpt-bench", endpoint=sim.url("openai"),
            secret="env:BENCH_OPENAI_KEY", price_in_per_mtok=2.5, price_out_per_mtok=10.0))
        store.set_assignment(Assignment(feature="summarize", primary="gpt"))
        writer = UsageWriter(store.record_usage_many)  # as create_app wires it
        runner = Runner(Selector(store), recorder=writer)
        request = ModelRequest(feature="summarize", task=None, prompt=lambda: MESSAGES,
                               max_output_tokens=300, prompt_version=1)
        import openai

        direct_client = ChatOpenAI(model="gpt-bench", base_url=sim.url("openai"),
                                   api_key="sk-bench", max_retries=0, stream_usage=True,  # type: ignore[arg-type]
                                   timeout=openai.Timeout(60, read=30), max_tokens=300)
        messages = to_messages(request)

        def ours() -> str:
            return "".join(getattr(e, "text", "") for e in runner.stream(request))

        def direct() -> str:
            return "".join(str(chunk.content) for chunk in direct_client.stream(messages))

        assert "Simulated" in ours() and "Simulated" in direct()  # warm both paths
        for _ in range(20):
            ours(), direct()
        timings: dict[str, list[float]] = {"direct": [], "ours": []}
        block = 50  # alternate in blocks, so our background usage writes land on our side
        for _ in range(max(1, args.calls // block)):
            for name, call in (("direct", direct), ("ours", ours)):
                for _ in range(block):
                    started = time.perf_counter()
                    call()
                    timings[name].append((time.perf_counter() - started) * 1000)
                writer.flush()
        writer.flush()
        records = len(store.usage())
        sim_calls = len(sim.requests)

    direct_ms, ours_ms = timings["direct"], timings["ours"]
    print(f"{args.calls} streamed calls per side against the local simulator "
          f"({sim_calls} requests served, {records} usage records written)")
    print(f"{'':10}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for name, values in (("direct", direct_ms), ("ours", ours_ms)):
        print(f"{name:10}{percentile(values, .5):10.2f}{percentile(values, .99):10.2f}"
              f"{statistics.fmean(values):10.2f}")
    added50 = percentile(ours_ms, .5) - percentile(direct_ms, .5)
    added99 = percentile(ours_ms, .99) - percentile(direct_ms, .99)
    print(f"{'added':10}{added50:10.2f}{added99:10.2f}"
          f"{statistics.fmean(ours_ms) - statistics.fmean(direct_ms):10.2f}")
    print(f"target: added p50 < 2 ms ({'met' if added50 < 2 else 'MISSED'}), "
          f"added p99 < 10 ms ({'met' if added99 < 10 else 'MISSED'})")


if __name__ == "__main__":
    main()
