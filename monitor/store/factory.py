"""Choosing the document store from settings: embedded SQLite by default, Elasticsearch at scale."""

from __future__ import annotations

from monitor.config.settings import Settings
from monitor.db import Database
from monitor.store.base import DocumentStore
from monitor.store.elasticsearch import ElasticsearchDocumentStore, connect
from monitor.store.es_indices import IndexLayout, load_mapping
from monitor.store.evaluation_marks import EvaluationMarks
from monitor.store.sqlite import SqliteDocumentStore

SPOOL_FOLDER = "spool"


def elasticsearch_layout(settings: Settings) -> IndexLayout:
    """The index layout for the configured cluster (also used by ``monitor index``)."""
    es = settings.storage.elasticsearch
    return IndexLayout(
        connect(es),
        es.index_prefix,
        load_mapping(settings.config_dir),
        shards=es.number_of_shards,
        replicas=es.number_of_replicas,
    )


def open_document_store(settings: Settings, db: Database) -> DocumentStore:
    """The configured store; callers depend only on the :class:`DocumentStore` interface."""
    if settings.storage.backend == "elasticsearch":
        layout = elasticsearch_layout(settings)
        return ElasticsearchDocumentStore(
            layout.client,
            layout,
            settings.data_dir / SPOOL_FOLDER,
            EvaluationMarks(db),
            chunk_size=settings.storage.elasticsearch.bulk_chunk_size,
        )
    return SqliteDocumentStore(db)
