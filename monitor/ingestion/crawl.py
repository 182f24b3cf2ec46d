"""Crawling: one source collected within its deadline and processed; one cycle over many sources.

A source that raises unexpectedly (a bug, not bad input) or overruns its deadline is reported as that
source's error; the other sources carry on. The service schedules sources one by one
(:mod:`monitor.ingestion.scheduling`); ``monitor crawl --once`` runs one cycle.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import httpx

from monitor.alerting.types import Alert
from monitor.context import Monitor
from monitor.ingestion.health import CycleCounts
from monitor.ingestion.pipeline import SourceOutcome
from monitor.ingestion.sources import CollectContext, Collected, Problem, Source
from monitor.outbound.transport import crawl_client
from monitor.records import utc_now

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class CycleReport:
    started_at: datetime
    duration_seconds: float = 0.0
    outcomes: list[SourceOutcome] = field(default_factory=list)
    closing_alerts: list[Alert] = field(default_factory=list)

    @property
    def inserted(self) -> int:
        return sum(o.counts.inserted for o in self.outcomes)

    @property
    def failed_sources(self) -> list[str]:
        return [o.source_id for o in self.outcomes if o.error]

    @property
    def alerts(self) -> int:
        touched = [alert for o in self.outcomes for alert in o.alerts] + self.closing_alerts
        return len({alert.alert_id for alert in touched})


def http_client(monitor: Monitor) -> httpx.AsyncClient:
    """The crawler's client: every connection to a checked address (see :mod:`monitor.outbound`)."""
    return crawl_client(monitor.settings.crawl)


def deadline_of(monitor: Monitor, source: Source) -> float:
    """Seconds one collection from ``source`` may take: its own ``deadline_seconds``, else the crawl setting."""
    return source.spec.deadline_seconds or monitor.settings.crawl.source_deadline_seconds


async def _collect_safely(source: Source, context: CollectContext, seconds: float) -> Collected:
    """Collect by ``context.deadline`` (``seconds`` after the start); a crash or an overrun becomes the source's
    error, never the cycle's."""
    scope = asyncio.timeout_at(context.deadline)
    try:
        async with scope:
            return await source.collect(context)
    except Exception as exc:  # a source bug must not end the cycle for the others
        if isinstance(exc, TimeoutError) and scope.expired():
            # Whatever the collection had read is dropped with it, and the source forgets its validators and
            # cursors, so the next collection reads it all again: nothing is lost, nothing half-stored.
            source.rewind()
            setting = "its deadline_seconds" if source.spec.deadline_seconds else "crawl.source_deadline_seconds"
            message = (
                f"collecting {source.spec.id} took longer than the {seconds:g}-second deadline ({setting}): "
                "stopped, nothing of it was kept, and it will be read again in full next time"
            )
            log.warning("%s", message)
            return Collected(fetch_failed=True, problems=[Problem(source.spec.id, source.spec.id, message)])
        log.exception("source %s crashed", source.spec.id)
        return Collected(
            fetch_failed=True,
            problems=[
                Problem(source.spec.id, source.spec.id, f"internal error in source: {type(exc).__name__}: {exc}")
            ],
        )


async def _process_safely(monitor: Monitor, source: Source, collected: Collected) -> SourceOutcome:
    """Run the pipeline; if it fails (e.g. the disk is full), rewind the source so nothing is lost."""
    started = utc_now()
    try:
        return await asyncio.to_thread(monitor.pipeline.process, source.spec.id, collected, started)
    except Exception as exc:
        log.exception("processing %s failed; it will be collected again next cycle", source.spec.id)
        source.rewind()
        message = f"processing failed, will retry next cycle: {type(exc).__name__}: {exc}"
        counts = CycleCounts(
            fetched=len(collected.raw_items), documents=len(collected.documents), errors=1, problems=[message]
        )
        try:
            monitor.health.record(source.spec.id, started, counts, message)
        except Exception:  # the health table may be what failed; the log above still has the story
            log.exception("cannot record the failure of %s", source.spec.id)
        return SourceOutcome(source_id=source.spec.id, counts=counts, error=message)


def collect_context(monitor: Monitor, http: httpx.AsyncClient, now: datetime) -> CollectContext:
    """What every source of a cycle (or of the service) collects with."""
    return CollectContext(
        http=http,
        crawl=monitor.settings.crawl,
        config_dir=monitor.settings.config_dir,
        now=now,
        hosts=monitor.hosts,
        run_cpu=monitor.workers.run,
    )


async def crawl_source(
    monitor: Monitor, source: Source, context: CollectContext, slots: asyncio.Semaphore
) -> SourceOutcome:
    """Collect from ``source`` within its deadline, then process what it collected.

    The slot is held until the collection is processed: at most ``crawl.concurrency`` collections wait in
    memory, so a slow pipeline slows collection down instead of piling up fetched pages. The deadline runs
    from taking the slot; processing is not under it, since stopping it halfway would store half a
    collection (it is local work, bounded by the size limits, not something a server controls).
    """
    async with slots:
        seconds = deadline_of(monitor, source)
        bounded = replace(context, deadline=asyncio.get_running_loop().time() + seconds)
        collected = await _collect_safely(source, bounded, seconds)
        # Sources are scored in parallel (worker processes); the pipeline writes one at a time.
        return await _process_safely(monitor, source, collected)


async def flush_pending(monitor: Monitor) -> list[Alert]:
    """Replay spooled documents and evaluate the windows new documents touched; never raises."""
    try:
        return await asyncio.to_thread(monitor.pipeline.flush_pending)
    except Exception:  # the spool and the pending windows stay on disk; the next flush tries again
        log.exception("replaying spooled documents or evaluating windows failed; will retry next time")
        return []


async def crawl_cycle(
    monitor: Monitor, sources: Sequence[Source] | None = None, progress: Progress | None = None
) -> CycleReport:
    """Collect once from ``sources`` (all enabled ones by default) and process everything collected.

    Each source is bounded by its deadline, so one slow server cannot hold the cycle for longer than that.
    """
    chosen = list(monitor.sources if sources is None else sources)
    report = CycleReport(started_at=utc_now())
    clock = time.monotonic()
    slots = asyncio.Semaphore(monitor.settings.crawl.concurrency)

    async with http_client(monitor) as http:
        context = collect_context(monitor, http, report.started_at)

        async def one(source: Source) -> None:
            outcome = await crawl_source(monitor, source, context, slots)
            report.outcomes.append(outcome)
            if progress is not None:
                progress(f"[{len(report.outcomes)}/{len(chosen)}] {describe(source, outcome)}")

        await asyncio.gather(*(one(source) for source in chosen))
    report.closing_alerts = await flush_pending(monitor)
    report.duration_seconds = round(time.monotonic() - clock, 3)
    return report


def describe(source: Source, outcome: SourceOutcome) -> str:
    """One line on what a collection from ``source`` gave, for progress output."""
    c = outcome.counts
    status = (
        f"FAILED: {outcome.error}"
        if outcome.error
        else (
            "not modified"
            if c.not_modified
            else f"{c.documents} items, {c.inserted} new, {c.updated} updated, {c.unchanged} unchanged"
        )
    )
    extra = f", {c.errors} errors, {c.warnings} warnings" if (c.errors or c.warnings) and not outcome.error else ""
    alerts = f", {len(outcome.alerts)} alerts" if outcome.alerts else ""
    return f"{source.spec.id}: {status}{extra}{alerts}"
