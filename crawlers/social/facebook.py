"""Facebook Page posts and their comments, read through the Graph API.

A collection reads the page's posts (``/{page-id}/posts``), newest first, following the cursor in
``paging.next`` for up to ``max_pages`` pages, then the comments (``/{post-id}/comments``, newest first, up to
``max_comments_per_post``) of every post whose comment count changed since its comments were last read
in full. Posts and comments become ``facebook`` documents; a comment's ``parent_id`` is its post's doc id.
A post without a message keeps its photo caption or its story as text; with neither, it is skipped with a
warning (there is nothing to analyse).

The access token is read at every collection from the environment variable named by ``token_env`` —
never from the configuration files — and sent in the ``Authorization`` header, as in Meta's own
examples, rather than in the ``access_token`` query parameter: URLs end up in logs (httpx logs every
request at INFO), in problems shown through the API and in the archive. Every answer is kept as a
:class:`RawItem` (the pipeline archives it as WARC evidence, and :meth:`FacebookPageSource.parse` turns it
back into documents for ``monitor replay``) with the token removed from its URL, headers and body.

Errors: an expired or invalid token (code 190) is a permanent failure naming the variable; a rate limit
or quota (codes 4, 17, 32, 613...) or usage headers near 100 % end the collection at once as a retryable
failure, so the source backs off instead of hammering the API; any other error on a comment page is
reported and the other posts carry on.

The HTTP plumbing shared with :mod:`crawlers.social.youtube` lives in :mod:`crawlers.social.api`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Literal, cast
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

from pydantic import Field, field_validator

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
    with_query,
)
from monitor.errors import FetchError
from monitor.ingestion.sources import CollectContext, Collected, Problem, Severity, Source, SourceSpec
from monitor.records import Document, Engagement, Platform, RawItem, doc_id_for_post

POSTS_PER_PAGE = 25
COMMENTS_PER_PAGE = 100
# Extra comment pages allowed beyond what max_comments_per_post needs: Graph may return thinned or even
# empty pages (privacy filtering) that still have a next link; the cap keeps a looping cursor finite.
_SPARE_COMMENT_PAGES = 2
# reactions/comments .limit(0): only the totals, not the reacting people.
POST_FIELDS = (
    "id,message,story,created_time,permalink_url,full_picture,from{id,name},shares,"
    "attachments{media_type,title,description},"
    "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
)
COMMENT_FIELDS = "id,message,created_time,permalink_url,from{id,name},like_count,comment_count,attachment{description}"
TOKEN_CODES = frozenset({190, 102})  # 190: access token expired or invalid; 102: API session (same remedy)
# Throttling: 4 app, 17 user, 32 page, 613 custom rate limit, 341 app limit, 80001 page business use case.
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 341, 80001})
TRANSIENT_CODES = frozenset({1, 2})
# Graph reports usage in percent of the rate limit in these headers; near the limit we stop early.
USAGE_HEADERS = ("x-app-usage", "x-page-usage", "x-business-use-case-usage")
USAGE_KEYS = frozenset({"call_count", "total_cputime", "total_time"})
USAGE_STOP_PERCENT = 95


class FacebookPageSourceSpec(SourceSpec):
    """A Facebook Page read through the Graph API with a token from the environment."""

    type: Literal["facebook_page"] = "facebook_page"
    page_id: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$", description="Numeric page id or the page's username."
    )
    api_base: str = Field(default="https://graph.facebook.com/v19.0", description="Graph API root, with version.")
    token_env: str = Field(
        default="MONITOR_FACEBOOK_TOKEN",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Environment variable holding the page access token.",
    )
    max_pages: int = Field(default=5, ge=1, le=100, description=f"Pages of {POSTS_PER_PAGE} posts per collection.")
    include_comments: bool = True
    max_comments_per_post: int = Field(default=100, ge=1, le=10_000)

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str) -> str:
        return check_api_base(value)


def graph_error(raw: RawItem, payload: dict[str, Any] | None, *, token_env: str) -> ApiError:
    """The ApiError for a Graph API error answer (``{"error": {"message", "type", "code", ...}}``)."""
    status = raw.status or 0
    error = as_object(as_object(payload).get("error"))
    if not error:
        return ApiError(
            f"Facebook API answered HTTP {status} from {raw.url} without an error object",
            retryable=status == 429 or status >= 500,
            stops_collection=status == 429,
            status=status,
        )
    code = error.get("code")
    subcode = error.get("error_subcode")
    detail = f"code {code}" + (f", subcode {subcode}" if subcode else "")
    message = as_text(error.get("message")) or "no message"
    if code in TOKEN_CODES:
        return ApiError(
            f"the Facebook access token in {token_env} has expired or is invalid ({detail}: {message}); "
            f"put a new page access token in the environment variable {token_env}",
            retryable=False,
            stops_collection=True,
            reason=f"code {code}",
            status=status,
        )
    if code in RATE_LIMIT_CODES:
        return ApiError(
            f"Facebook API quota hit ({detail}: {message}); stopped this collection, the next one tries again",
            retryable=True,
            stops_collection=True,
            reason=f"code {code}",
            status=status,
        )
    transient = code in TRANSIENT_CODES or error.get("is_transient") is True or status >= 500
    return ApiError(
        f"Facebook API error ({detail}) from {raw.url}: {message}",
        retryable=transient,
        reason=f"code {code}",
        status=status,
    )


def usage_percent(headers: Mapping[str, str]) -> int:
    """The highest usage Graph reports in its usage headers (0 when absent or unreadable)."""
    highest = 0

    def walk(value: object) -> None:
        nonlocal highest
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in USAGE_KEYS and isinstance(inner, int | float):
                    highest = max(highest, int(inner))
                else:
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    lowered = {name.lower(): value for name, value in headers.items()}
    for name in USAGE_HEADERS:
        if name in lowered:
            try:
                walk(json.loads(lowered[name]))
            except ValueError:
                continue  # an unreadable usage header is no reason to stop
    return highest


def _post_text(item: dict[str, Any]) -> str:
    message = as_text(item.get("message"))
    if message:
        return message
    for attachment in as_array(as_object(item.get("attachments")).get("data")):
        caption = as_text(as_object(attachment).get("description")) or as_text(as_object(attachment).get("title"))
        if caption:
            return caption
    return as_text(item.get("story"))


def post_document(item: dict[str, Any], source_id: str, fetched_at: datetime) -> tuple[Document, list[str]]:
    """A page post as a document, with warnings. Raises ItemError (a warning when it only lacks text)."""
    post_id = as_text(item.get("id"))
    if not post_id:
        raise ItemError("post has no 'id'")
    text = _post_text(item)
    if not text:
        raise ItemError(f"post {post_id} has no message, caption or story; skipped", Severity.WARNING)
    warnings: list[str] = []
    published = item_time(item.get("created_time"), "created_time", fetched_at, warnings)
    page_name = as_text(as_object(item.get("from")).get("name")) or None
    engagement = Engagement(
        likes=item_count(
            as_object(as_object(item.get("reactions")).get("summary")).get("total_count"), "reactions", warnings
        ),
        comments=item_count(
            as_object(as_object(item.get("comments")).get("summary")).get("total_count"), "comments", warnings
        ),
        # Graph leaves 'shares' out when there are none; None says "not reported", which is what we know.
        shares=item_count(as_object(item.get("shares")).get("count"), "shares", warnings),
    )
    picture = as_text(item.get("full_picture"))
    document = Document(
        doc_id=doc_id_for_post(Platform.FACEBOOK, post_id),
        source_id=source_id,
        platform=Platform.FACEBOOK,
        url=as_text(item.get("permalink_url")) or f"https://www.facebook.com/{post_id}",
        text=text,
        author=page_name,
        published_at=published,
        fetched_at=fetched_at,
        engagement=engagement,
        media_urls=(picture,) if picture else (),
        channel=page_name,
    )
    return document, warnings


def comment_document(
    item: dict[str, Any], post_id: str, source_id: str, fetched_at: datetime
) -> tuple[Document, list[str]]:
    """A comment on ``post_id`` as a document, with warnings. Raises ItemError."""
    comment_id = as_text(item.get("id"))
    if not comment_id:
        raise ItemError("comment has no 'id'")
    text = as_text(item.get("message")) or as_text(as_object(item.get("attachment")).get("description"))
    if not text:
        raise ItemError(f"comment {comment_id} has no text (a sticker or photo only); skipped", Severity.WARNING)
    warnings: list[str] = []
    document = Document(
        doc_id=doc_id_for_post(Platform.FACEBOOK, comment_id),
        source_id=source_id,
        platform=Platform.FACEBOOK,
        url=as_text(item.get("permalink_url")) or f"https://www.facebook.com/{comment_id}",
        text=text,
        # Graph returns a commenter's name only to the page's own token; without it the author is unknown.
        author=as_text(as_object(item.get("from")).get("name")) or None,
        published_at=item_time(item.get("created_time"), "created_time", fetched_at, warnings),
        fetched_at=fetched_at,
        engagement=Engagement(
            likes=item_count(item.get("like_count"), "like_count", warnings),
            comments=item_count(item.get("comment_count"), "comment_count", warnings),
        ),
        parent_id=doc_id_for_post(Platform.FACEBOOK, post_id),
    )
    return document, warnings


@dataclass
class _Parsed:
    """Documents from one answer, each with the platform id of its item, and the problems."""

    items: list[tuple[str, Document]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def documents(self) -> list[Document]:
        return [document for _, document in self.items]


def _comments_post_id(url: str) -> str | None:
    """The post id in a ``…/{post-id}/comments`` URL, else None (the URL is not a comments answer)."""
    segments = urlsplit(url).path.rstrip("/").split("/")
    if len(segments) >= 2 and segments[-1] == "comments" and segments[-2]:
        return unquote(segments[-2])
    return None


class FacebookPageSource:
    """Collects one Facebook Page; remembers which posts' comments it has read, and at what count."""

    def __init__(self, spec: FacebookPageSourceSpec) -> None:
        self._spec = spec
        # post id → comment total when its comments were last read in full: unchanged totals are not
        # read again, which keeps a cycle to a few requests instead of one per post.
        self._comments_read: dict[str, int | None] = {}

    @property
    def spec(self) -> FacebookPageSourceSpec:
        return self._spec

    def rewind(self) -> None:
        self._comments_read.clear()

    def parse(self, raw: RawItem) -> Collected:
        """Documents from one archived posts or comments answer (the post id of comments is in the URL)."""
        try:
            payload = read_json(raw)
        except MalformedResponseError as exc:
            return Collected(raw_items=[raw], problems=[Problem(self._spec.id, raw.url, exc.message, raw=exc.raw_text)])
        parsed = self._parse_payload(raw, payload)
        return Collected(documents=parsed.documents, raw_items=[raw], problems=parsed.problems)

    def _parse_payload(self, raw: RawItem, payload: dict[str, Any]) -> _Parsed:
        post_id = _comments_post_id(raw.url)
        build: Callable[[dict[str, Any]], tuple[Document, list[str]]]
        if post_id is not None:
            build = partial(comment_document, post_id=post_id, source_id=self._spec.id, fetched_at=raw.fetched_at)
        else:
            build = partial(post_document, source_id=self._spec.id, fetched_at=raw.fetched_at)
        parsed = _Parsed()
        data = payload.get("data")
        if not isinstance(data, list):
            parsed.problems.append(Problem(self._spec.id, raw.url, "answer has no 'data' list", raw=raw_snippet(raw)))
            return parsed
        for index, item in enumerate(data, start=1):
            where = f"{raw.url} item {index}"
            if not isinstance(item, dict):
                parsed.problems.append(
                    Problem(self._spec.id, where, f"expected an object, got {type(item).__name__}", raw=item_json(item))
                )
                continue
            item_id = as_text(item.get("id"))
            if item_id:
                where = f"{where} ({item_id})"
            try:
                document, warnings = build(item)
            except ItemError as exc:
                parsed.problems.append(
                    Problem(self._spec.id, where, exc.message, severity=exc.severity, raw=item_json(item))
                )
                continue
            parsed.problems.extend(Problem(self._spec.id, where, w, severity=Severity.WARNING) for w in warnings)
            parsed.items.append((item_id, document))
        return parsed

    async def collect(self, context: CollectContext) -> Collected:
        collected = Collected()
        location = f"{self._spec.api_base}/{self._spec.page_id}/posts"
        try:
            token = read_secret(self._spec.token_env, "Facebook access token")
        except FetchError as exc:
            fail(collected, self._spec.id, location, exc)
            return collected
        session = ApiSession(
            source_id=self._spec.id,
            context=context,
            headers={"Authorization": f"Bearer {token}"},
            secret=token,
            allow_private_network=self._spec.allow_private_network,
            read_error=partial(graph_error, token_env=self._spec.token_env),
            collected=collected,
        )
        try:
            posts = await self._read_posts(session, collected)
            if self._spec.include_comments:
                await self._read_all_comments(session, posts, collected)
        except (FetchError, MalformedResponseError) as exc:
            fail(collected, self._spec.id, session.last_url or location, exc)
        return collected

    async def _get(self, session: ApiSession, url: str) -> tuple[RawItem, dict[str, Any]]:
        raw, payload = await session.get(url)
        usage = usage_percent(raw.headers)
        if usage >= USAGE_STOP_PERCENT:
            # The next request may be throttled for an hour; stop while this answer still counts.
            session.stop = ApiError(
                f"Facebook API usage at {usage}% of the rate limit; stopped this collection early, "
                "the next one tries again",
                retryable=True,
                stops_collection=True,
            )
        return raw, payload

    @staticmethod
    def _next_url(payload: dict[str, Any], current: str) -> str | None:
        """The next page: the query of ``paging.next`` (its cursor) on the URL we asked, without credentials.

        Only the query is taken from Graph's link. The request stays on the configured host (the token
        goes with every request and must not follow a link elsewhere), and on our own path, which carries
        the post id a comments answer belongs to when it is replayed from the archive.
        """
        link = as_text(as_object(payload.get("paging")).get("next"))
        if not link:
            return None
        parts = urlsplit(current)
        return public_url(urlunsplit((parts.scheme, parts.netloc, parts.path, urlsplit(link).query, "")))

    async def _read_posts(self, session: ApiSession, collected: Collected) -> list[tuple[str, int | None]]:
        """Read up to max_pages of posts; return (post id, comment total) of each post kept."""
        query = urlencode({"fields": POST_FIELDS, "limit": POSTS_PER_PAGE})
        url: str | None = f"{self._spec.api_base}/{quote(self._spec.page_id, safe='')}/posts?{query}"
        posts: list[tuple[str, int | None]] = []
        for page in range(self._spec.max_pages):
            if url is None:
                break
            try:
                raw, payload = await self._get(session, url)
            except (ApiError, MalformedResponseError) as exc:
                if page == 0 or (isinstance(exc, ApiError) and exc.stops_collection):
                    raise
                collected.problems.append(_problem(self._spec.id, public_url(url), exc))
                break
            parsed = self._parse_payload(raw, payload)
            collected.documents.extend(parsed.documents)
            collected.problems.extend(parsed.problems)
            posts.extend((post_id, document.engagement.comments) for post_id, document in parsed.items)
            url = self._next_url(payload, url)
        return posts

    async def _read_all_comments(
        self, session: ApiSession, posts: list[tuple[str, int | None]], collected: Collected
    ) -> None:
        current = {post_id for post_id, _ in posts}
        try:
            for post_id, total in posts:
                if total == 0 or (total is not None and self._comments_read.get(post_id) == total):
                    continue
                if await self._read_comments(session, post_id, collected):
                    self._comments_read[post_id] = total
        finally:
            # Forget posts that left the listing, so the memory stays the size of max_pages.
            for post_id in [p for p in self._comments_read if p not in current]:
                del self._comments_read[post_id]

    async def _read_comments(self, session: ApiSession, post_id: str, collected: Collected) -> bool:
        """Read the newest comments of one post; True when read in full (up to max_comments_per_post)."""
        remaining = self._spec.max_comments_per_post
        query = urlencode(
            {"fields": COMMENT_FIELDS, "order": "reverse_chronological", "limit": min(COMMENTS_PER_PAGE, remaining)}
        )
        url: str | None = f"{self._spec.api_base}/{quote(post_id, safe='')}/comments?{query}"
        page_cap = math.ceil(self._spec.max_comments_per_post / COMMENTS_PER_PAGE) + _SPARE_COMMENT_PAGES
        for _ in range(page_cap):
            if url is None or remaining <= 0:
                break
            try:
                raw, payload = await self._get(session, url)
            except (ApiError, MalformedResponseError) as exc:
                if isinstance(exc, ApiError) and exc.stops_collection:
                    raise
                collected.problems.append(_problem(self._spec.id, public_url(url), exc, f"comments of post {post_id}"))
                return False
            parsed = self._parse_payload(raw, payload)
            kept = parsed.documents[:remaining]
            collected.documents.extend(kept)
            collected.problems.extend(parsed.problems)
            remaining -= len(as_array(payload.get("data")))
            url = self._next_url(payload, url)
            if url is not None and remaining > 0:
                url = with_query(url, limit=min(COMMENTS_PER_PAGE, remaining))
        return True


def _problem(source_id: str, location: str, error: ApiError | MalformedResponseError, what: str = "") -> Problem:
    """A problem for a failed request that did not end the collection (``what`` was not read)."""
    raw = error.raw_text if isinstance(error, MalformedResponseError) else ""
    message = f"{what} not read: {error.message}" if what else error.message
    return Problem(source_id, location, message, raw=raw)


def make_facebook_source(spec: SourceSpec) -> Source:
    """Factory for the plugin registry: ``registry.add_source_type("facebook_page", FacebookPageSourceSpec, ...)``."""
    return FacebookPageSource(cast(FacebookPageSourceSpec, spec))
