"""Source health: when each source last worked, last failed, and what its last cycle produced."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from monitor.db import Database, Transaction
from monitor.records import UtcDatetime

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS source_health (
        source_id TEXT PRIMARY KEY,
        last_attempt_ts REAL,
        last_success_ts REAL,
        last_error_ts REAL,
        last_error TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        items_total INTEGER NOT NULL DEFAULT 0,
        problems_total INTEGER NOT NULL DEFAULT 0,
        last_cycle TEXT NOT NULL DEFAULT '{}',
        daily_items TEXT NOT NULL DEFAULT '{}'
    )""",
)


DAYS_KEPT = 14
DAYS_AVERAGED = 7


class CycleCounts(BaseModel):
    """Counted outcomes of one collection from one source."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fetched: int = 0  # raw responses or files read
    documents: int = 0  # documents parsed
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    spooled: int = 0  # kept on local disk while the search engine is unreachable
    errors: int = 0  # items (or the fetch) that could not be used
    warnings: int = 0  # items kept with a fallback
    quarantined: int = 0
    not_modified: bool = False
    duration_seconds: float = 0.0
    problems: list[str] = Field(default_factory=list, description="First problem messages, for display.")


class SourceHealth(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source_id: str
    last_attempt_at: UtcDatetime | None = None
    last_success_at: UtcDatetime | None = None
    last_error_at: UtcDatetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    items_total: int = 0
    problems_total: int = 0
    last_cycle: CycleCounts = Field(default_factory=CycleCounts)
    daily_items: dict[str, int] = Field(default_factory=dict, description="New documents per UTC day, 2 weeks.")

    @property
    def items_per_day(self) -> float:
        """Average new documents per day over the last seven days (or since the first crawl, if newer)."""
        if not self.daily_items:
            return 0.0
        today = datetime.now(UTC).date()
        first = min(date.fromisoformat(day) for day in self.daily_items)
        days = max(1, min(DAYS_AVERAGED, (today - first).days + 1))
        window_start = today - timedelta(days=days - 1)
        recent = sum(n for day, n in self.daily_items.items() if date.fromisoformat(day) >= window_start)
        return round(recent / days, 1)

    @property
    def status(self) -> str:
        if self.last_attempt_at is None:
            return "pending"
        if self.consecutive_failures:
            return "failing"
        return "degraded" if self.last_cycle.errors else "ok"


class HealthStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.apply_schema(SCHEMA)

    def record(self, source_id: str, at: datetime, counts: CycleCounts, error: str | None) -> SourceHealth:
        """Record one attempt; ``error`` set means the source as a whole failed this time."""
        ts = at.timestamp()
        with Transaction(self.db) as conn:
            conn.execute("INSERT OR IGNORE INTO source_health (source_id) VALUES (?)", (source_id,))
            row = conn.execute("SELECT daily_items FROM source_health WHERE source_id = ?", (source_id,)).fetchone()
            daily: dict[str, int] = json.loads(row["daily_items"])
            day = f"{at.astimezone(UTC):%Y-%m-%d}"
            daily[day] = daily.get(day, 0) + counts.inserted
            daily = dict(sorted(daily.items())[-DAYS_KEPT:])
            conn.execute("UPDATE source_health SET daily_items = ? WHERE source_id = ?", (json.dumps(daily), source_id))
            if error is None:
                conn.execute(
                    """UPDATE source_health SET last_attempt_ts=?, last_success_ts=?, consecutive_failures=0,
                       items_total=items_total+?, problems_total=problems_total+?, last_cycle=?
                       WHERE source_id=?""",
                    (ts, ts, counts.inserted, counts.errors + counts.warnings, counts.model_dump_json(), source_id),
                )
            else:
                conn.execute(
                    """UPDATE source_health SET last_attempt_ts=?, last_error_ts=?, last_error=?,
                       consecutive_failures=consecutive_failures+1, problems_total=problems_total+?,
                       last_cycle=? WHERE source_id=?""",
                    (ts, ts, error, max(1, counts.errors + counts.warnings), counts.model_dump_json(), source_id),
                )
            if error is None and counts.errors:
                # The source worked but some items did not: keep the first item error visible.
                conn.execute(
                    "UPDATE source_health SET last_error_ts=?, last_error=? WHERE source_id=?",
                    (ts, counts.problems[0] if counts.problems else "item errors", source_id),
                )
        return self.get(source_id)

    def get(self, source_id: str) -> SourceHealth:
        row = self.db.connection().execute("SELECT * FROM source_health WHERE source_id = ?", (source_id,)).fetchone()
        if row is None:
            return SourceHealth(source_id=source_id)
        return self._from_row(row)

    def all(self) -> dict[str, SourceHealth]:
        rows = self.db.connection().execute("SELECT * FROM source_health")
        return {row["source_id"]: self._from_row(row) for row in rows}

    @staticmethod
    def _from_row(row: Any) -> SourceHealth:
        return SourceHealth(
            source_id=row["source_id"],
            last_attempt_at=row["last_attempt_ts"],
            last_success_at=row["last_success_ts"],
            last_error_at=row["last_error_ts"],
            last_error=row["last_error"],
            consecutive_failures=row["consecutive_failures"],
            items_total=row["items_total"],
            problems_total=row["problems_total"],
            last_cycle=CycleCounts.model_validate(json.loads(row["last_cycle"])),
            daily_items=json.loads(row["daily_items"]),
        )
