"""Charts as inline SVG, drawn on the server: no JavaScript, no fonts or files to fetch.

Right-to-left pages get mirrored charts: labels on the right, bars growing to the left,
time running from right to left, text set with ``direction="rtl"`` (so ``text-anchor="start"``
is the right-hand end of the text). Every chart carries
a ``<title>`` and the table beside it holds the same numbers for screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

PALETTE = ("#1f6f8b", "#e07a1f", "#5b8c3a", "#9c4f96", "#c0392b", "#7f8c8d")
ROW, LABEL, WIDTH, VALUE = 26, 150, 560, 70


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float | None], *, rtl: bool,
              suffix: str = "") -> Markup:
    """Horizontal bars, one per label, each with its value written beside it."""
    height = ROW * max(len(labels), 1) + 10
    peak = max([v for v in values if v is not None] or [0]) or 1
    room = WIDTH - LABEL - VALUE
    parts = []
    for row, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 5 + row * ROW
        length = 0 if value is None else room * value / peak
        text = "–" if value is None else f"{_number(value)}{suffix}"
        if rtl:
            parts.append(_text(WIDTH - 4, y + 17, label, "start", rtl))
            parts.append(_rect(WIDTH - LABEL - length, y + 3, length, ROW - 8, PALETTE[0]))
            parts.append(_text(WIDTH - LABEL - length - 4, y + 17, text, "start", rtl))
        else:
            parts.append(_text(4, y + 17, label, "start", rtl))
            parts.append(_rect(LABEL, y + 3, length, ROW - 8, PALETTE[0]))
            parts.append(_text(LABEL + length + 4, y + 17, text, "start", rtl))
    return _svg(title, height, parts)


def column_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[float]], *, rtl: bool) -> Markup:
    """Stacked columns over time (oldest first; on the right when the page reads right to left)."""
    plot, legend_h, count = 160, 24 * ((len(series) + 3) // 4), max(len(labels), 1)
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    peak, step = max(totals or [0]) or 1, (WIDTH - 20) / count
    parts = []
    for i, label in enumerate(labels):
        x = (WIDTH - 10 - (i + 1) * step) if rtl else (10 + i * step)
        base = plot + 24  # room above the tallest column for its total
        for k, values in enumerate(series.values()):
            height = plot * values[i] / peak
            base -= height
            parts.append(_rect(x + 2, base, step - 4, height, PALETTE[k % len(PALETTE)]))
        parts.append(_text(x + step / 2, base - 3, _number(totals[i]), "middle", rtl))
        parts.append(_text(x + step / 2, plot + 40, label, "middle", rtl, size=10))
    parts.extend(_legend(list(series), plot + 50, rtl))
    return _svg(title, plot + 54 + legend_h, parts)


def _legend(names: list[str], top: float, rtl: bool) -> list[str]:
    parts = []
    for k, name in enumerate(names):
        x, y = (k % 4) * 135, top + (k // 4) * 22
        x = WIDTH - 10 - x - 12 if rtl else 10 + x
        parts.append(_rect(x, y, 12, 12, PALETTE[k % len(PALETTE)]))
        parts.append(_text(x - 4 if rtl else x + 16, y + 11, name, "start", rtl))
    return parts


def _svg(title: str, height: float, parts: list[str]) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" width="100%" '
            f'role="img" aria-label="{escape(title)}" class="chart" font-family="sans-serif" font-size="12">')
    return Markup(head + f"<title>{escape(title)}</title>" + "".join(parts) + "</svg>")


def _rect(x: float, y: float, width: float, height: float, colour: str) -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" height="{max(height, 0):.1f}" fill="{colour}"/>'


def _text(x: float, y: float, text: str, anchor: str, rtl: bool, *, size: int = 12) -> str:
    direction = ' direction="rtl"' if rtl else ""
    if rtl and not any("\u0600" <= char <= "\u06ff" for char in str(text)):
        text = f"\u2066{text}\u2069"  # a left-to-right isolate: "<1d" stays "<1d" among Arabic
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}"{direction}>'
            f"{escape(str(text))}</text>")


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
