"""Lenient parsing of the messy values found in exports: counts like "1.1K", assorted timestamps."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_COUNT = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([kKmMbB]?)\s*$")
_MULTIPLIERS = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}


def parse_count(value: object) -> int | None:
    """``12`` → 12, ``"1.1K"`` → 1100, ``"1,234"`` → 1234, ``""``/``None`` → None; else ValueError."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"negative count {value}")
        return value
    if isinstance(value, float):
        if value < 0 or value != value:  # noqa: PLR0124 - NaN check
            raise ValueError(f"invalid count {value}")
        return int(value)
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{1,3}(,\d{3})+", text):
        return int(text.replace(",", ""))
    match = _COUNT.match(text)
    if not match:
        raise ValueError(f"not a count: {text!r}")
    number = float(match.group(1).replace(",", "."))
    return round(number * _MULTIPLIERS[match.group(2).lower()])


def parse_timestamp(value: object) -> datetime:
    """ISO-8601 (with offset, or ``Z``) or Unix seconds/milliseconds → aware UTC; else ValueError.

    A naive ISO timestamp is rejected: guessing its zone would silently shift events by hours.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError("missing timestamp")
    if isinstance(value, int | float) or (isinstance(value, str) and re.fullmatch(r"\d{9,13}", value.strip())):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000
        return datetime.fromtimestamp(seconds, UTC)
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not an ISO-8601 timestamp: {value!r}") from exc
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no time zone offset")
    return parsed.astimezone(UTC)
