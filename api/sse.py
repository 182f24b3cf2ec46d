"""The live alert stream as Server-Sent Events.

Every alert change gets a number from one increasing sequence (``Alert.seq``, see monitor/alerts.py);
that number is the event id. The stream polls the database for changes after the last id it sent, so it
sees alerts recorded by any process (the crawler runs apart from the API), and a client that reconnects
with ``Last-Event-ID`` gets exactly the alerts changed since, each once, in their latest state. An idle
stream sends a comment line every ``heartbeat`` seconds so proxies and load balancers keep it open.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from monitor.alerts import Alert, AlertStore
from monitor.errors import StoreError
from monitor.rules.specs import AlertSeverity

BATCH = 100
RETRY_MILLISECONDS = 5000  # what browsers wait before reconnecting


@dataclass(frozen=True)
class StreamFilter:
    include_silenced: bool = False
    severities: frozenset[AlertSeverity] = frozenset()

    def admits(self, alert: Alert) -> bool:
        if alert.silenced and not self.include_silenced:
            return False
        return not self.severities or alert.severity in self.severities


def format_event(alert: Alert) -> str:
    # model_dump_json writes one line, as an SSE data field needs.
    return f"id: {alert.seq}\nevent: alert\ndata: {alert.model_dump_json()}\n\n"


def _comment(text: str) -> str:
    return ": " + " ".join(text.split()) + "\n\n"


async def alert_events(
    alerts: AlertStore,
    after: int,
    stream_filter: StreamFilter,
    *,
    poll_seconds: float,
    heartbeat_seconds: float,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[str]:
    """Yield SSE frames for alerts changed after sequence ``after``, forever (until the client leaves)."""
    cursor = after
    yield f"retry: {RETRY_MILLISECONDS}\n" + _comment(f"alert changes after event {cursor}")
    last_sent = clock()
    while True:
        try:
            changed = await run_in_threadpool(alerts.changed_since, cursor, BATCH)
        except StoreError as exc:  # keep the connection; the next poll tries again
            changed = []
            yield _comment(f"storage unavailable, retrying: {exc.message}")
            last_sent = clock()
        for alert in changed:
            cursor = max(cursor, alert.seq)
            if stream_filter.admits(alert):
                yield format_event(alert)
                last_sent = clock()
        if len(changed) == BATCH:
            continue  # more waiting: no sleep
        if clock() - last_sent >= heartbeat_seconds:
            yield _comment("heartbeat")
            last_sent = clock()
        await asyncio.sleep(min(poll_seconds, heartbeat_seconds))
