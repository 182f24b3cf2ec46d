"""Durations written the way operators write them: ``90s``, ``30m``, ``6h``, ``7d``, ``2w``."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
MAX_DURATION_SECONDS = 36_500 * 86_400
"""100 years: longer than any window, back-off or look-back, and "now" minus it is still a valid date."""
_ECHO = 40  # characters of a refused value quoted back in the message


def _quoted(value: str) -> str:
    return repr(value if len(value) <= _ECHO else value[:_ECHO] + "…")


def _bounded(seconds: int, written: str) -> int:
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    if seconds > MAX_DURATION_SECONDS:
        limit = format_duration(MAX_DURATION_SECONDS)
        raise ValueError(f"a duration must be at most {limit} (100 years), got {written}")
    return seconds


def parse_duration(value: str | int) -> int:
    """Return seconds for ``"6h"``-style text (or an int of seconds); raise ValueError otherwise.

    Durations are positive and at most :data:`MAX_DURATION_SECONDS`, so date arithmetic with them
    (``now - duration``, buckets, SQL integers) cannot overflow.
    """
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '30m', '6h' or '7d'")
    if isinstance(value, int):
        return _bounded(value, _quoted(f"{value}s"))
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"expected a duration such as '30m', '6h' or '7d', got {_quoted(value)}")
    digits = match.group(1)
    if len(digits) > len(str(MAX_DURATION_SECONDS)):  # a bound without turning a huge number into an int
        return _bounded(MAX_DURATION_SECONDS + 1, _quoted(value.strip()))
    return _bounded(int(digits) * _UNITS[match.group(2)], _quoted(value.strip()))


def _coerce(value: Any) -> int:
    if isinstance(value, str | int):
        return parse_duration(value)
    raise ValueError("expected a duration such as '30m', '6h' or '7d'")


def format_duration(seconds: int) -> str:
    """Inverse of :func:`parse_duration` for the largest exact unit (``21600`` → ``6h``)."""
    for unit, size in sorted(_UNITS.items(), key=lambda item: -item[1]):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


DurationSeconds = Annotated[int, BeforeValidator(_coerce)]
