"""The live alert stream as Server-Sent Events.

Every alert change gets a number from one increasing sequence (``Alert.seq``, see monitor/alerting/store.py);
that number is the event id. The stream polls the database for changes after the last id it sent, so it
sees alerts recorded by any process (the crawler runs apart from the API), and a client that reconnects
with ``Last-Event-ID`` gets exactly the alerts changed since, each once, in their latest state. An idle
stream sends a comment line every ``heartbeat`` seconds so proxies and load balancers keep it open.

A stream lasts as long as its key may read alerts: the key is checked again before any alert is sent
and at least every ``key_check`` seconds, and the stream ends (an ``end`` event with the reason) once the
key is revoked or its role no longer reads alerts. Streams also end when the server shuts down
(:func:`close_streams`): the server waits for open responses before it stops, so an endless stream
would keep a stopped service alive for as long as its client stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

from api.schemas.alerts import alert_public
from monitor.alerting.store import AlertStore
from monitor.alerting.types import Alert, AlertSeverity
from monitor.errors import StoreError

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
    """One alert event: the alert as the other routes answer it (:class:`api.schemas.alerts.AlertPublic`)."""
    # model_dump_json writes one line, as an SSE data field needs; by_alias as FastAPI answers (details' 'in').
    return f"id: {alert.seq}\nevent: alert\ndata: {alert_public(alert).model_dump_json(by_alias=True)}\n\n"


def _comment(text: str) -> str:
    return ": " + " ".join(text.split()) + "\n\n"


def end_event(reason: str) -> str:
    """The last frame of a stream, saying why it ends (clients should not reconnect on ``revoked``)."""
    return f"event: end\ndata: {json.dumps({'reason': reason}, ensure_ascii=False)}\n\n"


def closing_event(state: Any) -> asyncio.Event:
    """The event that ends every open stream of an application (``app.state``), created on first use."""
    event: asyncio.Event | None = getattr(state, "streams_closing", None)
    if event is None:
        event = asyncio.Event()
        state.streams_closing = event
    return event


def close_streams(state: Any) -> None:
    """End every open stream of the application whose ``app.state`` this is (at server shutdown)."""
    closing_event(state).set()


# What a stream asks before it sends: None while the key may go on reading, else why it may not.
KeyCheck = Callable[[], str | None]


async def alert_events(
    alerts: AlertStore,
    after: int,
    stream_filter: StreamFilter,
    *,
    poll_seconds: float,
    heartbeat_seconds: float,
    key_check: KeyCheck,
    key_check_seconds: float,
    closing: asyncio.Event,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[str]:
    """Yield SSE frames for alerts changed after sequence ``after`` until the key may no longer read
    them, the server closes the streams, or the client leaves."""
    cursor = after
    yield f"retry: {RETRY_MILLISECONDS}\n" + _comment(f"alert changes after event {cursor}")
    last_sent = last_checked = clock()
    while not closing.is_set():
        try:
            changed = await run_in_threadpool(alerts.changed_since, cursor, BATCH)
        except StoreError as exc:  # keep the connection; the next poll tries again
            changed = []
            yield _comment(f"storage unavailable, retrying: {exc.message}")
            last_sent = clock()
        admitted = [alert for alert in changed if stream_filter.admits(alert)]
        if admitted or clock() - last_checked >= key_check_seconds:
            refused = await run_in_threadpool(key_check)
            last_checked = clock()
            if refused is not None:
                yield end_event(refused)
                return
        for alert in admitted:
            yield format_event(alert)
            last_sent = clock()
        if changed:
            cursor = max(cursor, *(alert.seq for alert in changed))
        if len(changed) == BATCH:
            continue  # more waiting: no sleep
        if clock() - last_sent >= heartbeat_seconds:
            yield _comment("heartbeat")
            last_sent = clock()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(closing.wait(), min(poll_seconds, heartbeat_seconds, key_check_seconds))
    yield end_event("server shutting down")
