"""Finding a site's feeds from its home page: ``<link rel="alternate" type="application/rss+xml">``."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+json", "application/xml"})


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.feeds: list[tuple[str, str]] = []  # (href, title)
        self.anchors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        rels = values.get("rel", "").lower().split()
        if (
            tag == "link"
            and "alternate" in rels
            and values.get("type", "").lower() in FEED_TYPES
            and values.get("href")
        ):
            self.feeds.append((values["href"], values.get("title", "")))
        elif tag == "a" and values.get("href", "").lower().endswith((".rss", "/rss", "/feed", ".xml", "/rss.xml")):
            self.anchors.append(values["href"])


def discover_feeds(html: str, base_url: str) -> list[tuple[str, str]]:
    """Feed URLs (absolute) and titles declared in a page; links that look like feeds come after."""
    collector = _LinkCollector()
    collector.feed(html)
    collector.close()
    found: dict[str, str] = {}
    for href, title in collector.feeds:
        found.setdefault(urljoin(base_url, href), title)
    for href in collector.anchors:
        found.setdefault(urljoin(base_url, href), "")
    return list(found.items())
