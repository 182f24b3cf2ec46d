"""Campaign tracking (issue #8): how a communication campaign did, from ``configs/campaigns.yaml``.

A campaign is the office's own push on a theme: hashtags and keywords that mark its conversation,
official pages that speak for it, and the days it runs. :func:`campaign_report` measures its reach
(documents and engagement), how people reacted (sentiment of the documents not posted by the official
pages), its share of voice against everything else said in the same days, and the same figures for a
period of the same length before and after it, so a rise can be told apart from the usual level.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor import query as query_syntax
from monitor.analysis import AnalyzedDocument, SentimentLabel
from monitor.analytics.metrics import EngagementCounter, EngagementTotals, Period, narrowed
from monitor.analytics.research import iter_documents
from monitor.config.yamlfile import config_error_from_validation, load_yaml
from monitor.errors import ConfigError, NotFoundError, QueryError
from monitor.store.base import DocumentFilter, DocumentStore

CAMPAIGNS_FILE = "campaigns.yaml"
_HASHTAG = re.compile(r"^#\w+$")
PhaseName = Literal["before", "during", "after"]


class CampaignSpec(BaseModel):
    """One campaign: what marks its conversation, who speaks for it, and when it runs (local dates)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    name: str = Field(min_length=1)
    description: str = ""
    hashtags: tuple[str, ...] = ()
    keywords: tuple[str, ...] = Field(default=(), description="Words or phrases, matched accent-insensitively.")
    official_pages: tuple[str, ...] = Field(default=(), description="Source ids or page/channel names.")
    start: date
    end: date = Field(description="The last day of the campaign (inclusive).")

    @field_validator("hashtags")
    @classmethod
    def _hashtags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for tag in value:
            if not _HASHTAG.match(tag):
                raise ValueError(f"hashtag {tag!r} must be '#' followed by letters or digits")
        return value

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for keyword in value:
            if not keyword.strip() or '"' in keyword:
                raise ValueError(f"keyword {keyword!r} must be non-blank and contain no '\"'")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CampaignSpec:
        if not self.hashtags and not self.keywords:
            raise ValueError("a campaign needs at least one hashtag or keyword")
        if self.end < self.start:
            raise ValueError("'end' is before 'start'")
        try:  # at load time, not when a report runs: too many keywords for the query limits, a word of emoji
            query_syntax.parse(self.query())
        except QueryError as exc:
            raise ValueError(f"hashtags and keywords do not make a valid search: {exc.reason}") from None
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def query(self) -> str:
        """The search query of the campaign's conversation (any hashtag or keyword).

        The store's words are folded tokens, where ``#LeHoi`` is the word ``lehoi``: a hashtag is searched
        as that one word, so it also finds the tag written without ``#``.
        """
        terms = [f'"{tag[1:]}"' for tag in self.hashtags] + [f'"{keyword.strip()}"' for keyword in self.keywords]
        return " OR ".join(terms)

    def period(self, zone: ZoneInfo) -> Period:
        return Period.of_days(self.start, self.days, zone)

    def is_official(self, item: AnalyzedDocument) -> bool:
        """Posted by one of the official pages: by source id, channel, or the page's name as author."""
        pages = {page.casefold() for page in self.official_pages}
        doc = item.document
        return any(
            value is not None and value.casefold() in pages for value in (doc.source_id, doc.channel, doc.author)
        )


class CampaignsFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    campaigns: tuple[CampaignSpec, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> CampaignsFile:
        ids = [campaign.id for campaign in self.campaigns]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"campaign id(s) used twice: {', '.join(duplicates)}")
        return self


def load_campaigns(config_dir: Path) -> dict[str, CampaignSpec]:
    """Read ``<config_dir>/campaigns.yaml`` (id → campaign); a missing file means no campaign."""
    path = config_dir / CAMPAIGNS_FILE
    if not path.exists():
        return {}
    document = load_yaml(path)
    data = document.data or {}
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping with 'campaigns:'", path=str(path))
    try:
        parsed = CampaignsFile.model_validate(data)
    except ValidationError as exc:
        raise config_error_from_validation(exc, document) from exc
    return {campaign.id: campaign for campaign in parsed.campaigns}


def find_campaign(config_dir: Path, campaign_id: str) -> CampaignSpec:
    """One configured campaign, or :class:`NotFoundError` naming the ones there are."""
    campaigns = load_campaigns(config_dir)
    if campaign_id not in campaigns:
        known = ", ".join(sorted(campaigns)) or "none configured"
        raise NotFoundError(f"no campaign '{campaign_id}' in {CAMPAIGNS_FILE} ({known})")
    return campaigns[campaign_id]


class PhaseFigures(BaseModel):
    """The campaign's figures over one period (before, during or after)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    phase: PhaseName
    period: Period
    documents: int
    official: int
    reactions: int
    engagement: EngagementTotals
    reaction_sentiment: dict[str, int] = Field(description="Sentiment label → reactions (non-official documents).")
    conversation: int = Field(description="Every document of the same period (the whole conversation).")

    @property
    def share_of_voice(self) -> float:
        return self.documents / self.conversation if self.conversation else 0.0

    @property
    def reaction_index(self) -> float | None:
        """(positive − negative) / reactions, None without reactions."""
        if not self.reactions:
            return None
        positive = self.reaction_sentiment.get(SentimentLabel.POSITIVE.value, 0)
        negative = self.reaction_sentiment.get(SentimentLabel.NEGATIVE.value, 0)
        return (positive - negative) / self.reactions


class CampaignReport(BaseModel):
    """Before, during and after: three periods of the campaign's length."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    campaign: CampaignSpec
    query: str
    before: PhaseFigures
    during: PhaseFigures
    after: PhaseFigures

    @property
    def phases(self) -> tuple[PhaseFigures, PhaseFigures, PhaseFigures]:
        return self.before, self.during, self.after


def phase_figures(
    store: DocumentStore, campaign: CampaignSpec, phase: PhaseName, period: Period, base: DocumentFilter
) -> PhaseFigures:
    """One period's figures; the campaign's documents are streamed once (engagement and who posted)."""
    conversation = period.restrict(base)
    matching = narrowed(conversation, campaign.query())
    counter = EngagementCounter()
    official = 0
    sentiment = {label.value: 0 for label in SentimentLabel}
    for page in iter_documents(store, matching):
        for item in page:
            counter.add(item)
            if campaign.is_official(item):
                official += 1
            else:
                sentiment[item.analysis.sentiment.label.value] += 1
    totals = counter.result()
    return PhaseFigures(
        phase=phase,
        period=period,
        documents=totals.documents,
        official=official,
        reactions=totals.documents - official,
        engagement=totals,
        reaction_sentiment=sentiment,
        conversation=store.count(conversation),
    )


def campaign_report(
    store: DocumentStore, campaign: CampaignSpec, zone: ZoneInfo, base: DocumentFilter | None = None
) -> CampaignReport:
    """Reach, reactions and share of voice of ``campaign`` before, during and after it runs.

    Args:
        store: Any document store.
        campaign: The campaign (its dates are local dates in ``zone``).
        zone: The install's time zone.
        base: Narrows the whole conversation (e.g. to some platforms); default: every document.
    """
    during = campaign.period(zone)
    conversation = base or DocumentFilter(timezone=str(zone))
    return CampaignReport(
        campaign=campaign,
        query=campaign.query(),
        before=phase_figures(store, campaign, "before", during.shifted(-1), conversation),
        during=phase_figures(store, campaign, "during", during, conversation),
        after=phase_figures(store, campaign, "after", during.shifted(1), conversation),
    )
