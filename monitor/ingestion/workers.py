"""CPU-bound work on every core: article extraction and document scoring in worker processes.

The service process fetches, stores and runs the rules; Python runs one thread at a time, so the CPU work
(reading the article out of a page, normalizing, identifying the language, scoring, fingerprinting for
stories) goes to a pool of worker processes, each holding its own copy of the analyzer. With ``workers:
0`` everything runs in the service process instead (tests, single-core machines).

Workers start lazily on first use, with the ``spawn`` method: forking a process that already runs
threads and holds SQLite connections is unsafe.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

from monitor.analysis import Analysis
from monitor.errors import ModelError
from monitor.ingestion.normalize import normalize_document
from monitor.ingestion.registry import AnalyzerFactory
from monitor.ingestion.scoring import AnalysisContext, Analyzer, Claim, ClaimAware
from monitor.ingestion.sources import Problem
from monitor.ingestion.stories import Fingerprint, fingerprint
from monitor.records import Document
from monitor.text import TextTokens

log = logging.getLogger(__name__)

T = TypeVar("T")

# Below this many documents per worker, shipping them to another process costs more than it saves.
MIN_CHUNK = 8


@dataclass(frozen=True)
class Scored:
    """A normalized document with its language, its analysis and its story fingerprint."""

    document: Document
    analysis: Analysis
    fingerprint: Fingerprint
    tokens: tuple[TextTokens, TextTokens]  # of the title and of the text, for the store and the rules


@dataclass(frozen=True)
class ScoredBatch:
    scored: list[Scored]
    problems: list[Problem]


@dataclass(frozen=True)
class ClaimSet:
    """The claim registry at one revision; workers compare revisions to know when to re-index."""

    revision: int
    claims: tuple[Claim, ...]


def apply_claims(analyzer: Analyzer, claims: ClaimSet) -> bool:
    """Give ``analyzer`` the registry; False when it cannot take claims while running."""
    if not isinstance(analyzer, ClaimAware):
        return False
    analyzer.use_claims(claims.claims)
    return True


def score_documents(analyzer: Analyzer, documents: Sequence[Document]) -> ScoredBatch:
    """Normalize, identify the language, score and fingerprint; documents left without text are problems."""
    normalized: list[Document] = []
    problems: list[Problem] = []
    for document in documents:
        clean = normalize_document(document)
        if not clean.text and not clean.title:
            message = "item has no text after cleaning"
            problems.append(Problem(document.source_id, document.url, message, raw=document.model_dump_json()))
            continue
        normalized.append(clean)
    languages = analyzer.identify_languages([doc.content for doc in normalized])
    with_lang = [doc.model_copy(update={"lang": lang}) for doc, lang in zip(normalized, languages, strict=True)]
    analyses = analyzer.analyze(with_lang)
    # Tokens computed for the service process (which primes its cache with them), not cached here: a worker
    # never reads them again, and 2,048 cached whole articles cost each worker ~70 MB.
    scored = [
        Scored(doc, analysis, fingerprint(doc.content), (TextTokens.of(doc.title), TextTokens.of(doc.text)))
        for doc, analysis in zip(with_lang, analyses, strict=True)
    ]
    return ScoredBatch(scored, problems)


# -- inside a worker process ----------------------------------------------------------------------

_worker_analyzer: Analyzer | None = None
_worker_claims_revision: int | None = None


PARENT_CHECK_SECONDS = 1.0


def _exit_with_parent(parent: int) -> None:
    # A pool worker waits for work forever; if the service dies without shutting the pool down (killed,
    # or a signal handler that exits at once), the worker would outlive it holding its models in memory.
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def _start_worker(factory: AnalyzerFactory, context: AnalysisContext) -> None:
    global _worker_analyzer  # noqa: PLW0603  (one analyzer per worker process, built once)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), name="parent-watch", daemon=True).start()
    _worker_analyzer = factory(context)


def _score_in_worker(documents: Sequence[Document], claims: ClaimSet | None) -> ScoredBatch:
    global _worker_claims_revision  # noqa: PLW0603  (the revision this worker's analyzer matches)
    if _worker_analyzer is None:  # pragma: no cover - the initializer always runs first
        raise ModelError("worker process started without an analyzer")
    # The registry travels with every batch (it is small) so each worker catches up on its next batch,
    # whichever worker the pool hands it to.
    if claims is not None and claims.revision != _worker_claims_revision:
        if not apply_claims(_worker_analyzer, claims):
            log.warning("the analyzer cannot take new claims while running; restart to match them")
        _worker_claims_revision = claims.revision
    return score_documents(_worker_analyzer, documents)


# -- in the service process -----------------------------------------------------------------------


def default_worker_count() -> int:
    """One worker per core when there are several; none on a single core (it would only add copying)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores if cores > 1 else 0


