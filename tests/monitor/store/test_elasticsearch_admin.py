"""Index administration on a real Elasticsearch: init, status, retention, reindex, partial bulk failures."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config.settings import load_settings
from monitor.db import Database
from monitor.records import utc_now
from monitor.store.base import DocumentFilter
from monitor.store.elasticsearch import ElasticsearchDocumentStore
from monitor.store.es_indices import month_of
from monitor.store.factory import open_document_store
from monitor.store.index_cli import first_kept_month
from tests.conftest import make_config_dir
from tests.factories import analyzed, at


@pytest.fixture
def es_config(tmp_path: Path, elasticsearch_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = make_config_dir(tmp_path / "configs")
    monkeypatch.setenv("MONITOR_STORAGE__BACKEND", "elasticsearch")
    monkeypatch.setenv("MONITOR_STORAGE__ELASTICSEARCH__URL", elasticsearch_url)
    monkeypatch.setenv("MONITOR_STORAGE__ELASTICSEARCH__INDEX_PREFIX", f"adm{uuid.uuid4().hex[:10]}")
    return config


def _store(config: Path) -> ElasticsearchDocumentStore:
    settings = load_settings(config)
    store = open_document_store(settings, Database(settings.sqlite_path))
    assert isinstance(store, ElasticsearchDocumentStore)
    return store


def _docs() -> list:
    return [
        analyzed("Tin cũ năm 2024 về Biên Hòa", post_id="old", published=at("2024-01-15 10:00")),
        analyzed("Mưa lớn gây ngập ở Biên Hòa", post_id="oct", published=at("2026-10-20 19:00")),
        analyzed("Sân bay Long Thành", post_id="nov", published=at("2026-11-03 09:00")),
    ]


def _months_ago(now: datetime, months: int) -> datetime:
    """Mid-month, ``months`` calendar months before ``now``: index months that move with the clock."""
    index = now.year * 12 + (now.month - 1) - months
    return datetime(index // 12, index % 12 + 1, 15, 10, tzinfo=UTC)


def test_first_kept_month() -> None:
    now = datetime(2026, 11, 26, tzinfo=UTC)
    assert first_kept_month(now, 18) == "2025.06"
    assert first_kept_month(now, 1) == "2026.11"
    assert first_kept_month(now, 11) == "2026.01"
    assert first_kept_month(now, 12) == "2025.12"


def test_init_status_and_retention(es_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `index init` and `retention` work from today's month, so the documents are dated relative to the
    # clock: last month, this month (now) and 30 months ago, which an 18-month retention deletes.
    now = utc_now()
    old, last_month = _months_ago(now, 30), _months_ago(now, 1)
    docs = [
        analyzed("Tin cũ về Biên Hòa", post_id="old", published=old),
        analyzed("Mưa lớn gây ngập ở Biên Hòa", post_id="last", published=last_month),
        analyzed("Sân bay Long Thành", post_id="this", published=now),
    ]
    cfg = ("--config-dir", str(es_config))
    assert main([*cfg, "index", "init"]) == 0
    assert "mapping version 1" in capsys.readouterr().out
    store = _store(es_config)
    try:
        assert store.upsert(docs).inserted
        assert main([*cfg, "index", "status"]) == 0
        status = capsys.readouterr().out
        assert month_of(old) in status
        assert month_of(last_month) in status
        assert "0 documents waiting in the spool" in status

        assert main([*cfg, "index", "retention", "--keep", "18m"]) == 0
        out = capsys.readouterr().out
        assert "deleted 1 indices" in out
        assert f"-v1-{month_of(old)}" in out
        assert [m.month for m in store.layout.months()] == [month_of(last_month), month_of(now)]
        assert store.count(DocumentFilter()) == 2
        with pytest.raises(SystemExit) as invalid:  # argparse rejects the period before anything runs
            main([*cfg, "index", "retention", "--keep", "0m"])
        assert invalid.value.code == 2
        assert "expected a number of months or years" in capsys.readouterr().err
    finally:
        for month in store.layout.months():
            store.client.indices.delete(index=month.index)
        store.close()


def test_reindex_moves_months_to_the_new_mapping_version(es_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = _store(es_config)
    try:
        store.upsert(_docs()[1:])
        mapping_path = es_config / "elasticsearch" / "documents.json"
        mapping = json.loads(mapping_path.read_text(encoding="utf-8"))
        mapping["mappings"]["_meta"]["version"] = 2
        mapping_path.write_text(json.dumps(mapping), encoding="utf-8")

        assert main(["--config-dir", str(es_config), "index", "reindex"]) == 0
        assert "Reindexed 2 month indices to mapping version 2" in capsys.readouterr().out
        assert [(m.month, m.version) for m in store.layout.months()] == [("2026.10", 2), ("2026.11", 2)]
        store.layout.forget_cache()
        assert store.count(DocumentFilter(text="ngap")) == 1
        # Writes go through the month alias, which now points at the new index.
        store.upsert([analyzed("Ngập tiếp ở Tân Hiệp", post_id="oct2", published=at("2026-10-21 07:00"))])
        assert store.count(DocumentFilter(text="ngap")) == 2
        assert {m.index.split("-v")[-1] for m in store.layout.months()} == {"2-2026.10", "2-2026.11"}
    finally:
        for month in store.layout.months():
            store.client.indices.delete(index=month.index)
        store.close()


def test_partial_bulk_failure_is_reported_per_document(es_config: Path) -> None:
    store = _store(es_config)
    try:
        # An operator created November's index by hand with a wrong mapping: its documents are refused.
        alias = store.layout.month_alias("2026.11")
        store.client.indices.create(
            index=f"{store.layout.prefix}-documents-v1-2026.11",
            mappings={"properties": {"sentiment": {"type": "integer"}}},
            aliases={alias: {"is_write_index": True}},
        )
        result = store.upsert(_docs()[1:])
        [november] = [d.doc_id for d in _docs() if d.document.published_at.month == 11]
        assert result.inserted == [_docs()[1].doc_id]
        assert list(result.failed) == [november]
        assert "HTTP 400" in result.failed[november]
        assert store.count(DocumentFilter()) == 1
    finally:
        for month in store.layout.months():
            store.client.indices.delete(index=month.index)
        store.close()
