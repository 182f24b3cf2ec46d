"""CSV imports of social posts: exports of other tools, with their column names and messy values.

Columns are the post fields of :mod:`crawlers.posts` (``id``, ``user_name``, ``post_message``,
``timestamp_post``, ``num_like_post``... as in the ReINTEL exports, or our own names); ``columns`` renames
others. Empty cells, counts like ``"1.1K"`` and Unix timestamps are read as such. A row that cannot be
used — or whose bytes were not valid in the file's encoding — is reported as ``file:line`` and
quarantined; the other rows are imported.
"""

from __future__ import annotations

import codecs
import csv
import io
from typing import Literal

from pydantic import Field, field_validator

from crawlers.file_import import FileImportSource, FileSourceSpec
from crawlers.posts import LineError, post_to_document
from monitor.ingestion.sources import Problem, Severity
from monitor.records import Document, RawItem

# Post texts can be long; the csv module's default 128 KB field limit would abort the whole file.
FIELD_SIZE_LIMIT = 16 * 1024 * 1024
REPLACEMENT = "\ufffd"


class CsvSourceSpec(FileSourceSpec):
    type: Literal["csv"] = "csv"
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: str = Field(default="utf-8", description="Any Python codec name, e.g. utf-8, cp1258, utf-16.")
    columns: dict[str, str] = Field(default_factory=dict, description="Export column → post field.")

    @field_validator("encoding")
    @classmethod
    def _known_codec(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError as exc:
            raise ValueError(f"unknown encoding {value!r}") from exc
        return value


def _decode(body: bytes, encoding: str) -> tuple[str, str | None]:
    """Decode the file; bad bytes become U+FFFD (their rows are then rejected) and are reported once."""
    codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    try:
        return body.decode(codec), None
    except UnicodeDecodeError as exc:
        warning = f"not valid {encoding} at byte {exc.start} ({exc.reason}); rows with undecodable bytes are rejected"
        return body.decode(codec, errors="replace"), warning


def parse_csv(raw: RawItem, spec: CsvSourceSpec, display_name: str) -> tuple[list[Document], list[Problem]]:
    """Parse one CSV file into documents and per-row problems."""
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_SIZE_LIMIT))
    text, decode_warning = _decode(raw.body, spec.encoding)
    problems: list[Problem] = []
    if decode_warning:
        problems.append(Problem(spec.id, display_name, decode_warning, severity=Severity.WARNING))
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=spec.delimiter)
    documents: list[Document] = []
    previous_line = 1
    try:
        for row in reader:
            where = f"{display_name}:{previous_line + 1}"
            previous_line = reader.line_num
            raw_row = spec.delimiter.join(value or "" for value in row.values() if isinstance(value, str))
            if None in row:
                problems.append(
                    Problem(
                        spec.id,
                        where,
                        f"row has {len(row[None]) if row[None] else 0} more cells than the header; extra cells ignored",
                        severity=Severity.WARNING,
                    )
                )
            record = {spec.columns.get(key, key): value for key, value in row.items() if key is not None}
            if any(isinstance(value, str) and REPLACEMENT in value for value in record.values()):
                problems.append(
                    Problem(spec.id, where, f"row contains bytes that are not valid {spec.encoding}", raw=raw_row)
                )
                continue
            try:
                document, warnings = post_to_document(record, spec.id, spec.platform, raw.fetched_at)
            except (LineError, ValueError) as exc:
                problems.append(Problem(spec.id, where, str(exc), raw=raw_row))
                continue
            problems.extend(Problem(spec.id, where, w, severity=Severity.WARNING) for w in warnings)
            documents.append(document)
    except csv.Error as exc:  # e.g. a NUL byte: the reader cannot go on, keep what was read
        problems.append(
            Problem(
                spec.id, f"{display_name}:{reader.line_num}", f"unreadable CSV, stopped here: {exc}", raw=text[:2000]
            )
        )
    return documents, problems


class CsvSource(FileImportSource):
    def __init__(self, spec: CsvSourceSpec) -> None:
        super().__init__(spec)
        self._csv_spec = spec

    def parse_file(self, raw: RawItem, display_name: str) -> tuple[list[Document], list[Problem]]:
        return parse_csv(raw, self._csv_spec, display_name)
