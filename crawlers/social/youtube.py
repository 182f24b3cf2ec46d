"""YouTube videos and their comment threads, read through the YouTube Data API v3.

A source follows either a channel's uploads (``channel_id``: ``channels.list`` gives the uploads playlist,
read with ``playlistItems.list``) or a search (``search_query``: ``search.list?type=video``, newest first,
optionally narrowed with ``region_code``/``relevance_language``), for up to ``max_pages`` pages of 50.
The videos are then read with ``videos.list?part=snippet,statistics`` in batches of 50 ids: each becomes
a ``youtube`` document (title, description as text, channel title, views, likes, comment count). The top
comments of each video whose comment count changed since they were last read come from
``commentThreads.list`` (newest first, ``max_comment_pages`` pages of 100), each a document whose
``parent_id`` is the video's doc id. Replies inside threads are not read.

Quota: every call costs 1 unit of the project's daily 10,000, except ``search.list`` at 100. A search
source therefore costs about ``100 × max_pages`` units per collection and should run hourly at most
(``interval_seconds``); a channel source costs a few units plus one per video whose comments changed.
When the quota runs out the collection stops at the first refusal and reports a retryable failure, so the
scheduler backs off until the quota is back.

The API key is read at every collection from the environment variable named by ``key_env`` and sent in
the ``X-Goog-Api-Key`` header, which Google documents as the alternative to the ``key`` query parameter:
a key in the URL would end up in logs, problems and the archive. Every answer is kept as a RawItem with
the key removed from its URL, headers and body; :meth:`YouTubeSource.parse` turns an archived
``videos.list`` or ``commentThreads.list`` answer back into documents (listings carry only ids).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import Any, Literal, cast
from urllib.parse import urlencode, urlsplit

from pydantic import Field, field_validator, model_validator

from crawlers.html_text import html_to_text
from crawlers.social.api import (
    ApiError,
    ApiSession,
    ItemError,
    MalformedResponseError,
    as_array,
    as_object,
    as_text,
    check_api_base,
    fail,
    item_count,
    item_json,
    item_time,
    public_url,
    raw_snippet,
    read_json,
    read_secret,
)
from monitor.errors import FetchError
from monitor.ingestion.sources import CollectContext, Collected, Problem, Severity, Source, SourceSpec
from monitor.records import Document, Engagement, Platform, RawItem, doc_id_for_post

PAGE_SIZE = 50  # the most playlistItems.list, search.list and videos.list return per call
COMMENTS_PER_PAGE = 100  # the most commentThreads.list returns per call
QUOTA_REASONS = frozenset(
    {"quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}
)
# The key itself is refused: invalid, expired, restricted to other referrers/IPs, or the API not enabled.
KEY_REASONS = frozenset(
    {
        "keyInvalid",
        "keyExpired",
        "accessNotConfigured",
        "ipRefererBlocked",
        "API_KEY_INVALID",
        "API_KEY_EXPIRED",
        "API_KEY_SERVICE_BLOCKED",
        "API_KEY_HTTP_REFERRER_BLOCKED",
        "API_KEY_IP_ADDRESS_BLOCKED",
        "SERVICE_DISABLED",
    }
)
THUMBNAIL_SIZES = ("high", "medium", "default")


class YouTubeSourceSpec(SourceSpec):
    """A channel's uploads (``channel_id``) or a search (``search_query``), with a key from the environment."""

    type: Literal["youtube"] = "youtube"
    channel_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    search_query: str | None = Field(default=None, min_length=1, max_length=500)
    region_code: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", description="Search only, e.g. VN.")
    relevance_language: str | None = Field(
        default=None, pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,8})?$", description="Search only, e.g. vi."
    )
    api_base: str = Field(default="https://www.googleapis.com/youtube/v3", description="YouTube Data API root.")
    key_env: str = Field(
        default="MONITOR_YOUTUBE_API_KEY",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Environment variable holding the API key.",
    )
    max_pages: int = Field(default=3, ge=1, le=50, description=f"Pages of {PAGE_SIZE} videos per collection.")
    include_comments: bool = True
    max_comment_pages: int = Field(default=2, ge=1, le=50, description=f"Pages of {COMMENTS_PER_PAGE} per video.")

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str) -> str:
        return check_api_base(value)

    @model_validator(mode="after")
    def _one_selection(self) -> YouTubeSourceSpec:
        if (self.channel_id is None) == (self.search_query is None):
            raise ValueError("give exactly one of 'channel_id' (a channel's uploads) or 'search_query' (a search)")
        if self.channel_id is not None and (self.region_code or self.relevance_language):
            # They would be silently ignored: playlistItems.list has no such filters.
            raise ValueError("'region_code' and 'relevance_language' apply to 'search_query' only")
        return self


