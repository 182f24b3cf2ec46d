"""Time-zone names as a validated type (settings, filters and reports all take IANA names)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
"""The zone an install works in unless ``timezone`` in settings.yaml says otherwise: Đồng Nai's."""

DEFAULT_ZONE = ZoneInfo(DEFAULT_TIMEZONE)


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone '{value}' (expected an IANA name such as {DEFAULT_TIMEZONE})") from exc
    return value


ZoneName = Annotated[str, AfterValidator(_known_zone)]
