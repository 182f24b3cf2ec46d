"""Time-zone names as a validated type (settings, filters and reports all take IANA names)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone '{value}' (expected an IANA name such as Asia/Ho_Chi_Minh)") from exc
    return value


ZoneName = Annotated[str, AfterValidator(_known_zone)]
