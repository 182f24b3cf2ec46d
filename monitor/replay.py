"""Re-running the pipeline over the raw archive (``monitor replay``).

Useful after a scorer or rule changes, or to rebuild a store: every archived response is parsed again by
the source that fetched it and processed as if it had just arrived. Writes are idempotent, so replaying
twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from monitor.context import Monitor
from monitor.records import utc_now


@dataclass
class ReplayReport:
    items: int = 0
    documents: int = 0
    inserted: int = 0
    updated: int = 0
    problems: int = 0
    alerts: int = 0
    unknown_sources: dict[str, int] = field(default_factory=dict)


def replay_archive(
    monitor: Monitor,
    source_ids: Sequence[str] = (),
    since: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReplayReport:
    """Parse and process every archived item (of ``source_ids``, since ``since``)."""
    report = ReplayReport()
    alert_ids: set[str] = set()
    archive = monitor.pipeline.archive
    streams = (
        [archive.items(source_id, since) for source_id in source_ids] if source_ids else [archive.items(None, since)]
    )
    for stream in streams:
        for raw in stream:
            source = monitor.source(raw.source_id)
            if source is None:  # the source was removed from the configuration since
                report.unknown_sources[raw.source_id] = report.unknown_sources.get(raw.source_id, 0) + 1
                continue
            outcome = monitor.pipeline.process(raw.source_id, source.parse(raw), utc_now(), replay=True)
            report.items += 1
            report.documents += outcome.counts.documents
            report.inserted += outcome.counts.inserted
            report.updated += outcome.counts.updated
            report.problems += outcome.counts.errors + outcome.counts.warnings
            alert_ids.update(alert.alert_id for alert in outcome.alerts)
            if progress is not None:
                progress(
                    f"[{report.items}] {raw.source_id} {raw.url}: {outcome.counts.documents} documents, "
                    f"{outcome.counts.inserted} new, {outcome.counts.updated} updated"
                )
    alert_ids.update(alert.alert_id for alert in monitor.pipeline.flush_pending())
    report.alerts = len(alert_ids)
    return report
