"""The Retry-After header, read once for the crawler's back-off and the delivery retries."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from crawlers.politeness import retry_delay
from monitor.outbound.retry_after import parse_retry_after

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("Thu, 26 Nov 2026 08:01:30 GMT", 90.0),
        ("Thu, 26 Nov 2026 07:00:00 GMT", 0.0),  # already past: no wait
        ("Thu, 26 Nov 2026 08:00:10", 10.0),  # no zone: read as UTC
        ("ngày mai", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_the_crawler_waits_as_asked_within_its_cap() -> None:
    asked = httpx.Response(503, headers={"Retry-After": "30"})
    assert retry_delay(asked, attempt=1, cap=60) == 30.0
    assert retry_delay(asked, attempt=1, cap=10) is None  # longer than we are willing to wait: give up
    assert retry_delay(httpx.Response(503, headers={"Retry-After": "?"}), attempt=3, cap=60) == 4.0  # back-off
    assert retry_delay(None, attempt=1, cap=60) == 1.0
