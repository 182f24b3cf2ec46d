"""How a listing's item (a feed entry) and its article page make one document: one rule for the crawl
and for ``monitor replay``.

A feed often carries only a summary; with ``fetch_articles`` the crawler reads each item's page and
merges it into the item (``crawlers.articles.ArticleQueue``). The archive keeps the feed and the pages as
separate records, so a replay meets them one at a time: the feed's summary must not replace the article
text stored before, and a page must complete the stored item rather than replace its title and date.
Sources mark such records with :class:`ArticleMerge`, and the replay applies :func:`merge_article`
against what is stored.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from monitor.records import Document


class ArticleMerge(StrEnum):
    """What a replayed record's documents are, when they are one half of a listing + article pair."""

    SUMMARIES = "summaries"  # a listing's items: the stored document may hold their article
    ARTICLES = "articles"  # article pages: the stored document may be the listing's item


def merge_article(
    listed: Document, *, text: str, title: str, author: str | None, published_at: datetime | None
) -> Document:
    """The listed item with its article: the longer text, and the article's title, author and date only
    where the listing had none (its date is the fetch time when the feed gave none)."""
    return listed.model_copy(
        update={
            "text": text if len(text) > len(listed.text) else listed.text,
            "title": listed.title or title,
            "author": listed.author or author,
            "published_at": listed.published_at
            if listed.published_at != listed.fetched_at
            else (published_at or listed.published_at),
        }
    )


def merge_stored(kind: ArticleMerge, replayed: Document, stored: Document) -> Document:
    """``replayed`` (from a record marked ``kind``) merged with the document stored under its id."""
    if kind is ArticleMerge.SUMMARIES:
        listed, article = replayed, stored
    else:
        listed, article = stored, replayed
    return merge_article(
        listed, text=article.text, title=article.title, author=article.author, published_at=article.published_at
    )
