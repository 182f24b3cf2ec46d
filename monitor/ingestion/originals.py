"""A document's archived original: the raw response or file the crawler kept (:mod:`monitor.ingestion.archive`).

A page fetched on its own has its response archived under its URL (:func:`monitor.cases.evidence.find_raw`,
the evidence locker's rule). An item that came inside a feed or an imported file has no response of its own:
its original is then the archived feed or file, fetched closest to the document's capture time, that
contains the document's URL.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import timedelta

from monitor.analysis import AnalyzedDocument
from monitor.cases.evidence import RAW_SEARCH_DAYS, find_raw
from monitor.ingestion.archive import RawArchive
from monitor.records import RawItem


@dataclass(frozen=True)
class Original:
    """The archived raw item and whether it is the document's own response (else the feed or file holding it)."""

    raw: RawItem
    own: bool


def find_original(archive: RawArchive, item: AnalyzedDocument) -> Original | None:
    """The document's archived original, or None when the archive has nothing that holds it."""
    own = find_raw(archive, item)
    if own is not None:
        return Original(own, own=True)
    document = item.document
    if not document.url:
        return None
    # The URL as a feed or file writes it: as is, escaped in XML ("&amp;"), escaped in JSON ("\/").
    needles = {document.url, html.escape(document.url, quote=False), document.url.replace("/", "\\/")}
    encoded = [needle.encode("utf-8") for needle in needles]
    captured = document.fetched_at
    best: RawItem | None = None
    for raw in archive.items(document.source_id, since=captured - timedelta(days=RAW_SEARCH_DAYS)):
        if not any(needle in raw.body for needle in encoded):
            continue
        if best is None or abs(raw.fetched_at - captured) < abs(best.fetched_at - captured):
            best = raw
    return Original(best, own=False) if best is not None else None


def as_text(original: Original) -> str:
    """The original as plain text: where and when it was fetched, its headers, then its body (UTF-8)."""
    raw = original.raw
    lines = [
        f"# Bản gốc đã lưu: {'phản hồi của chính bài' if original.own else 'tệp/nguồn cấp chứa bài'}",
        f"# URL: {raw.url}",
        f"# Thu thập lúc (UTC): {raw.fetched_at.isoformat()}",
        f"# Trạng thái: {raw.status if raw.status is not None else '—'}",
        f"# SHA-256: {raw.sha256}",
        *(f"# {name}: {value}" for name, value in raw.headers.items()),
        "",
    ]
    return "\n".join(lines) + raw.body.decode("utf-8", errors="replace")
