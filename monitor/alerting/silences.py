"""Silences: mute matching alerts for a while, without losing them.

A silence matches alerts by rule id and/or a glob pattern over the alert key (``claim:*``), optionally
within a severity band. While it is active (``starts_at <= now < expires_at`` and not deleted) the alert
store still records every matching alert but marks it silenced with the silence's id, so the feed can
hide it and delivery can skip it. Deleting a silence ends it early; the row stays for the audit trail.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, computed_field, model_validator

from monitor.alerting.types import AlertSeverity
from monitor.errors import NotFoundError
from monitor.records import UtcDatetime, utc_now

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS silences (
        silence_id TEXT PRIMARY KEY,
        rule_id TEXT,
        key_pattern TEXT,
        min_severity TEXT,
        max_severity TEXT,
        reason TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_by_id TEXT,
        created_ts REAL NOT NULL,
        starts_ts REAL NOT NULL,
        expires_ts REAL NOT NULL,
        deleted_by TEXT,
        deleted_ts REAL
    )""",
    "CREATE INDEX IF NOT EXISTS silences_expires ON silences (expires_ts)",
)

SEVERITY_RANK = {
    AlertSeverity.LOW: 0,
    AlertSeverity.MEDIUM: 1,
    AlertSeverity.HIGH: 2,
    AlertSeverity.CRITICAL: 3,
}


def _in_range(value: datetime) -> datetime:
    # Year-1 or year-9999 timestamps with an offset overflow when converted: say so instead of crashing.
    try:
        value.timestamp()
        value.astimezone(UTC)
    except (OverflowError, ValueError, OSError) as exc:
        raise ValueError("timestamp out of range") from exc
    return value


SilenceTime = Annotated[datetime, AfterValidator(_in_range)]


class SilenceState(StrEnum):
    PENDING = "pending"  # starts in the future
    ACTIVE = "active"
    EXPIRED = "expired"  # past its end, or deleted


