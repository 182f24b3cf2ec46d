"""What was fetched (:class:`RawItem`) and what was published (:class:`Document`).

Both are frozen pydantic models: stages hand them on, never mutate them. Timestamps are timezone-aware
UTC; a naive timestamp is a programming error and is rejected at construction.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# A fixed namespace so doc_ids are stable across installs and backends.
DOC_ID_NAMESPACE = uuid.UUID("8b1f3c52-6a0e-5d4b-9a57-2f64c0d1e9a3")


def _require_aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware")
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_require_aware_utc)]


def utc_now() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class Platform(StrEnum):
    """Where a document was published."""

    NEWS = "news"
    FACEBOOK = "facebook"
    YOUTUBE = "youtube"
    TELEGRAM = "telegram"
    FORUM = "forum"
    IMPORT = "import"


class Engagement(BaseModel):
    """Public interaction counts as published; ``None`` means the platform did not report it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    likes: int | None = Field(default=None, ge=0)
    comments: int | None = Field(default=None, ge=0)
    shares: int | None = Field(default=None, ge=0)
    views: int | None = Field(default=None, ge=0)

    @property
    def total(self) -> int:
        """Likes + comments + shares (views are reach, not interaction)."""
        return sum(v for v in (self.likes, self.comments, self.shares) if v is not None)


class RawItem(BaseModel):
    """One fetched response or file, exactly as received."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source_id: str
    url: str
    fetched_at: UtcDatetime
    status: int | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    body: bytes = b""

    @property
    def sha256(self) -> str:
        """Content hash of the body, for archives and evidence."""
        return hashlib.sha256(self.body).hexdigest()


class Document(BaseModel):
    """One published item (article, post, comment) after normalization."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    doc_id: str
    source_id: str
    platform: Platform
    url: str
    title: str = ""
    text: str
    lang: str = "und"
    author: str | None = None
    published_at: UtcDatetime
    fetched_at: UtcDatetime
    engagement: Engagement = Field(default_factory=Engagement)
    parent_id: str | None = None
    media_urls: tuple[str, ...] = ()
    channel: str | None = None

    @property
    def content(self) -> str:
        """Title and text together: what scorers and matchers read."""
        return f"{self.title}\n{self.text}" if self.title else self.text


def doc_id_for_url(canonical_url: str) -> str:
    """Stable document id for a web page: uuid5 of its canonical URL."""
    return str(uuid.uuid5(DOC_ID_NAMESPACE, canonical_url.strip()))


def doc_id_for_post(platform: Platform | str, post_id: str) -> str:
    """Stable document id for a platform post: uuid5 of ``platform:post_id``."""
    return str(uuid.uuid5(DOC_ID_NAMESPACE, f"{Platform(platform).value}:{post_id.strip()}"))
