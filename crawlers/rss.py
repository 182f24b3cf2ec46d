"""RSS and Atom feeds (feedparser), fetched over HTTP or read from a local file.

Each entry becomes a news :class:`Document` keyed by its canonical link. An entry without a usable link
or text is reported and quarantined; an entry with a missing or invalid date is kept, dated by the fetch
time, and reported as a warning.
"""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import feedparser
from pydantic import Field, model_validator

from crawlers.articles import ArticleQueue, article_page, is_article_page
from crawlers.fetch import Fetcher
from crawlers.html_text import html_to_text
from crawlers.urls import canonical_url
from monitor.errors import FetchError
from monitor.ingestion.article_merge import ArticleMerge
from monitor.ingestion.sources import CollectContext, Collected, Problem, Severity, SourceSpec
from monitor.records import Document, Platform, RawItem, doc_id_for_url


class RssSourceSpec(SourceSpec):
    """A feed at ``url`` (http/https) or at ``path`` (relative to the config folder)."""

    type: Literal["rss"] = "rss"
    url: str | None = None
    path: str | None = None
    platform: Platform = Field(default=Platform.NEWS, description="'forum' for forum feeds (XenForo threads...).")
    fetch_articles: bool = Field(default=False, description="Fetch each item's page and extract the article.")
    max_articles_per_cycle: int = Field(default=50, ge=1, le=10_000, description="Page fetches per collection.")

    @model_validator(mode="after")
    def _one_location(self) -> RssSourceSpec:
        if (self.url is None) == (self.path is None):
            raise ValueError("give exactly one of 'url' (http/https) or 'path' (a local file)")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"'url' must start with http:// or https:// (got {self.url!r})")
        return self


def _entry_time(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # dict.get bypasses feedparser's deprecated updated→published key aliasing.
        parsed = dict.get(entry, key)
        if parsed:
            # feedparser normalizes to UTC struct_time; timegm reads it as UTC.
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    return None


def _entry_text(entry: Any) -> str:
    contents = entry.get("content") or []
    html = max((c.get("value", "") for c in contents), key=len, default="")
    return html_to_text(html or entry.get("summary", "") or "")


def _raw_entry(entry: Any) -> str:
    return json.dumps({k: v for k, v in entry.items() if isinstance(v, str | int | float)}, ensure_ascii=False)


@dataclass
class ParsedFeed:
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unreadable: bool = False  # nothing could be read: the feed as a whole failed


def parse_feed(raw: RawItem, source_id: str, platform: Platform = Platform.NEWS) -> ParsedFeed:
    """Parse one fetched feed into documents and problems; never raises for bad content."""
    feed = feedparser.parse(raw.body, response_headers={k.lower(): v for k, v in raw.headers.items()})
    problems: list[Problem] = []
    if feed.get("bozo") and not feed.entries:
        reason = feed.get("bozo_exception") or "not a feed"
        snippet = raw.body[:2000].decode("utf-8", errors="replace")
        return ParsedFeed(
            problems=[Problem(source_id, raw.url, f"malformed feed: {reason}", raw=snippet)], unreadable=True
        )
    if feed.get("bozo"):
        problems.append(
            Problem(
                source_id,
                raw.url,
                f"feed is not well-formed, read what could be parsed: {feed.get('bozo_exception')}",
                severity=Severity.WARNING,
            )
        )
    documents = []
    for index, entry in enumerate(feed.entries, start=1):
        link = entry.get("link") or (entry.get("id") if str(entry.get("id", "")).startswith("http") else None)
        where = f"{raw.url} item {index}"
        if not link:
            problems.append(Problem(source_id, where, "item has no link", raw=_raw_entry(entry)))
            continue
        title = html_to_text(entry.get("title", "") or "")
        text = _entry_text(entry)
        if not text and not title:
            problems.append(
                Problem(source_id, f"{where} ({link})", "item has no title and no text", raw=_raw_entry(entry))
            )
            continue
        published = _entry_time(entry)
        if published is None:
            given = dict.get(entry, "published") or dict.get(entry, "updated")
            detail = f"invalid date {given!r}" if given else "no date"
            problems.append(
                Problem(source_id, f"{where} ({link})", f"{detail}; using the fetch time", severity=Severity.WARNING)
            )
            published = raw.fetched_at
        url = canonical_url(link)
        documents.append(
            Document(
                doc_id=doc_id_for_url(url),
                source_id=source_id,
                platform=platform,
                url=url,
                title=title,
                text=text or title,
                author=entry.get("author") or None,
                published_at=published,
                fetched_at=raw.fetched_at,
                channel=feed.feed.get("title") or None,
            )
        )
    return ParsedFeed(documents, problems)


class RssSource:
    def __init__(self, spec: RssSourceSpec) -> None:
        self._spec = spec
        self._fetcher = Fetcher(spec.id, spec.allow_private_network, spec.respect_robots_txt)
        self._articles = ArticleQueue(spec.id, self._fetcher, spec.max_articles_per_cycle)

    @property
    def spec(self) -> RssSourceSpec:
        return self._spec

    def rewind(self) -> None:
        self._fetcher.validators.clear()

    async def collect(self, context: CollectContext) -> Collected:
        try:
            if self._spec.url is not None:
                raw = await self._fetcher.fetch_url(self._spec.url, context)
            else:
                raw = self._fetcher.read_file(context.config_dir / Path(self._spec.path or ""), context)
        except FetchError as exc:
            return Collected(fetch_failed=True, problems=[Problem(self._spec.id, self._location(context), exc.message)])
        collected = Collected(not_modified=True) if raw is None else self.parse(raw)
        if collected.fetch_failed:
            # Read it again next time: the publisher may fix the feed without changing its validators.
            self.rewind()
        if self._spec.fetch_articles:
            await self._articles.enrich(collected, context)
        return collected

    def parse(self, raw: RawItem) -> Collected:
        """A feed, or (when replaying the archive) an article page fetched for one of its items."""
        if is_article_page(raw):
            return article_page(raw, self._spec.id)
        parsed = parse_feed(raw, self._spec.id, self._spec.platform)
        return Collected(
            documents=parsed.documents,
            raw_items=[raw],
            problems=parsed.problems,
            fetch_failed=parsed.unreadable,
            # The crawl merged each item with its article page: a replay must not put the summary back.
            merge=ArticleMerge.SUMMARIES if self._spec.fetch_articles else None,
        )

    def _location(self, context: CollectContext) -> str:
        return self._spec.url or str(context.config_dir / (self._spec.path or ""))
