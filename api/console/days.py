"""The console's clock: which local day a page shows, from one place.

A page about "the day" (the overview, a backtest's last 30 days) takes it from the ``day`` field
(``YYYY-MM-DD``); without it, today in the office's zone. Tests pass the field, so no test depends on
today's date.
"""

from __future__ import annotations

from datetime import date, tzinfo

from api.console.web import day_start
from monitor.records import utc_now


def today(zone: tzinfo) -> date:
    """Today's local date in ``zone``."""
    return utc_now().astimezone(zone).date()


def chosen_day(value: str | None, zone: tzinfo, *, field: str = "day", label: str = "Ngày") -> date:
    """The local day typed in ``field`` (``YYYY-MM-DD``), today if empty; a 422 page naming the field if not a date."""
    start = day_start(field, (value or "").strip(), zone, label)
    return today(zone) if start is None else start.date()
