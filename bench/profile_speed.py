"""Time of the Analyze profile on a big table: 100,000 rows × 20 columns, built in memory.

The table mixes what real sheets hold: a sorted date column (three years), categories, a
unique order id, whole numbers, amounts with cents, a percentage, plus a little dirt (empty
cells, an error value, numbers stored as text, two outliers). It is built directly as the
workbook model, so only ``profile_workbook`` and ``render_profile`` are timed; the budget is
the time of a raw calamine read of the same sheet (~1 s), which the whole analysis (read +
profile + render) must stay under twice.

With ``--xlsx FILE`` (e.g. bench/out/sales_100k.xlsx, written by bench/excel_read.py) it
times the whole analysis instead: python-calamine's raw read of the file, read_workbook,
profile_workbook and render_profile, and prints the ratio to the raw read (target < 2x).

Run: .venv/bin/python bench/profile_speed.py [rows] [runs]
     .venv/bin/python bench/profile_speed.py --xlsx FILE [runs]
"""

# ruff: noqa: RUF001, RUF002, RUF003  (×, − and typographic quotes on purpose)
from __future__ import annotations

import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from addin.documents.a1 import column_letter
from addin.documents.workbook import CellError, CellValue, Column, DataTable, Sheet, Workbook
from addin.features.profile import profile_workbook
from addin.features.profile_render import render_profile
from addin.models.tokens import estimate_tokens

_REGIONS = ("North", "South", "East", "West", "Central")
_CHANNELS = ("Online", "Retail", "Partner")


def build(rows: int, seed: int = 7) -> Workbook:
    """A workbook with one 20-column table of ``rows`` data rows (header on row 1)."""
    rnd = random.Random(seed)
    start = datetime(2021, 1, 1)
    minutes = 3 * 365 * 24 * 60 / rows
    dates = [start + timedelta(minutes=int(i * minutes)) for i in range(rows)]
    units = [rnd.randint(1, 50) for _ in range(rows)]
    price = [round(rnd.uniform(5, 200), 2) for _ in range(rows)]
    growth = [1 + 0.3 * i / rows for i in range(rows)]
    revenue = [round(u * p * g, 2) for u, p, g in zip(units, price, growth, strict=True)]
    cost = [round(r * rnd.uniform(0.5, 0.8), 2) for r in revenue]
    data: list[tuple[str, str, list[CellValue]]] = [
        ("Date", "date", list(dates)),
        ("Region", "text", [rnd.choice(_REGIONS) for _ in range(rows)]),
        ("Product", "text", [f"Product {rnd.randint(1, 60):02d}" for _ in range(rows)]),
        ("Channel", "text", [rnd.choice(_CHANNELS) for _ in range(rows)]),
        ("Customer", "text", [f"Customer {rnd.randint(1, 5000)}" for _ in range(rows)]),
        ("Order ID", "text", [f"ORD-{i:07d}" for i in range(rows)]),
        ("Units", "number", list(units)),
        ("Unit Price", "currency", list(price)),
        ("Revenue", "currency", list(revenue)),
        ("Cost", "currency", list(cost)),
        ("Profit", "currency", [round(r - c, 2) for r, c in zip(revenue, cost, strict=True)]),
        ("Discount", "percent", [rnd.choice((0, 0.05, 0.1, 0.15, 0.2)) for _ in range(rows)]),
        ("Rating", "number", [rnd.randint(1, 5) for _ in range(rows)]),
        ("Ship Days", "number", [rnd.randint(1, 14) for _ in range(rows)]),
        ("Weight kg", "number", [round(rnd.lognormvariate(1, 0.5), 3) for _ in range(rows)]),
        ("Tax", "currency", [round(r * 0.2, 2) for r in revenue]),
        ("Score", "number", [rnd.gauss(70, 10) for _ in range(rows)]),
        ("Returns", "number", [rnd.choice((0, 0, 0, 0, 1)) for _ in range(rows)]),
        ("Latitude", "number", [rnd.uniform(35, 60) for _ in range(rows)]),
        ("Notes", "text", [rnd.choice(("", "rush", "gift", None, None, None))
                           for _ in range(rows)]),
    ]
    _dirty(data, rows)
    columns = [Column(i, column_letter(i + 1), name, kind, values,  # type: ignore[arg-type]
                      currency="$" if kind == "currency" else None)
               for i, (name, kind, values) in enumerate(data)]
    errors = [(f"{column_letter(10)}{r + 2}", CellError("#DIV/0!"))
              for r in (500, 7000) if isinstance(data[9][2][r], CellError)]
    table = DataTable("Sales", "SalesTable", 1, 2, rows + 1, 1, 20, columns)
    sheet = Sheet("Sales", used_range=f"A1:T{rows + 1}", tables=[table], errors=errors)
    return Workbook([sheet])


def _dirty(data: list[tuple[str, str, list[CellValue]]], rows: int) -> None:
    """A few gaps, error values, numbers stored as text and outliers, as real sheets have."""
    for r in range(1000, 1010):
        data[8][2][r] = None
    for r in (500, 7000):
        data[9][2][r] = CellError("#DIV/0!")
    data[6][2][rows // 3] = "12"
    data[16][2][rows // 2] = 700.0
    data[16][2][rows // 4] = -400.0


def whole_analysis(path: Path, runs: int) -> int:
    """Raw calamine read vs read + profile + render of a real file, best of ``runs``."""
    import io

    import python_calamine

    from addin.documents import read_workbook

    data = path.read_bytes()

    def raw() -> None:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()

    stages: dict[str, list[float]] = {"raw": [], "read": [], "profile": [], "render": []}
    for _ in range(runs):
        start = time.perf_counter()
        raw()
        stages["raw"].append(time.perf_counter() - start)
        start = time.perf_counter()
        workbook = read_workbook(data, path.name)
        stages["read"].append(time.perf_counter() - start)
        start = time.perf_counter()
        profile = profile_workbook(workbook)
        stages["profile"].append(time.perf_counter() - start)
        start = time.perf_counter()
        render_profile(profile, 3000)
        stages["render"].append(time.perf_counter() - start)
    best = {k: min(v) for k, v in stages.items()}
    print(f"{path.name}: {len(data) / 1e6:.1f} MB, best of {runs}")
    for stage, seconds in best.items():
        print(f"  {stage:8} {seconds * 1000:7.0f} ms")
    total = best["read"] + best["profile"] + best["render"]
    print(f"  analysis {total * 1000:7.0f} ms = {total / best['raw']:.2f}x the raw read "
          "(target < 2x)")
    return 0


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--xlsx":
        return whole_analysis(Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 3)
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    start = time.perf_counter()
    workbook = build(rows)
    print(f"built {rows:,} rows × 20 columns in {time.perf_counter() - start:.2f} s; "
          f"median of {runs} runs")
    profile_times, render_times = [], []
    text = ""
    for _ in range(runs):
        start = time.perf_counter()
        profile = profile_workbook(workbook)
        profile_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        text = render_profile(profile, 3000)
        render_times.append(time.perf_counter() - start)
    p, r = median(profile_times), median(render_times)
    print(f"profile_workbook {p * 1000:7.1f} ms  (min {min(profile_times) * 1000:.1f})")
    print(f"render_profile   {r * 1000:7.1f} ms  (min {min(render_times) * 1000:.1f})")
    print(f"total            {(p + r) * 1000:7.1f} ms; rendering {estimate_tokens(text):,} "
          f"tokens, {len(profile.insights)} findings")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
