"""Article pages reduced to main text, title, publication time, author and canonical URL (trafilatura).

Feeds often carry only a summary; the page behind each item carries the article. A well-kept extraction
library removes navigation, ads and boilerplate far better than hand-written rules, and it decodes pages
in legacy encodings from their declared or detected charset. Extraction never raises for a bad page:
``None`` fields mean "not found", and an empty text means the page had no article.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import trafilatura

from crawlers.urls import canonical_url

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


def extract_article(body: bytes, url: str) -> Article:
    """The article in an HTML page (bytes, any encoding) fetched from ``url``."""
    result = trafilatura.bare_extraction(
        body,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        date_extraction_params={"outputformat": DATE_FORMAT, "original_date": True, "extensive_search": False},
    )
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
