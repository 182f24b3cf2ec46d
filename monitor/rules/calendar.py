"""The holiday calendar (``configs/holidays.yaml``): days whose media volume is not a normal baseline.

Tết and the public holidays change what "usual" means: news desks slow down, social media fills with
greetings, travel and accident reports. Windowed rules that compare a window with a baseline leave
holiday windows out of it (see :class:`monitor.rules.specs.HolidayHandling`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from monitor.config.yamlfile import config_error_from_validation, load_yaml
from monitor.errors import ConfigError

HOLIDAYS_FILE = "holidays.yaml"
MAX_HOLIDAY_DAYS = 31  # a longer span is almost certainly a typo in a year or a month


class Holiday(BaseModel):
    """One holiday: a single ``date`` or the inclusive range ``start`` .. ``end`` (local dates)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    start: date
    end: date | None = None

    @model_validator(mode="after")
    def _sane_range(self) -> Holiday:
        last = self.end or self.start
        if last < self.start:
            raise ValueError(f"end ({last}) is before start ({self.start})")
        if (last - self.start).days + 1 > MAX_HOLIDAY_DAYS:
            raise ValueError(f"a holiday longer than {MAX_HOLIDAY_DAYS} days ({self.start} .. {last}); check the dates")
        return self

    def days(self) -> Iterable[date]:
        day = self.start
        while day <= (self.end or self.start):
            yield day
            day += timedelta(days=1)


class _HolidayFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    holidays: tuple[Holiday, ...] = ()


@dataclass(frozen=True)
class HolidayCalendar:
    """Local dates that are holidays, with their names."""

    names: dict[date, str] = field(default_factory=dict)

    @classmethod
    def of(cls, holidays: Iterable[Holiday]) -> HolidayCalendar:
        names: dict[date, str] = {}
        for holiday in holidays:
            for day in holiday.days():
                names.setdefault(day, holiday.name)
        return cls(names)

    def holiday_on(self, day: date) -> str | None:
        """The holiday's name, or None on an ordinary day."""
        return self.names.get(day)

    def holiday_in(self, start: datetime, end: datetime, tz_offset_seconds: int) -> str | None:
        """The first holiday touched by the UTC interval ``[start, end)``, in local dates."""
        offset = timedelta(seconds=tz_offset_seconds)
        day = (start.astimezone(UTC) + offset).date()
        last = (end.astimezone(UTC) - timedelta(microseconds=1) + offset).date()
        while day <= last:
            name = self.names.get(day)
            if name is not None:
                return name
            day += timedelta(days=1)
        return None


def load_holiday_calendar(config_dir: Path) -> HolidayCalendar:
    """Read ``<config_dir>/holidays.yaml``; no file means no holidays. Errors name the file and line."""
    path = config_dir / HOLIDAYS_FILE
    if not path.is_file():
        return HolidayCalendar()
    document = load_yaml(path)
    if document.data is None:
        return HolidayCalendar()
    if not isinstance(document.data, dict):
        raise ConfigError("expected a mapping with a 'holidays:' list", path=str(path), line=document.line_of(()))
    try:
        parsed = _HolidayFile.model_validate(document.data)
    except ValidationError as exc:
        raise config_error_from_validation(exc, document) from exc
    return HolidayCalendar.of(parsed.holidays)
