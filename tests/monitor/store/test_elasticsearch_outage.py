"""Stop Elasticsearch in the middle of ingestion and start it again: nothing lost, nothing doubled.

This test runs its own server (it must stop and restart it), on the same port and data folder.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from monitor.alerting.types import AlertQuery
from monitor.config.settings import load_settings
from monitor.context import build_monitor
from monitor.errors import StoreError
from monitor.ingestion.crawl import crawl_cycle
from monitor.store.base import DocumentFilter, SearchRequest
from monitor.store.elasticsearch import ElasticsearchDocumentStore
from tests import elasticsearch_server
from tests.conftest import make_config_dir
from tests.factories import analyzed, at

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("ELASTICSEARCH_URL")), reason="needs a server this test can stop; it starts its own"
)


def test_outage_mid_ingest_loses_and_doubles_nothing(tmp_path: Path) -> None:
    home = elasticsearch_server.ensure_distribution()
    data = tmp_path / "es"
    same_cluster = {"cluster.name": "outage-test"}  # the restarted node must recognise its own data
    server = elasticsearch_server.start(home, data, settings=same_cluster)
    port = urlsplit(server.url).port
    config = make_config_dir(tmp_path / "configs")
    settings = load_settings(config)
    storage = settings.storage.model_copy(
        update={
            "backend": "elasticsearch",
            "elasticsearch": settings.storage.elasticsearch.model_copy(update={"url": server.url}),
        }
    )
    monitor = build_monitor(settings.model_copy(update={"storage": storage}))
    store = monitor.store
    assert isinstance(store, ElasticsearchDocumentStore)
    # The news feeds go in while the server is up, the social export while it is down.
    news = [s for s in monitor.sources if s.spec.id != "sample-social"]
    social = [s for s in monitor.sources if s.spec.id == "sample-social"]
    try:
        first = asyncio.run(crawl_cycle(monitor, news))
        assert first.inserted == 68

        elasticsearch_server.stop(server)
        during = asyncio.run(crawl_cycle(monitor, social))
        [outcome] = during.outcomes
        assert outcome.error is None  # an outage of the search engine is not a failure of the source
        assert (outcome.counts.spooled, outcome.counts.inserted) == (136, 0)
        assert store.spool.count_documents() == 136
        with pytest.raises(StoreError, match="unreachable"):
            store.count(DocumentFilter())
        # A correction arrives for a spooled post while the server is still down: it must win.
        edited = analyzed("Bài đã sửa trong lúc mất kết nối", post_id="late-edit", published=at("2026-11-05 10:00"))
        assert store.upsert([edited]).spooled == [edited.doc_id]
        assert store.upsert(
            [analyzed("Bài đã sửa lần hai", post_id="late-edit", published=at("2026-11-05 10:00"))]
        ).spooled == [edited.doc_id]

        server = elasticsearch_server.start(home, data, settings={**same_cluster, "http.port": str(port)})
        after = asyncio.run(crawl_cycle(monitor, social))  # nothing new to read; the spool is replayed
        assert after.inserted == 0
        assert store.spool.pending() == []
        assert store.count(DocumentFilter()) == 68 + 136 + 1
        assert store.get(edited.doc_id).document.text == "Bài đã sửa lần hai"
        ids = [item.doc_id for item in store.search(SearchRequest(limit=500)).items]
        assert len(ids) == len(set(ids)) == 205
        # The rules saw the replayed posts: the false-claim alert exists with its repeats.
        claim_alerts = [
            a for a in monitor.alerts.search(AlertQuery(limit=500))[1] if a.key == "claim:thien-tan-tap-water-poisoned"
        ]
        assert claim_alerts
        assert claim_alerts[0].doc_count >= 19
    finally:
        monitor.close()
        elasticsearch_server.stop(server)
        shutil.rmtree(data, ignore_errors=True)
