"""Charts drawn on the server as SVG: no chart library, no script, nothing fetched; readable without sight.

Each chart is an ``<svg role="img">`` with a title and a one-sentence description for screen readers,
and the page shows the same numbers in a table beside it (``templates/chart.html``). Colours come from
the style sheet (classes ``s0``…``s5``), so contrast is decided in one place.

Two shapes cover the console: :func:`bars` (counts by category, horizontal, longest first) and
:func:`columns` (counts over time, one or more series stacked per period).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

BAR_HEIGHT = 22
BAR_GAP = 6
LABEL_WIDTH = 200
LABEL_CHARS = 26  # what fits in LABEL_WIDTH at the chart's 12px, with Vietnamese diacritics
VALUE_WIDTH = 60
WIDTH = 640
COLUMN_AREA_HEIGHT = 180
AXIS_HEIGHT = 36
SERIES_CLASSES = 6


@dataclass(frozen=True)
class Chart:
    """A drawn chart and the numbers behind it (for the table that goes with it)."""

    title: str
    svg: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: bool = False


@dataclass(frozen=True)
class Series:
    """One named series of a column chart: a value per period, in the periods' order."""

    name: str
    values: Sequence[int]
    css_class: str = field(default="")


def _text(value: str) -> str:
    return escape(value, quote=True)


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _frame(title: str, description: str, width: int, height: int, body: str) -> str:
    ident = "c" + format(abs(hash((title, description))) % 10**8, "d")
    return (
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" aria-labelledby="{ident}t {ident}d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}t">{_text(title)}</title><desc id="{ident}d">{_text(description)}</desc>{body}</svg>'
    )


def bars(title: str, counts: Sequence[tuple[str, int]], *, unit: str = "bài", limit: int = 12) -> Chart:
    """Horizontal bars, the largest first; at most ``limit`` bars (the rest summed as "Khác")."""
    ordered = sorted(counts, key=lambda item: (-item[1], item[0]))
    if len(ordered) > limit:
        rest = sum(value for _, value in ordered[limit - 1 :])
        ordered = [*ordered[: limit - 1], ("Khác", rest)]
    total = sum(value for _, value in ordered)
    rows = tuple((name, _number(value)) for name, value in ordered)
    if not ordered or total == 0:
        return Chart(title, "", ("", unit), rows, empty=True)
    top = max(value for _, value in ordered)
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    parts = []
    for index, (name, value) in enumerate(ordered):
        y = index * (BAR_HEIGHT + BAR_GAP)
        length = max(1.0, span * value / top) if value else 0.0
        shown = name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"  # the whole name in the tooltip
        parts.append(
            f'<text class="axis" x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end">{_text(shown)}</text>'
            f'<rect class="s{index % SERIES_CLASSES}" x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" '
            f'height="{BAR_HEIGHT}"><title>{_text(name)}: {_number(value)} {_text(unit)}</title></rect>'
            f'<text class="value" x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 16}">{_number(value)}</text>'
        )
    height = len(ordered) * (BAR_HEIGHT + BAR_GAP)
    leader = ordered[0]
    description = f"{len(ordered)} mục, tổng {_number(total)} {unit}; nhiều nhất: {leader[0]} ({_number(leader[1])})."
    return Chart(title, _frame(title, description, WIDTH, height, "".join(parts)), ("", unit), rows)


def columns(title: str, periods: Sequence[str], series: Sequence[Series], *, unit: str = "bài") -> Chart:
    """Stacked columns over time: one column per period, one colour per series (with a legend)."""
    headers = ("", *(s.name for s in series))
    rows = tuple((period, *(_number(s.values[i]) for s in series)) for i, period in enumerate(periods))
    totals = [sum(s.values[i] for s in series) for i in range(len(periods))]
    if not periods or not any(totals):
        return Chart(title, "", headers, rows, empty=True)
    top = max(totals)
    left, legend_height = 44, 26 if len(series) > 1 else 0
    slot = (WIDTH - left) / len(periods)
    width = max(2.0, slot * 0.7)
    parts = [
        f'<text class="axis" x="{left - 6}" y="{legend_height + 12}" text-anchor="end">{_number(top)}</text>',
        f'<text class="axis" x="{left - 6}" y="{legend_height + COLUMN_AREA_HEIGHT}" text-anchor="end">0</text>',
        f'<line class="grid" x1="{left}" x2="{WIDTH}" y1="{legend_height + COLUMN_AREA_HEIGHT}" '
        f'y2="{legend_height + COLUMN_AREA_HEIGHT}"/>',
    ]
    for index, s in enumerate(series if len(series) > 1 else ()):
        key_x = left + index * 150
        css = s.css_class or f"s{index % SERIES_CLASSES}"
        parts.append(
            f'<rect class="{css}" x="{key_x}" y="4" width="14" height="14"/>'
            f'<text class="axis" x="{key_x + 20}" y="16">{_text(s.name)}</text>'
        )
    label_every = max(1, round(len(periods) / 8))
    for i, period in enumerate(periods):
        x = left + i * slot + (slot - width) / 2
        bottom = float(legend_height + COLUMN_AREA_HEIGHT)
        for index, s in enumerate(series):
            value = s.values[i]
            if not value:
                continue
            height = COLUMN_AREA_HEIGHT * value / top
            bottom -= height
            css = s.css_class or f"s{index % SERIES_CLASSES}"
            parts.append(
                f'<rect class="{css}" x="{x:.1f}" y="{bottom:.1f}" width="{width:.1f}" height="{height:.1f}">'
                f"<title>{_text(period)} · {_text(s.name)}: {_number(value)} {_text(unit)}</title></rect>"
            )
        if i % label_every == 0:
            parts.append(
                f'<text class="axis" x="{x + width / 2:.1f}" y="{legend_height + COLUMN_AREA_HEIGHT + 18}" '
                f'text-anchor="middle">{_text(period)}</text>'
            )
    peak = max(range(len(periods)), key=lambda i: totals[i])
    description = (
        f"{len(periods)} mốc từ {periods[0]} đến {periods[-1]}, tổng {_number(sum(totals))} {unit}; "
        f"cao nhất {periods[peak]} ({_number(totals[peak])})."
    )
    height = legend_height + COLUMN_AREA_HEIGHT + AXIS_HEIGHT
    return Chart(title, _frame(title, description, WIDTH, height, "".join(parts)), headers, rows)
