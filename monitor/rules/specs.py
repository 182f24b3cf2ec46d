"""Alert rule specifications, one class per ``type``, loaded from ``configs/rules/*.yaml``.

The per-document rule ``misinformation`` looks at each new document. Windowed rules (``watch``, ``spike``,
``threshold``, ``negative_share``, ``trending_story``) read stored documents per event-time window.
``source_silence`` runs on the schedule and looks for sources that stopped publishing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from monitor import query as query_syntax
from monitor.alerting.types import AlertSeverity
from monitor.analysis import SentimentLabel
from monitor.durations import DurationSeconds, format_duration
from monitor.errors import QueryError
from monitor.records import Platform
from monitor.text import tokens as fold_tokens

DAY_SECONDS = 86_400
WEEK_DAYS = 7


STORED_AS_IS = "stored_as_is"
"""Validation context key: read a saved rule without checking its query (to report one being deleted)."""


def _valid_query(value: str | None, info: ValidationInfo) -> str | None:
    if value is None or (info.context or {}).get(STORED_AS_IS):
        return value
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


def _phrases(value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
    for phrase in value:
        if not fold_tokens(phrase):
            raise ValueError(f"{info.field_name}: phrase {phrase!r} has no words")
    return value


class EvidenceStep(BaseModel):
    """One step of a watch rule's severity ladder: every threshold given must be reached.

    ``documents``: matching documents in the alert; ``outlets``: distinct (source, platform) pairs they
    come from; ``engagement``: likes + comments + shares summed over them; ``from_sources``: at least one
    of the documents comes from one of these sources (an official or high-reach source).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    severity: AlertSeverity
    documents: int = Field(default=1, ge=1)
    outlets: int = Field(default=1, ge=1)
    engagement: int = Field(default=0, ge=0)
    from_sources: tuple[str, ...] = ()


DEFAULT_EVIDENCE = (
    EvidenceStep(severity=AlertSeverity.MEDIUM, documents=3),
    EvidenceStep(severity=AlertSeverity.HIGH, documents=10, outlets=3),
)
"""Low for a document or two, medium from three, high from ten spread over three outlets."""


class WatchRuleSpec(RuleSpec):
    """Fires for documents matching a query in context; matches close in time share one alert.

    A document counts when the query matches and: it carries one of ``topics`` (if given); one of
    ``requires_any`` appears in it (within ``near`` words of a query hit, if given); none of ``excludes``
    appears in it; and at least one query hit is not negated (a negation cue such as "không", "chưa",
    "ko", or a word of ``not_after``, one or two words before it), unless ``count_negated``.
    Matches in consecutive ``group_window`` windows form one episode and one alert, whose severity is
    the highest ``evidence`` step its documents reach (never below ``severity``).
    """

    type: Literal["watch"] = "watch"
    severity: AlertSeverity = AlertSeverity.LOW
    query: str
    group_window: DurationSeconds = Field(default=6 * 3600, description="Event-time window per alert.")
    topics: tuple[str, ...] = Field(default=(), description="The document must carry one of these topics.")
    requires_any: tuple[str, ...] = Field(default=(), description="One of these phrases must appear too.")
    near: int | None = Field(
        default=None, ge=1, le=200, description="requires_any must be within this many words of a query hit."
    )
    excludes: tuple[str, ...] = Field(default=(), description="Any of these phrases vetoes the document.")
    not_after: tuple[str, ...] = Field(
        default=(), description="Words that, like a negation, cancel a hit right after them ('chống ngập')."
    )
    count_negated: bool = Field(default=False, description="Count hits after a negation cue too.")
    evidence: tuple[EvidenceStep, ...] = Field(
        default=DEFAULT_EVIDENCE, description="Severity steps by evidence; the highest reached wins."
    )

    _check_query = field_validator("query")(_valid_query)
    _check_phrases = field_validator("requires_any", "excludes", "not_after")(_phrases)

    @model_validator(mode="after")
    def _near_needs_phrases(self) -> WatchRuleSpec:
        if self.near is not None and not self.requires_any:
            raise ValueError("near needs requires_any (the phrases that must be near a query hit)")
        return self


class MisinformationRuleSpec(RuleSpec):
    """Fires for documents whose misinformation score reaches ``threshold``.

    Documents matching the same registered claim share one alert; others get one alert each.
    """

    type: Literal["misinformation"] = "misinformation"
    threshold: float = Field(default=0.6, ge=0.0, le=1.0)


class WindowedRuleSpec(RuleSpec):
    """A rule evaluated per event-time window (aligned in local time); one alert per window or per key."""

    window: DurationSeconds = 6 * 3600
    query: str | None = None
    sentiments: tuple[SentimentLabel, ...] = ()
    topics: tuple[str, ...] = ()

    _check_query = field_validator("query")(_valid_query)


class BaselineKind(StrEnum):
    PRECEDING = "preceding"  # the windows right before
    SAME_HOUR = "same_hour"  # the same hours of the previous days


class CompareDays(StrEnum):
    ALL_DAYS = "all_days"
    SAME_WEEKDAY = "same_weekday"


