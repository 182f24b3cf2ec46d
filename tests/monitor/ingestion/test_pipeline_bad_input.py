"""Bad input never stops a cycle: it is counted per source, reported, quarantined; the rest is processed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from monitor.store.base import DocumentFilter
from tests.conftest import FIXTURES, crawl, open_monitor
from tests.loopback import Reply, serve


def _config(tmp_path: Path, sources_yaml: str) -> Path:
    config = tmp_path / "configs"
    shutil.copytree(
        Path(__file__).resolve().parents[3] / "configs", config, ignore=shutil.ignore_patterns("sources", "samples")
    )
    (config / "sources").mkdir()
    (config / "sources" / "test.yaml").write_text(sources_yaml, encoding="utf-8")
    shutil.copytree(FIXTURES, config / "fixtures")
    settings = (
        (config / "settings.yaml").read_text(encoding="utf-8").replace("data_dir: var", f"data_dir: {tmp_path / 'var'}")
    )
    (config / "settings.yaml").write_text(settings, encoding="utf-8")
    return config


def test_one_cycle_survives_every_kind_of_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_CRAWL__MAX_RETRIES", "0")  # retries have their own tests
    with serve({"/down.rss": Reply(500, b"Internal Server Error")}) as server:
        config = _config(
            tmp_path,
            f"""
sources:
  - {{type: rss, id: broken-items, path: fixtures/feeds/broken-items.xml}}
  - {{type: rss, id: malformed, path: fixtures/feeds/malformed.xml}}
  - {{type: jsonl, id: messy, path: fixtures/social/messy.jsonl, platform: facebook}}
  - {{type: rss, id: down, url: "{server.url("/down.rss")}", allow_private_network: true}}
  - {{type: rss, id: good, path: fixtures/feeds/vnexpress_tin-moi-nhat_2017-02-18.xml}}
""",
        )
        monitor = open_monitor(config)
        report = crawl(monitor)
    try:
        outcomes = {o.source_id: o for o in report.outcomes}
        assert set(outcomes) == {"broken-items", "malformed", "messy", "down", "good"}
        assert sorted(report.failed_sources) == ["down", "malformed"]

        broken = outcomes["broken-items"].counts
        assert (broken.inserted, broken.errors, broken.warnings) == (3, 2, 2)
        messy = outcomes["messy"].counts
        assert (messy.inserted, messy.errors, messy.warnings) == (4, 6, 1)
        assert outcomes["good"].counts.inserted == 25
        assert outcomes["down"].error == f"HTTP 500 from {server.url('/down.rss')}"
        assert monitor.store.count(DocumentFilter()) == 3 + 4 + 25

        health = monitor.health.all()
        assert health["down"].consecutive_failures == 1
        assert health["down"].status == "failing"
        assert health["malformed"].last_error is not None
        assert health["malformed"].last_error.startswith("malformed feed")
        assert health["messy"].status == "degraded"
        assert health["messy"].last_success_at is not None
        assert health["good"].status == "ok"
        assert health["good"].items_total == 25

        # Nothing lost: every unusable item is in the quarantine with its raw input.
        quarantined = monitor.quarantine.recent(limit=100)
        by_source: dict[str, int] = {}
        for item in quarantined:
            by_source[item.source_id] = by_source.get(item.source_id, 0) + 1
        assert by_source == {"broken-items": 2, "malformed": 1, "messy": 6}
        assert any("dòng bị cắt giữa chừng" in item.raw for item in quarantined)
        assert any(item.location.endswith("messy.jsonl:4") and "Bi\\xean" in item.raw for item in quarantined)

        # A second cycle: files unchanged, nothing is re-imported; the failing source fails again.
        again = crawl(monitor)
        assert again.inserted == 0
        assert {o.source_id for o in again.outcomes if o.counts.not_modified} == {"broken-items", "messy", "good"}
        assert monitor.health.get("down").consecutive_failures == 2
    finally:
        monitor.close()


def test_a_storage_failure_loses_nothing(tmp_path: Path) -> None:
    config = _config(tmp_path, "sources:\n  - {type: jsonl, id: messy, path: fixtures/social/messy.jsonl}\n")
    monitor = open_monitor(config)
    try:
        # A real SQLite failure on insert (as a full disk or a corrupt page would cause).
        monitor.db.connection().execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON documents BEGIN SELECT RAISE(ABORT, 'simulated failure'); END"
        )
        failed = crawl(monitor)
        assert failed.failed_sources == ["messy"]
        assert "simulated failure" in (monitor.health.get("messy").last_error or "")
        assert monitor.store.count(DocumentFilter()) == 0

        monitor.db.connection().execute("DROP TRIGGER refuse")
        recovered = crawl(monitor)  # the file is unchanged, but the source was rewound: read again
        assert recovered.inserted == 4
        assert monitor.health.get("messy").consecutive_failures == 0
    finally:
        monitor.close()
