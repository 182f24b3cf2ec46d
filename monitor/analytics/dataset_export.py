"""``monitor export dataset``: the stored documents as one Parquet file for researchers.

The rows are those of :meth:`monitor.analytics.research.Research.documents` (the same columns and the same
privacy view, :mod:`monitor.access.privacy`: authors and ``@Name`` mentions pseudonymized, no URLs for social
posts), written with
pyarrow one row group per page read from the store, so memory stays flat however many documents there
are. The file is written next to its destination and renamed into place only when complete: an
interrupted export never leaves a truncated file that looks finished.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from monitor.access.privacy import PrivacyPolicy, Pseudonymizer
from monitor.analytics.research import COLUMNS, PAGE_SIZE, document_row, iter_documents
from monitor.context import Monitor
from monitor.errors import MonitorError
from monitor.files import private_dir, private_file
from monitor.store.base import DocumentFilter

Progress = Callable[[str], None]
ROW_GROUP_PAGES = 10  # store pages per Parquet row group: 5,000 rows, large enough for efficient column chunks


class ExportError(MonitorError):
    """The dataset cannot be written (the message names the file)."""


def dataset_schema(timezone: str) -> pa.Schema:
    """The Parquet schema: one field per :data:`monitor.analytics.research.COLUMNS`, times tz-aware in ``timezone``."""
    text, score, count = pa.string(), pa.float64(), pa.int64()
    strings = pa.list_(pa.string())
    stamp = pa.timestamp("us", tz=timezone)
    types: dict[str, pa.DataType] = {
        "published_at": stamp,
        "fetched_at": stamp,
        "sentiment_negative": score,
        "sentiment_neutral": score,
        "sentiment_positive": score,
        "toxicity_clean": score,
        "misinformation": score,
        "topics": strings,
        "misinformation_reasons": strings,
        "claim_ids": strings,
        "watchlist_hits": strings,
        "likes": count,
        "comments": count,
        "shares": count,
        "views": count,
    }
    nullable = {"url", "author", "channel", "parent_id", "story_id", "likes", "comments", "shares", "views"}
    nullable |= {"sentiment_negative", "sentiment_neutral", "sentiment_positive", "toxicity_clean"}
    fields = [pa.field(name, types.get(name, text), nullable=name in nullable) for name in COLUMNS]
    metadata: dict[bytes | str, bytes | str] = {
        "producer": "dongnai-monitor export dataset",
        "privacy": "private authors, channels named after a person, @mentions and those names in the text are "
        "keyed pseudonyms; phones and e-mails masked; social posts carry no URL",
    }
    return pa.schema(fields, metadata=metadata)


def export_dataset(
    monitor: Monitor,
    out_path: Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: Progress | None = None,
) -> int:
    """Write every document published in [``since``, ``until``) to ``out_path`` as Parquet.

    Args:
        monitor: The assembled service; only its settings and store are used (read-only).
        out_path: The ``.parquet`` file to create or replace.
        since: Published at or after (timezone-aware); None means from the first document.
        until: Published before; None means up to the last.
        progress: Called with a short status line after each row group.

    Returns:
        How many documents were written.

    Raises:
        ExportError: The file cannot be written.
        StoreError: The store failed while reading.
    """
    report = progress or (lambda _message: None)
    settings = monitor.settings
    pseudonyms = Pseudonymizer.for_data_dir(settings.data_dir)
    privacy = PrivacyPolicy.for_store(pseudonyms, monitor.store)
    schema = dataset_schema(settings.timezone)
    document_filter = DocumentFilter(since=since, until=until, timezone=settings.timezone)
    partial = out_path.with_name(f".{out_path.name}.partial")
    written = 0
    try:
        private_dir(out_path.parent)
        private_file(partial)  # pyarrow keeps the mode of the file it truncates
        with pq.ParquetWriter(partial, schema, compression="zstd") as writer:
            rows: list[dict[str, Any]] = []
            for page in iter_documents(monitor.store, document_filter, page_size=PAGE_SIZE):
                rows.extend(document_row(item, privacy, settings.zone) for item in page)
                if len(rows) >= ROW_GROUP_PAGES * PAGE_SIZE:
                    written += _write_group(writer, rows, schema)
                    report(f"{written:,} documents written")
                    rows = []
            if rows or not written:  # an empty export is still a valid file with the schema
                written += _write_group(writer, rows, schema)
        os.replace(partial, out_path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ExportError(f"{out_path}: cannot write the dataset: {exc.strerror or exc}") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    report(f"done: {written:,} documents in {out_path}")
    return written


def _write_group(writer: pq.ParquetWriter, rows: Sequence[dict[str, Any]], schema: pa.Schema) -> int:
    writer.write_table(pa.Table.from_pylist(list(rows), schema=schema))
    return len(rows)
