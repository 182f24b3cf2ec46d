"""Scheduling the crawl: each source on its own adaptive cadence, never held back by another.

A source that keeps publishing is polled faster (down to a quarter of its configured interval), a quiet
one slower (up to four times), and a failing one backs off exponentially (capped at six hours) so a broken
or blocking site is not hammered — and recovers its normal pace at the first success.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from dataclasses import dataclass

import httpx

from monitor.alerting.types import Alert
from monitor.context import Monitor
from monitor.ingestion.crawl import Progress, collect_context, crawl_source, describe, flush_pending, http_client
from monitor.ingestion.health import CycleCounts
from monitor.ingestion.pipeline import SourceOutcome
from monitor.ingestion.sources import Source
from monitor.records import utc_now

log = logging.getLogger(__name__)

FASTEST = 0.25
SLOWEST = 4.0
QUIET_STEP = 1.5
BUSY_STEP = 0.5
FAILURE_CAP_SECONDS = 6 * 3600


@dataclass
class Cadence:
    """The polling pace of one source; ``base`` is its configured interval in seconds."""

    base: float
    factor: float = 1.0

    def next_interval(self, counts: CycleCounts, consecutive_failures: int) -> float:
        """Seconds until the next collection, after a cycle with ``counts``."""
        if consecutive_failures:
            return float(min(FAILURE_CAP_SECONDS, self.base * 2**consecutive_failures))
        if counts.inserted or counts.updated:
            self.factor = max(FASTEST, self.factor * BUSY_STEP)
        else:
            self.factor = min(SLOWEST, self.factor * QUIET_STEP)
        return self.base * self.factor


class CrawlScheduler:
    """The service's crawling: each source collected on its own cadence, independently of the others.

    A source is started when it is due and not already running, so a slow one (bounded by its deadline)
    holds only its own turn and one concurrency slot, never the others' schedule. Spooled documents and
    the windows new documents touched are flushed after sources finish, one flush at a time.
    """

    def __init__(self, monitor: Monitor, progress: Progress | None = None, tick_seconds: float = 1.0) -> None:
        self.monitor = monitor
        self.progress = progress
        self.tick_seconds = tick_seconds
        default = monitor.settings.crawl.interval_seconds
        self.cadences = {s.spec.id: Cadence(float(s.spec.interval_seconds or default)) for s in monitor.sources}
        self.next_due = dict.fromkeys(self.cadences, 0.0)
        self.running: dict[str, asyncio.Task[SourceOutcome]] = {}
        self._finished_since_flush = False
        self._flushing: asyncio.Task[list[Alert]] | None = None

    async def run_forever(self) -> None:
        """Start due sources every tick until cancelled; running collections are cancelled with it."""
        slots = asyncio.Semaphore(self.monitor.settings.crawl.concurrency)
        async with http_client(self.monitor) as http:
            try:
                while True:
                    self._start_due(http, slots)
                    self._flush_if_needed()
                    await asyncio.sleep(self.tick_seconds)
            finally:
                pending = [*self.running.values(), *([self._flushing] if self._flushing else [])]
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)

    def _start_due(self, http: httpx.AsyncClient, slots: asyncio.Semaphore) -> None:
        now = time.monotonic()
        for source in self.monitor.sources:
            source_id = source.spec.id
            if source_id in self.running or self.next_due[source_id] > now:
                continue
            context = collect_context(self.monitor, http, utc_now())
            task = asyncio.create_task(crawl_source(self.monitor, source, context, slots), name=f"crawl {source_id}")
            self.running[source_id] = task
            task.add_done_callback(functools.partial(self._finished, source))

    def _finished(self, source: Source, task: asyncio.Task[SourceOutcome]) -> None:
        source_id = source.spec.id
        del self.running[source_id]
        if task.cancelled():
            return
        cadence = self.cadences[source_id]
        # Due again after the base interval unless the outcome says otherwise: never at once in a loop.
        self.next_due[source_id] = time.monotonic() + cadence.base
        error = task.exception()
        if error is not None:  # crawl_source reports failures in its outcome; this is a bug
            log.error("crawling %s failed unexpectedly", source_id, exc_info=error)
            return
        outcome = task.result()
        self._finished_since_flush = True
        try:
            failures = self.monitor.health.get(source_id).consecutive_failures
        except Exception:  # e.g. a locked database: keep the base interval
            log.exception("cannot read the health of %s", source_id)
        else:
            self.next_due[source_id] = time.monotonic() + cadence.next_interval(outcome.counts, failures)
        log.info(
            "%s: %d new documents, %d alerts touched%s, %.1fs",
            source_id,
            outcome.counts.inserted,
            len(outcome.alerts),
            f", failed: {outcome.error}" if outcome.error else "",
            outcome.counts.duration_seconds,
        )
        if self.progress is not None:
            self.progress(describe(source, outcome))

    def _flush_if_needed(self) -> None:
        if self._finished_since_flush and (self._flushing is None or self._flushing.done()):
            self._finished_since_flush = False
            self._flushing = asyncio.create_task(flush_pending(self.monitor), name="flush pending")
