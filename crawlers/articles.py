"""Article pages reduced to main text, title, publication time, author and canonical URL (trafilatura).

Feeds often carry only a summary; the page behind each item carries the article. A well-kept extraction
library removes navigation, ads and boilerplate far better than hand-written rules, and it decodes pages
in legacy encodings from their declared or detected charset. Extraction never raises for a bad page:
``None`` fields mean "not found", and an empty text means the page had no article.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import trafilatura

from crawlers.fetch import Fetcher
from crawlers.urls import canonical_url
from monitor.errors import FetchError
from monitor.ingestion.article_merge import ArticleMerge, merge_article
from monitor.ingestion.sources import CollectContext, Collected, Problem, Severity
from monitor.records import Document, Platform, RawItem, doc_id_for_url

# trafilatura logs every unparsable page at WARNING; the pipeline reports those as problems itself.
logging.getLogger("trafilatura").setLevel(logging.ERROR)

DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
# Below this many words the "main text" of a page is a login wall, an error or a caption, not an article.
MIN_ARTICLE_WORDS = 20


@dataclass(frozen=True)
class Article:
    url: str
    title: str
    text: str
    author: str | None
    published_at: datetime | None


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    for pattern in (DATE_FORMAT, "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value, pattern)
        except ValueError:
            continue
        # A bare date says the day, not the time: it is only used when the feed gave no time at all.
        return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC)
    return None


def _extract(body: bytes, url: str, *, fast: bool) -> Any:
    return trafilatura.bare_extraction(
        body,
        url=url,
        fast=fast,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        date_extraction_params={"outputformat": DATE_FORMAT, "original_date": True, "extensive_search": False},
    )


def extract_article(body: bytes, url: str) -> Article:
    """The article in an HTML page (bytes, any encoding) fetched from ``url``."""
    # trafilatura's own extractor finds the article of an ordinary news page; its fallbacks (readability,
    # jusText) double the cost, so they run only when the fast pass finds no article.
    result = _extract(body, url, fast=True)
    if result is None or len((getattr(result, "text", None) or "").split()) < MIN_ARTICLE_WORDS:
        result = _extract(body, url, fast=False)
    if result is None:
        return Article(url=canonical_url(url), title="", text="", author=None, published_at=None)
    page_url = getattr(result, "url", None) or url
    title = (getattr(result, "title", None) or "").strip()
    text = (getattr(result, "text", None) or "").strip()
    if title and text.startswith(title + "\n"):  # the page's <h1> repeats the title as the first line
        text = text[len(title) + 1 :].lstrip()
    if len(text.split()) < MIN_ARTICLE_WORDS:
        text = ""
    return Article(
        url=canonical_url(page_url if page_url.startswith(("http://", "https://")) else url),
        title=title,
        text=text,
        author=(getattr(result, "author", None) or None),
        published_at=_parse_date(getattr(result, "date", None)),
    )


def is_article_page(raw: RawItem) -> bool:
    """An HTML page rather than a listing (feed or sitemap), judged by type and, for HTML, by its start.

    Some servers send feeds and sitemaps as ``text/html``, so the body decides when it plainly is XML.
    """
    content_type = next((v for k, v in raw.headers.items() if k.lower() == "content-type"), "")
    if "html" not in content_type.lower() or "xml" in content_type.lower():
        return False
    head = raw.body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    listing_tags = (b"<rss", b"<feed", b"<rdf:rdf", b"<urlset", b"<sitemapindex")
    return not head.startswith(b"<?xml") and not any(tag in head for tag in listing_tags)


def article_page(raw: RawItem, source_id: str) -> Collected:
    """One archived article page as a document again (``monitor replay``)."""
    article = extract_article(raw.body, raw.url)
    if not article.text:
        return Collected(raw_items=[raw], problems=[Problem(source_id, raw.url, "no article in the page")])
    url = canonical_url(raw.url)
    document = Document(
        doc_id=doc_id_for_url(url),
        source_id=source_id,
        platform=Platform.NEWS,
        url=url,
        title=article.title,
        text=article.text,
        author=article.author,
        published_at=article.published_at or raw.fetched_at,
        fetched_at=raw.fetched_at,
    )
    # On replay the page completes the stored item of the listing it was fetched for (see ArticleMerge).
    return Collected(documents=[document], raw_items=[raw], merge=ArticleMerge.ARTICLES)


@dataclass
class ArticleQueue:
    """Items waiting for their article page, fetched a bounded number per collection.

    Items beyond the budget wait for the next collection (the feed or sitemap may answer 304 by then,
    so they are kept here) instead of being stored with a summary that would later be replaced. A page
    that cannot be fetched or holds no article leaves the listing's version, with a warning: nothing is
    lost.
    """

    source_id: str
    fetcher: Fetcher
    budget: int
    waiting: dict[str, Document] = field(default_factory=dict)

    async def enrich(self, collected: Collected, context: CollectContext) -> None:
        """Replace ``collected.documents`` by the items whose article was read this time.

        A page is started only while one fetch deadline is left before the collection's deadline: the
        rest wait for the next collection, so a long queue is worked through over several collections
        instead of being stopped at the deadline every time with nothing stored.
        """
        self.waiting.update((doc.doc_id, doc) for doc in collected.documents)
        ready: list[Document] = []
        taken: dict[str, Document] = {}
        try:
            for doc_id in list(self.waiting)[: self.budget]:
                if context.time_left() < context.crawl.fetch_deadline_seconds:
                    message = f"{len(self.waiting)} article pages left for the next collection: its deadline is near"
                    collected.problems.append(Problem(self.source_id, doc_id, message, severity=Severity.WARNING))
                    break
                document = taken[doc_id] = self.waiting.pop(doc_id)
                await self._read(document, collected, context, ready)
        except asyncio.CancelledError:
            # Stopped at the source's deadline (or shutdown): nothing of this collection is stored, so what
            # it took from the queue waits again, first in line.
            self.waiting = taken | self.waiting
            raise
        collected.documents = ready
        collected.not_modified = collected.not_modified and not ready

    async def _read(
        self, document: Document, collected: Collected, context: CollectContext, ready: list[Document]
    ) -> None:
        try:
            page = await self.fetcher.fetch_url(document.url, context)
        except FetchError as exc:
            message = f"article not fetched, kept the listing's text: {exc.message}"
            collected.problems.append(Problem(self.source_id, document.url, message, severity=Severity.WARNING))
            ready.append(document)
            return
        if page is None:  # unchanged since we last read it: the stored version already has the article
            return
        collected.raw_items.append(page)
        # Extraction is CPU work: in a worker process, so other sources' requests keep flowing meanwhile.
        article: Article = await context.run_cpu(extract_article, page.body, page.url)
        ready.append(self._merge(document, article, collected))

    def _merge(self, document: Document, article: Article, collected: Collected) -> Document:
        """The listed item with the page's article text (and author and title, where the listing had none)."""
        if not article.text:
            message = "no article found in the page; kept the listing's text"
            collected.problems.append(Problem(self.source_id, document.url, message, severity=Severity.WARNING))
            return document
        return merge_article(
            document,
            text=article.text,
            title=article.title,
            author=article.author,
            published_at=article.published_at,
        )
