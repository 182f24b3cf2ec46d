"""Requests to one host are limited in number and spaced, across all the sources that use it."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from crawlers.rss import RssSource, RssSourceSpec
from monitor.config.settings import CrawlSettings
from monitor.hosts import HostLimiter
from monitor.sources import CollectContext, Collected
from tests.loopback import Reply, serve

FEED = (Path(__file__).resolve().parents[1] / "fixtures" / "feeds" / "forum-atom.xml").read_bytes()


def test_one_host_gets_one_request_at_a_time_spaced_out() -> None:
    starts: list[float] = []
    in_flight = 0
    most = 0
    lock = threading.Lock()

    def slow_feed(handler: object) -> Reply:
        nonlocal in_flight, most
        with lock:
            starts.append(time.monotonic())
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.05)
        with lock:
            in_flight -= 1
        return Reply(200, FEED, {"Content-Type": "application/atom+xml"})

    routes = {f"/feed{i}": slow_feed for i in range(4)}
    with serve(routes) as server:  # type: ignore[arg-type]
        sources = [
            RssSource(
                RssSourceSpec(
                    id=f"s{i}", url=server.url(f"/feed{i}"), allow_private_network=True, respect_robots_txt=False
                )
            )
            for i in range(4)
        ]
        hosts = HostLimiter(concurrency=1, min_interval_seconds=0.2)

        async def run() -> list[Collected]:
            async with httpx.AsyncClient(timeout=5) as http:
                context = CollectContext(
                    http=http, crawl=CrawlSettings(), config_dir=Path("."), now=datetime.now(UTC), hosts=hosts
                )
                return await asyncio.gather(*(source.collect(context) for source in sources))

        results = asyncio.run(run())
    assert all(len(result.documents) == 1 for result in results)
    assert most == 1
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(gaps) == 3
    assert min(gaps) >= 0.19  # each request started at least the configured interval after the previous