def youtube_error(raw: RawItem, payload: dict[str, Any] | None, *, key_env: str) -> ApiError:
    """The ApiError for a YouTube Data API error answer (``{"error": {"code", "message", "errors": [...]}}``)."""
    status = raw.status or 0
    error = as_object(as_object(payload).get("error"))
    reasons = [as_text(as_object(e).get("reason")) for e in as_array(error.get("errors"))]
    reasons += [as_text(as_object(d).get("reason")) for d in as_array(error.get("details"))]
    reasons = [reason for reason in reasons if reason]
    # Messages carry HTML links ("exceeded your <a href=...>quota</a>").
    message = html_to_text(as_text(error.get("message"))) or f"HTTP {status} without an error message"
    quota = [r for r in reasons if r in QUOTA_REASONS]
    if quota or status == 429:
        return ApiError(
            f"YouTube API quota exceeded ({quota[0] if quota else 'HTTP 429'}): {message}; "
            "stopped this collection, the next one tries again",
            retryable=True,
            stops_collection=True,
            reason=quota[0] if quota else "HTTP 429",
            status=status,
        )
    key = [r for r in reasons if r in KEY_REASONS]
    if key or status == 401 or (status in (400, 403) and "API key" in message):
        return ApiError(
            f"the YouTube API key in {key_env} was refused ({key[0] if key else f'HTTP {status}'}: {message}); "
            f"put a valid key in the environment variable {key_env}",
            retryable=False,
            stops_collection=True,
            reason=key[0] if key else f"HTTP {status}",
            status=status,
        )
    reason = reasons[0] if reasons else f"HTTP {status}"
    return ApiError(
        f"YouTube API error HTTP {status} ({reason}) from {raw.url}: {message}",
        retryable=status >= 500,
        reason=reason,
        status=status,
    )


def _thumbnail(snippet: dict[str, Any]) -> str:
    thumbnails = as_object(snippet.get("thumbnails"))
    return next((url for size in THUMBNAIL_SIZES if (url := as_text(as_object(thumbnails.get(size)).get("url")))), "")


def video_document(item: dict[str, Any], source_id: str, fetched_at: datetime) -> tuple[Document, list[str]]:
    """A ``videos.list`` item (snippet and statistics) as a document, with warnings. Raises ItemError."""
    video_id = as_text(item.get("id"))
    if not video_id:
        raise ItemError("video has no 'id'")
    snippet = as_object(item.get("snippet"))
    statistics = as_object(item.get("statistics"))
    title = as_text(snippet.get("title"))
    description = as_text(snippet.get("description"))
    if not title and not description:
        raise ItemError(f"video {video_id} has no title and no description")
    warnings: list[str] = []
    channel = as_text(snippet.get("channelTitle")) or None
    thumbnail = _thumbnail(snippet)
    document = Document(
        doc_id=doc_id_for_post(Platform.YOUTUBE, video_id),
        source_id=source_id,
        platform=Platform.YOUTUBE,
        url=f"https://www.youtube.com/watch?v={video_id}",
        title=title,
        text=description or title,
        author=channel,
        published_at=item_time(snippet.get("publishedAt"), "snippet.publishedAt", fetched_at, warnings),
        fetched_at=fetched_at,
        # Counts are strings in the API; likeCount/commentCount are absent when hidden or disabled.
        engagement=Engagement(
            views=item_count(statistics.get("viewCount"), "statistics.viewCount", warnings),
            likes=item_count(statistics.get("likeCount"), "statistics.likeCount", warnings),
            comments=item_count(statistics.get("commentCount"), "statistics.commentCount", warnings),
        ),
        media_urls=(thumbnail,) if thumbnail else (),
        channel=channel,
    )
    return document, warnings


