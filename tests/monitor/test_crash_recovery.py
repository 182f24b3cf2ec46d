"""Killed at any point, then restarted: the same documents, alerts and claim links as a run never killed.

A real crawl of the sample corpus runs in its own process (tests/monitor/crash_child.py) and sends itself
SIGKILL right after a chosen write: documents stored but not yet linked or evaluated, links written but
rules not run, part of a batch's alerts recorded, windows noted but not evaluated. The process is then
started again until a crawl completes, and the database is compared with the one of an uninterrupted run.
With Elasticsearch the documents and the alerts are in two systems that share no transaction; a few of
the points run on it too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.alerting.types import AlertQuery
from monitor.store.base import SearchRequest, fingerprint
from monitor.store.elasticsearch import ElasticsearchDocumentStore
from tests.conftest import REPO, crawl, make_config_dir, open_monitor

pytestmark = pytest.mark.slow

CHILD_TIMEOUT_SECONDS = 180

Snapshot = dict[str, Any]


def _crawl(config: Path, *kill: str) -> int:
    """Run one crawl in a child process (killed at ``kill`` = POINT, N if given); return its exit code."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    completed = subprocess.run(
        [sys.executable, "-m", "tests.monitor.crash_child", str(config), *kill],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_SECONDS,
        check=False,
    )
    assert completed.returncode in (0, -signal.SIGKILL), completed.stderr[-3000:]
    return completed.returncode


def _snapshot(config: Path) -> Snapshot:
    """What must not depend on a crash: every document, alert and claim link, and nothing left pending."""
    monitor = open_monitor(config)
    try:
        documents = {item.doc_id: fingerprint(item) for item in monitor.store.search(SearchRequest(limit=500)).items}
        total, alerts = monitor.alerts.search(AlertQuery(limit=500))
        links = {
            (link.claim_id, link.doc_id, link.kind, link.source_id, link.published_at)
            for claim in monitor.claims.claims()
            for link in monitor.claims.links(claim.id, limit=1000)
        }
        return {
            "documents": documents,
            "alerts": {
                alert.alert_id: (
                    alert.rule_id,
                    alert.key,
                    alert.severity,
                    alert.state,
                    alert.doc_count,
                    frozenset(alert.doc_ids),
                    alert.event_start,
                    alert.event_end,
                    alert.title,
                    alert.summary,
                    json.dumps(alert.details, sort_keys=True),
                )
                for alert in alerts
            },
            "alert_total": total,
            "links": links,
            "pending_windows": monitor.alerts.pending_windows(),
        }
    finally:
        monitor.close()


def _on_elasticsearch(config: Path, url: str) -> None:
    """Point ``config`` at its own indices on the test cluster."""
    settings = config / "settings.yaml"
    text = settings.read_text(encoding="utf-8")
    storage = (
        f"  backend: elasticsearch\n  elasticsearch:\n    url: {url}\n    index_prefix: t{uuid.uuid4().hex[:12]}\n"
    )
    assert "  backend: sqlite\n" in text
    settings.write_text(text.replace("  backend: sqlite\n", storage), encoding="utf-8")


def _drop_indices(config: Path) -> None:
    monitor = open_monitor(config)
    try:
        store = monitor.store
        if isinstance(store, ElasticsearchDocumentStore):
            for month in store.layout.months():
                store.client.indices.delete(index=month.index)
            store.client.options(ignore_status=404).indices.delete_index_template(
                name=f"{store.layout.prefix}-documents"
            )
    finally:
        monitor.close()


@pytest.fixture(scope="module")
def configs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Path]]:
    """Makes a configuration folder with the sample corpus on a backend; Elasticsearch indices go at the end."""
    made: list[Path] = []

    def make(backend: str) -> Path:
        config = make_config_dir(tmp_path_factory.mktemp(backend) / "configs")
        if backend == "elasticsearch":
            _on_elasticsearch(config, request.getfixturevalue("elasticsearch_url"))
            made.append(config)
        return config

    yield make
    for config in made:
        _drop_indices(config)


@pytest.fixture(scope="module")
def uninterrupted(configs: Callable[[str], Path]) -> Callable[[str], Snapshot]:
    """The corpus crawled without a kill, once per backend."""
    done: dict[str, Snapshot] = {}

    def snapshot(backend: str) -> Snapshot:
        if backend not in done:
            config = configs(backend)
            monitor = open_monitor(config)  # in this process: the child's crawl, without its start-up
            try:
                assert not crawl(monitor).failed_sources
            finally:
                monitor.close()
            done[backend] = _snapshot(config)
            assert len(done[backend]["documents"]) == 204
            # The corpus has alerts and claim links to lose.
            assert done[backend]["alerts"]
            assert done[backend]["links"]
        return done[backend]

    return snapshot


# (point, N): die right after the N-th call of the point returns. The corpus has 5 sources (5 batches,
# the last of 136 documents), 22 alert records (most at the end of the cycle, where watch episodes are
# evaluated with the windowed rules) and 185 windows.
KILLS = {
    "stored-first-source": [("store", 1)],
    "stored-last-batch": [("store", 5)],
    "linked-not-evaluated": [("link", 2)],
    "first-alert-of-a-batch": [("alert", 1)],
    "mid-batch-alerts": [("alert", 10)],
    "windows-noted": [("windows", 7)],
    "mid-window-evaluation": [("window", 60)],
    "killed-three-times": [("store", 2), ("alert", 15), ("link", 1)],
}
# Elasticsearch is slower to start and to write to: there, the points where its documents are stored and
# the rules (kept in SQLite) have not run, or have run in part.
ON_ELASTICSEARCH = ("stored-first-source", "mid-batch-alerts")
CASES = [pytest.param("sqlite", kills, id=f"sqlite-{name}") for name, kills in KILLS.items()] + [
    pytest.param("elasticsearch", KILLS[name], id=f"elasticsearch-{name}") for name in ON_ELASTICSEARCH
]


@pytest.mark.parametrize(("backend", "kills"), CASES)
def test_a_killed_crawl_restarted_ends_like_an_uninterrupted_one(
    configs: Callable[[str], Path],
    uninterrupted: Callable[[str], Snapshot],
    backend: str,
    kills: list[tuple[str, int]],
) -> None:
    config = configs(backend)
    for point, after in kills:
        assert _crawl(config, point, str(after)) == -signal.SIGKILL, f"the crawl never reached {point} #{after}"
    assert _crawl(config) == 0
    recovered = _snapshot(config)
    expected = uninterrupted(backend)
    assert recovered["documents"] == expected["documents"]
    assert recovered["links"] == expected["links"]
    assert recovered["alert_total"] == expected["alert_total"]
    assert recovered["alerts"] == expected["alerts"]
    assert recovered["pending_windows"] == []