class Workers:
    """The pool (or, with no workers, the service process itself) that does the CPU-bound work."""

    def __init__(self, count: int, factory: AnalyzerFactory, context: AnalysisContext) -> None:
        self.count = count
        self._factory = factory
        self._context = context
        self._pool: ProcessPoolExecutor | None = None
        self._local: Analyzer | None = None
        self._claims: ClaimSet | None = None
        self._lock = threading.Lock()

    @property
    def analyzer(self) -> Analyzer:
        """An analyzer in this process (built on first use; workers have their own)."""
        with self._lock:
            if self._local is None:
                self._local = self._factory(self._context)
                if self._claims is not None:
                    apply_claims(self._local, self._claims)
            return self._local

    def use_claims(self, claims: ClaimSet) -> None:
        """Score with ``claims`` from the next batch on, in this process and in every worker."""
        with self._lock:
            self._claims = claims
            local = self._local
        if local is not None and not apply_claims(local, claims):
            log.warning(
                "the analyzer %s cannot take new claims while running; restart the service to match "
                "claims registered since start-up",
                type(local).__name__,
            )

    def check(self) -> None:
        """Build the analyzer once now, so a broken model configuration fails at start-up, not in a worker.

        With worker processes, the service process does not keep its copy: the models would only take
        memory there.
        """
        analyzer = self.analyzer
        if self.count > 0:
            with self._lock:
                self._local = None
        del analyzer

    def start(self) -> None:
        """Start the worker processes now and wait until each has built its analyzer (service start-up)."""
        pool = self._executor()
        if pool is not None:
            try:
                for future in [pool.submit(os.getpid) for _ in range(self.count * 2)]:
                    future.result()
            except BrokenProcessPool as exc:
                self._discard(pool)
                raise ModelError(
                    f"the worker processes could not start ({exc}); their error is logged above. "
                    "Set 'workers: 0' in settings.yaml to score in the service process instead"
                ) from exc

    def score(self, documents: Sequence[Document]) -> ScoredBatch:
        """Score ``documents``, split across the workers; results keep the input order."""
        if not documents:
            return ScoredBatch([], [])
        pool = self._executor()
        if pool is None:
            return score_documents(self.analyzer, documents)
        size = max(MIN_CHUNK, -(-len(documents) // self.count))
        chunks = [documents[start : start + size] for start in range(0, len(documents), size)]
        with self._lock:
            claims = self._claims
        futures = [pool.submit(_score_in_worker, chunk, claims) for chunk in chunks]
        batches = [self._result(future) for future in futures]
        return ScoredBatch(
            [item for batch in batches for item in batch.scored],
            [problem for batch in batches for problem in batch.problems],
        )

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run a picklable CPU-bound ``function`` in a worker (or a thread when there are none)."""
        pool = self._executor()
        if pool is None:
            return await asyncio.to_thread(function, *args)
        future = pool.submit(function, *args)
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            self._discard(pool)
            raise ModelError(f"a worker process died while running {function.__name__}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _executor(self) -> ProcessPoolExecutor | None:
        if self.count == 0:
            return None
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.count,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(self._factory, self._context),
                )
            return self._pool

    def _result(self, future: Future[ScoredBatch]) -> ScoredBatch:
        try:
            return future.result()
        except BrokenProcessPool as exc:
            # A worker died (out of memory, killed): the next batch gets a fresh pool; this one is retried
            # by the caller's usual path (the source is rewound and collected again).
            with self._lock:
                pool = self._pool
            if pool is not None:
                self._discard(pool)
            raise ModelError(f"a scoring worker process died: {exc}") from exc

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        log.error("worker pool broken; starting a new one on next use")
        pool.shutdown(wait=False, cancel_futures=True)
