"""The raw archive: every fetched response and imported file, kept as gzipped WARC records.

WARC (ISO 28500) is the web-archiving standard, so the archive opens in any WARC tool. Each record
carries the source id in a ``WARC-Source-Id`` field; HTTP responses are ``response`` records with their
status line and headers, local files ``resource`` records. Files are per source and UTC day
(``var/archive/<source>/<YYYY-MM-DD>.warc.gz``), one gzip member per record, so a record can be read
back from its offset as evidence, and ``monitor replay`` can run the pipeline over the archive again.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from monitor.errors import StoreError
from monitor.files import open_private, private_dir
from monitor.records import RawItem

SOURCE_HEADER = "WARC-Source-Id"
_REASONS = {200: "OK", 203: "Non-Authoritative Information", 206: "Partial Content"}


class ArchivePointer(BaseModel):
    """Where one raw item lives in the archive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    offset: int
    length: int
    sha256: str


class RawArchive:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    def _file_for(self, item: RawItem) -> Path:
        return self.directory / item.source_id / f"{item.fetched_at.astimezone(UTC):%Y-%m-%d}.warc.gz"

    def store(self, items: Sequence[RawItem]) -> list[ArchivePointer]:
        """Append ``items`` durably; return a pointer to each."""
        pointers = []
        with self._lock:
            for item in items:
                path = self._file_for(item)
                try:
                    private_dir(path.parent)
                    with open_private(path, "ab") as handle:
                        offset = handle.tell()
                        WARCWriter(handle, gzip=True).write_record(_record(item))
                        handle.flush()
                        length = handle.tell() - offset
                except OSError as exc:
                    raise StoreError(f"cannot archive {item.url} to {path}: {exc}") from exc
                pointers.append(ArchivePointer(path=str(path), offset=offset, length=length, sha256=item.sha256))
        return pointers

    def read(self, pointer: ArchivePointer) -> RawItem:
        """The raw item a pointer refers to (for evidence)."""
        try:
            with Path(pointer.path).open("rb") as handle:
                handle.seek(pointer.offset)
                chunk = handle.read(pointer.length)
        except OSError as exc:
            raise StoreError(f"cannot read the archive {pointer.path}: {exc}") from exc
        return next(_items(io.BytesIO(chunk), pointer.path))

    def items(self, source_id: str | None = None, since: datetime | None = None) -> Iterator[RawItem]:
        """Archived items in time order per source (files by day), optionally for one source or recent days."""
        folders = (
            [self.directory / source_id] if source_id else sorted(p for p in self.directory.glob("*") if p.is_dir())
        )
        first_day = f"{since.astimezone(UTC):%Y-%m-%d}" if since else ""
        for folder in folders:
            for path in sorted(folder.glob("*.warc.gz")):
                if path.name[:10] < first_day:
                    continue
                with path.open("rb") as handle:
                    for item in _items(handle, str(path)):
                        if since is None or item.fetched_at >= since:
                            yield item


def _record(item: RawItem) -> object:
    writer = WARCWriter(io.BytesIO(), gzip=False)  # used only as a record builder
    extra = {SOURCE_HEADER: item.source_id, "WARC-Date": item.fetched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    if item.status is None:
        return writer.create_warc_record(
            item.url,
            "resource",
            payload=io.BytesIO(item.body),
            length=len(item.body),
            warc_content_type="application/octet-stream",
            warc_headers_dict=extra,
        )
    reason = _REASONS.get(item.status, "OK" if item.status < 300 else "Status")
    headers = [
        (k, v)
        for k, v in item.headers.items()
        if k.lower() not in ("content-encoding", "transfer-encoding", "content-length")
    ]
    http_headers = StatusAndHeaders(f"{item.status} {reason}", headers, protocol="HTTP/1.1")
    return writer.create_warc_record(
        item.url,
        "response",
        payload=io.BytesIO(item.body),
        length=len(item.body),
        http_headers=http_headers,
        warc_headers_dict=extra,
    )


def _items(stream: io.BufferedIOBase | io.BytesIO, where: str) -> Iterator[RawItem]:
    try:
        for record in ArchiveIterator(stream):
            if record.rec_type not in ("response", "resource"):
                continue
            headers = record.rec_headers
            http = record.http_headers
            body = record.content_stream().read()
            yield RawItem(
                source_id=headers.get_header(SOURCE_HEADER) or "unknown",
                url=headers.get_header("WARC-Target-URI") or "",
                fetched_at=datetime.strptime(headers.get_header("WARC-Date"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
                status=int(http.get_statuscode()) if http is not None else None,
                headers=dict(http.headers) if http is not None else {},
                body=body,
            )
    except Exception as exc:  # warcio raises several exception types for damaged files
        raise StoreError(f"the archive file {where} is damaged: {exc}", retryable=False) from exc
