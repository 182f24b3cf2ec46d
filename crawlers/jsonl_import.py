"""JSONL imports of social posts (exports from other tools, or the bundled sample corpus).

One JSON object per line. Recognised fields: ``platform``, ``post_id`` (or ``id``), ``url``, ``author``,
``title``, ``text`` (or ``message``/``post_message``), ``published_at`` (ISO-8601 with offset, or Unix
time), ``likes``, ``comments``, ``shares``, ``views`` (integers or text such as ``"1.1K"``),
``parent_id``, ``media``, ``channel``. Other fields are ignored. A bad line is reported with its file and
line number and quarantined; the rest of the file is imported.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from crawlers.fetch import Fetcher
from crawlers.values import parse_count, parse_timestamp
from monitor.errors import FetchError
from monitor.records import Document, Engagement, Platform, RawItem, doc_id_for_post
from monitor.sources import CollectContext, Collected, Problem, Severity, SourceSpec

_TEXT_FIELDS = ("text", "message", "post_message")
_ID_FIELDS = ("post_id", "id")


class JsonlSourceSpec(SourceSpec):
    """Files matching ``path`` (a file or a glob, relative to the config folder)."""

    type: Literal["jsonl"] = "jsonl"
    path: str = Field(min_length=1)
    platform: Platform = Field(default=Platform.IMPORT, description="Used when a line has no 'platform'.")


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
    """Build a document from one decoded line; return it with warnings. Raises LineError."""
    if not isinstance(record, dict):
        raise LineError(f"expected a JSON object, got {type(record).__name__}")
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


def parse_jsonl(
    raw: RawItem, source_id: str, default_platform: Platform, display_name: str
) -> tuple[list[Document], list[Problem]]:
    """Parse a whole file; each bad line becomes a problem naming ``display_name:line``."""
    documents: list[Document] = []
    problems: list[Problem] = []
    for number, line_bytes in enumerate(raw.body.splitlines(), start=1):
        where = f"{display_name}:{number}"
        if not line_bytes.strip():
            continue
        try:
            line = line_bytes.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(
                Problem(
                    source_id,
                    where,
                    f"not valid UTF-8 (byte {exc.start}: {exc.reason})",
                    raw=line_bytes.decode("utf-8", errors="backslashreplace"),
                )
            )
            continue
        try:
            record = json.loads(line)
            document, warnings = post_to_document(record, source_id, default_platform, raw.fetched_at)
        except json.JSONDecodeError as exc:
            problems.append(Problem(source_id, where, f"invalid JSON: {exc.msg} at column {exc.colno}", raw=line))
            continue
        except (LineError, ValueError) as exc:
            problems.append(Problem(source_id, where, str(exc), raw=line))
            continue
        problems.extend(Problem(source_id, where, w, severity=Severity.WARNING) for w in warnings)
        documents.append(document)
    return documents, problems


class JsonlSource:
    def __init__(self, spec: JsonlSourceSpec) -> None:
        self._spec = spec
        self._fetcher = Fetcher(spec.id)

    @property
    def spec(self) -> JsonlSourceSpec:
        return self._spec

    def rewind(self) -> None:
        self._fetcher.validators.clear()

    def _files(self, config_dir: Path) -> list[Path]:
        pattern = Path(self._spec.path)
        if pattern.is_absolute():
            return sorted(Path(pattern.anchor).glob(str(pattern.relative_to(pattern.anchor))))
        return sorted(config_dir.glob(self._spec.path))

    async def collect(self, context: CollectContext) -> Collected:
        files = self._files(context.config_dir)
        if not files:
            return Collected(
                fetch_failed=True,
                problems=[
                    Problem(self._spec.id, str(context.config_dir / self._spec.path), "no file matches this path")
                ],
            )
        collected = Collected()
        failures = 0
        for path in files:
            try:
                raw = self._fetcher.read_file(path, context)
            except FetchError as exc:
                failures += 1
                collected.problems.append(Problem(self._spec.id, str(path), exc.message))
                continue
            if raw is None:
                continue
            collected.raw_items.append(raw)
            documents, problems = parse_jsonl(raw, self._spec.id, self._spec.platform, str(path))
            collected.documents.extend(documents)
            collected.problems.extend(problems)
        collected.fetch_failed = failures == len(files)
        collected.not_modified = not collected.raw_items and not failures
        return collected
