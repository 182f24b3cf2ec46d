"""Stored but never evaluated (the process died in between): the next crawl evaluates, though unchanged.

The in-process companion of tests/monitor/test_crash_recovery.py (which kills real processes): the
corpus is written to a fresh store the way the pipeline's store step writes it, and nothing after that
step runs. The crawl that follows finds every document unchanged and must still link and alert them.
"""

from __future__ import annotations

from monitor.alerting.types import AlertQuery
from monitor.context import Monitor
from monitor.ingestion.crawl import CycleReport
from monitor.store.base import SearchRequest
from tests.conftest import crawl


def _alerts(monitor: Monitor) -> dict[str, frozenset[str]]:
    return {alert.alert_id: frozenset(alert.doc_ids) for alert in monitor.alerts.search(AlertQuery(limit=500))[1]}


def _links(monitor: Monitor) -> set[tuple[str, str, str]]:
    return {
        (link.claim_id, link.doc_id, link.kind)
        for claim in monitor.claims.claims()
        for link in monitor.claims.links(claim.id, limit=1000)
    }


def test_documents_stored_before_a_crash_are_evaluated_though_unchanged(
    sample_run: tuple[Monitor, CycleReport], monitor: Monitor
) -> None:
    reference, _ = sample_run
    stored = reference.store.search(SearchRequest(limit=500)).items
    assert monitor.store.upsert(stored).inserted  # the store step, and then the process "died"
    assert _alerts(monitor) == {}
    assert _links(monitor) == set()
    assert len(monitor.store.unevaluated(500)) == len(stored) == 204

    report = crawl(monitor)

    assert report.inserted == 0
    assert sum(o.counts.unchanged for o in report.outcomes) == 204
    assert _alerts(monitor) == _alerts(reference)
    assert _links(monitor) == _links(reference)
    assert monitor.store.unevaluated(500) == []
    assert monitor.alerts.pending_windows() == []
