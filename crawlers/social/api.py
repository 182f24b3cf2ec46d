"""HTTP plumbing shared by the social-platform API sources (Facebook Graph, YouTube Data API).

Reading secrets from the environment, redacting them from everything kept (URLs, headers, bodies), the
GET with retries honouring ``Retry-After``, the API error type, and lenient readers for JSON items.
:class:`crawlers.fetch.Fetcher` does not fit an API: it drops the body of error answers, where the
platforms say *why* (expired token, quota, comments disabled), it can only put credentials in the URL,
and its conditional GET would skip unchanged listing pages whose engagement counts still need refreshing.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import httpx

from crawlers.politeness import retry_delay
from crawlers.values import parse_count, parse_timestamp
from monitor.errors import FetchError, ParseError
from monitor.ingestion.sources import CollectContext, Collected, Problem, Severity
from monitor.outbound.bodies import read_bounded
from monitor.outbound.deadline import fetch_deadline
from monitor.outbound.get import open_url
from monitor.records import RawItem

REDACTED = "REDACTED"
# Query parameters that carry credentials in Graph and Google API URLs.
SECRET_PARAMETERS = frozenset({"access_token", "key", "appsecret_proof", "client_secret"})
# Shorter values are no real credential, and replacing them everywhere would corrupt the archived body.
_MIN_SECRET_LENGTH = 8
_RAW_SNIPPET_CHARS = 2000


class ApiError(FetchError):
    """An error answer from a platform API.

    ``stops_collection`` is set when no further request can succeed in this collection (bad credentials,
    quota or rate limit): the source stops at once instead of sending requests that will all fail.
    ``reason`` is the platform's machine-readable reason (``commentsDisabled``, ``code 100``...).
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        stops_collection: bool = False,
        reason: str = "",
        status: int | None = None,
    ) -> None:
        super().__init__(message, retryable=retryable)
        self.stops_collection = stops_collection
        self.reason = reason
        self.status = status


class MalformedResponseError(ParseError):
    """An API answer that is not the JSON object it should be; ``raw_text`` is its start, for the quarantine."""

    def __init__(self, message: str, raw_text: str) -> None:
        super().__init__(message)
        self.raw_text = raw_text


