"""Registers the crawler package's source types with the monitor (entry point ``monitor.plugins``)."""

from __future__ import annotations

from typing import cast

from crawlers.csv_import import CsvSource, CsvSourceSpec
from crawlers.discovery import discover_feeds
from crawlers.jsonl_import import JsonlSource, JsonlSourceSpec
from crawlers.rss import RssSource, RssSourceSpec
from crawlers.sitemap import SitemapSource, SitemapSourceSpec
from crawlers.social.facebook import FacebookPageSourceSpec, make_facebook_source
from crawlers.social.telegram import TelegramChannelSource, TelegramChannelSourceSpec
from crawlers.social.youtube import YouTubeSourceSpec, make_youtube_source
from monitor.ingestion.registry import Registry
from monitor.ingestion.sources import Source, SourceSpec


def _rss(spec: SourceSpec) -> Source:
    return RssSource(cast(RssSourceSpec, spec))


def _jsonl(spec: SourceSpec) -> Source:
    return JsonlSource(cast(JsonlSourceSpec, spec))


def _csv(spec: SourceSpec) -> Source:
    return CsvSource(cast(CsvSourceSpec, spec))


def _sitemap(spec: SourceSpec) -> Source:
    return SitemapSource(cast(SitemapSourceSpec, spec))


def _telegram(spec: SourceSpec) -> Source:
    return TelegramChannelSource(cast(TelegramChannelSourceSpec, spec))


def register(registry: Registry) -> None:
    registry.add_source_type("rss", RssSourceSpec, _rss)
    registry.add_source_type("jsonl", JsonlSourceSpec, _jsonl)
    registry.add_source_type("csv", CsvSourceSpec, _csv)
    registry.add_source_type("sitemap", SitemapSourceSpec, _sitemap)
    registry.add_source_type("telegram_channel", TelegramChannelSourceSpec, _telegram)
    registry.add_source_type("facebook_page", FacebookPageSourceSpec, make_facebook_source)
    registry.add_source_type("youtube", YouTubeSourceSpec, make_youtube_source)
    registry.feed_discoverer = discover_feeds
