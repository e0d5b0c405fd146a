"""Charts as inline SVG, drawn on the server (A-61): no JavaScript, no external service.

`stacked_bars` draws one bar per time bucket with its series stacked (paid, failed, ...). The
SVG scales to its container (viewBox) and carries its own colours, so it also reads on its own;
every bar segment has a `<title>` for a hover tooltip, and the chart an aria-label.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

PLOT_TOP, PLOT_LEFT, PLOT_BOTTOM = 12, 40, 22  # room for the y labels and the x labels


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    colour: str  # a CSS colour, e.g. "#2e7d32"
    values: Sequence[int]


def nice_ceiling(value: float) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is >= value (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return int(step * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


def stacked_bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 720,
    height: int = 180,
    label_every: int = 1,
) -> Markup:
    """One bar per label, the series stacked bottom-up in the order given."""
    if any(len(s.values) != len(labels) for s in series):
        raise ValueError("every series needs one value per label")
    if any(v < 0 for s in series for v in s.values):
        raise ValueError("stacked bars cannot show negative values")
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = nice_ceiling(max(totals, default=0))
    plot_h, plot_w = height - PLOT_TOP - PLOT_BOTTOM, width - PLOT_LEFT
    slot = plot_w / max(1, len(labels))
    parts = [_axes(top, width, height, plot_h)]
    for i, label in enumerate(labels):
        x, base = PLOT_LEFT + i * slot, 0
        for s in series:
            value = s.values[i]
            if value:
                parts.append(_segment(x, slot, base, value, top, plot_h, s, label))
                base += value
        if i % max(1, label_every) == 0:
            parts.append(_text(x + slot / 2, height - 6, label, "middle"))
    if not any(totals):
        parts.append(_text(PLOT_LEFT + plot_w / 2, PLOT_TOP + plot_h / 2, "No data", "middle"))
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label={quoteattr(title)}>'
        f"<title>{escape(title)}</title>"
    )
    return Markup(head + "".join(parts) + "</svg>")


def _axes(top: int, width: int, height: int, plot_h: int) -> str:
    base_y = PLOT_TOP + plot_h
    return (
        f'<line x1="{PLOT_LEFT}" y1="{base_y}" x2="{width}" y2="{base_y}" stroke="#999"/>'
        f'<line x1="{PLOT_LEFT}" y1="{PLOT_TOP}" x2="{width}" y2="{PLOT_TOP}" stroke="#ddd"/>'
        + _text(PLOT_LEFT - 4, PLOT_TOP + 4, str(top), "end")
        + _text(PLOT_LEFT - 4, base_y, "0", "end")
    )


def _segment(
    x: float, slot: float, base: int, value: int, top: int, plot_h: int, s: Series, label: str
) -> str:
    y = PLOT_TOP + plot_h * (1 - (base + value) / top)
    h = plot_h * value / top
    tip = escape(f"{label}: {value} {s.name}")
    return (
        f'<rect x="{x + slot * 0.1:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" height="{h:.1f}" '
        f"fill={quoteattr(s.colour)} data-series={quoteattr(s.name)}><title>{tip}</title></rect>"
    )


def _text(x: float, y: float, text: str, anchor: str) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="10" '
        f'fill="#555">{escape(text)}</text>'
    )
