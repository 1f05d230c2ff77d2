"""Small charts drawn as inline SVG by our own code: no library, no script, no CDN.

:func:`stacked_bars` draws one bar per category (e.g. a day) stacked by series (e.g. a
provider): a y axis with round ticks, category labels, a legend, and a ``<title>`` tooltip
on every segment. The chart is ``role="img"`` with an ``aria-label`` that states what it
shows (the page keeps the numbers in a table too). Every piece of text (names come from the
admin's configuration) is XML-escaped; colours and sizes are SVG presentation attributes, so
the console's Content-Security-Policy (no inline styles) allows them. Pure: strings in,
string out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from html import escape

# Okabe & Ito's colour-blind-safe palette, then darker variants for more series.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000", "#004C7A", "#9A6B00", "#006B4F", "#8F3F00")
_LEFT, _RIGHT, _TOP, _BOTTOM = 72, 190, 16, 44
_MAX_LEGEND_CHARS = 24
_MAX_X_LABELS = 8


def _x(text: object) -> str:
    """Text or an attribute value, escaped for XML (quotes included)."""
    return escape(str(text), quote=True)


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def money(value: float) -> str:
    """Dollars, with enough digits for the fractions of a cent that model calls cost."""
    if value == 0:
        return "$0"
    if abs(value) >= 1:
        return f"${value:,.2f}"
    return f"${value:.4f}".rstrip("0").rstrip(".") if abs(value) >= 0.0001 else f"${value:.2g}"


def nice_ticks(maximum: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``maximum`` (steps of 1, 2, 2.5 or 5 times 10^k)."""
    if not maximum > 0 or not math.isfinite(maximum):
        return [0.0, 1.0]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    steps = math.ceil(maximum / step - 1e-9)
    return [round(i * step, 12) for i in range(steps + 1)]


def _short(name: str) -> str:
    return name if len(name) <= _MAX_LEGEND_CHARS else name[:_MAX_LEGEND_CHARS - 1] + "…"


def stacked_bars(categories: Sequence[str], series: Mapping[str, Sequence[float]], *,
                 label: str, fmt: Callable[[float], str] = money, width: int = 760,
                 height: int = 300) -> str:
    """An SVG stacked bar chart: ``series[name][i]`` is the value of ``name`` in
    ``categories[i]``. ``label`` is the accessible name (totals are appended to it)."""
    names = list(series)
    totals = [sum(max(series[n][i], 0.0) for n in names) for i in range(len(categories))]
    ticks = nice_ticks(max(totals, default=0.0))
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM
    top = ticks[-1]

    def y(value: float) -> float:
        return _TOP + plot_h - plot_h * value / top

    summary = (f"{label}: {len(categories)} {'category' if len(categories) == 1 else 'categories'}"
               f", total {fmt(sum(totals))}")
    if categories:
        summary += f", from {categories[0]} to {categories[-1]}"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
           f'aria-label="{_x(summary)}" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" font-family="sans-serif" font-size="12">']
    for tick in ticks:
        out.append(f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{_num(y(tick))}" '
                   f'y2="{_num(y(tick))}" stroke="#ddd"/>'
                   f'<text x="{_LEFT - 6}" y="{_num(y(tick) + 4)}" text-anchor="end" '
                   f'fill="#333">{_x(fmt(tick))}</text>')
    out.append(f'<line x1="{_LEFT}" x2="{_LEFT}" y1="{_TOP}" y2="{_TOP + plot_h}" '
               f'stroke="#333"/>')
    band = plot_w / max(len(categories), 1)
    every = max(math.ceil(len(categories) / _MAX_X_LABELS), 1)
    for i, category in enumerate(categories):
        left, base = _LEFT + i * band + band * 0.15, 0.0
        for n, name in enumerate(names):
            value = series[name][i]
            if value <= 0:
                continue
            out.append(f'<rect x="{_num(left)}" y="{_num(y(base + value))}" '
                       f'width="{_num(band * 0.7)}" height="{_num(y(base) - y(base + value))}" '
                       f'fill="{PALETTE[n % len(PALETTE)]}"><title>{_x(category)} · '
                       f'{_x(name)}: {_x(fmt(value))}</title></rect>')
            base += value
        if i % every == 0:
            out.append(f'<text x="{_num(_LEFT + (i + 0.5) * band)}" y="{_TOP + plot_h + 18}" '
                       f'text-anchor="middle" fill="#333">{_x(category)}</text>')
    out.append(f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{_TOP + plot_h}" '
               f'y2="{_TOP + plot_h}" stroke="#333"/>')
    for n, name in enumerate(names):
        row = _TOP + 8 + n * 20
        out.append(f'<rect x="{width - _RIGHT + 16}" y="{row - 10}" width="12" height="12" '
                   f'fill="{PALETTE[n % len(PALETTE)]}"/>'
                   f'<text x="{width - _RIGHT + 34}" y="{row}" fill="#333"><title>{_x(name)}'
                   f'</title>{_x(_short(name))}</text>')
    if not categories:
        out.append(f'<text x="{_LEFT + plot_w / 2:.0f}" y="{_TOP + plot_h / 2:.0f}" '
                   f'text-anchor="middle" fill="#333">No data</text>')
    out.append("</svg>")
    return "".join(out)
