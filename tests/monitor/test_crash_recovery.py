"""Killed at any point, then restarted: the same documents, alerts and claim links as a run never killed.

A real crawl of the sample corpus runs in its own process (tests/monitor/crash_child.py) and sends itself
SIGKILL right after a chosen write: documents stored but not yet linked or evaluated, links written but
rules not run, part of a batch's alerts recorded, windows noted but not evaluated. The process is then
started again until a crawl completes, and the database is compared with the one of an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from monitor.alerts import AlertQuery
from monitor.store.base import SearchRequest, fingerprint
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


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    config = make_config_dir(tmp_path_factory.mktemp("uninterrupted") / "configs")
    monitor = open_monitor(config)  # in this process: the same crawl as the child's, without its start-up
    try:
        assert not crawl(monitor).failed_sources
    finally:
        monitor.close()
    snapshot = _snapshot(config)
    assert len(snapshot["documents"]) == 204
    # The corpus has alerts and claim links to lose.
    assert snapshot["alerts"]
    assert snapshot["links"]
    return snapshot


# (point, N): die right after the N-th call of the point returns. The corpus has 5 sources (5 batches,
# the last of 136 documents), 45 alert records (the last 5 at the end of the cycle) and 169 windows.
KILLS = [
    pytest.param([("store", 1)], id="stored-first-source"),
    pytest.param([("store", 5)], id="stored-last-batch"),
    pytest.param([("link", 2)], id="linked-not-evaluated"),
    pytest.param([("alert", 1)], id="first-alert-of-a-batch"),
    pytest.param([("alert", 30)], id="mid-batch-alerts"),
    pytest.param([("windows", 7)], id="windows-noted"),
    pytest.param([("window", 60)], id="mid-window-evaluation"),
    pytest.param([("store", 2), ("alert", 20), ("link", 1)], id="killed-three-times"),
]


@pytest.mark.parametrize("kills", KILLS)
def test_a_killed_crawl_restarted_ends_like_an_uninterrupted_one(
    tmp_path: Path, uninterrupted: Snapshot, kills: list[tuple[str, int]]
) -> None:
    config = make_config_dir(tmp_path / "configs")
    for point, after in kills:
        assert _crawl(config, point, str(after)) == -signal.SIGKILL, f"the crawl never reached {point} #{after}"
    assert _crawl(config) == 0
    recovered = _snapshot(config)
    assert recovered["documents"] == uninterrupted["documents"]
    assert recovered["links"] == uninterrupted["links"]
    assert recovered["alert_total"] == uninterrupted["alert_total"]
    assert recovered["alerts"] == uninterrupted["alerts"]
    assert recovered["pending_windows"] == []
