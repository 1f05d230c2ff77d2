"""Time per stage of an offline summary of the 93-page / 18k-word student report.

Stages: parse (.docx bytes -> Document), passages (Document -> Passage list, as the
summarize feature builds them), summarize, render. Each figure is the median of several
runs in one process; the first run also pays for warming the stemmer and stop-word caches,
so it is printed on its own. Target: parse + summarize under 1 s.

Run: .venv/bin/python bench/summarize_speed.py [file.docx] [runs]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from addin.models.local.summarizer import SummaryOptions, render, summarize
from bench._corpus import CORPUS, read, to_passages

DEFAULT = CORPUS / "oxsdk_complex2005_student_report_93p.docx"


def one_run(path: Path, options: SummaryOptions) -> dict[str, float]:
    """Seconds spent in each stage for one summary of ``path``."""
    times: dict[str, float] = {}
    start = time.perf_counter()
    document = read(path)
    times["parse"] = time.perf_counter() - start
    start = time.perf_counter()
    passages = to_passages(document)
    times["passages"] = time.perf_counter() - start
    start = time.perf_counter()
    summary = summarize(passages, options)
    times["summarize"] = time.perf_counter() - start
    start = time.perf_counter()
    "".join(render(summary, options.style))
    times["render"] = time.perf_counter() - start
    return times


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    if not path.exists():
        print(f"missing: {path}")
        return 1
    document = read(path)
    words = document.word_count()
    print(f"{path.name}: {len(document.paragraphs)} paragraphs, {words} words; median of {runs}")
    for length in ("short", "medium", "long"):
        options = SummaryOptions(length=length, style="executive")
        first = one_run(path, options)
        results = [one_run(path, options) for _ in range(runs)]
        stages = {k: median(r[k] for r in results) for k in first}
        total = sum(stages.values())
        cells = "  ".join(f"{k} {v * 1000:6.1f} ms" for k, v in stages.items())
        print(f"{length:6}  {cells}  total {total * 1000:6.1f} ms  "
              f"(parse+summarize {1000 * (stages['parse'] + stages['summarize']):.1f} ms; "
              f"first run {1000 * sum(first.values()):.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
