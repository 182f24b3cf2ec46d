"""Feed discovery (``monitor sources --discover URL``): the feeds a site's page declares, as sources YAML.

The page is read with the crawl's own client and limits (:func:`monitor.outbound.get.fetch_page`); which
links are feeds is the crawlers' knowledge, reached through the plugin registry.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from monitor.errors import ConfigError
from monitor.outbound.get import fetch_page

if TYPE_CHECKING:
    from monitor.context import Monitor


Feeds = list[tuple[str, str]]  # (feed url, title)


def discover_feeds(monitor: Monitor, url: str, *, allow_private_network: bool = False) -> tuple[str, Feeds]:
    """The page's final URL and the ``(feed url, title)`` pairs it declares or links.

    Raises:
        ConfigError: no installed plugin can discover feeds.
        FetchError: the page could not be read.
    """
    discoverer = monitor.registry.feed_discoverer
    if discoverer is None:
        raise ConfigError("no installed plugin can discover feeds")
    page = asyncio.run(fetch_page(monitor.settings.crawl, url, allow_private_network=allow_private_network))
    return page.url, discoverer(page.text, page.url)


def sources_yaml(page_url: str, feeds: Feeds) -> str:
    """``feeds`` as a ``sources:`` list ready to paste into ``configs/sources/<name>.yaml``."""
    lines = [f"# {len(feeds)} feeds found on {page_url}; paste into configs/sources/<name>.yaml\nsources:"]
    site = urlsplit(page_url).hostname or "site"
    lines.extend(
        f"  - type: rss\n    id: {site}-{number}\n"
        f"    name: {json.dumps(title or feed, ensure_ascii=False)}\n    url: {feed}"
        for number, (feed, title) in enumerate(feeds, start=1)
    )
    return "\n".join(lines)
