"""The raw archive: every fetched response and imported file, kept as gzipped WARC records.

WARC (ISO 28500) is the web-archiving standard, so the archive opens in any WARC tool. Each record
carries the source id in a ``WARC-Source-Id`` field; HTTP responses are ``response`` records with their
status line and headers, local files ``resource`` records. Files are per source and UTC day
(``var/archive/<source>/<YYYY-MM-DD>.warc.gz``), one gzip member per record, so a record can be read
back from its offset as evidence, and ``monitor replay`` can run the pipeline over the archive again.

A file can end in a damaged record (the disk filled up, the process was killed mid-write). Reading
checks every gzip member whole (its CRC and length) before parsing it, so a record cut short is never
read as a shorter body; reading a file stops at the first damaged member (what follows cannot be
delimited) and reports an :class:`ArchiveDamage` naming the file and the byte offset, and the records
before it, and other files, are read as usual.
"""

from __future__ import annotations

import io
import logging
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from monitor.errors import StoreError
from monitor.files import open_private, private_dir
from monitor.records import RawItem

log = logging.getLogger(__name__)

SOURCE_HEADER = "WARC-Source-Id"
READ_CHUNK = 1 << 20
FEED_BYTES = 1 << 16  # compressed bytes handed to zlib at a time (a record is often a few KB)
GZIP_WBITS = 31  # zlib: a gzip header and trailer around the deflate stream
GZIP_MAGIC = b"\x1f\x8b\x08"  # the start of a gzip member (deflate)
_REASONS = {200: "OK", 203: "Non-Authoritative Information", 206: "Partial Content"}


class ArchivePointer(BaseModel):
    """Where one raw item lives in the archive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    offset: int
    length: int
    sha256: str


@dataclass(frozen=True)
class ArchiveDamage:
    """A record that could not be read: the file, the byte offset where it starts, and why."""

    path: str
    offset: int
    reason: str

    def __str__(self) -> str:
        return f"archive file {self.path} is damaged at byte {self.offset}: {self.reason}"


OnDamage = Callable[[ArchiveDamage], None]


@dataclass(frozen=True)
class _Damaged:
    offset: int
    reason: str


def _log_damage(damage: ArchiveDamage) -> None:
    log.warning("%s; the records before it were read", damage)


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
        first = next(_items(io.BytesIO(chunk), pointer.offset), None)
        if isinstance(first, RawItem):
            return first
        reason = first.reason if first is not None else "no record there"
        raise StoreError(str(ArchiveDamage(pointer.path, pointer.offset, reason)), retryable=False)

    def items(
        self, source_id: str | None = None, since: datetime | None = None, on_damage: OnDamage = _log_damage
    ) -> Iterator[RawItem]:
        """Archived items in time order per source (files by day), optionally for one source or recent days.

        A damaged record ends the reading of its file: ``on_damage`` hears of it (by default it is logged)
        and the next file is read.
        """
        folders = (
            [self.directory / source_id] if source_id else sorted(p for p in self.directory.glob("*") if p.is_dir())
        )
        first_day = f"{since.astimezone(UTC):%Y-%m-%d}" if since else ""
        for folder in folders:
            for path in sorted(folder.glob("*.warc.gz")):
                if path.name[:10] < first_day:
                    continue
                try:
                    with path.open("rb") as handle:
                        for item in _items(handle):
                            if isinstance(item, _Damaged):
                                on_damage(ArchiveDamage(str(path), item.offset, item.reason))
                            elif since is None or item.fetched_at >= since:
                                yield item
                except OSError as exc:
                    raise StoreError(f"cannot read the archive file {path}: {exc}") from exc


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


class _Buffer:
    """The bytes of a stream from absolute offset ``base`` on, read in chunks as needed.

    Positions are relative to ``base``. Dropped bytes are released a chunk at a time, so a file of many
    small records is not copied once per record.
    """

    def __init__(self, stream: io.BufferedIOBase | io.BytesIO, base: int) -> None:
        self.stream = stream
        self.base = base
        self._data = bytearray()
        self._head = 0  # where position 0 is in _data

    @property
    def size(self) -> int:
        return len(self._data) - self._head

    def fill(self) -> bool:
        chunk = self.stream.read(READ_CHUNK)
        self._data += chunk
        return bool(chunk)

    def drop(self, count: int) -> None:
        self._head += count
        self.base += count
        if self._head >= READ_CHUNK:
            del self._data[: self._head]
            self._head = 0

    def member_at(self, pos: int) -> tuple[bytes, int] | str:
        """Decompress the gzip member at ``pos``, checked whole (CRC and length): ``(bytes, end)`` or why not."""
        member = zlib.decompressobj(wbits=GZIP_WBITS)
        parts: list[bytes] = []
        fed = pos
        while True:
            if fed >= self.size and not self.fill():
                return "the record is cut short (the file ends inside it)"
            start = self._head + fed
            piece = bytes(self._data[start : start + FEED_BYTES])
            try:
                parts.append(member.decompress(piece))
            except zlib.error as exc:
                return f"the record is corrupt ({exc})"
            if member.eof:
                return b"".join(parts), fed + len(piece) - len(member.unused_data)
            fed += len(piece)

    def next_member(self, pos: int) -> int:
        """Where the next gzip header at or after ``pos`` starts (the end of the data when there is none)."""
        while True:
            found = self._data.find(GZIP_MAGIC, self._head + pos)
            if found >= 0:
                return found - self._head
            pos = max(pos, self.size - len(GZIP_MAGIC) + 1)
            if not self.fill():
                return self.size


def _members(stream: io.BufferedIOBase | io.BytesIO, start: int) -> Iterator[tuple[int, bytes] | _Damaged]:
    """Each gzip member as ``(offset, uncompressed bytes)``, checked whole before it is yielded.

    A member cut short or corrupt yields a :class:`_Damaged` at its offset; reading then resumes at the
    next gzip header, since a process restarted after a kill appends its next records after the damage.
    """
    buffer = _Buffer(stream, start)
    damage: tuple[int, str] | None = None  # (offset, reason) of the damaged stretch being skipped
    pos = 0
    while True:
        if pos >= buffer.size and not buffer.fill():
            if damage is not None:
                skipped = buffer.base + pos - damage[0]
                yield _Damaged(damage[0], f"{damage[1]}; the rest of the file ({skipped} bytes) was skipped")
            return
        result = buffer.member_at(pos)
        if isinstance(result, str):
            if damage is None:
                damage = (buffer.base + pos, result)
            buffer.drop(pos + 1)
            pos = buffer.next_member(0)
            continue
        data, end = result
        if damage is not None:
            skipped = buffer.base + pos - damage[0]
            yield _Damaged(damage[0], f"{damage[1]}; {skipped} bytes were skipped to the next record")
            damage = None
        yield buffer.base + pos, data
        buffer.drop(end)
        pos = 0


def _items(stream: io.BufferedIOBase | io.BytesIO, start: int = 0) -> Iterator[RawItem | _Damaged]:
    """The items of a stream of gzipped WARC records starting at byte ``start`` of its file, and damage."""
    for member in _members(stream, start):
        if isinstance(member, _Damaged):
            yield member
            continue
        offset, data = member
        try:
            records = list(_parse(data))
        except Exception as exc:  # warcio raises several exception types for damaged records
            yield _Damaged(offset, f"the record cannot be parsed ({type(exc).__name__}: {exc})")
            continue
        yield from records


def _parse(data: bytes) -> Iterator[RawItem]:
    for record in ArchiveIterator(io.BytesIO(data)):
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