class HolidayHandling(StrEnum):
    EXCLUDE = "exclude"  # holiday windows never form a baseline (configs/holidays.yaml)
    IGNORE = "ignore"  # the calendar is not consulted


class SpikeRuleSpec(WindowedRuleSpec):
    """Fires when a window holds many more matching documents than comparable windows before it.

    ``baseline: preceding`` compares with the ``baseline_windows`` windows right before; ``baseline:
    same_hour`` with the same hours of each of the last ``baseline_days`` days, and with ``compare:
    same_weekday`` only those on the same weekday. Windows on holidays never count in a baseline
    (``holidays: exclude``): the baseline reaches further back instead, so Tết neither hides a spike
    the week after nor inflates the normal level.
    """

    type: Literal["spike"] = "spike"
    sentiments: tuple[SentimentLabel, ...] = (SentimentLabel.NEGATIVE,)
    baseline: BaselineKind = BaselineKind.PRECEDING
    baseline_windows: int = Field(
        default=28, ge=1, le=1000, description="How many preceding windows form the baseline (baseline: preceding)."
    )
    baseline_days: int = Field(
        default=14, ge=1, le=90, description="How many previous days form the baseline (baseline: same_hour)."
    )
    compare: CompareDays = CompareDays.ALL_DAYS
    holidays: HolidayHandling = HolidayHandling.EXCLUDE
    factor: float = Field(default=3.0, ge=1.0, description="Window count must reach factor x baseline mean.")
    min_count: int = Field(default=10, ge=1, description="Guard against tiny numbers (2 vs 0).")

    @model_validator(mode="after")
    def _baseline_fits_the_window(self) -> SpikeRuleSpec:
        if self.compare is CompareDays.SAME_WEEKDAY and self.baseline is not BaselineKind.SAME_HOUR:
            raise ValueError("compare: same_weekday needs baseline: same_hour (the same hours on the same weekday)")
        if self.baseline is BaselineKind.SAME_HOUR and DAY_SECONDS % self.window:
            raise ValueError(
                "baseline: same_hour needs a window that divides a day (1h, 2h, 3h, 4h, 6h, 8h, 12h or 1d), "
                f"got {format_duration(self.window)}"
            )
        if self.compare is CompareDays.SAME_WEEKDAY and self.baseline_days < WEEK_DAYS:
            raise ValueError(
                f"compare: same_weekday needs baseline_days of at least 7 (got {self.baseline_days}); "
                "28 compares with the same weekday of the last four weeks"
            )
        return self


class ThresholdRuleSpec(WindowedRuleSpec):
    """Fires when a window holds at least ``min_count`` matching documents; one alert per window."""

    type: Literal["threshold"] = "threshold"
    min_count: int = Field(ge=1, description="Documents in one window that make an alert.")


class NegativeShareRuleSpec(WindowedRuleSpec):
    """Fires when negative documents make up at least ``min_share`` of a watch target's documents in a window.

    ``min_count`` documents must match the target first, so two complaints out of three never fire.
    """

    type: Literal["negative_share"] = "negative_share"
    query: str
    min_share: float = Field(gt=0.0, le=1.0, description="Share of negative documents, 0.6 = 60%.")
    min_count: int = Field(default=10, ge=1, description="Documents matching the target before a share counts.")

    @field_validator("sentiments")
    @classmethod
    def _no_sentiment_filter(cls, value: tuple[SentimentLabel, ...]) -> tuple[SentimentLabel, ...]:
        if value:
            raise ValueError("negative_share counts every sentiment of the target; remove 'sentiments'")
        return value


class TrendingStoryRuleSpec(WindowedRuleSpec):
    """Fires when one story cluster gains ``min_new_members`` documents in a window from ``min_sources``
    distinct sources; one alert per story, growing as the story does."""

    type: Literal["trending_story"] = "trending_story"
    min_new_members: int = Field(default=5, ge=2, description="New documents of one story in one window.")
    min_sources: int = Field(default=2, ge=1, description="Distinct sources among those new documents.")

    @model_validator(mode="after")
    def _sources_can_be_reached(self) -> TrendingStoryRuleSpec:
        if self.min_sources > self.min_new_members:
            raise ValueError(
                f"min_sources ({self.min_sources}) cannot exceed min_new_members ({self.min_new_members}): "
                "each document has one source"
            )
        return self


class SourceSilenceRuleSpec(RuleSpec):
    """Fires when a source that normally publishes has published nothing for longer than ``gap``.

    "Normally" means a median of at least ``min_daily`` documents per local day over the ``baseline_days``
    days before its last document. Evaluated on the schedule; one alert per source and silence.
    """

    type: Literal["source_silence"] = "source_silence"
    gap: DurationSeconds = Field(default=DAY_SECONDS, description="Silence longer than this fires.")
    baseline_days: int = Field(default=14, ge=3, le=90)
    min_daily: float = Field(default=1.0, gt=0.0, description="Median documents per day that makes a source 'active'.")

    @field_validator("gap")
    @classmethod
    def _gap_at_least_an_hour(cls, value: int) -> int:
        if value < 3600:
            raise ValueError(f"gap must be at least 1h (got {format_duration(value)}): shorter gaps are ordinary")
        return value
