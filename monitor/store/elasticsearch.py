"""The document store on Elasticsearch, behind the same interface as SQLite.

Writes are idempotent by ``doc_id`` (the Elasticsearch ``_id``) and classified as inserted / updated /
unchanged by a fingerprint stored with each document. Bulk writes use the client's streaming helper,
which retries 429s with back-off; documents that still fail are reported one by one. When the cluster is
unreachable, batches go to a durable local spool and are replayed, oldest first, before the next write.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elasticsearch import ApiError, Elasticsearch, OrjsonSerializer, helpers
from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import ConnectionTimeout as EsConnectionTimeout
from elasticsearch import TransportError as EsTransportError

from monitor.analysis import AnalyzedDocument
from monitor.config.settings import ElasticsearchSettings
from monitor.errors import NotFoundError, StoreError
from monitor.query import fold_author
from monitor.store.base import (
    MIN_SIGNIFICANT_COUNT,
    CountField,
    DocumentFilter,
    SearchPage,
    SearchRequest,
    SortOrder,
    TimeBucket,
    UpsertResult,
    WordScore,
    fingerprint,
)
from monitor.store.es_indices import IndexLayout, month_of
from monitor.store.es_query import Query, compile_filter
from monitor.store.evaluation_marks import EvaluationMarks
from monitor.store.spool import Spool
from monitor.text import exact_words, folded_words

log = logging.getLogger(__name__)

MAX_WORDS_PER_DOCUMENT = 400
_FIELD_NAMES = {
    CountField.SOURCE: "source_id",
    CountField.PLATFORM: "platform",
    CountField.SENTIMENT: "sentiment",
    CountField.TOXICITY: "toxicity",
    CountField.TOPIC: "topics",
    CountField.STORY: "story_id",
}
_UNAVAILABLE = (EsConnectionError, EsConnectionTimeout)


_DONE = object()


def _prefetched(actions: Iterator[dict[str, Any]], depth: int) -> Iterator[dict[str, Any]]:
    """Build actions in a background thread while the previous bulk request is on the wire.

    Preparing a document (tokens, fingerprint, JSON) is Python work and sending it is waiting on a
    socket; overlapping the two roughly doubles bulk throughput on two cores.
    """
    buffer: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for action in actions:
                if stop.is_set():
                    return
                buffer.put(action)
        except BaseException as exc:  # handed to the consumer, which re-raises it in the caller's thread
            buffer.put(exc)
        finally:
            buffer.put(_DONE)

    worker = threading.Thread(target=produce, name="bulk-actions", daemon=True)
    worker.start()
    try:
        while (item := buffer.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        # The consumer may stop early (e.g. the cluster went away): unblock and finish the producer.
        stop.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                buffer.get(timeout=0.1)
        worker.join()


def _offset(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def connect(settings: ElasticsearchSettings) -> Elasticsearch:
    """A client for ``settings`` (credentials come from the environment via the settings)."""
    options: dict[str, Any] = {
        # orjson serializes bulk bodies several times faster than the standard json module.
        "serializer": OrjsonSerializer(),
        "request_timeout": settings.request_timeout_seconds,
        "retry_on_timeout": True,
        "max_retries": 2,
    }
    if settings.url.startswith("https://"):
        options["verify_certs"] = settings.verify_certs
        if settings.ca_certs:
            options["ca_certs"] = settings.ca_certs
    if settings.api_key is not None:
        options["api_key"] = settings.api_key.get_secret_value()
    elif settings.username and settings.password is not None:
        options["basic_auth"] = (settings.username, settings.password.get_secret_value())
    return Elasticsearch(settings.url, **options)


def indexed_source(item: AnalyzedDocument, stored_at: datetime) -> dict[str, Any]:
    """The indexed form of a document: plain fields derived in Python, and the full document as ``body``."""
    doc, analysis = item.document, item.analysis
    title_folded, text_folded = folded_words(doc.title), folded_words(doc.text)
    words = list(dict.fromkeys(f"{title_folded} {text_folded}".split()))[:MAX_WORDS_PER_DOCUMENT]
    body = item.model_dump(mode="json")
    return {
        "doc_id": doc.doc_id,
        "source_id": doc.source_id,
        "platform": doc.platform.value,
        "url": doc.url,
        "author_folded": fold_author(doc.author) if doc.author else None,
        "lang": doc.lang,
        "published_at": doc.published_at.isoformat(),
        "fetched_at": doc.fetched_at.isoformat(),
        "stored_at": stored_at.isoformat(),
        "sentiment": analysis.sentiment.label.value,
        "toxicity": analysis.toxicity.label.value,
        "misinformation": analysis.misinformation.score,
        "topics": analysis.topics.labels,
        "story_id": analysis.story_id,
        "fingerprint": fingerprint(item, body),
        "title_folded": title_folded,
        "text_folded": text_folded,
        "title_exact": exact_words(doc.title),
        "text_exact": exact_words(doc.text),
        "words": words,
        "body": body,
    }


def rebuild_source(source: dict[str, Any]) -> dict[str, Any]:
    """Recompute the indexed form from a stored ``body`` (used by reindexing)."""
    item = AnalyzedDocument.model_validate(source["body"])
    return indexed_source(item, datetime.fromisoformat(source.get("stored_at") or datetime.now(UTC).isoformat()))


class ElasticsearchDocumentStore:
    """:class:`monitor.store.base.DocumentStore` on an Elasticsearch cluster."""

    def __init__(
        self,
        client: Elasticsearch,
        layout: IndexLayout,
        spool_dir: Path,
        marks: EvaluationMarks,
        chunk_size: int = 2500,
    ) -> None:
        self.client = client
        self.layout = layout
        self.marks = marks
        self.spool = Spool(spool_dir)
        self.chunk_size = chunk_size
        self._write_lock = threading.Lock()  # keeps spooled batches and new writes in order
        self._replayed: list[AnalyzedDocument] = []  # replayed from the spool, not yet handed to the caller

    # -- writes --------------------------------------------------------------------------------

    def upsert(self, documents: Sequence[AnalyzedDocument]) -> UpsertResult:
        latest = list({item.doc_id: item for item in documents}.values())
        with self._write_lock:
            try:
                self.drain_spool()
                return self._write(latest)
            except _UNAVAILABLE as exc:
                path = self.spool.append(latest)
                log.warning("Elasticsearch unreachable (%s); spooled %d documents to %s", exc, len(latest), path)
                return UpsertResult(spooled=[item.doc_id for item in latest])

    def flush_pending(self) -> list[AnalyzedDocument]:
        """Replay the spool if the cluster is back; return every document replayed since the last call.

        Batches replayed at the start of an :meth:`upsert` are included, so the caller can run rules on
        them. An unreachable cluster leaves the spool for next time.
        """
        with self._write_lock:
            with contextlib.suppress(*_UNAVAILABLE):
                self.drain_spool()
            replayed, self._replayed = self._replayed, []
        return replayed

    def unevaluated(self, limit: int) -> list[str]:
        return self.marks.unevaluated(limit)

    def mark_evaluated(self, doc_ids: Sequence[str]) -> None:
        self.marks.clear(doc_ids)

    def drain_spool(self) -> int:
        """Replay spooled batches, oldest first; return how many documents were replayed."""
        replayed = 0
        for path in self.spool.pending():
            batch = self.spool.load(path)
            result = self._write(batch)
            if result.failed:
                first = next(iter(result.failed.values()))
                raise StoreError(f"replaying {path} failed for {len(result.failed)} documents: {first}")
            self.spool.remove(path)
            self._replayed.extend(batch)
            replayed += len(batch)
            log.info("replayed %d spooled documents from %s", len(batch), path.name)
        return replayed

    def _existing(self, doc_ids: list[str]) -> dict[str, tuple[str, str]]:
        """doc_id → (concrete index, fingerprint) for the ids already stored."""
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(doc_ids), 1000):
            chunk = doc_ids[start : start + 1000]
            response = self.client.search(
                index=self.layout.read_alias,
                query={"ids": {"values": chunk}},
                size=len(chunk),
                source_includes=["fingerprint"],
                ignore_unavailable=True,
                allow_no_indices=True,
            )
            for hit in response.body["hits"]["hits"]:
                found[hit["_id"]] = (hit["_index"], hit.get("_source", {}).get("fingerprint", ""))
        return found

    def _write(self, items: Sequence[AnalyzedDocument], retry_missing_alias: bool = True) -> UpsertResult:
        if not items:
            return UpsertResult()
        # Marked before anything is sent (the cluster and the marks cannot share a transaction); the marks
        # of documents that turn out unchanged or refused are removed again below, but not a mark left by an
        # earlier write that was stored and never evaluated.
        marked = self.marks.mark([item.doc_id for item in items])
        result = self._send(items, retry_missing_alias)
        self.marks.clear(sorted({*result.unchanged, *result.failed} & set(marked)))
        return result

    def _send(self, items: Sequence[AnalyzedDocument], retry_missing_alias: bool) -> UpsertResult:
        existing = self._existing([item.doc_id for item in items])
        outcome: dict[str, list[str]] = {"inserted": [], "updated": [], "unchanged": []}
        moved: list[dict[str, Any]] = []
        actions = _prefetched(self._actions(items, existing, outcome, moved), depth=2 * self.chunk_size)
        # require_alias: a write to a month whose alias vanished (retention in another process) must
        # fail instead of auto-creating an unmapped index under the alias's name.
        failed = self._bulk(actions, require_alias=True)
        if moved:
            failed.update(self._bulk(moved))
        vanished = [item for item in items if "no such index" in failed.get(item.doc_id, "")]
        if vanished and retry_missing_alias:
            self.layout.forget_cache()
            retried = self._send(vanished, retry_missing_alias=False)
            for doc_id in [*retried.inserted, *retried.updated]:
                failed.pop(doc_id, None)
            outcome["inserted"].extend(d for d in retried.inserted if d not in outcome["inserted"])
            outcome["updated"].extend(d for d in retried.updated if d not in outcome["updated"])
        if outcome["inserted"] or outcome["updated"]:
            self.client.indices.refresh(index=self.layout.read_alias)
        return UpsertResult(
            inserted=[i for i in outcome["inserted"] if i not in failed],
            updated=[i for i in outcome["updated"] if i not in failed],
            unchanged=outcome["unchanged"],
            failed=failed,
        )

    def _actions(
        self,
        items: Sequence[AnalyzedDocument],
        existing: dict[str, tuple[str, str]],
        outcome: dict[str, list[str]],
        moved: list[dict[str, Any]],
    ) -> Iterator[dict[str, Any]]:
        """Index actions for the items that changed; records each item's outcome as it goes.

        When ``published_at`` moved a document to another month, the delete of its old copy is added
        to ``moved`` (sent after the index actions).
        """
        now = datetime.now(UTC)
        for item in items:
            source = indexed_source(item, now)
            known = existing.get(item.doc_id)
            if known is not None and known[1] == source["fingerprint"]:
                outcome["unchanged"].append(item.doc_id)
                continue
            month = month_of(item.document.published_at)
            target = self.layout.ensure_month(month)
            yield {"_op_type": "index", "_index": self.layout.month_alias(month), "_id": item.doc_id, "_source": source}
            if known is not None and known[0] != target:
                moved.append({"_op_type": "delete", "_index": known[0], "_id": item.doc_id})
            outcome["updated" if known is not None else "inserted"].append(item.doc_id)

    def _bulk(self, actions: Iterable[dict[str, Any]], require_alias: bool = False) -> dict[str, str]:
        """Send actions with retries on 429; return doc_id → reason for those that still failed."""
        failed: dict[str, str] = {}
        options: dict[str, Any] = {"require_alias": True} if require_alias else {}
        results = helpers.streaming_bulk(
            self.client,
            actions,
            chunk_size=self.chunk_size,
            raise_on_error=False,
            raise_on_exception=True,
            max_retries=5,
            initial_backoff=1,
            max_backoff=30,
            **options,
        )
        for ok, result in results:
            if ok:
                continue
            operation, info = next(iter(result.items()))
            if operation == "delete" and info.get("status") == 404:
                continue
            error = info.get("error")
            reason = error.get("reason", str(error)) if isinstance(error, dict) else str(error)
            failed[str(info.get("_id"))] = f"{operation} failed with HTTP {info.get('status')}: {reason}"
        return failed

    def delete(self, doc_ids: Sequence[str]) -> int:
        existing = self._guard(lambda: self._existing(list(doc_ids)))
        actions = [{"_op_type": "delete", "_index": index, "_id": doc_id} for doc_id, (index, _) in existing.items()]
        self._guard(lambda: self._bulk(actions))
        if actions:
            self._guard(lambda: self.client.indices.refresh(index=self.layout.read_alias))
        return len(actions)

    # -- reads ---------------------------------------------------------------------------------

    def get(self, doc_id: str) -> AnalyzedDocument:
        found = self.get_many([doc_id])
        if not found:
            raise NotFoundError(f"no document with doc_id '{doc_id}'")
        return found[0]

    def get_many(self, doc_ids: Sequence[str]) -> list[AnalyzedDocument]:
        if not doc_ids:
            return []
        found: dict[str, AnalyzedDocument] = {}
        for start in range(0, len(doc_ids), 1000):
            chunk = list(doc_ids[start : start + 1000])
            hits = self._hits({"ids": {"values": chunk}}, size=len(chunk))
            found.update((hit["_id"], AnalyzedDocument.model_validate(hit["_source"]["body"])) for hit in hits)
        return [found[doc_id] for doc_id in doc_ids if doc_id in found]

    def search(self, request: SearchRequest) -> SearchPage:
        order = "desc" if request.sort is SortOrder.NEWEST else "asc"
        response = self._guard(
            lambda: self.client.search(
                index=self.layout.read_alias,
                query=compile_filter(request.filter),
                from_=request.offset,
                size=request.limit,
                sort=[{"published_at": order}, {"doc_id": order}],
                track_total_hits=True,
                source_includes=["body"],
                ignore_unavailable=True,
                allow_no_indices=True,
            )
        )
        hits = response.body["hits"]
        items = [AnalyzedDocument.model_validate(hit["_source"]["body"]) for hit in hits["hits"]]
        return SearchPage(total=int(hits["total"]["value"]), items=items)

    def count(self, document_filter: DocumentFilter) -> int:
        response = self._guard(
            lambda: self.client.count(
                index=self.layout.read_alias,
                query=compile_filter(document_filter),
                ignore_unavailable=True,
                allow_no_indices=True,
            )
        )
        return int(response.body["count"])

    def count_by_time(
        self, document_filter: DocumentFilter, interval_seconds: int, tz_offset_seconds: int = 0
    ) -> list[TimeBucket]:
        if interval_seconds <= 0:
            raise StoreError("interval_seconds must be positive", retryable=False)
        aggregation = {
            "date_histogram": {
                "field": "published_at",
                "fixed_interval": f"{interval_seconds}s",
                "time_zone": _offset(tz_offset_seconds),
                "min_doc_count": 1,
            }
        }
        buckets = self._aggregate(document_filter, aggregation)
        return [TimeBucket(start=datetime.fromtimestamp(b["key"] / 1000, UTC), count=b["doc_count"]) for b in buckets]

    def count_by_field(self, document_filter: DocumentFilter, field: CountField) -> dict[str, int]:
        aggregation = {
            "terms": {"field": _FIELD_NAMES[field], "size": 10_000, "order": [{"_count": "desc"}, {"_key": "asc"}]}
        }
        return {str(b["key"]): int(b["doc_count"]) for b in self._aggregate(document_filter, aggregation)}

    def significant_words(
        self, foreground: DocumentFilter, background: DocumentFilter | None = None, size: int = 10
    ) -> list[WordScore]:
        aggregation: Query = {
            "significant_terms": {
                "field": "words",
                "size": size,
                "min_doc_count": MIN_SIGNIFICANT_COUNT,
                "jlh": {},
                "background_filter": compile_filter(background or DocumentFilter()),
            }
        }
        buckets = self._aggregate(foreground, aggregation)
        words = [
            WordScore(
                word=str(b["key"]),
                foreground_count=int(b["doc_count"]),
                background_count=int(b["bg_count"]),
                score=round(float(b["score"]), 6),
            )
            for b in buckets
        ]
        return sorted(words, key=lambda w: (-w.score, w.word))

    def close(self) -> None:
        self.client.close()

    # -- helpers -------------------------------------------------------------------------------

    def _aggregate(self, document_filter: DocumentFilter, aggregation: Query) -> list[dict[str, Any]]:
        response = self._guard(
            lambda: self.client.search(
                index=self.layout.read_alias,
                query=compile_filter(document_filter),
                size=0,
                aggs={"result": aggregation},
                ignore_unavailable=True,
                allow_no_indices=True,
            )
        )
        aggregations = response.body.get("aggregations") or {}
        buckets: list[dict[str, Any]] = aggregations.get("result", {}).get("buckets", [])
        return buckets

    def _hits(self, query: Query, size: int) -> list[dict[str, Any]]:
        response = self._guard(
            lambda: self.client.search(
                index=self.layout.read_alias,
                query=query,
                size=size,
                source_includes=["body"],
                ignore_unavailable=True,
                allow_no_indices=True,
            )
        )
        hits: list[dict[str, Any]] = response.body["hits"]["hits"]
        return hits

    @staticmethod
    def _guard(call: Any) -> Any:
        """Run a read; turn an unreachable or failing cluster into a retryable StoreError."""
        try:
            return call()
        except _UNAVAILABLE as exc:
            raise StoreError(f"Elasticsearch is unreachable: {exc}") from exc
        except (ApiError, EsTransportError) as exc:
            raise StoreError(f"Elasticsearch request failed: {exc}") from exc