class ItemError(ValueError):
    """One item of an API answer that cannot become a document; the message says why."""

    def __init__(self, message: str, severity: Severity = Severity.ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.severity = severity


def read_secret(variable: str, what: str) -> str:
    """The credential in environment variable ``variable``; a permanent FetchError naming it when unset."""
    value = os.environ.get(variable, "").strip()
    if not value:
        raise FetchError(
            f"the {what} is missing: set the environment variable {variable} "
            "(credentials are read from the environment only, never from the configuration files)",
            retryable=False,
        )
    return value


def public_url(url: str) -> str:
    """``url`` without the query parameters that carry credentials: safe to log, show and archive."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(name, value) for name, value in query if name.lower() not in SECRET_PARAMETERS]
    if len(kept) == len(query):
        return url  # keep the URL exactly as requested when there is nothing to remove
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment))


def redact_text(text: str, secret: str) -> str:
    """``text`` with every occurrence of ``secret`` (plain or percent-encoded) replaced by ``REDACTED``."""
    if len(secret) < _MIN_SECRET_LENGTH:
        return text
    for form in {secret, quote(secret, safe="")}:
        text = text.replace(form, REDACTED)
    return text


def redact_bytes(data: bytes, secret: str) -> bytes:
    """Like :func:`redact_text`, on a body."""
    if len(secret) < _MIN_SECRET_LENGTH:
        return data
    for form in {secret, quote(secret, safe="")}:
        data = data.replace(form.encode(), REDACTED.encode())
    return data


def with_query(url: str, **values: str | int | None) -> str:
    """``url`` with query parameters set (or removed when None), the others kept in order."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in values]
    query += [(k, str(v)) for k, v in values.items() if v is not None]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def raw_snippet(raw: RawItem) -> str:
    return raw.body[:_RAW_SNIPPET_CHARS].decode("utf-8", errors="replace")


def read_json(raw: RawItem) -> dict[str, Any]:
    """The JSON object in ``raw.body``; :class:`MalformedResponseError` when it is not one."""
    try:
        payload = json.loads(raw.body)
    except ValueError as exc:  # JSONDecodeError, or bytes in no Unicode encoding
        raise MalformedResponseError(f"malformed JSON from {raw.url}: {exc}", raw_snippet(raw)) from exc
    if not isinstance(payload, dict):
        raise MalformedResponseError(
            f"expected a JSON object from {raw.url}, got {type(payload).__name__}", raw_snippet(raw)
        )
    return payload


def as_object(value: object) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (API fields are optional and loosely typed)."""
    return value if isinstance(value, dict) else {}


def as_array(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def as_text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def item_time(value: object, name: str, fallback: datetime, warnings: list[str]) -> datetime:
    """Parse a timestamp field; an invalid one is reported and replaced by the fetch time (see README)."""
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        warnings.append(f"field '{name}': {exc}; using the fetch time")
        return fallback


def item_count(value: object, name: str, warnings: list[str]) -> int | None:
    """Parse a count field; an invalid one is reported and left out rather than losing the item."""
    try:
        return parse_count(value)
    except ValueError as exc:
        warnings.append(f"field '{name}': {exc}; left out")
        return None


def item_json(item: object) -> str:
    return json.dumps(item, ensure_ascii=False)


async def api_get(
    url: str,
    context: CollectContext,
    *,
    source_id: str,
    headers: Mapping[str, str],
    secret: str,
    allow_private_network: bool,
) -> RawItem:
    """GET one API URL politely and return the final answer, whatever its status, safe to archive.

    429 and 5xx answers and network errors are retried with back-off honouring ``Retry-After``, within
    the crawl settings, as :class:`crawlers.fetch.Fetcher` does. Error answers are returned, not raised:
    their body holds the platform's error object. The RawItem has credentials removed from its URL,
    headers and body. Raises FetchError when nothing usable came back.
    """
    shown = public_url(url)
    # robots.txt is deliberately not consulted: it tells crawlers which pages to read, while an API is
    # governed by its terms and quotas, which the callers honour (they stop at the first quota error).
    attempt = 0
    while True:
        attempt += 1
        try:
            response, body = await _get_once(url, shown, headers, context, allow_private_network)
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            detail = redact_text(str(exc), secret) or "no detail"
            failure = FetchError(f"cannot fetch {shown}: {type(exc).__name__}: {detail}")
            delay = retry_delay(None, attempt, context.crawl.max_retry_wait_seconds)
            if attempt > context.crawl.max_retries or delay is None:
                raise failure from None
        except httpx.HTTPError as exc:
            detail = redact_text(str(exc), secret) or "no detail"
            raise FetchError(f"cannot fetch {shown}: {type(exc).__name__}: {detail}") from None
        else:
            status = response.status_code
            delay = retry_delay(response, attempt, context.crawl.max_retry_wait_seconds)
            if not (status == 429 or status >= 500) or attempt > context.crawl.max_retries or delay is None:
                return RawItem(
                    source_id=source_id,
                    url=shown,
                    fetched_at=context.now,
                    status=status,
                    headers={name: redact_text(value, secret) for name, value in response.headers.items()},
                    body=redact_bytes(body, secret),
                )
        await asyncio.sleep(delay)


async def _get_once(
    url: str, shown: str, headers: Mapping[str, str], context: CollectContext, allow_private_network: bool
) -> tuple[httpx.Response, bytes]:
    limit = context.crawl.max_body_bytes
    # Redirects are not followed: these APIs do not redirect, and following one would send the
    # credential header wherever the redirect points.
    async with (
        context.hosts.slot(url),
        fetch_deadline(shown, context.crawl),
        open_url(
            context.http,
            url,
            headers=headers,
            allow_private_network=allow_private_network,
            max_redirects=0,
            shown_url=shown,
        ) as response,
    ):
        body = await read_bounded(response, limit, shown)
    return response, body


ErrorReader = Callable[[RawItem, dict[str, Any] | None], ApiError]


@dataclass
class ApiSession:
    """One collection's requests to one API: credentials, the raw items to archive, the error reader.

    Only successful answers are added to ``collected.raw_items`` (error answers become problems); a
    malformed successful answer is archived too, since it is what the platform sent.
    """

    source_id: str
    context: CollectContext
    headers: dict[str, str]
    secret: str
    allow_private_network: bool
    read_error: ErrorReader
    collected: Collected
    last_url: str = ""
    stop: ApiError | None = None  # set when a later request must not be sent (usage near the limit)

    async def get(self, url: str) -> tuple[RawItem, dict[str, Any]]:
        """The JSON object at ``url``. Raises ApiError, FetchError or MalformedResponseError."""
        if self.stop is not None:
            raise self.stop
        self.last_url = public_url(url)
        raw = await api_get(
            url,
            self.context,
            source_id=self.source_id,
            headers=self.headers,
            secret=self.secret,
            allow_private_network=self.allow_private_network,
        )
        if raw.status is None or not 200 <= raw.status < 300:
            try:
                payload: dict[str, Any] | None = read_json(raw)
            except MalformedResponseError:
                payload = None
            raise self.read_error(raw, payload)
        self.collected.raw_items.append(raw)
        return raw, read_json(raw)


def fail(collected: Collected, source_id: str, location: str, error: Exception) -> None:
    """Record what ended a collection early, first among the problems so source health shows it."""
    message = error.message if isinstance(error, FetchError | ParseError) else str(error)
    raw = error.raw_text if isinstance(error, MalformedResponseError) else ""
    collected.problems.insert(0, Problem(source_id, location, message, raw=raw))
    collected.fetch_failed = True


def check_api_base(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"'api_base' must be an http:// or https:// URL without query (got {value!r})")
    return value.rstrip("/")
