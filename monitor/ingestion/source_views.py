"""Every configured source with its crawl health: what ``GET /sources`` returns and the console lists."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from monitor.ingestion.health import SourceHealth

if TYPE_CHECKING:
    from monitor.context import Monitor

# Worst first: a failing source is what an officer must see before anything else.
STATUS_ORDER = {"failing": 0, "degraded": 1, "pending": 2, "ok": 3}


class SourceView(BaseModel):
    """One configured source: its spec and its health."""

    id: str
    type: str
    name: str
    credibility: str
    spec: dict[str, Any]
    status: str
    items_per_day: float
    health: SourceHealth


def source_views(monitor: Monitor) -> list[SourceView]:
    """The configured sources, in the configuration's order, each with its health (never run: pending)."""
    states = monitor.health.all()
    views = []
    for source in monitor.sources:
        spec = source.spec
        state = states.get(spec.id, SourceHealth(source_id=spec.id))
        views.append(
            SourceView(
                id=spec.id,
                type=spec.type,
                name=spec.label,
                credibility=spec.credibility.value,
                spec=spec.model_dump(mode="json"),
                status=state.status,
                items_per_day=state.items_per_day,
                health=state,
            )
        )
    return views


def failing_first(views: Iterable[SourceView]) -> list[SourceView]:
    """Failing, then degraded, never run and working sources; most consecutive failures first, then by name."""
    return sorted(
        views, key=lambda view: (STATUS_ORDER.get(view.status, 0), -view.health.consecutive_failures, view.name)
    )
