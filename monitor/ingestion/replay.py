"""Re-running the pipeline over the raw archive (``monitor replay``).

Useful after a scorer or rule changes, or to rebuild a store: every archived response is parsed again by
the source that fetched it and processed as if it had just arrived. Writes are idempotent, so replaying
twice changes nothing the second time.

Two things differ from the crawl. A feed's items and their article pages are separate records, so the
merge the crawl made is made again against the stored documents (:mod:`monitor.ingestion.article_merge`): a
feed's summary never replaces an article's text. And a damaged record (a file cut short by a full disk
or a kill) is counted and reported with its file and offset; the replay goes on with the next record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from monitor.context import Monitor
from monitor.ingestion.archive import ArchiveDamage
from monitor.ingestion.article_merge import merge_stored
from monitor.ingestion.sources import Collected
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
    damaged: list[ArchiveDamage] = field(default_factory=list)  # also counted in ``problems``


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

    def damaged(damage: ArchiveDamage) -> None:
        report.damaged.append(damage)
        report.problems += 1
        if progress is not None:
            progress(f"{damage}; replay goes on")

    streams = (
        [archive.items(source_id, since, on_damage=damaged) for source_id in source_ids]
        if source_ids
        else [archive.items(None, since, on_damage=damaged)]
    )
    for stream in streams:
        for raw in stream:
            source = monitor.source(raw.source_id)
            if source is None:  # the source was removed from the configuration since
                report.unknown_sources[raw.source_id] = report.unknown_sources.get(raw.source_id, 0) + 1
                continue
            collected = _merged_with_stored(monitor, source.parse(raw))
            outcome = monitor.pipeline.process(raw.source_id, collected, utc_now(), replay=True)
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


def _merged_with_stored(monitor: Monitor, collected: Collected) -> Collected:
    """A feed's items or article pages merged with the stored documents, as the crawl merged them."""
    if collected.merge is None or not collected.documents:
        return collected
    stored = {item.doc_id: item.document for item in monitor.store.get_many([d.doc_id for d in collected.documents])}
    collected.documents = [
        merge_stored(collected.merge, document, stored[document.doc_id]) if document.doc_id in stored else document
        for document in collected.documents
    ]
    return collected
