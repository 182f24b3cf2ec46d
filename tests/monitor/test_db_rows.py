"""Rows of the append-only logs become records through one mapping (monitor.db)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from monitor.db import datetime_from_ts, record_from_row
from monitor.records import UtcDatetime


class Kind(StrEnum):
    NOTE = "note"


class Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    entry_id: int
    at: UtcDatetime
    kind: Kind
    text: str
    closed_at: datetime | None = None


def test_a_row_becomes_its_record_with_renamed_and_converted_columns() -> None:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    conn.execute("CREATE TABLE log (entry_id INTEGER, ts REAL, kind TEXT, text TEXT, closed_ts REAL, extra TEXT)")
    conn.execute("INSERT INTO log VALUES (7, 1767225600.0, 'note', 'Bình luận: đã xác minh', NULL, 'x')")
    row = conn.execute("SELECT * FROM log").fetchone()

    entry = record_from_row(Entry, row, at=datetime_from_ts(row["ts"]), closed_at=datetime_from_ts(row["closed_ts"]))

    assert entry == Entry(
        entry_id=7, at=datetime(2026, 1, 1, tzinfo=UTC), kind=Kind.NOTE, text="Bình luận: đã xác minh", closed_at=None
    )
    assert entry.kind is Kind.NOTE  # the stored string is the enum again


def test_timestamps_are_read_back_as_aware_utc() -> None:
    moment = datetime_from_ts(0.5)
    assert moment == datetime(1970, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)
    assert moment.tzinfo is UTC
    assert datetime_from_ts(None) is None
