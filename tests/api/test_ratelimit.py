"""Rate limiting per API key: token buckets, 429 with Retry-After, /health exempt."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.ratelimit import RateLimiter, retry_after_header
from monitor.access.keys import Role
from monitor.config.settings import ApiSettings
from monitor.context import Monitor
from tests.api.alerting import headers


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock)
    assert [limiter.acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("k") == pytest.approx(1.0)  # one token a second
    assert limiter.acquire("other") == 0.0  # buckets are per key
    clock.now += 0.5
    assert limiter.acquire("k") == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.acquire("k") == 0.0
    clock.now += 3600  # refills up to the burst, not beyond
    assert [limiter.acquire("k") for _ in range(4)][-1] > 0


def test_zero_rate_means_no_limit() -> None:
    limiter = RateLimiter(per_minute=0, burst=1)
    assert not limiter.enabled
    assert all(limiter.acquire("k") == 0.0 for _ in range(100))


def test_retry_after_is_whole_seconds_rounded_up() -> None:
    assert [retry_after_header(w) for w in (0.01, 1.0, 1.2, 59.9)] == ["1", "1", "2", "60"]


def test_idle_buckets_are_dropped_when_there_are_many(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("api.ratelimit.MAX_IDLE_BUCKETS", 3)
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=1, clock=clock)
    for key in ("a", "b", "c"):
        limiter.acquire(key)
    clock.now += 5
    limiter.acquire("d")
    assert limiter.acquire("a") == 0.0  # a fresh (full) bucket
    assert len(limiter._buckets) <= 3


@pytest.fixture
def client(monitor: Monitor) -> Iterator[TestClient]:
    monitor.settings = monitor.settings.model_copy(
        update={"api": ApiSettings(rate_limit_per_minute=6, rate_limit_burst=3)}
    )
    with TestClient(create_app(monitor)) as test_client:
        yield test_client


def test_429_with_retry_after_per_key(client: TestClient, monitor: Monitor) -> None:
    officer = headers(monitor, Role.OFFICER)
    assert [client.get("/alerts", headers=officer).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/alerts", headers=officer)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "10"  # 6 a minute: a token every 10 s
    assert "rate limit of this API key exceeded (3 at once, 6 a minute)" in refused.json()["detail"]
    assert client.get("/me", headers=officer).status_code == 429  # every authenticated endpoint counts
    assert client.get("/alerts", headers=headers(monitor, Role.OFFICER)).status_code == 200  # another key is fine


def test_health_and_unauthenticated_requests_are_not_limited(client: TestClient, monitor: Monitor) -> None:
    assert all(client.get("/health").status_code == 200 for _ in range(10))
    assert all(client.get("/alerts").status_code == 401 for _ in range(5))
