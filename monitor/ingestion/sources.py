"""The contract between the pipeline and source adapters (which live in ``crawlers``).

A source turns one kind of outside input (an RSS feed, a JSONL export...) into documents. It reports
everything it could not use as :class:`Problem` records instead of raising, so one broken item never
stops a cycle, and the raw input behind a problem is kept for the quarantine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field

from monitor.config.settings import CrawlSettings
from monitor.ingestion.article_merge import ArticleMerge
from monitor.ingestion.hosts import HostLimiter
from monitor.records import Document, RawItem


class Credibility(StrEnum):
    """Operator-assigned standing of a source; an input to the misinformation score, with its reason."""

    OFFICIAL = "official"  # the province's own channels and state agencies
    ESTABLISHED = "established"  # licensed press
    UNKNOWN = "unknown"  # social media, forums, anything not rated
    LOW = "low"  # sources the office has seen spread false claims before


class SourceSpec(BaseModel):
    """Fields every source has. Each source type extends this with its own, and a ``type`` literal."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str
    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$",
        description="Stable identifier: lower-case letters, digits, '.', '_' and '-'.",
    )
    name: str = ""
    enabled: bool = True
    credibility: Credibility = Credibility.UNKNOWN
    interval_seconds: int | None = Field(default=None, ge=5)
    deadline_seconds: float | None = Field(
        default=None, gt=0, le=86_400, description="Longest one collection may take; crawl.source_deadline_seconds."
    )
    allow_private_network: bool = Field(
        default=False, description="Allow URLs on private, loopback or link-local addresses (intranet sources)."
    )
    respect_robots_txt: bool = True

    @property
    def label(self) -> str:
        return self.name or self.id


class Severity(StrEnum):
    WARNING = "warning"  # the item was kept, with a fallback (e.g. fetch time for a bad date)
    ERROR = "error"  # the item (or the whole fetch) could not be used


@dataclass(frozen=True)
class Problem:
    """Something a source could not use, with where it was and the raw input behind it."""

    source_id: str
    location: str  # URL, "file.jsonl:17", "item 4 (guid ...)"
    message: str
    severity: Severity = Severity.ERROR
    raw: str = ""


@dataclass
class Collected:
    """What one collection from a source produced."""

    documents: list[Document] = field(default_factory=list)
    raw_items: list[RawItem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    not_modified: bool = False
    fetch_failed: bool = False
    # Half of a listing + article-page pair: ``monitor replay`` merges the documents with the stored ones.
    merge: ArticleMerge | None = None


async def _in_thread(function: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.to_thread(function, *args)


@dataclass(frozen=True)
class CollectContext:
    """What a source may use while collecting."""

    http: httpx.AsyncClient
    crawl: CrawlSettings
    config_dir: Path
    now: datetime
    hosts: HostLimiter = field(default_factory=lambda: HostLimiter(2, 0.0))
    # Runs a picklable CPU-bound function (article extraction) off the event loop: in a worker process
    # when the service has them, else in a thread.
    run_cpu: Callable[..., Awaitable[Any]] = field(default=_in_thread)
    # When the collection must be over, in event-loop time (None: no deadline). A source with optional work
    # (article pages) leaves it for the next collection rather than be stopped with nothing to show.
    deadline: float | None = None

    def time_left(self) -> float:
        """Seconds until the collection's deadline (infinite when it has none)."""
        if self.deadline is None:
            return float("inf")
        return self.deadline - asyncio.get_running_loop().time()


class Source(Protocol):
    """A configured source instance; lives as long as the service, so it may keep cursors."""

    @property
    def spec(self) -> SourceSpec: ...

    async def collect(self, context: CollectContext) -> Collected:
        """Fetch and parse; never raise for bad input, report it in ``Collected.problems``."""
        ...

    def parse(self, raw: RawItem) -> Collected:
        """Turn one fetched or archived item into documents and problems (used by ``monitor replay``)."""
        ...

    def rewind(self) -> None:
        """Forget cursors and validators so the next collection reads everything again.

        Called when processing a collection failed, so nothing fetched is lost.
        """
        ...
