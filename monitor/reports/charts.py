"""Report charts drawn with matplotlib's object API (no pyplot: no global state, safe in API threads)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, tzinfo

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from monitor.analytics.metrics import DailySentiment
from monitor.reports.model import Chart

DPI = 110
SIZE = (7.5, 3.4)  # inches: fits a portrait A4 page with margins
BLUE, RED, GREEN, GREY = "#1f5fa8", "#c0392b", "#2e8b57", "#8c8c8c"


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def volume_chart(buckets: Sequence[tuple[datetime, int]], zone: tzinfo, hourly: bool) -> Chart:
    """Documents per day (or per hour for a daily report)."""
    title = "Số bài theo giờ" if hourly else "Số bài theo ngày"
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    labels = [f"{start.astimezone(zone):%H}h" if hourly else f"{start.astimezone(zone):%d/%m}" for start, _ in buckets]
    axes.bar(range(len(buckets)), [count for _, count in buckets], color=BLUE)
    step = max(1, len(labels) // 14)  # keep the labels readable on long periods
    axes.set_xticks(range(0, len(labels), step), labels[::step], rotation=45, fontsize=8)
    axes.set_ylabel("Số bài")
    axes.set_title(title)
    return Chart("volume", title, _png(figure))


def sentiment_chart(days: Sequence[DailySentiment]) -> Chart:
    """The daily sentiment index in [-1, 1], with the day's positive and negative counts as bars."""
    title = "Chỉ số cảm xúc theo ngày ((tích cực − tiêu cực) / tổng)"
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    labels = [f"{day.day:%d/%m}" for day in days]
    positions = range(len(days))
    counts = axes.twinx()
    counts.bar([p - 0.2 for p in positions], [d.positive for d in days], width=0.4, color=GREEN, alpha=0.35)
    counts.bar([p + 0.2 for p in positions], [d.negative for d in days], width=0.4, color=RED, alpha=0.35)
    counts.set_ylabel("Số bài tích cực / tiêu cực", fontsize=8)
    index = [d.index if d.index is not None else float("nan") for d in days]
    axes.plot(list(positions), index, marker="o", color=BLUE, zorder=3)
    axes.axhline(0, color=GREY, linewidth=0.8)
    axes.set_ylim(-1.05, 1.05)
    axes.set_zorder(counts.get_zorder() + 1)
    axes.patch.set_visible(False)  # the line over the bars
    step = max(1, len(labels) // 14)
    axes.set_xticks(range(0, len(labels), step), labels[::step], rotation=45, fontsize=8)
    axes.set_ylabel("Chỉ số")
    axes.set_title(title, fontsize=10)
    return Chart("sentiment", title, _png(figure))


def bar_chart(key: str, title: str, values: Sequence[tuple[str, int]], color: str = BLUE) -> Chart:
    """A horizontal bar chart, largest on top (top sources, topics)."""
    figure = Figure(figsize=(SIZE[0], max(2.2, 0.35 * len(values) + 1.0)))
    axes = figure.add_subplot()
    shown = list(reversed(values))
    axes.barh([label for label, _ in shown], [count for _, count in shown], color=color)
    for position, (_, count) in enumerate(shown):
        axes.text(count, position, f" {count}", va="center", fontsize=8)
    axes.set_xlabel("Số bài")
    axes.set_title(title)
    axes.tick_params(axis="y", labelsize=8)
    return Chart(key, title, _png(figure))


def phases_chart(title: str, phases: Sequence[tuple[str, int, int]]) -> Chart:
    """Campaign documents and the whole conversation before, during and after (grouped bars)."""
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    positions = range(len(phases))
    axes.bar([p - 0.2 for p in positions], [c for _, c, _ in phases], width=0.4, color=BLUE, label="Chiến dịch")
    axes.bar([p + 0.2 for p in positions], [t for _, _, t in phases], width=0.4, color=GREY, label="Toàn bộ")
    axes.set_xticks(list(positions), [name for name, _, _ in phases])
    axes.set_ylabel("Số bài")
    axes.legend(fontsize=8)
    axes.set_title(title)
    return Chart("campaign", title, _png(figure))
