"""Opening a fresh document store of either backend for a test, and removing it afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor.config.settings import load_settings
from monitor.db import Database
from monitor.store.base import DocumentStore
from monitor.store.elasticsearch import ElasticsearchDocumentStore
from monitor.store.factory import open_document_store
from tests.conftest import CONFIGS


@contextmanager
def fresh_store(backend: str, tmp_path: Path, elasticsearch_url: str | None = None) -> Iterator[DocumentStore]:
    """A new, empty store: its own SQLite file, or its own index prefix on the shared test cluster."""
    settings = load_settings(CONFIGS).model_copy(update={"data_dir": tmp_path / "var"})
    if backend == "elasticsearch":
        assert elasticsearch_url is not None
        storage = settings.storage.model_copy(
            update={
                "backend": "elasticsearch",
                "elasticsearch": settings.storage.elasticsearch.model_copy(
                    update={"url": elasticsearch_url, "index_prefix": f"t{uuid.uuid4().hex[:12]}"}
                ),
            }
        )
        settings = settings.model_copy(update={"storage": storage})
    db = Database(tmp_path / "var" / "store.sqlite3")
    store = open_document_store(settings, db)
    try:
        yield store
    finally:
        if isinstance(store, ElasticsearchDocumentStore):
            for month in store.layout.months():
                store.client.indices.delete(index=month.index)
            store.client.options(ignore_status=404).indices.delete_index_template(
                name=f"{store.layout.prefix}-documents"
            )
        store.close()
        db.close()
