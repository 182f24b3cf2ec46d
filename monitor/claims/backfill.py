"""Linking the documents already stored to a claim a case just registered (or edited).

The pipeline links a document to the claims it repeats as it stores it (:meth:`ClaimRegistry.link`),
so a claim registered later would see only documents stored after it, and its spread would read 0 until
someone ran ``monitor replay``. Registering therefore also looks through the store:

1. Candidates come from the store's own search, not a scan: any document holding a content word of the
   claim, its correction or a keyword phrase, or the correction's URL (a document sharing none of them
   cannot reach the scorer's thresholds). Newest first, in pages, up to :data:`MAX_CANDIDATES`; the
   report says when the bound cut the search short (``monitor replay`` then links the rest).
2. Each page is scored by the same workers and analyzer the pipeline uses, with the registry as it is
   now: the rule for "repeats the claim" or "relays its correction" has one home, the scorer.
3. :meth:`ClaimRegistry.relink` records the outcome for this claim only: new links are added and the
   links of checked documents that the claim (as now worded) no longer matches are removed, so an edit
   that narrows the claim narrows its spread. Documents linked before are always checked again, found
   by the search or not.

Stored analyses are left as they are (re-scoring the store is ``monitor replay``'s job); only the links,
which the spread and the briefing count, change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from monitor.analysis import AnalyzedDocument
from monitor.claims.registry import ClaimRegistry, RelinkCounts
from monitor.ingestion.scoring import Claim
from monitor.ingestion.workers import ClaimSet, Workers
from monitor.query import MAX_QUERY_LENGTH
from monitor.store.base import DocumentFilter, DocumentStore, SearchRequest, SortOrder
from monitor.text import uncached_tokens

log = logging.getLogger(__name__)

MAX_CANDIDATES = 5_000  # documents checked per registration, newest first
PAGE_SIZE = 500  # the store's page limit
MAX_QUERY_TERMS = 60  # words and phrases in the candidate query (a claim has a few dozen)
# Shorter words (and numbers) are too common to narrow the search; the scorer still sees them.
MIN_WORD_CHARS = 2
COMMON_SHARE = 0.2  # words in more stored documents than this share do not select candidates
# Below this many stored documents, every word selects (pruning would save nothing and costs a count each).
PRUNE_FROM_DOCUMENTS = 1_000

Progress = Callable[[str], None]


@dataclass
class BackfillReport:
    """What registering a claim found among the documents already stored."""

    claim_id: str
    candidates: int = 0  # documents the search matched
    checked: int = 0  # documents scored (candidates within the bound, plus those linked before)
    repeats: int = 0  # checked documents now linked as repeats
    corrections: int = 0  # checked documents now linked as relaying the correction
    removed: int = 0  # links the claim, as now worded, no longer supports
    truncated: bool = False  # more candidates than MAX_CANDIDATES: the oldest were not checked


def candidate_query(claim: Claim, frequency: Callable[[str], float] | None = None) -> str:
    """The store query that finds the documents the scorer could link to ``claim`` (an OR of terms).

    ``frequency`` gives the share of stored documents holding a word; words in more than
    :data:`COMMON_SHARE` of them (function words such as "là", "của") are left out, since they would
    make every document a candidate and cannot by themselves carry a document to the scorer's thresholds.
    Keyword phrases and the correction's URL are always kept.
    """
    terms: list[str] = []
    if claim.correction_url:
        terms.append(_quoted(claim.correction_url))
    terms.extend(_quoted(keyword) for keyword in claim.keywords if keyword.strip())
    words = dict.fromkeys(
        word
        for text in (claim.text, claim.correction)
        for word in uncached_tokens(text)
        if len(word) >= MIN_WORD_CHARS and not word.isdigit()
    )
    terms.extend(_quoted(word) for word in words if frequency is None or frequency(word) <= COMMON_SHARE)
    chosen: list[str] = []
    length = 0
    for term in dict.fromkeys(terms):
        # The query language caps terms and length; the most specific terms come first, so stop at either cap.
        if term == '""':
            continue
        if len(chosen) == MAX_QUERY_TERMS or length + len(term) + 4 > MAX_QUERY_LENGTH:
            break
        chosen.append(term)
        length += len(term) + 4  # " OR "
    return " OR ".join(chosen)


def _quoted(text: str) -> str:
    # The store matches folded tokens, so a phrase of them is exact; quotes and punctuation inside vanish.
    return '"' + " ".join(uncached_tokens(text)) + '"'


class StoredClaimLinker:
    """Links stored documents to one claim, with the pipeline's workers (see the module docstring).

    Args:
        registry: The claim registry (its current claims are what the documents are scored against).
        store: The document store searched for candidates.
        workers: The pipeline's scoring workers.
        max_candidates: How many candidates to check at most.
    """

    def __init__(
        self,
        registry: ClaimRegistry,
        store: DocumentStore,
        workers: Workers,
        *,
        max_candidates: int = MAX_CANDIDATES,
    ) -> None:
        self.registry = registry
        self.store = store
        self.workers = workers
        self.max_candidates = max_candidates

    def __call__(self, claim: Claim, progress: Progress | None = None) -> BackfillReport:
        """Link the stored documents that repeat ``claim`` or relay its correction; remove stale links."""
        report = BackfillReport(claim.id)
        # The claim was just written: score with the registry as it is now, in every worker.
        self.workers.use_claims(ClaimSet(self.registry.revision(), tuple(self.registry.claims())))
        linked_before = set(self.registry.linked_doc_ids(claim.id))
        seen: set[str] = set()
        for page in self._candidates(claim, report):
            seen.update(item.doc_id for item in page)
            self._check(claim, page, report)
            if progress is not None and report.candidates > PAGE_SIZE:
                progress(f"claim {claim.id}: checked {report.checked} of {min(report.candidates, self.max_candidates)}")
        rest = sorted(linked_before - seen)
        for start in range(0, len(rest), PAGE_SIZE):
            self._check(claim, self.store.get_many(rest[start : start + PAGE_SIZE]), report)
        log.info(
            "claim %s: %d stored documents checked, %d repeats and %d corrections linked, %d stale links removed%s",
            claim.id,
            report.checked,
            report.repeats,
            report.corrections,
            report.removed,
            f" (the {report.candidates - self.max_candidates} oldest candidates were not checked)"
            if report.truncated
            else "",
        )
        return report

    def _frequency(self) -> Callable[[str], float] | None:
        total = self.store.count(DocumentFilter())
        if total < PRUNE_FROM_DOCUMENTS:
            return None
        return lambda word: self.store.count(DocumentFilter(text=_quoted(word))) / total

    def _candidates(self, claim: Claim, report: BackfillReport) -> Iterator[list[AnalyzedDocument]]:
        query = candidate_query(claim, self._frequency())
        if not query:
            return
        document_filter = DocumentFilter(text=query)
        offset = 0
        while offset < self.max_candidates:
            limit = min(PAGE_SIZE, self.max_candidates - offset)
            page = self.store.search(
                SearchRequest(filter=document_filter, limit=limit, offset=offset, sort=SortOrder.NEWEST)
            )
            report.candidates = page.total
            report.truncated = page.total > self.max_candidates
            if not page.items:
                return
            yield page.items
            offset += len(page.items)
            if offset >= page.total:
                return

    def _check(self, claim: Claim, items: Sequence[AnalyzedDocument], report: BackfillReport) -> None:
        if not items:
            return
        batch = self.workers.score([item.document for item in items])
        # The stored analysis keeps its story; only the misinformation part decides the links.
        stories = {item.doc_id: item.analysis.story_id for item in items}
        rescored = [
            AnalyzedDocument(
                document=scored.document,
                analysis=scored.analysis.model_copy(update={"story_id": stories.get(scored.document.doc_id)}),
            )
            for scored in batch.scored
        ]
        counts: RelinkCounts = self.registry.relink(claim.id, rescored)
        report.checked += len(items)
        report.repeats += counts.repeats
        report.corrections += counts.corrections
        report.removed += counts.removed
