"""The console's start page: the day at a glance, against the usual.

Everything here is computed by the service's own functions: the day against the mean of the days
before (:mod:`monitor.analytics.day_overview`, over the reports' metrics), the day's top stories (the
daily report's), the failing sources (``GET /sources``), open cases by deadline (the service levels of
:mod:`monitor.cases.sla`) and the share of voice of the campaigns running that day.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.console import charts
from api.console.days import chosen_day, today
from api.console.web import Viewer, monitor_of, redirect, render, router, start_page, templates
from monitor.access.roles import DOCUMENT_ROLES
from monitor.analytics.day_overview import campaigns_on, day_against_usual
from monitor.analytics.top_stories import top_stories
from monitor.cases.access import WORK_ROLES
from monitor.cases.sla import next_deadlines
from monitor.ingestion.source_views import failing_first, source_views
from monitor.records import utc_now

TOP_STORIES = 8
TOP_TOPICS = 10
CASES_SHOWN = 10
SENTIMENT_NAMES = {"negative": "Tiêu cực", "neutral": "Trung tính", "positive": "Tích cực"}


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, found: Viewer, day: str = "") -> Response:
    """The overview for the roles that read documents; a liaison goes to their cases."""
    if found.user.role not in DOCUMENT_ROLES:
        return redirect(start_page(found.user.role))
    monitor = monitor_of(request)
    zone = monitor.settings.zone
    chosen = chosen_day(day, zone)
    figures = day_against_usual(monitor, chosen)
    stories = top_stories(monitor.settings, monitor.store, figures.period, TOP_STORIES)
    failing = [view for view in failing_first(source_views(monitor)) if view.status in ("failing", "degraded")]
    deadlines = None
    if found.user.role in WORK_ROLES:  # researchers see no case (monitor.cases.access)
        deadlines = next_deadlines(monitor.cases.store.open_cases(), monitor.cases.config.service_levels, utc_now())
    periods = [f"{d.day:%d/%m}" for d in figures.days]
    volume_chart = charts.columns(
        f"Số bài theo ngày: {figures.usual_days} ngày trước và ngày đang xem",
        periods,
        [
            charts.Series(SENTIMENT_NAMES["negative"], [d.negative for d in figures.days], "negative"),
            charts.Series(SENTIMENT_NAMES["neutral"], [d.neutral for d in figures.days], "neutral"),
            charts.Series(SENTIMENT_NAMES["positive"], [d.positive for d in figures.days], "positive"),
        ],
    )
    topics = [topic for topic in figures.topics if topic.count][:TOP_TOPICS]
    topic_chart = charts.bars("Chủ đề trong ngày", [(topic.label, topic.count) for topic in topics])
    return render(
        request,
        "overview.html",
        found,
        section="overview",
        day=chosen,
        day_value=chosen.isoformat(),
        is_today=chosen == today(zone),
        previous_day=(chosen - timedelta(days=1)).isoformat(),
        next_day=(chosen + timedelta(days=1)).isoformat(),
        figures=figures,
        negative=figures.sentiment[0],
        topics=figures.topics[:TOP_TOPICS],
        volume_chart=volume_chart,
        topic_chart=topic_chart,
        stories=stories,
        failing=failing,
        deadlines=deadlines[:CASES_SHOWN] if deadlines is not None else None,
        open_cases=len(deadlines) if deadlines is not None else None,
        overdue=sum(1 for due in deadlines if due.overdue) if deadlines is not None else None,
        campaigns=campaigns_on(monitor, chosen),
        sentiment_names=SENTIMENT_NAMES,
    )


def one_decimal(value: float) -> str:
    """``12,4``: a mean, written as Vietnamese writes decimals."""
    return f"{value:.1f}".replace(".", ",").removesuffix(",0")


def change_text(count: int, usual: float) -> str:
    """How the day compares with the usual, in words a reader gets at a glance."""
    if not usual:
        return "mới xuất hiện" if count else "như thường lệ"
    change = (count - usual) / usual
    if abs(change) < 0.1:  # within ±10%: the usual
        return "như thường lệ"
    if change >= 1:  # twice the usual or more: a ratio reads better than "+4450%"
        return f"gấp {one_decimal(count / usual)} lần thường lệ"
    return f"{'cao' if change > 0 else 'thấp'} hơn thường lệ {abs(change) * 100:.0f}%"


templates.env.filters["one_decimal"] = one_decimal
templates.env.globals["change_text"] = change_text
