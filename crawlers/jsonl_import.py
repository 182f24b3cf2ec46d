"""JSONL imports of social posts (exports from other tools, or the bundled sample corpus).

One JSON object per line, with the fields described in :mod:`crawlers.posts`. A line that is not valid
UTF-8 or JSON, or lacks a required field, is reported as ``file:line`` and quarantined.
"""

from __future__ import annotations

import json
from typing import Literal

from crawlers.file_import import FileImportSource, FileSourceSpec
from crawlers.posts import LineError, post_to_document
from monitor.ingestion.sources import Problem, Severity
from monitor.records import Document, Platform, RawItem


class JsonlSourceSpec(FileSourceSpec):
    type: Literal["jsonl"] = "jsonl"


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


class JsonlSource(FileImportSource):
    def parse_file(self, raw: RawItem, display_name: str) -> tuple[list[Document], list[Problem]]:
        return parse_jsonl(raw, self.spec.id, self.spec.platform, display_name)
