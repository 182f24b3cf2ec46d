"""One crawl cycle: collect from sources concurrently, process each through the pipeline.

A source that raises unexpectedly (a bug, not bad input) is reported as that source's error; the other
sources in the cycle carry on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from monitor.alerts import Alert
from monitor.context import Monitor
from monitor.health import CycleCounts
from monitor.outbound.transport import crawl_client
from monitor.pipeline import SourceOutcome
from monitor.records import utc_now
from monitor.sources import CollectContext, Collected, Problem, Source

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


async def _collect_safely(source: Source, context: CollectContext) -> Collected:
    try:
        return await source.collect(context)
    except Exception as exc:  # a source bug must not end the cycle for the others
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


async def crawl_cycle(
    monitor: Monitor, sources: Sequence[Source] | None = None, progress: Progress | None = None
) -> CycleReport:
    """Collect from ``sources`` (all enabled ones by default) and process everything collected."""
    chosen = list(monitor.sources if sources is None else sources)
    report = CycleReport(started_at=utc_now())
    clock = time.monotonic()
    semaphore = asyncio.Semaphore(monitor.settings.crawl.concurrency)

    async with http_client(monitor) as http:
        context = CollectContext(
            http=http,
            crawl=monitor.settings.crawl,
            config_dir=monitor.settings.config_dir,
            now=report.started_at,
            hosts=monitor.hosts,
            run_cpu=monitor.workers.run,
        )

        async def one(source: Source) -> SourceOutcome:
            # The slot is held until the collection is processed: at most `concurrency` collections wait in
            # memory, so a slow pipeline slows collection down instead of piling up fetched pages.
            async with semaphore:
                collected = await _collect_safely(source, context)
                # Sources are scored in parallel (worker processes); the pipeline writes one at a time.
                outcome = await _process_safely(monitor, source, collected)
            if progress is not None:
                progress(_describe(source, outcome, len(report.outcomes) + 1, len(chosen)))
            report.outcomes.append(outcome)
            return outcome

        await asyncio.gather(*(one(source) for source in chosen))
    try:
        report.closing_alerts = await asyncio.to_thread(monitor.pipeline.flush_pending)
    except Exception:  # the spool and the pending windows stay on disk; the next cycle tries again
        log.exception("replaying spooled documents or evaluating windows failed; will retry next cycle")
    report.duration_seconds = round(time.monotonic() - clock, 3)
    return report


def _describe(source: Source, outcome: SourceOutcome, done: int, total: int) -> str:
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
    return f"[{done}/{total}] {source.spec.id}: {status}{extra}{alerts}"
