"""The document-store contract every backend implements (SQLite now, Elasticsearch at scale).

Callers (pipeline, rules, API, CLI) depend only on :class:`DocumentStore` and the request types here,
so switching backends is configuration, not code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitor import query as query_syntax
from monitor.analysis import AnalyzedDocument, SentimentLabel
from monitor.records import Platform, UtcDatetime
from monitor.zones import DEFAULT_TIMEZONE, ZoneName


class CountField(StrEnum):
    """Fields that can be counted by value."""

    SOURCE = "source_id"
    PLATFORM = "platform"
    SENTIMENT = "sentiment"
    TOXICITY = "toxicity"
    TOPIC = "topic"
    STORY = "story_id"


class SortOrder(StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"


class DocumentFilter(BaseModel):
    """What to select. Empty tuples mean "any"; ``text`` uses the syntax of :mod:`monitor.query`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str | None = None
    exact_accents: bool = Field(default=False, description="Match every word with its diacritics.")
    timezone: ZoneName = Field(default=DEFAULT_TIMEZONE, description="Zone of dates without an offset in 'text'.")
    since: UtcDatetime | None = None
    until: UtcDatetime | None = None
    sources: tuple[str, ...] = ()
    platforms: tuple[Platform, ...] = ()
    sentiments: tuple[SentimentLabel, ...] = ()
    topics: tuple[str, ...] = ()
    min_misinformation: float | None = Field(default=None, ge=0.0, le=1.0)
    doc_ids: tuple[str, ...] = ()
    story_ids: tuple[str, ...] = ()
    narrowing: tuple[str, ...] = Field(
        default=(),
        description="More queries every document must also match (a rule's, a campaign's): each is parsed and "
        "held to the query limits on its own, so narrowing a valid filter never makes it too long or deep.",
    )

    @field_validator("text")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value if value is not None and value.strip() else None

    @model_validator(mode="after")
    def _text_parses(self) -> DocumentFilter:
        self.parsed_text()  # raises QueryError with the position
        return self

    def parsed_text(self) -> query_syntax.Node | None:
        """``text`` and every ``narrowing`` query as one tree (None when there are none)."""
        zone = ZoneInfo(self.timezone)
        texts = [self.text] if self.text else []
        nodes = [query_syntax.parse(text, zone, self.exact_accents) for text in [*texts, *self.narrowing]]
        return query_syntax.all_of(nodes)

    def narrowed(self, query: str) -> DocumentFilter:
        """This filter, keeping only the documents that also match ``query``."""
        return self.model_copy(update={"narrowing": (*self.narrowing, query)})


class SearchRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    filter: DocumentFilter = Field(default_factory=DocumentFilter)
    limit: int = Field(default=20, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=100_000)
    sort: SortOrder = SortOrder.NEWEST


class SearchPage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    total: int
    items: list[AnalyzedDocument]


class UpsertResult(BaseModel):
    """Which documents were new, changed, or identical to what was stored."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    inserted: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    spooled: list[str] = Field(default_factory=list, description="Kept on local disk until the store is back.")
    failed: dict[str, str] = Field(default_factory=dict, description="doc_id → why the store refused it.")

    @property
    def changed(self) -> list[str]:
        return [*self.inserted, *self.updated]


class TimeBucket(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    start: datetime
    count: int


def fingerprint(item: AnalyzedDocument, dumped: dict[str, Any] | None = None) -> str:
    """What makes a stored document different: everything but the time it was (re)fetched.

    Re-crawling an unchanged item must count as "unchanged" and keep the first capture time.
    ``dumped`` is ``item.model_dump(mode="json")`` when the caller already has it.
    """
    body = dumped if dumped is not None else item.model_dump(mode="json")
    document = {key: value for key, value in body["document"].items() if key != "fetched_at"}
    payload = orjson.dumps({**body, "document": document}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(payload).hexdigest()


class WordScore(BaseModel):
    """A word that is much more frequent in a foreground set than in its background (trending words)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    word: str
    foreground_count: int
    background_count: int
    score: float


def jlh_score(foreground: int, foreground_total: int, background: int, background_total: int) -> float:
    """The JLH significance score (the default of Elasticsearch's significant_terms), 0 when not raised."""
    if not foreground_total or not background_total or not background:
        return 0.0
    fg, bg = foreground / foreground_total, background / background_total
    return (fg - bg) * (fg / bg) if fg > bg else 0.0


MIN_SIGNIFICANT_COUNT = 3


class DocumentStore(Protocol):
    """Storage and retrieval of analysed documents."""

    def upsert(self, documents: Sequence[AnalyzedDocument]) -> UpsertResult:
        """Insert or replace by ``doc_id``; idempotent.

        Every document reported inserted or updated (or spooled) is durably marked as not yet evaluated, with
        the write or before it, until :meth:`mark_evaluated` (see :mod:`monitor.store.evaluation_marks`).
        """
        ...

    def unevaluated(self, limit: int) -> list[str]:
        """Up to ``limit`` ids of stored documents not yet marked evaluated, in the order they were stored."""
        ...

    def mark_evaluated(self, doc_ids: Sequence[str]) -> None:
        """Record that the claim links and rules of ``doc_ids`` ran (their results are committed)."""
        ...

    def get(self, doc_id: str) -> AnalyzedDocument:
        """Return one document or raise :class:`monitor.errors.NotFoundError`."""
        ...

    def get_many(self, doc_ids: Sequence[str]) -> list[AnalyzedDocument]:
        """Return the documents that exist, in the order asked."""
        ...

    def search(self, request: SearchRequest) -> SearchPage:
        """Return one page of matching documents and the total count."""
        ...

    def count(self, document_filter: DocumentFilter) -> int:
        """Count matching documents."""
        ...

    def count_by_time(
        self, document_filter: DocumentFilter, interval_seconds: int, tz_offset_seconds: int = 0
    ) -> list[TimeBucket]:
        """Count matching documents per ``published_at`` bucket (buckets aligned in local time)."""
        ...

    def count_by_field(self, document_filter: DocumentFilter, field: CountField) -> dict[str, int]:
        """Count matching documents per value of ``field``."""
        ...

    def significant_words(
        self, foreground: DocumentFilter, background: DocumentFilter | None = None, size: int = 10
    ) -> list[WordScore]:
        """Words (folded) over-represented in ``foreground`` against ``background`` (all documents).

        Words in fewer than three foreground documents are ignored; results are ordered by JLH score.
        """
        ...

    def delete(self, doc_ids: Sequence[str]) -> int:
        """Delete documents by id; return how many existed."""
        ...

    def flush_pending(self) -> list[AnalyzedDocument]:
        """Write what was kept aside while the backend was unavailable; return those documents.

        Backends that never defer writes return an empty list.
        """
        ...

    def close(self) -> None:
        """Release resources."""
        ...
