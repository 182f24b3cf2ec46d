"""Alert rule specifications, one class per ``type``, loaded from ``configs/rules/*.yaml``."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from monitor import query as query_syntax
from monitor.analysis import SentimentLabel
from monitor.durations import DurationSeconds
from monitor.errors import ConfigError, QueryError
from monitor.records import Platform


class AlertSeverity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


def _valid_query(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        query_syntax.parse(value)
    except QueryError as exc:
        raise ValueError(f"invalid query: {exc.reason} at position {exc.position}") from exc
    return value


class RuleSpec(BaseModel):
    """Fields every rule has."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    name: str = ""
    description: str = ""
    severity: AlertSeverity = AlertSeverity.MEDIUM
    enabled: bool = True
    sources: tuple[str, ...] = ()
    platforms: tuple[Platform, ...] = ()

    @property
    def label(self) -> str:
        return self.name or self.id


class WatchRuleSpec(RuleSpec):
    """Fires for documents matching a query; matches within ``group_window`` share one alert."""

    type: Literal["watch"] = "watch"
    query: str
    group_window: DurationSeconds = Field(default=6 * 3600, description="Event-time window per alert.")

    _check_query = field_validator("query")(_valid_query)


class MisinformationRuleSpec(RuleSpec):
    """Fires for documents whose misinformation score reaches ``threshold``.

    Documents matching the same registered claim share one alert; others get one alert each.
    """

    type: Literal["misinformation"] = "misinformation"
    threshold: float = Field(default=0.6, ge=0.0, le=1.0)


class SpikeRuleSpec(RuleSpec):
    """Fires when a window holds many more matching documents than the windows before it."""

    type: Literal["spike"] = "spike"
    query: str | None = None
    sentiments: tuple[SentimentLabel, ...] = (SentimentLabel.NEGATIVE,)
    topics: tuple[str, ...] = ()
    window: DurationSeconds = 6 * 3600
    baseline_windows: int = Field(
        default=28, ge=1, le=1000, description="How many preceding windows form the baseline."
    )
    factor: float = Field(default=3.0, ge=1.0, description="Window count must reach factor x baseline mean.")
    min_count: int = Field(default=10, ge=1, description="Guard against tiny numbers (2 vs 0).")

    _check_query = field_validator("query")(_valid_query)


AnyRuleSpec = WatchRuleSpec | MisinformationRuleSpec | SpikeRuleSpec

RULE_TYPES: dict[str, type[RuleSpec]] = {
    "watch": WatchRuleSpec,
    "misinformation": MisinformationRuleSpec,
    "spike": SpikeRuleSpec,
}


def rule_spec_class(type_name: str) -> type[RuleSpec]:
    """The spec class for a rule ``type``, or a ConfigError listing the known types."""
    try:
        return RULE_TYPES[type_name]
    except KeyError:
        raise ConfigError(f"unknown rule type '{type_name}' (known: {', '.join(sorted(RULE_TYPES))})") from None
