"""Requests to one host are limited in number and spaced, across all the sources that use it."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from crawlers.rss import RssSource, RssSourceSpec
from monitor.config.settings import CrawlSettings
from monitor.ingestion.hosts import HostLimiter
from monitor.ingestion.sources import CollectContext, Collected
from monitor.outbound.transport import outbound_client
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
            async with outbound_client(timeout=5) as http:
                context = CollectContext(
                    http=http, crawl=CrawlSettings(), config_dir=Path("."), now=datetime.now(UTC), hosts=hosts
                )
                return await asyncio.gather(*(source.collect(context) for source in sources))

        results = asyncio.run(run())
    assert all(len(result.documents) == 1 for result in results)
    assert most == 1
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(gaps) == 3
    # Arrival times on the server jitter a little; the exact spacing is checked on the limiter below.
    assert min(gaps) >= 0.1


def test_limiter_spaces_slot_grants_per_host_and_not_across_hosts() -> None:
    granted: list[tuple[str, float]] = []
    hosts = HostLimiter(concurrency=2, min_interval_seconds=0.2)

    async def take(url: str) -> None:
        async with hosts.slot(url):
            granted.append((url, time.monotonic()))

    async def run() -> None:
        await asyncio.gather(*(take(f"https://{host}/p{i}") for i in range(3) for host in ("a.example", "b.example")))

    asyncio.run(run())
    for host in ("a.example", "b.example"):
        times = [t for url, t in granted if host in url]
        assert [later - earlier >= 0.199 for earlier, later in itertools.pairwise(times)] == [True, True]
    first_a = min(t for url, t in granted if "a.example" in url)
    first_b = min(t for url, t in granted if "b.example" in url)
    assert abs(first_a - first_b) < 0.2  # another host does not wait for this one
