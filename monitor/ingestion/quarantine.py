"""Quarantine: raw input a source could not use, kept with the reason so nothing is lost silently."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from monitor.db import Database, Transaction, record_from_row
from monitor.ingestion.sources import Problem, Severity
from monitor.records import UtcDatetime, utc_now

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS quarantine (
        id INTEGER PRIMARY KEY,
        source_id TEXT NOT NULL,
        location TEXT NOT NULL,
        message TEXT NOT NULL,
        raw TEXT NOT NULL,
        created_ts REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS quarantine_source ON quarantine (source_id, created_ts)",
)

MAX_RAW_CHARS = 65_536


class QuarantinedItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    source_id: str
    location: str
    message: str
    raw: str
    created_at: UtcDatetime


class Quarantine:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.apply_schema(SCHEMA)

    def add(self, problems: Sequence[Problem]) -> int:
        """Keep the raw input of every error-level problem that has some; return how many were kept."""
        rows = [
            (p.source_id, p.location, p.message, p.raw[:MAX_RAW_CHARS], utc_now().timestamp())
            for p in problems
            if p.severity is Severity.ERROR and p.raw
        ]
        if rows:
            with Transaction(self.db) as conn:
                conn.executemany(
                    "INSERT INTO quarantine (source_id, location, message, raw, created_ts) VALUES (?,?,?,?,?)",
                    rows,
                )
        return len(rows)

    def recent(self, source_id: str | None = None, limit: int = 100) -> list[QuarantinedItem]:
        sql = "SELECT * FROM quarantine"
        params: list[object] = []
        if source_id:
            sql += " WHERE source_id = ?"
            params.append(source_id)
        rows = self.db.connection().execute(sql + " ORDER BY id DESC LIMIT ?", [*params, limit])
        return [record_from_row(QuarantinedItem, row, created_at=row["created_ts"]) for row in rows]
