"""The processing pipeline: normalize → language id → scorers → store → rules, with counted outcomes.

The pipeline never raises for bad input: items it cannot use become problems, counted per source,
reported in source health, and their raw input goes to the quarantine. A process killed between storing a
batch and recording its claim links and alerts loses neither: stored documents stay marked until they
are evaluated, and marked documents are evaluated before the next batch (see
:mod:`monitor.store.evaluation_marks`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from monitor.alerting.types import Alert
from monitor.analysis import AnalyzedDocument
from monitor.claims.registry import ClaimRegistry
from monitor.errors import StoreError
from monitor.ingestion.archive import RawArchive
from monitor.ingestion.health import CycleCounts, HealthStore
from monitor.ingestion.quarantine import Quarantine
from monitor.ingestion.sources import Collected, Problem, Severity
from monitor.ingestion.stories import StoryIndex
from monitor.ingestion.workers import ClaimSet, Scored, Workers
from monitor.rules.engine import RuleEngine
from monitor.store.base import DocumentStore, UpsertResult
from monitor.text import prime_tokens

log = logging.getLogger(__name__)

MAX_PROBLEMS_SHOWN = 20
BATCH_SIZE = 256

T = TypeVar("T")


@dataclass
class SourceOutcome:
    """What processing one source's collection did."""

    source_id: str
    counts: CycleCounts
    error: str | None
    alerts: list[Alert] = field(default_factory=list)