def comment_document(item: dict[str, Any], source_id: str, fetched_at: datetime) -> tuple[Document, list[str]]:
    """A ``commentThreads.list`` item (its top-level comment) as a document, with warnings. Raises ItemError."""
    thread = as_object(item.get("snippet"))
    top = as_object(thread.get("topLevelComment"))
    comment = as_object(top.get("snippet"))
    comment_id = as_text(top.get("id")) or as_text(item.get("id"))
    video_id = as_text(thread.get("videoId")) or as_text(comment.get("videoId"))
    if not comment_id:
        raise ItemError("comment thread has no 'id'")
    if not video_id:
        raise ItemError(f"comment {comment_id} has no 'videoId'")
    text = as_text(comment.get("textOriginal")) or html_to_text(as_text(comment.get("textDisplay")))
    if not text:
        raise ItemError(f"comment {comment_id} has no text; skipped", Severity.WARNING)
    warnings: list[str] = []
    document = Document(
        doc_id=doc_id_for_post(Platform.YOUTUBE, comment_id),
        source_id=source_id,
        platform=Platform.YOUTUBE,
        url=f"https://www.youtube.com/watch?v={video_id}&lc={comment_id}",
        text=text,
        author=as_text(comment.get("authorDisplayName")) or None,
        published_at=item_time(comment.get("publishedAt"), "publishedAt", fetched_at, warnings),
        fetched_at=fetched_at,
        engagement=Engagement(
            likes=item_count(comment.get("likeCount"), "likeCount", warnings),
            comments=item_count(thread.get("totalReplyCount"), "totalReplyCount", warnings),
        ),
        parent_id=doc_id_for_post(Platform.YOUTUBE, video_id),
    )
    return document, warnings


