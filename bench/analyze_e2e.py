"""Analyze end to end against python-calamine's raw read of the same workbook.

    .venv/bin/python bench/analyze_e2e.py [runs]

The workbook is the generated 100,000 rows x 20 columns file of bench/excel_read.py (dates,
categories, numbers; cached in bench/out/). Each measurement runs in a fresh process so its
peak memory (max RSS) is its own:

* raw: python-calamine opens the file and reads every sheet's values (``to_python``);
* analyze: ``POST /api/v1/analyze`` with the file, through the Flask app with the built-in
  offline engine: guards, reading, tables and types, the profile, the narrative and the JSON.

Printed: the median of ``runs`` (default 3) wall-clock times and peak memory, side by side,
and the ratio. Target: analyze under 2x the raw read, peak memory under 1 GB.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.excel_read import BENCH_FILE, generate  # noqa: E402

RAW = """
import resource, sys, time, python_calamine
started = time.perf_counter()
book = python_calamine.CalamineWorkbook.from_path(sys.argv[1])
cells = sum(len(r) for name in book.sheet_names
            for r in book.get_sheet_by_name(name).to_python())
elapsed = time.perf_counter() - started
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, cells)
"""

ANALYZE = """
import io, os, resource, sys, time
os.environ["ADDIN_DATABASE_URL"] = "sqlite://"
from addin import create_app
client = create_app().test_client()
data = open(sys.argv[1], "rb").read()
started = time.perf_counter()
response = client.post("/api/v1/analyze", data={"file": (io.BytesIO(data), "sales.xlsx")})
elapsed = time.perf_counter() - started
assert response.status_code == 200, response.get_data(as_text=True)[:300]
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(response.json["insights"]))
"""


def measure(code: str, runs: int) -> tuple[float, float, int]:
    times, peaks, count = [], [], 0
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code, str(BENCH_FILE)], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
        times.append(float(out[0]))
        peaks.append(int(out[1]) / 1024)  # ru_maxrss is in KiB on Linux
        count = int(out[2])
    return statistics.median(times), statistics.median(peaks), count


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    if not BENCH_FILE.exists():
        print(f"generating {BENCH_FILE} ... {generate(BENCH_FILE):.1f} s")
    raw_s, raw_mb, cells = measure(RAW, runs)
    e2e_s, e2e_mb, insights = measure(ANALYZE, runs)
    print(f"{BENCH_FILE.name}: {cells:,} cells; median of {runs} runs, each in a fresh process")
    print(f"{'':28}{'seconds':>10}{'peak MB':>10}")
    print(f"{'calamine raw read':28}{raw_s:10.2f}{raw_mb:10.0f}")
    print(f"{'analyze end to end':28}{e2e_s:10.2f}{e2e_mb:10.0f}   ({insights} insights)")
    ratio = e2e_s / raw_s
    print(f"ratio {ratio:.2f}x (target < 2x: {'met' if ratio < 2 else 'MISSED'}); "
          f"peak {e2e_mb:.0f} MB (target < 1024 MB: {'met' if e2e_mb < 1024 else 'MISSED'})")
    print(json.dumps({"raw_s": raw_s, "analyze_s": e2e_s, "ratio": ratio, "peak_mb": e2e_mb}))


if __name__ == "__main__":
    main()
