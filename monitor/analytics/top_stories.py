"""The stories (near-duplicate clusters, :mod:`monitor.ingestion.stories`) with the most documents in a period.

The daily report's "Câu chuyện nổi bật" and the console's overview list the same stories, from here.
Headlines come from the researchers' privacy view (pseudonymized), so the list can be shown to every
role that reads documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.analytics.metrics import Period
from monitor.analytics.research import Research
from monitor.config.settings import Settings
from monitor.store.base import DocumentStore

HEADLINE_CHARS = 120


@dataclass(frozen=True)
class TopStory:
    """One story of the period: how many documents, from which sources, and its first document's headline."""

    story_id: str
    headline: str
    size: int
    sources: tuple[str, ...]
    first_published: datetime


def top_stories(settings: Settings, store: DocumentStore, period: Period, limit: int) -> list[TopStory]:
    """Stories with at least 2 documents published in ``period``, largest first, at most ``limit``."""
    research = Research.from_parts(settings, store)
    frame = research.stories(min_size=2, since=period.since, until=period.until).head(limit)
    found = []
    records: list[dict[Any, Any]] = frame.to_dict("records")
    for record in records:
        story_id = str(record["story_id"])
        first = research.story(story_id, limit=1)
        headline = ""
        if len(first):
            headline = str(first.iloc[0]["title"] or first.iloc[0]["text"])[:HEADLINE_CHARS]
        found.append(
            TopStory(
                story_id=story_id,
                headline=headline,
                size=int(record["size"]),
                sources=tuple(str(source) for source in record["sources"]),
                first_published=record["first_published"].to_pydatetime(),
            )
        )
    return found
