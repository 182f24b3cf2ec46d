"""News sitemaps (Google News format, or plain sitemaps and sitemap indexes) as a source of articles.

Many Vietnamese outlets publish ``<urlset>`` news sitemaps with ``<news:title>`` and
``<news:publication_date>`` for the last two days of articles. Each listed URL is fetched and reduced to
its article (see :class:`crawlers.articles.ArticleQueue`); a sitemap index is followed to its child
sitemaps (a few per collection). Sitemaps are untrusted XML, so they are parsed with defusedxml, which
refuses entity-expansion bombs and external entities.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Literal

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from pydantic import Field

from crawlers.articles import ArticleQueue, article_page, is_article_page
from crawlers.fetch import Fetcher
from crawlers.urls import canonical_url
from crawlers.values import parse_timestamp
from monitor.errors import FetchError
from monitor.ingestion.sources import CollectContext, Collected, Problem, Severity, SourceSpec
from monitor.records import Document, Platform, RawItem, doc_id_for_url

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"


class SitemapSourceSpec(SourceSpec):
    type: Literal["sitemap"] = "sitemap"
    url: str = Field(pattern=r"^https?://")
    max_child_sitemaps: int = Field(default=5, ge=1, le=100, description="Child sitemaps read from an index.")
    max_articles_per_cycle: int = Field(default=50, ge=1, le=10_000)


def _text(element: ET.Element, path: str) -> str:
    found = element.find(path)
    return (found.text or "").strip() if found is not None and found.text else ""


def parse_sitemap(raw: RawItem, source_id: str) -> tuple[list[Document], list[str], list[Problem]]:
    """Listed articles (as title-only documents awaiting their page), child sitemaps, and problems."""
    try:
        root = SafeET.fromstring(raw.body)
    except (ET.ParseError, DefusedXmlException) as exc:
        snippet = raw.body[:2000].decode("utf-8", errors="replace")
        return [], [], [Problem(source_id, raw.url, f"malformed sitemap: {exc}", raw=snippet)]
    if root.tag == f"{SITEMAP_NS}sitemapindex":
        children = [loc for item in root.iter(f"{SITEMAP_NS}sitemap") if (loc := _text(item, f"{SITEMAP_NS}loc"))]
        return [], children, []
    if root.tag != f"{SITEMAP_NS}urlset":
        return [], [], [Problem(source_id, raw.url, f"not a sitemap (root element {root.tag!r})")]
    documents: list[Document] = []
    problems: list[Problem] = []
    for index, item in enumerate(root.iter(f"{SITEMAP_NS}url"), start=1):
        location = _text(item, f"{SITEMAP_NS}loc")
        if not location.startswith(("http://", "https://")):
            problems.append(
                Problem(
                    source_id,
                    f"{raw.url} url {index}",
                    f"no usable <loc> ({location!r})",
                    raw=ET.tostring(item, encoding="unicode")[:2000],
                )
            )
            continue
        stamp = _text(item, f"{NEWS_NS}news/{NEWS_NS}publication_date") or _text(item, f"{SITEMAP_NS}lastmod")
        published: datetime = raw.fetched_at
        if stamp:
            try:
                published = parse_timestamp(stamp if "T" in stamp else f"{stamp}T00:00:00+00:00")
            except ValueError:
                problems.append(
                    Problem(
                        source_id, location, f"invalid date {stamp!r}; using the fetch time", severity=Severity.WARNING
                    )
                )
        url = canonical_url(location)
        documents.append(
            Document(
                doc_id=doc_id_for_url(url),
                source_id=source_id,
                platform=Platform.NEWS,
                url=url,
                title=_text(item, f"{NEWS_NS}news/{NEWS_NS}title"),
                text="",
                published_at=published,
                fetched_at=raw.fetched_at,
                channel=_text(item, f"{NEWS_NS}news/{NEWS_NS}publication/{NEWS_NS}name") or None,
            )
        )
    return documents, [], problems


class SitemapSource:
    def __init__(self, spec: SitemapSourceSpec) -> None:
        self._spec = spec
        self._fetcher = Fetcher(spec.id, spec.allow_private_network, spec.respect_robots_txt)
        self._articles = ArticleQueue(spec.id, self._fetcher, spec.max_articles_per_cycle)

    @property
    def spec(self) -> SitemapSourceSpec:
        return self._spec

    def rewind(self) -> None:
        self._fetcher.validators.clear()

    async def collect(self, context: CollectContext) -> Collected:
        collected = Collected()
        pending, read = [self._spec.url], 0
        while pending and read <= self._spec.max_child_sitemaps:
            url = pending.pop(0)
            read += 1
            try:
                raw = await self._fetcher.fetch_url(url, context)
            except FetchError as exc:
                collected.problems.append(Problem(self._spec.id, url, exc.message))
                collected.fetch_failed = url == self._spec.url
                continue
            if raw is None:
                continue
            collected.raw_items.append(raw)
            documents, children, problems = parse_sitemap(raw, self._spec.id)
            collected.documents.extend(documents)
            collected.problems.extend(problems)
            pending.extend(children)
        listed = [doc for doc in collected.documents if doc.title or doc.url]
        collected.documents = listed
        await self._articles.enrich(collected, context)
        # A listed URL whose page gave no article has no text at all: it cannot be stored.
        collected.documents = [doc for doc in collected.documents if doc.text or doc.title]
        return collected

    def parse(self, raw: RawItem) -> Collected:
        """A sitemap, or (when replaying the archive) an article page it listed."""
        if is_article_page(raw):
            return article_page(raw, self._spec.id)
        # A listing alone carries titles only; the archived article pages that follow it carry the content,
        # so replaying a listing yields no documents (it would replace full articles by their titles).
        _, _, problems = parse_sitemap(raw, self._spec.id)
        return Collected(raw_items=[raw], problems=problems)
