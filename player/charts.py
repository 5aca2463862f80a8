"""Horizontal bar charts drawn on the server as inline SVG: no script, no library, readable
by a screen reader (a title and a description, and each bar's value as text).

A chart is rows of a label and segments (one segment: a plain bar; several: a stacked bar,
with a legend). Values are scaled to the largest row total; each row prints its total.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 480  # about the width a chart is shown at, so its 12px text stays 12px
LABEL = 130
VALUE = 64
ROW = 26
BAR = 16
TOP = 8


@dataclass(frozen=True)
class Segment:
    key: str
    label: str
    colour: str


@dataclass(frozen=True)
class Row:
    label: str
    values: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.values.values())


def _clip(text: str, most: int = 18) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _bars(row: Row, y: int, segments: Sequence[Segment], scale: float) -> list[str]:
    parts, x = [], float(LABEL)
    for segment in segments:
        value = row.values.get(segment.key, 0.0)
        width = value * scale
        if width <= 0:
            continue
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{max(width, 1.0):.1f}" height="{BAR}" '
            f'fill="{segment.colour}"><title>{escape(segment.label)}: {value:g}</title></rect>'
        )
        x += width
    return parts


def bar_chart(
    title: str,
    rows: Sequence[Row],
    segments: Sequence[Segment],
    value_text: Callable[[float], str] = lambda v: f"{v:g}",
) -> Markup:
    """An inline SVG of ``rows`` (one bar each, stacked by ``segments``)."""
    legend_height = 22 if len(segments) > 1 else 0
    height = TOP + ROW * max(len(rows), 1) + legend_height + 4
    largest = max((r.total for r in rows), default=0.0)
    scale = (WIDTH - LABEL - VALUE) / largest if largest > 0 else 0.0
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for index, row in enumerate(rows):
        y = TOP + index * ROW
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + 13}" text-anchor="end" class="chart-label">'
            f"{escape(_clip(row.label))}<title>{escape(row.label)}</title></text>"
        )
        parts.append(f'<rect x="{LABEL}" y="{y}" width="{WIDTH - LABEL - VALUE}" '
                     f'height="{BAR}" class="chart-track"/>')  # fmt: skip
        parts += _bars(row, y, segments, scale)
        parts.append(
            f'<text x="{WIDTH - VALUE + 8}" y="{y + 13}" class="chart-value">'
            f"{escape(value_text(row.total))}</text>"
        )
    if legend_height:
        y, x = TOP + ROW * max(len(rows), 1) + 4, LABEL
        for segment in segments:
            parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{segment.colour}"/>')
            label = escape(segment.label)
            parts.append(f'<text x="{x + 17}" y="{y + 10}" class="chart-legend">{label}</text>')
            x += 30 + 8 * len(segment.label)  # a generous guess of the text's width
    parts.append("</svg>")
    return Markup("".join(parts))