class Pipeline:
    def __init__(
        self,
        *,
        store: DocumentStore,
        workers: Workers,
        engine: RuleEngine,
        health: HealthStore,
        quarantine: Quarantine,
        archive: RawArchive,
        stories: StoryIndex,
        claims: ClaimRegistry | None = None,
    ) -> None:
        self.archive = archive
        self.claims = claims
        self._claims_revision: int | None = None
        self.stories = stories
        self.store = store
        self.workers = workers
        # Scoring runs in parallel (worker processes); the stores are written by one thread, in turn, so
        # SQLite transactions stay short and story assignment sees the previous batch. One thread rather than
        # a lock shared by the crawl's many threads: SQLite connections are per thread, and a connection
        # drops its whole page cache whenever another connection has written since its last transaction. With
        # writes rotating over the thread pool every transaction started cold and re-read the indexes it
        # updates, a cost that grew with the database (story bands, documents, alerts).
        self._writer: ThreadPoolExecutor | None = None
        self._writer_lock = threading.Lock()
        self._on_writer = threading.local()
        self.engine = engine
        self.health = health
        self.quarantine = quarantine

    def _with_stories(self, scored: Sequence[Scored]) -> list[AnalyzedDocument]:
        documents = [item.document for item in scored]
        prime_tokens(
            pair
            for item in scored
            for pair in ((item.document.title, item.tokens[0]), (item.document.text, item.tokens[1]))
        )
        stories = self.stories.assign(documents, {item.document.doc_id: item.fingerprint for item in scored})
        return [
            AnalyzedDocument(
                document=item.document,
                analysis=item.analysis.model_copy(update={"story_id": stories[item.document.doc_id].story_id}),
            )
            for item in scored
        ]

    def refresh_claims(self) -> None:
        """Hand the scorers the claim registry if a case registered or withdrew a claim since last time."""
        if self.claims is None:
            return
        revision = self.claims.revision()
        if revision != self._claims_revision:
            claims = self.claims.claims()
            self.workers.use_claims(ClaimSet(revision, tuple(claims)))
            if self._claims_revision is not None:
                log.info("claim registry changed (revision %d): scoring with %d claims", revision, len(claims))
            self._claims_revision = revision

    def _after_store(self, analyzed: Sequence[AnalyzedDocument]) -> list[Alert]:
        """Link stored documents to the claims they repeat or correct, then run per-document rules."""
        if self.claims is not None:
            self.claims.link(analyzed)
        return self.engine.on_documents(analyzed)

    def _write(self, function: Callable[..., T], *args: object) -> T:
        """Run ``function(*args)`` on the writer thread (at once if already there) and return its result."""
        if getattr(self._on_writer, "active", False):
            return function(*args)
        with self._writer_lock:
            if self._writer is None:
                self._writer = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="pipeline-writer", initializer=self._mark_writer
                )
            writer = self._writer
        return writer.submit(function, *args).result()

    def _mark_writer(self) -> None:
        self._on_writer.active = True
        self.stories.db.mark_writer_thread()

    def close(self) -> None:
        """Stop the writer thread (a later write starts a new one)."""
        with self._writer_lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            writer.shutdown(wait=True)

    def flush_pending(self) -> list[Alert]:
        """Finish a cycle: replay documents kept aside during a store outage, then evaluate the windows
        that this cycle's documents touched."""
        return self._write(self._flush_pending)

    def _flush_pending(self) -> list[Alert]:
        replayed = self.store.flush_pending()
        if replayed:
            # Those that changed the store are marked unevaluated, like any write, and evaluated just below.
            log.info("replayed %d documents kept aside while the store was unavailable", len(replayed))
        return self._evaluate_unfinished() + self.engine.evaluate_pending()

    def _evaluate(self, analyzed: Sequence[AnalyzedDocument]) -> list[Alert]:
        """Link and evaluate stored documents, then drop their "not yet evaluated" marks."""
        alerts = self._after_store(analyzed)
        self.store.mark_evaluated([item.doc_id for item in analyzed])
        return alerts

    def _evaluate_unfinished(self) -> list[Alert]:
        """Evaluate the stored documents still marked unevaluated, and drop their marks.

        Marks are left by a process that died between storing and evaluating, by an evaluation that failed,
        and by spooled documents replayed into the store. They are evaluated before the next batch, so a
        document that a restarted crawl finds unchanged still gets its claim links and alerts (see
        :mod:`monitor.store.evaluation_marks`). What cannot be evaluated now stays marked for the next try.
        """
        alerts: list[Alert] = []
        seen: set[str] = set()
        try:
            while doc_ids := [doc_id for doc_id in self.store.unevaluated(BATCH_SIZE) if doc_id not in seen]:
                seen.update(doc_ids)
                found = self.store.get_many(doc_ids)
                log.info("evaluating %d stored documents left unevaluated", len(found))
                alerts.extend(self._after_store(found))
                # Those not found were never stored (the write was cut short); a later crawl stores them anew.
                self.store.mark_evaluated(doc_ids)
        except StoreError as exc:
            log.warning("stored documents left unevaluated, will try again before the next batch: %s", exc)
        except Exception:  # e.g. a rule failing on one document: it must not stop every later batch
            log.exception("evaluating stored documents left unevaluated failed; will try again")
        return alerts

    def _store_batch(self, scored: Sequence[Scored]) -> tuple[UpsertResult, list[Alert]]:
        alerts = self._evaluate_unfinished()
        analyzed = self._with_stories(scored)
        result = self.store.upsert(analyzed)
        # Spooled documents are safe on disk; per-document rules need not wait for the store.
        changed = set(result.changed) | set(result.spooled)
        return result, alerts + self._evaluate([item for item in analyzed if item.doc_id in changed])

    def process(self, source_id: str, collected: Collected, started: datetime, replay: bool = False) -> SourceOutcome:
        """Run one source's collection through every stage and record the source's health.

        The raw items are archived first, so whatever happens later they can be replayed. A replay
        (``replay=True``) neither archives again nor touches source health.
        """
        clock = time.monotonic()
        if not replay:
            self._write(self.archive.store, collected.raw_items)
        inserted = updated = unchanged = spooled = 0
        problems = list(collected.problems)
        alerts: list[Alert] = []
        for start in range(0, len(collected.documents), BATCH_SIZE):
            batch = collected.documents[start : start + BATCH_SIZE]
            self.refresh_claims()
            scored = self.workers.score(batch)
            problems.extend(scored.problems)
            result, new_alerts = self._write(self._store_batch, scored.scored)
            alerts.extend(new_alerts)
            inserted += len(result.inserted)
            updated += len(result.updated)
            unchanged += len(result.unchanged)
            spooled += len(result.spooled)
            problems.extend(
                Problem(source_id, doc_id, f"the store refused the document: {reason}")
                for doc_id, reason in result.failed.items()
            )
        errors = [p for p in problems if p.severity is Severity.ERROR]
        quarantined = self._write(self.quarantine.add, problems)
        for problem in problems[:MAX_PROBLEMS_SHOWN]:
            log.warning("%s: %s: %s", source_id, problem.location, problem.message)
        counts = CycleCounts(
            fetched=len(collected.raw_items),
            documents=len(collected.documents),
            inserted=inserted,
            updated=updated,
            unchanged=unchanged,
            spooled=spooled,
            errors=len(errors),
            warnings=len(problems) - len(errors),
            quarantined=quarantined,
            not_modified=collected.not_modified,
            duration_seconds=round(time.monotonic() - clock, 3),
            problems=[f"{p.location}: {p.message}" for p in problems[:MAX_PROBLEMS_SHOWN]],
        )
        error = None
        if collected.fetch_failed:
            error = errors[0].message if errors else "fetch failed"
        if not replay:
            self._write(self.health.record, source_id, started, counts, error)
        return SourceOutcome(source_id=source_id, counts=counts, error=error, alerts=alerts)
