"""Durations as operators write them, with a bound so no date arithmetic can overflow."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from monitor.durations import MAX_DURATION_SECONDS, parse_duration


def test_durations_in_every_unit() -> None:
    assert [parse_duration(v) for v in ("90s", "30m", "6h", "7d", "2w", 45)] == [
        90,
        1800,
        21_600,
        604_800,
        1_209_600,
        45,
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("99999999999999999999d", "at most 36500d (100 years), got '99999999999999999999d'"),
        ("100000000d", "at most 36500d (100 years), got '100000000d'"),
        ("9" * 5000 + "s", "at most 36500d (100 years), got '9999999999"),
        (10**30, "at most 36500d (100 years)"),
        ("0s", "must be positive"),
        ("x" * 10_000, "got 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'"),
    ],
)
def test_out_of_range_durations_are_clear_errors(value: str | int, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        parse_duration(value)
    assert len(str(caught.value)) < 120  # a huge value is never echoed whole


def test_the_longest_duration_still_makes_a_date() -> None:
    assert parse_duration("36500d") == MAX_DURATION_SECONDS
    assert datetime(2026, 12, 1, tzinfo=UTC) - timedelta(seconds=MAX_DURATION_SECONDS) > datetime(
        1900, 1, 1, tzinfo=UTC
    )