class YouTubeSource:
    """Collects one channel's uploads or one search; remembers which videos' comments it has read."""

    def __init__(self, spec: YouTubeSourceSpec) -> None:
        self._spec = spec
        self._uploads: str | None = None  # the channel's uploads playlist never changes; one call saved
        # video id → comment count when its comments were last read: unchanged counts are not read again.
        self._comments_read: dict[str, int] = {}

    @property
    def spec(self) -> YouTubeSourceSpec:
        return self._spec

    def rewind(self) -> None:
        self._uploads = None
        self._comments_read.clear()

    def parse(self, raw: RawItem) -> Collected:
        """Documents from one archived ``videos`` or ``commentThreads`` answer; listings hold only ids."""
        try:
            payload = read_json(raw)
        except MalformedResponseError as exc:
            return Collected(raw_items=[raw], problems=[Problem(self._spec.id, raw.url, exc.message, raw=exc.raw_text)])
        documents, problems = self._documents(raw, payload)
        return Collected(documents=[d for _, d in documents], raw_items=[raw], problems=problems)

    def _documents(self, raw: RawItem, payload: dict[str, Any]) -> tuple[list[tuple[str, Document]], list[Problem]]:
        endpoint = urlsplit(raw.url).path.rstrip("/").rsplit("/", 1)[-1]
        if endpoint == "videos":
            build = partial(video_document, source_id=self._spec.id, fetched_at=raw.fetched_at)
        elif endpoint == "commentThreads":
            build = partial(comment_document, source_id=self._spec.id, fetched_at=raw.fetched_at)
        else:
            return [], []  # channels, playlistItems, search: ids to read, no documents
        items = payload.get("items", [])
        if not isinstance(items, list):
            return [], [Problem(self._spec.id, raw.url, "answer has no 'items' list", raw=raw_snippet(raw))]
        documents: list[tuple[str, Document]] = []
        problems: list[Problem] = []
        for index, item in enumerate(items, start=1):
            where = f"{raw.url} item {index}"
            if not isinstance(item, dict):
                problems.append(
                    Problem(self._spec.id, where, f"expected an object, got {type(item).__name__}", raw=item_json(item))
                )
                continue
            item_id = as_text(item.get("id"))
            if item_id:
                where = f"{where} ({item_id})"
            try:
                document, warnings = build(item)
            except ItemError as exc:
                problems.append(Problem(self._spec.id, where, exc.message, severity=exc.severity, raw=item_json(item)))
                continue
            problems.extend(Problem(self._spec.id, where, w, severity=Severity.WARNING) for w in warnings)
            documents.append((item_id, document))
        return documents, problems

    async def collect(self, context: CollectContext) -> Collected:
        collected = Collected()
        location = self._location()
        try:
            key = read_secret(self._spec.key_env, "YouTube API key")
        except FetchError as exc:
            fail(collected, self._spec.id, location, exc)
            return collected
        session = ApiSession(
            source_id=self._spec.id,
            context=context,
            headers={"X-Goog-Api-Key": key},
            secret=key,
            allow_private_network=self._spec.allow_private_network,
            read_error=partial(youtube_error, key_env=self._spec.key_env),
            collected=collected,
        )
        try:
            if self._spec.channel_id is not None:
                video_ids = await self._uploaded_ids(session, self._spec.channel_id, collected)
            else:
                video_ids = await self._searched_ids(session, collected)
            comment_counts = await self._read_videos(session, video_ids, collected)
            if self._spec.include_comments:
                await self._read_all_comments(session, comment_counts, collected)
        except (FetchError, MalformedResponseError) as exc:
            fail(collected, self._spec.id, session.last_url or location, exc)
        return collected

    def _location(self) -> str:
        if self._spec.channel_id is not None:
            return f"{self._spec.api_base}/channels?id={self._spec.channel_id}"
        return f"{self._spec.api_base}/search?{urlencode({'q': self._spec.search_query or ''})}"

    async def _uploaded_ids(self, session: ApiSession, channel_id: str, collected: Collected) -> list[str]:
        if self._uploads is None:
            url = f"{self._spec.api_base}/channels?{urlencode({'part': 'contentDetails', 'id': channel_id})}"
            not_found = ApiError(
                f"YouTube channel '{channel_id}' was not found; check 'channel_id' of source '{self._spec.id}'",
                retryable=False,
                stops_collection=True,
            )
            try:
                _, payload = await session.get(url)
            except ApiError as exc:
                if exc.status == 404:
                    raise not_found from exc
                raise
            channels = [as_object(c) for c in as_array(payload.get("items"))]
            # An unknown id is usually a 200 answer without items, not a 404.
            if not channels:
                raise not_found
            playlists = as_object(as_object(channels[0].get("contentDetails")).get("relatedPlaylists"))
            uploads = as_text(playlists.get("uploads"))
            if not uploads:
                raise ApiError(f"YouTube channel '{channel_id}' has no uploads playlist", retryable=False)
            self._uploads = uploads
        params: dict[str, str | int] = {"part": "contentDetails", "playlistId": self._uploads, "maxResults": PAGE_SIZE}
        try:
            items = await self._pages(session, "playlistItems", params, collected)
        except ApiError as exc:
            if exc.status == 404:
                self._uploads = None  # read the channel again next time
                raise ApiError(
                    f"the uploads playlist of YouTube channel '{channel_id}' was not found ({exc.message})",
                    retryable=False,
                    stops_collection=True,
                ) from exc
            raise
        return _unique(as_text(as_object(item.get("contentDetails")).get("videoId")) for item in items)

    async def _searched_ids(self, session: ApiSession, collected: Collected) -> list[str]:
        params: dict[str, str | int] = {
            "part": "snippet",
            "type": "video",
            "q": self._spec.search_query or "",
            "maxResults": PAGE_SIZE,
            "order": "date",  # monitoring wants what is new, not what is popular
        }
        if self._spec.region_code:
            params["regionCode"] = self._spec.region_code
        if self._spec.relevance_language:
            params["relevanceLanguage"] = self._spec.relevance_language
        items = await self._pages(session, "search", params, collected)
        return _unique(as_text(as_object(item.get("id")).get("videoId")) for item in items)

    async def _pages(
        self, session: ApiSession, endpoint: str, params: dict[str, str | int], collected: Collected
    ) -> list[dict[str, Any]]:
        """Items of up to max_pages pages; a failing first page raises, a later one ends the listing."""
        items: list[dict[str, Any]] = []
        token = ""
        for page in range(self._spec.max_pages):
            query = {**params, "pageToken": token} if token else params
            url = f"{self._spec.api_base}/{endpoint}?{urlencode(query)}"
            try:
                _, payload = await session.get(url)
            except (ApiError, MalformedResponseError) as exc:
                if page == 0 or (isinstance(exc, ApiError) and exc.stops_collection):
                    raise
                collected.problems.append(_problem(self._spec.id, public_url(url), exc, f"page {page + 1}"))
                break
            items.extend(as_object(item) for item in as_array(payload.get("items")))
            token = as_text(payload.get("nextPageToken"))
            if not token:
                break
        return items

    async def _read_videos(self, session: ApiSession, video_ids: list[str], collected: Collected) -> dict[str, int]:
        """Video documents in batches of 50 ids; return each video's comment count (when reported)."""
        counts: dict[str, int] = {}
        for start in range(0, len(video_ids), PAGE_SIZE):
            batch = video_ids[start : start + PAGE_SIZE]
            query = urlencode({"part": "snippet,statistics", "id": ",".join(batch), "maxResults": PAGE_SIZE})
            url = f"{self._spec.api_base}/videos?{query}"
            try:
                raw, payload = await session.get(url)
            except (ApiError, MalformedResponseError) as exc:
                if isinstance(exc, ApiError) and exc.stops_collection:
                    raise
                collected.problems.append(_problem(self._spec.id, public_url(url), exc, f"{len(batch)} videos"))
                continue
            documents, problems = self._documents(raw, payload)
            collected.documents.extend(document for _, document in documents)
            collected.problems.extend(problems)
            counts.update(
                (video_id, document.engagement.comments)
                for video_id, document in documents
                if document.engagement.comments is not None
            )
        return counts

    async def _read_all_comments(self, session: ApiSession, counts: dict[str, int], collected: Collected) -> None:
        try:
            for video_id, count in counts.items():
                # No comments, or none new since the last full read. (A video with comments disabled
                # reports no commentCount at all and never gets here.)
                if count == 0 or self._comments_read.get(video_id) == count:
                    continue
                if await self._read_comments(session, video_id, collected):
                    self._comments_read[video_id] = count
        finally:
            for video_id in [v for v in self._comments_read if v not in counts]:
                del self._comments_read[video_id]

    async def _read_comments(self, session: ApiSession, video_id: str, collected: Collected) -> bool:
        """Read one video's newest comment threads; True when done (nothing to read again until it changes)."""
        params = {
            "part": "snippet",
            "videoId": video_id,
            "maxResults": COMMENTS_PER_PAGE,
            "order": "time",
            "textFormat": "plainText",
        }
        what = f"comments of video {video_id}"
        token = ""
        for _ in range(self._spec.max_comment_pages):
            query = {**params, "pageToken": token} if token else params
            url = f"{self._spec.api_base}/commentThreads?{urlencode(query)}"
            try:
                raw, payload = await session.get(url)
            except ApiError as exc:
                if exc.stops_collection:
                    raise
                if exc.reason == "commentsDisabled":
                    collected.problems.append(
                        Problem(
                            self._spec.id,
                            public_url(url),
                            f"comments are disabled on video {video_id}; its comments were skipped",
                            severity=Severity.WARNING,
                        )
                    )
                    return True  # disabled is an answer: asking again every cycle would only repeat it
                collected.problems.append(_problem(self._spec.id, public_url(url), exc, what))
                return False
            except MalformedResponseError as exc:
                collected.problems.append(_problem(self._spec.id, public_url(url), exc, what))
                return False
            documents, problems = self._documents(raw, payload)
            collected.documents.extend(document for _, document in documents)
            collected.problems.extend(problems)
            token = as_text(payload.get("nextPageToken"))
            if not token:
                break
        return True


def _unique(ids: Iterable[str]) -> list[str]:
    """Non-empty ids in first-seen order (a search can list a video twice across pages)."""
    return list(dict.fromkeys(value for value in ids if value))


def _problem(source_id: str, location: str, error: ApiError | MalformedResponseError, what: str) -> Problem:
    """A problem for a failed request that did not end the collection (``what`` was not read)."""
    raw = error.raw_text if isinstance(error, MalformedResponseError) else ""
    return Problem(source_id, location, f"{what} not read: {error.message}", raw=raw)


def make_youtube_source(spec: SourceSpec) -> Source:
    """Factory for the plugin registry: ``registry.add_source_type("youtube", YouTubeSourceSpec, ...)``."""
    return YouTubeSource(cast(YouTubeSourceSpec, spec))