class SilenceCreate(BaseModel):
    """What an administrator asks for; at least one of ``rule_id`` and ``key_pattern``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_id: str | None = Field(default=None, min_length=1, max_length=64, description="Exact rule id.")
    key_pattern: str | None = Field(
        default=None, min_length=1, max_length=200, description="Glob over the alert key, e.g. 'claim:*'."
    )
    min_severity: AlertSeverity | None = Field(default=None, description="Match only alerts at least this severe.")
    max_severity: AlertSeverity | None = Field(default=None, description="Match only alerts at most this severe.")
    reason: str = Field(min_length=1, max_length=2000, description="Why; shown to every officer.")
    starts_at: SilenceTime | None = Field(default=None, description="Default: now. ISO-8601 with offset.")
    expires_at: SilenceTime = Field(description="When the silence ends. ISO-8601 with offset.")

    @model_validator(mode="after")
    def _consistent(self) -> SilenceCreate:
        if self.rule_id is None and self.key_pattern is None:
            raise ValueError("give 'rule_id' or 'key_pattern' (or both): a silence must say what it mutes")
        if not self.reason.strip():
            raise ValueError("'reason' must not be blank")
        for name in ("starts_at", "expires_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"'{name}' needs a time zone offset, e.g. 2026-11-03T00:00:00+07:00")
        if self.starts_at is not None and self.expires_at <= self.starts_at:
            raise ValueError("'expires_at' must be after 'starts_at'")
        if self.expires_at <= utc_now():
            raise ValueError("'expires_at' is in the past: the silence would never apply")
        if (
            self.min_severity is not None
            and self.max_severity is not None
            and SEVERITY_RANK[self.min_severity] > SEVERITY_RANK[self.max_severity]
        ):
            raise ValueError("'min_severity' is above 'max_severity': the silence would match nothing")
        return self


class Silence(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    silence_id: str
    rule_id: str | None
    key_pattern: str | None
    min_severity: AlertSeverity | None
    max_severity: AlertSeverity | None
    reason: str
    created_by: str
    created_by_id: str | None
    created_at: UtcDatetime
    starts_at: UtcDatetime
    expires_at: UtcDatetime
    deleted_by: str | None = None
    deleted_at: UtcDatetime | None = None

    def state_at(self, now: datetime) -> SilenceState:
        if self.deleted_at is not None or now >= self.expires_at:
            return SilenceState.EXPIRED
        return SilenceState.PENDING if now < self.starts_at else SilenceState.ACTIVE

    @computed_field  # type: ignore[prop-decorator]
    @property
    def state(self) -> SilenceState:
        """The state now (listings show it; matching uses :meth:`state_at` with one clock)."""
        return self.state_at(utc_now())

    def matches(self, rule_id: str, key: str, severity: AlertSeverity) -> bool:
        """Whether an alert with these attributes falls under this silence (whatever the time)."""
        if self.rule_id is not None and self.rule_id != rule_id:
            return False
        if self.key_pattern is not None and not fnmatchcase(key, self.key_pattern):
            return False
        rank = SEVERITY_RANK[severity]
        if self.min_severity is not None and rank < SEVERITY_RANK[self.min_severity]:
            return False
        return not (self.max_severity is not None and rank > SEVERITY_RANK[self.max_severity])


class SilenceStore:
    """Silence rows. Writes take the caller's transaction: the alert store applies them and audits them."""

    def __init__(self, conn_factory: Callable[[], sqlite3.Connection]) -> None:
        self._connection = conn_factory

    def insert(
        self, conn: sqlite3.Connection, spec: SilenceCreate, by_name: str, by_id: str | None, now: datetime
    ) -> Silence:
        silence = Silence(
            silence_id=str(uuid.uuid4()),
            rule_id=spec.rule_id,
            key_pattern=spec.key_pattern,
            min_severity=spec.min_severity,
            max_severity=spec.max_severity,
            reason=spec.reason.strip(),
            created_by=by_name,
            created_by_id=by_id,
            created_at=now,
            starts_at=spec.starts_at or now,
            expires_at=spec.expires_at,
        )
        conn.execute(
            """INSERT INTO silences (silence_id, rule_id, key_pattern, min_severity, max_severity, reason,
               created_by, created_by_id, created_ts, starts_ts, expires_ts) VALUES (?,?,?,?,?,?,?,?,?,?,?)""",
            (
                silence.silence_id,
                silence.rule_id,
                silence.key_pattern,
                silence.min_severity.value if silence.min_severity else None,
                silence.max_severity.value if silence.max_severity else None,
                silence.reason,
                silence.created_by,
                silence.created_by_id,
                silence.created_at.timestamp(),
                silence.starts_at.timestamp(),
                silence.expires_at.timestamp(),
            ),
        )
        return silence

    def get(self, silence_id: str, conn: sqlite3.Connection | None = None) -> Silence:
        connection = conn or self._connection()
        row = connection.execute("SELECT * FROM silences WHERE silence_id = ?", (silence_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no silence with id '{silence_id}'")
        return self._from_row(row)

    def active(self, conn: sqlite3.Connection, now: datetime) -> list[Silence]:
        """Silences in force at ``now``, the longest-lasting first (that one is named on the alert)."""
        ts = now.timestamp()
        rows = conn.execute(
            """SELECT * FROM silences WHERE deleted_ts IS NULL AND starts_ts <= ? AND expires_ts > ?
               ORDER BY expires_ts DESC, silence_id""",
            (ts, ts),
        )
        return [self._from_row(row) for row in rows]

    def matching(
        self, conn: sqlite3.Connection, now: datetime, rule_id: str, key: str, severity: AlertSeverity
    ) -> Silence | None:
        return next((s for s in self.active(conn, now) if s.matches(rule_id, key, severity)), None)

    def end(self, conn: sqlite3.Connection, silence_id: str, by: str, now: datetime) -> None:
        conn.execute(
            "UPDATE silences SET deleted_by = ?, deleted_ts = ? WHERE silence_id = ? AND deleted_ts IS NULL",
            (by, now.timestamp(), silence_id),
        )

    def search(self, state: SilenceState | None = None, limit: int = 100, offset: int = 0) -> tuple[int, list[Silence]]:
        """Silences, newest first, optionally only those in ``state`` now."""
        ts = utc_now().timestamp()
        where = {
            None: ("", ()),
            SilenceState.ACTIVE: (" WHERE deleted_ts IS NULL AND starts_ts <= ? AND expires_ts > ?", (ts, ts)),
            SilenceState.PENDING: (" WHERE deleted_ts IS NULL AND starts_ts > ? AND expires_ts > ?", (ts, ts)),
            SilenceState.EXPIRED: (" WHERE deleted_ts IS NOT NULL OR expires_ts <= ?", (ts,)),
        }[state]
        conn = self._connection()
        total = int(conn.execute(f"SELECT count(*) FROM silences{where[0]}", where[1]).fetchone()[0])
        rows = conn.execute(
            f"SELECT * FROM silences{where[0]} ORDER BY created_ts DESC, silence_id LIMIT ? OFFSET ?",
            (*where[1], limit, offset),
        ).fetchall()
        return total, [self._from_row(row) for row in rows]

    @staticmethod
    def _from_row(row: sqlite3.Row) -> Silence:
        return Silence(
            silence_id=row["silence_id"],
            rule_id=row["rule_id"],
            key_pattern=row["key_pattern"],
            min_severity=AlertSeverity(row["min_severity"]) if row["min_severity"] else None,
            max_severity=AlertSeverity(row["max_severity"]) if row["max_severity"] else None,
            reason=row["reason"],
            created_by=row["created_by"],
            created_by_id=row["created_by_id"],
            created_at=row["created_ts"],
            starts_at=row["starts_ts"],
            expires_at=row["expires_ts"],
            deleted_by=row["deleted_by"],
            deleted_at=row["deleted_ts"],
        )
