"""The researchers' view of the collected data: pandas DataFrames for Jupyter notebooks.

Researchers get documents, counts and stories as DataFrames, never private people's names: each
document goes through the privacy policy of :mod:`monitor.access.privacy` (the same view as the API's
researcher role, the Parquet dataset and the briefings): authors, ``@Name`` mentions and channels named
after a person become the install's keyed pseudonyms, the same for the same person in every query, so
posts per author can still be counted; social posts carry no URL. Times are in the install's local time
zone.

Everything reads through the configured :class:`~monitor.store.base.DocumentStore` (SQLite or
Elasticsearch) in pages of at most :data:`PAGE_SIZE` documents; no call loads more than its ``limit``.

Example::

    from monitor.analytics.research import open_research

    with open_research("configs") as research:
        frame = research.documents("nước máy", since="2026-11-03", limit=500)
        daily = research.over_time("1d", by="sentiment")

pandas is imported only when a DataFrame is built, so this module (and the plain-row helpers that
:mod:`monitor.analytics.dataset_export` shares) works without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from monitor.access.privacy import PrivacyPolicy, Pseudonymizer
from monitor.analysis import AnalyzedDocument, SentimentLabel, ToxicityLabel
from monitor.config.settings import Settings, load_settings
from monitor.db import Database
from monitor.durations import parse_duration
from monitor.records import Platform
from monitor.store.base import CountField, DocumentFilter, DocumentStore, SearchRequest, SortOrder
from monitor.store.factory import open_document_store

if TYPE_CHECKING:  # pandas is imported lazily: only notebooks need it
    import pandas as pd

PAGE_SIZE = 500  # the store's largest page (SearchRequest.limit)
DEFAULT_LIMIT = 10_000
STORY_CHUNK = 200  # story ids asked for in one filter: keeps each query's parameter list short

# The columns of :meth:`Research.documents`, in order (also the Parquet export's columns).
COLUMNS = (
    "doc_id",
    "source_id",
    "platform",
    "url",
    "published_at",
    "fetched_at",
    "title",
    "text",
    "lang",
    "author",
    "channel",
    "parent_id",
    "sentiment",
    "sentiment_negative",
    "sentiment_neutral",
    "sentiment_positive",
    "topics",
    "toxicity",
    "toxicity_clean",
    "misinformation",
    "misinformation_reasons",
    "claim_ids",
    "watchlist_hits",
    "story_id",
    "likes",
    "comments",
    "shares",
    "views",
)
ENGAGEMENT = ("likes", "comments", "shares", "views")
LIST_COLUMNS = ("topics", "misinformation_reasons", "claim_ids", "watchlist_hits")
TIME_COLUMNS = ("published_at", "fetched_at")

TimeArg = datetime | date | str | None


def document_row(item: AnalyzedDocument, privacy: PrivacyPolicy | None, zone: tzinfo) -> dict[str, Any]:
    """One document as a plain dict with the keys of :data:`COLUMNS`: its ``privacy`` view (the document as
    stored when None: the officers' search export), times in ``zone``."""
    doc = privacy.document(item.document) if privacy is not None else item.document
    analysis = item.analysis
    sentiment = analysis.sentiment.probabilities
    misinformation = analysis.misinformation
    return {
        "doc_id": doc.doc_id,
        "source_id": doc.source_id,
        "platform": doc.platform.value,
        "url": doc.url or None,  # the privacy view has no URL for social posts
        "published_at": doc.published_at.astimezone(zone),
        "fetched_at": doc.fetched_at.astimezone(zone),
        "title": doc.title,
        "text": doc.text,
        "lang": doc.lang,
        "author": doc.author,
        "channel": doc.channel,
        "parent_id": doc.parent_id,
        "sentiment": analysis.sentiment.label.value,
        "sentiment_negative": sentiment.get(SentimentLabel.NEGATIVE),
        "sentiment_neutral": sentiment.get(SentimentLabel.NEUTRAL),
        "sentiment_positive": sentiment.get(SentimentLabel.POSITIVE),
        "topics": analysis.topics.labels,
        "toxicity": analysis.toxicity.label.value,
        "toxicity_clean": analysis.toxicity.probabilities.get(ToxicityLabel.CLEAN),
        "misinformation": misinformation.score,
        "misinformation_reasons": [f"{reason.kind}: {reason.detail}" for reason in misinformation.reasons],
        "claim_ids": list(misinformation.claim_ids),
        "watchlist_hits": list(analysis.watchlist_hits),
        "story_id": analysis.story_id,
        "likes": doc.engagement.likes,
        "comments": doc.engagement.comments,
        "shares": doc.engagement.shares,
        "views": doc.engagement.views,
    }


def iter_documents(
    store: DocumentStore, document_filter: DocumentFilter, *, page_size: int = PAGE_SIZE
) -> Iterator[list[AnalyzedDocument]]:
    """Every matching document, oldest first, one page at a time.

    The store's ``offset`` is bounded (and deep offsets are slow on Elasticsearch), so pages are read by
    keyset instead: the next page starts at the whole second of the last document read (``since`` is
    inclusive), skipping the documents of that second already returned. Both stores order ties the same
    way in every query (SQLite by row id, Elasticsearch by doc_id), so the skipped ones are exactly those.
    """
    since = document_filter.since
    skip = 0
    while True:
        page = store.search(
            SearchRequest(
                filter=document_filter.model_copy(update={"since": since}),
                limit=page_size,
                offset=skip,
                sort=SortOrder.OLDEST,
            )
        ).items
        if page:
            yield page
        if len(page) < page_size:
            return
        boundary = page[-1].document.published_at.replace(microsecond=0)
        in_boundary = sum(1 for item in page if item.document.published_at >= boundary)
        skip = skip + in_boundary if boundary == since else in_boundary
        since = boundary


def _as_utc(value: TimeArg, zone: tzinfo) -> datetime | None:
    """A ``since``/``until`` argument as an aware UTC datetime; dates and naive times are local."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


@dataclass
class Research:
    """Read-only research queries over the configured store; open one with :func:`open_research`."""

    settings: Settings
    store: DocumentStore
    privacy: PrivacyPolicy
    _db: Database | None = None

    @classmethod
    def from_parts(cls, settings: Settings, store: DocumentStore) -> Research:
        """Research over an already open store (such as ``Monitor.store``); closing it is the caller's job."""
        pseudonyms = Pseudonymizer.for_data_dir(settings.data_dir)
        return cls(settings, store, PrivacyPolicy.for_store(pseudonyms, store))

    @property
    def zone(self) -> tzinfo:
        """The install's local time zone, in which every time is returned."""
        return self.settings.zone

    def filter(
        self,
        query: str | None = None,
        *,
        since: TimeArg = None,
        until: TimeArg = None,
        sources: Sequence[str] = (),
        platforms: Sequence[Platform | str] = (),
        story_ids: Sequence[str] = (),
    ) -> DocumentFilter:
        """The store filter the other methods use (``query`` in the syntax of :mod:`monitor.query`).

        ``since`` is inclusive and ``until`` exclusive; a date or a time without an offset is local time.
        """
        return DocumentFilter(
            text=query,
            timezone=self.settings.timezone,
            since=_as_utc(since, self.zone),
            until=_as_utc(until, self.zone),
            sources=tuple(sources),
            platforms=tuple(Platform(p) for p in platforms),
            story_ids=tuple(story_ids),
        )

    def rows(self, document_filter: DocumentFilter, limit: int | None = DEFAULT_LIMIT) -> Iterator[dict[str, Any]]:
        """Matching documents as plain dicts (see :func:`document_row`), oldest first, at most ``limit``."""
        produced = 0
        page_size = PAGE_SIZE if limit is None else max(1, min(PAGE_SIZE, limit))
        for page in iter_documents(self.store, document_filter, page_size=page_size):
            for item in page:
                if limit is not None and produced >= limit:
                    return
                produced += 1
                yield document_row(item, self.privacy, self.zone)

    def documents(
        self,
        query: str | None = None,
        *,
        since: TimeArg = None,
        until: TimeArg = None,
        sources: Sequence[str] = (),
        platforms: Sequence[Platform | str] = (),
        limit: int | None = DEFAULT_LIMIT,
    ) -> pd.DataFrame:
        """One row per matching document, oldest first, with the columns of :data:`COLUMNS`.

        Args:
            query: Search text (words, "phrases", AND/OR/NOT, source:, topic:, sentiment:...).
            since: Published at or after (inclusive); a date or naive time is local time.
            until: Published before (exclusive).
            sources: Source ids; empty means all.
            platforms: Platforms (``news``, ``facebook``...); empty means all.
            limit: At most this many rows; None reads everything (in pages, but into one DataFrame).

        Returns:
            A DataFrame; ``author`` holds pseudonyms, ``published_at`` is tz-aware local time, engagement
            counts are nullable integers, and ``topics``/``misinformation_reasons``/``claim_ids`` are lists.
        """
        document_filter = self.filter(query, since=since, until=until, sources=sources, platforms=platforms)
        return self._frame(self.rows(document_filter, limit))

    def count(self, query: str | None = None, **filters: Any) -> int:
        """How many documents match (the same arguments as :meth:`filter`)."""
        return self.store.count(self.filter(query, **filters))

    def counts(
        self, by: CountField | str = CountField.SOURCE, query: str | None = None, **filters: Any
    ) -> pd.DataFrame:
        """Documents per value of ``by`` (source_id, platform, sentiment, toxicity, topic, story_id).

        Returns:
            Columns ``<by>`` and ``count``, largest first.
        """
        import pandas as pd  # noqa: PLC0415 -- lazily: the CLI and export share this module without pandas

        field = CountField(by)
        counted = self.store.count_by_field(self.filter(query, **filters), field)
        return pd.DataFrame({field.value: list(counted), "count": list(counted.values())}).astype({"count": "int64"})

    def over_time(
        self,
        interval: str | int = "1d",
        query: str | None = None,
        *,
        by: CountField | str | None = None,
        **filters: Any,
    ) -> pd.DataFrame:
        """Documents per time bucket (buckets aligned in local time), empty buckets included as 0.

        Args:
            interval: Bucket size: ``1h``, ``6h``, ``1d``, ``7d``... or seconds.
            query: Search text, as for :meth:`documents`.
            by: Split each bucket by this field's values (one column per value); None gives one ``count``.
            **filters: ``since``, ``until``, ``sources``, ``platforms`` as for :meth:`filter`.

        Returns:
            A DataFrame indexed by the bucket start (tz-aware local time), one int column per series.
        """
        import pandas as pd  # noqa: PLC0415 -- lazily: the CLI and export share this module without pandas

        seconds = parse_duration(interval)
        document_filter = self.filter(query, **filters)
        offset = self.zone.utcoffset(datetime.now())
        offset_seconds = int(offset.total_seconds()) if offset else 0
        if by is None:
            series = {"count": document_filter}
        else:
            field = CountField(by)
            values = self.store.count_by_field(document_filter, field)
            if field is CountField.TOPIC:
                series = {value: document_filter.model_copy(update={"topics": (value,)}) for value in values}
            else:
                series = {value: _with_value(document_filter, field, value) for value in values}
        columns: dict[str, dict[datetime, int]] = {
            name: {bucket.start: bucket.count for bucket in self.store.count_by_time(f, seconds, offset_seconds)}
            for name, f in series.items()
        }
        starts = sorted({start for counted in columns.values() for start in counted})
        if not starts:
            return pd.DataFrame(
                {name: pd.Series(dtype="int64") for name in columns},
                index=pd.DatetimeIndex([], tz=self.zone, name="start"),
            )
        step = timedelta(seconds=seconds)
        full = [starts[0] + step * i for i in range(int((starts[-1] - starts[0]) / step) + 1)]
        index = pd.DatetimeIndex(full, name="start").tz_convert(self.zone)
        return pd.DataFrame(
            {name: [counted.get(start, 0) for start in full] for name, counted in columns.items()}, index=index
        ).astype("int64")

    def stories(self, min_size: int = 2, query: str | None = None, **filters: Any) -> pd.DataFrame:
        """Stories (near-duplicate clusters) with at least ``min_size`` matching documents, largest first.

        Returns:
            Columns ``story_id``, ``size``, ``first_published``, ``last_published`` (local time),
            ``sources`` (sorted list of source ids) and ``platforms``.
        """
        import pandas as pd  # noqa: PLC0415 -- lazily: the CLI and export share this module without pandas

        document_filter = self.filter(query, **filters)
        sizes = {
            story: n
            for story, n in self.store.count_by_field(document_filter, CountField.STORY).items()
            if story and n >= min_size
        }
        spans: dict[str, dict[str, Any]] = {}
        story_ids = list(sizes)
        for start in range(0, len(story_ids), STORY_CHUNK):
            chunk = document_filter.model_copy(update={"story_ids": tuple(story_ids[start : start + STORY_CHUNK])})
            for page in iter_documents(self.store, chunk):
                for item in page:
                    _extend_span(spans, item)
        records = [
            {
                "story_id": story,
                "size": size,
                "first_published": spans[story]["first"].astimezone(self.zone),
                "last_published": spans[story]["last"].astimezone(self.zone),
                "sources": sorted(spans[story]["sources"]),
                "platforms": sorted(spans[story]["platforms"]),
            }
            for story, size in sizes.items()
            if story in spans
        ]
        frame = pd.DataFrame.from_records(
            records, columns=["story_id", "size", "first_published", "last_published", "sources", "platforms"]
        )
        for column in ("first_published", "last_published"):
            frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_convert(self.zone)
        return frame.sort_values(["size", "first_published"], ascending=[False, True], ignore_index=True)

    def story(self, story_id: str, *, limit: int | None = DEFAULT_LIMIT) -> pd.DataFrame:
        """The documents of one story, oldest first (the columns of :meth:`documents`)."""
        return self._frame(self.rows(self.filter(story_ids=[story_id]), limit))

    def _frame(self, rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
        import pandas as pd  # noqa: PLC0415 -- lazily: the CLI and export share this module without pandas

        frame = pd.DataFrame.from_records(list(rows), columns=list(COLUMNS))
        for column in TIME_COLUMNS:
            frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_convert(self.zone)
        for column in ENGAGEMENT:
            frame[column] = frame[column].astype("Int64")  # nullable: platforms report different counts
        for column in ("sentiment_negative", "sentiment_neutral", "sentiment_positive", "toxicity_clean"):
            frame[column] = frame[column].astype("float64")
        frame["misinformation"] = frame["misinformation"].astype("float64")
        return frame

    def close(self) -> None:
        """Close the store and database if :func:`open_research` opened them."""
        if self._db is not None:
            self.store.close()
            self._db.close()
            self._db = None

    def __enter__(self) -> Research:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _with_value(document_filter: DocumentFilter, field: CountField, value: str) -> DocumentFilter:
    """``document_filter`` narrowed to one value of ``field`` (the fields a filter can select on)."""
    key = {
        CountField.SOURCE: "sources",
        CountField.PLATFORM: "platforms",
        CountField.SENTIMENT: "sentiments",
        CountField.STORY: "story_ids",
    }.get(field)
    if key is None:
        raise ValueError(f"over_time cannot split by {field.value}; use source_id, platform, sentiment or topic")
    return DocumentFilter.model_validate({**document_filter.model_dump(), key: (value,)})


def _extend_span(spans: dict[str, dict[str, Any]], item: AnalyzedDocument) -> None:
    story = item.analysis.story_id
    if story is None:
        return
    published = item.document.published_at
    span = spans.setdefault(story, {"first": published, "last": published, "sources": set(), "platforms": set()})
    span["first"] = min(span["first"], published)
    span["last"] = max(span["last"], published)
    span["sources"].add(item.document.source_id)
    span["platforms"].add(item.document.platform.value)


def open_research(config_dir: Path | str | None = None) -> Research:
    """Open the configured store for research (``config_dir`` as for :func:`monitor.config.settings.load_settings`).

    Only the store is opened: no sources, scorers or rules are loaded. Close the result (or use ``with``).
    """
    settings = load_settings(config_dir)
    db = Database(settings.sqlite_path)
    try:
        store = open_document_store(settings, db)
    except BaseException:
        db.close()
        raise
    research = Research.from_parts(settings, store)
    research._db = db
    return research
