"""Turning one exported post record (a JSON object or a CSV row) into a :class:`Document`.

Recognised fields: ``platform``, ``post_id`` (or ``id``), ``url``, ``author`` (or ``user_name``), ``title``,
``text`` (or ``message``/``post_message``), ``published_at`` (or ``timestamp_post``/``created_time``:
ISO-8601 with an offset, or Unix seconds/milliseconds), ``likes``, ``comments``, ``shares``, ``views``
(or ``num_like_post``...: integers or text such as ``"1.1K"``), ``parent_id``, ``media``, ``channel``.
Other fields are ignored, so exports of other tools import as they are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crawlers.values import parse_count, parse_timestamp
from monitor.records import Document, Engagement, Platform, doc_id_for_post

_TEXT_FIELDS = ("text", "message", "post_message")
_ID_FIELDS = ("post_id", "id")


class LineError(ValueError):
    """A line that cannot become a document; the message names the field."""


def _first(record: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((record[name] for name in names if record.get(name) not in (None, "")), None)


def _engagement(record: dict[str, Any]) -> Engagement:
    counts: dict[str, int | None] = {}
    for name in ("likes", "comments", "shares", "views"):
        raw = record.get(name, record.get(f"num_{name[:-1]}_post"))
        try:
            counts[name] = parse_count(raw)
        except ValueError as exc:
            raise LineError(f"field '{name}': {exc}") from exc
    return Engagement(**counts)


def post_to_document(
    record: object, source_id: str, default_platform: Platform, fetched_at: datetime
) -> tuple[Document, list[str]]:
    """Build a document from one record; return it with warnings. Raises LineError naming the field."""
    if not isinstance(record, dict):
        raise LineError(f"expected an object of fields, got {type(record).__name__}")
    try:
        platform = Platform(record.get("platform") or default_platform)
    except ValueError as exc:
        raise LineError(
            f"field 'platform': unknown platform {record.get('platform')!r} "
            f"(known: {', '.join(p.value for p in Platform)})"
        ) from exc
    post_id = _first(record, _ID_FIELDS)
    if post_id is None:
        raise LineError("field 'post_id' is missing")
    text = _first(record, _TEXT_FIELDS)
    if not isinstance(text, str) or not text.strip():
        raise LineError("field 'text' is missing or empty")
    warnings = []
    try:
        published = parse_timestamp(_first(record, ("published_at", "timestamp_post", "created_time")))
    except ValueError as exc:
        warnings.append(f"field 'published_at': {exc}; using the import time")
        published = fetched_at
    parent = record.get("parent_id")
    media = record.get("media") or []
    if not isinstance(media, list):
        raise LineError("field 'media' must be a list of URLs")
    document = Document(
        doc_id=doc_id_for_post(platform, str(post_id)),
        source_id=source_id,
        platform=platform,
        url=str(record.get("url") or f"{platform.value}:{post_id}"),
        title=str(record.get("title") or ""),
        text=text,
        author=str(_first(record, ("author", "user_name")) or "") or None,
        published_at=published,
        fetched_at=fetched_at,
        engagement=_engagement(record),
        parent_id=doc_id_for_post(platform, str(parent)) if parent not in (None, "") else None,
        media_urls=tuple(str(url) for url in media),
        channel=str(record.get("channel") or "") or None,
    )
    return document, warnings
