"""Excel reading speed: python-calamine's raw read vs read_workbook, side by side.

    .venv/bin/python bench/excel_read.py [file.xlsx] [runs]

Without a file, reads a generated 100,000 rows x 20 columns workbook (dates, categories,
numbers, currency and percent columns, a sparse notes column), built once with openpyxl's
write-only mode and cached as bench/out/sales_100k.xlsx (gitignored). Prints the best of
``runs`` (default 3) for: calamine opening the file and reading every sheet's values
(``to_python``), and the full read_workbook (guards, scans, tables, typed columns).
Target: read_workbook under 2x the raw read.
"""

from __future__ import annotations

import io
import random
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import python_calamine

from addin.documents.excel import read_workbook
from addin.documents.safety import Limits

OUT = Path(__file__).resolve().parent / "out"
BENCH_FILE = OUT / "sales_100k.xlsx"
ROWS = 100_000
HEADER = ["Date", "Region", "Product", "Channel", "Rep", "Units", "Price", "Revenue", "Cost",
          "Margin", "Discount", "Tax", "Shipping", "Returns", "Rating", "Score", "Weight",
          "Volume", "Priority", "Notes"]


def generate(path: Path, rows: int = ROWS) -> float:
    """Write the benchmark workbook; returns the seconds it took."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    started = time.perf_counter()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sales")
    sheet.append(HEADER)
    rng = random.Random(7)
    start = date(2020, 1, 1)

    def cell(value: Any, number_format: str) -> WriteOnlyCell:
        c = WriteOnlyCell(sheet, value)
        c.number_format = number_format
        return c

    for i in range(rows):
        units, price = rng.randint(1, 50), round(rng.uniform(5, 500), 2)
        sheet.append([
            cell(start + timedelta(days=i % 1500), "yyyy-mm-dd"),
            rng.choice(["North", "South", "East", "West", "Central"]),
            f"P{rng.randint(1, 40):03d}", rng.choice(["Web", "Store", "Phone"]),
            f"Rep {rng.randint(1, 60)}", units,
            cell(price, '"$"#,##0.00'), cell(round(units * price, 2), '"$"#,##0.00'),
            round(units * price * 0.6, 2), cell(round(rng.uniform(0.05, 0.6), 4), "0.00%"),
            cell(round(rng.uniform(0, 0.3), 3), "0%"), round(units * price * 0.08, 2),
            round(rng.uniform(0, 40), 2), rng.randint(0, 3), rng.randint(1, 5),
            rng.gauss(50, 15), round(rng.uniform(0.1, 30), 3), rng.randint(1, 1000),
            rng.choice(["High", "Low", "Medium"]),
            rng.choice([None, None, None, "late delivery", "damaged"]),
        ])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return time.perf_counter() - started


def calamine_raw(data: bytes) -> int:
    """What calamine alone costs: open, then every sheet's values as Python lists."""
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return sum(len(book.get_sheet_by_name(name).to_python()) for name in book.sheet_names)


def full_read(data: bytes) -> int:
    workbook = read_workbook(data, "bench.xlsx", Limits())
    return sum(table.row_count for table in workbook.tables)


def best(call: Callable[[bytes], int], data: bytes, runs: int) -> tuple[float, int]:
    times, result = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        result = call(data)
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else BENCH_FILE
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    if not path.exists() and path == BENCH_FILE:
        print(f"generating {path.name} ({ROWS:,} rows x {len(HEADER)} columns)...")
        print(f"  written in {generate(path):.1f} s")
    data = path.read_bytes()
    print(f"{path.name}: {len(data) / 1e6:.1f} MB, best of {runs}")
    raw, rows = best(calamine_raw, data, runs)
    full, data_rows = best(full_read, data, runs)
    print(f"  calamine raw read   {raw:6.2f} s   ({rows:,} rows)")
    print(f"  read_workbook       {full:6.2f} s   ({data_rows:,} data rows in tables)")
    print(f"  ratio               {full / raw:6.2f}x   (target < 2x)")


if __name__ == "__main__":
    main()
