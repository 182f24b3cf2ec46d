"""Alerts: what a rule found, why, and which documents; stored once per rule and key.

An alert's id is derived from its rule and key (e.g. the window or the claim), so re-processing the same
documents updates the existing alert instead of creating a duplicate, and new matching documents are
added to it.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from monitor.db import Database, Transaction
from monitor.errors import NotFoundError, StoreError
from monitor.records import UtcDatetime, utc_now
from monitor.rules.specs import AlertSeverity

ALERT_NAMESPACE = uuid.UUID("3c9d2f4e-1b7a-5e08-8c61-9a0f2d4b7e15")

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS alerts (
        alert_id TEXT PRIMARY KEY,
        rule_id TEXT NOT NULL,
        rule_type TEXT NOT NULL,
        severity TEXT NOT NULL,
        key TEXT NOT NULL,
        title TEXT NOT NULL,
        summary TEXT NOT NULL,
        details TEXT NOT NULL,
        state TEXT NOT NULL,
        created_ts REAL NOT NULL,
        updated_ts REAL NOT NULL,
        event_start_ts INTEGER NOT NULL,
        event_end_ts INTEGER NOT NULL,
        acknowledged_by TEXT,
        acknowledged_ts REAL
    )""",
    "CREATE INDEX IF NOT EXISTS alerts_created ON alerts (created_ts)",
    "CREATE INDEX IF NOT EXISTS alerts_rule ON alerts (rule_id, created_ts)",
    """CREATE TABLE IF NOT EXISTS alert_documents (
        alert_id TEXT NOT NULL REFERENCES alerts (alert_id) ON DELETE CASCADE,
        doc_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (alert_id, doc_id)
    )""",
    # Windows that new documents touched and that the windowed rules have not looked at since. Kept on
    # disk so a crash between storing documents and evaluating their windows cannot lose an alert.
    """CREATE TABLE IF NOT EXISTS pending_windows (
        rule_id TEXT NOT NULL,
        window_start_ts INTEGER NOT NULL,
        PRIMARY KEY (rule_id, window_start_ts)
    )""",
)

MAX_DOCUMENTS_LISTED = 1000


class AlertState(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlertCandidate(BaseModel):
    """What a rule evaluation proposes; the store merges it into an :class:`Alert`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_id: str
    rule_type: str
    severity: AlertSeverity
    key: str
    title: str
    summary: str
    details: dict[str, Any] = Field(default_factory=dict)
    doc_ids: tuple[str, ...]
    event_start: UtcDatetime
    event_end: UtcDatetime

    @property
    def alert_id(self) -> str:
        return str(uuid.uuid5(ALERT_NAMESPACE, f"{self.rule_id}\x00{self.key}"))


class Alert(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    alert_id: str
    rule_id: str
    rule_type: str
    severity: AlertSeverity
    key: str
    title: str
    summary: str
    details: dict[str, Any]
    state: AlertState
    doc_ids: tuple[str, ...]
    doc_count: int
    created_at: UtcDatetime
    updated_at: UtcDatetime
    event_start: UtcDatetime
    event_end: UtcDatetime
    acknowledged_by: str | None = None
    acknowledged_at: UtcDatetime | None = None


class AlertQuery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    states: tuple[AlertState, ...] = ()
    severities: tuple[AlertSeverity, ...] = ()
    rule_ids: tuple[str, ...] = ()
    since: UtcDatetime | None = None  # on created_at
    until: UtcDatetime | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


def _ts(value: datetime) -> float:
    return value.timestamp()


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


class AlertStore:
    """Alerts in the embedded database (alerts stay in SQLite whatever the document backend)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.apply_schema(SCHEMA)

    def record(self, candidate: AlertCandidate) -> tuple[Alert, bool]:
        """Create or merge the alert for ``candidate``; return it and whether it is new."""
        alert_id = candidate.alert_id
        now = _ts(utc_now())
        try:
            with Transaction(self.db) as conn:
                row = conn.execute(
                    "SELECT event_start_ts, event_end_ts FROM alerts WHERE alert_id = ?", (alert_id,)
                ).fetchone()
                start = int(_ts(candidate.event_start))
                end = int(_ts(candidate.event_end))
                if row is None:
                    conn.execute(
                        """INSERT INTO alerts (alert_id, rule_id, rule_type, severity, key, title, summary,
                           details, state, created_ts, updated_ts, event_start_ts, event_end_ts)
                           VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                        (
                            alert_id,
                            candidate.rule_id,
                            candidate.rule_type,
                            candidate.severity.value,
                            candidate.key,
                            candidate.title,
                            candidate.summary,
                            json.dumps(candidate.details, ensure_ascii=False),
                            AlertState.NEW.value,
                            now,
                            now,
                            start,
                            end,
                        ),
                    )
                else:
                    conn.execute(
                        """UPDATE alerts SET title=?, summary=?, details=?, severity=?, updated_ts=?,
                           event_start_ts=?, event_end_ts=? WHERE alert_id=?""",
                        (
                            candidate.title,
                            candidate.summary,
                            json.dumps(candidate.details, ensure_ascii=False),
                            candidate.severity.value,
                            now,
                            min(start, row["event_start_ts"]),
                            max(end, row["event_end_ts"]),
                            alert_id,
                        ),
                    )
                next_seq = conn.execute(
                    "SELECT coalesce(max(seq), 0) FROM alert_documents WHERE alert_id = ?", (alert_id,)
                ).fetchone()[0]
                conn.executemany(
                    "INSERT OR IGNORE INTO alert_documents (alert_id, doc_id, seq) VALUES (?, ?, ?)",
                    [(alert_id, doc_id, next_seq + i + 1) for i, doc_id in enumerate(candidate.doc_ids)],
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot record alert for rule '{candidate.rule_id}': {exc}") from exc
        return self.get(alert_id), row is None

    def get(self, alert_id: str) -> Alert:
        conn = self.db.connection()
        row = conn.execute("SELECT * FROM alerts WHERE alert_id = ?", (alert_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no alert with id '{alert_id}'")
        return self._from_row(conn, row)

    def search(self, request: AlertQuery) -> tuple[int, list[Alert]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, values in (
            ("state", [s.value for s in request.states]),
            ("severity", [s.value for s in request.severities]),
            ("rule_id", list(request.rule_ids)),
        ):
            if values:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(values)
        if request.since is not None:
            clauses.append("created_ts >= ?")
            params.append(_ts(request.since))
        if request.until is not None:
            clauses.append("created_ts < ?")
            params.append(_ts(request.until))
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        conn = self.db.connection()
        total = conn.execute(f"SELECT count(*) FROM alerts{where}", params).fetchone()[0]
        rows = conn.execute(
            f"SELECT * FROM alerts{where} ORDER BY event_end_ts DESC, created_ts DESC LIMIT ? OFFSET ?",
            [*params, request.limit, request.offset],
        ).fetchall()
        return total, [self._from_row(conn, row) for row in rows]

    def acknowledge(self, alert_id: str, by: str) -> Alert:
        """Mark an alert acknowledged by ``by`` (idempotent: the first acknowledgement is kept)."""
        with Transaction(self.db) as conn:
            cursor = conn.execute(
                """UPDATE alerts SET state=?, acknowledged_by=coalesce(acknowledged_by, ?),
                   acknowledged_ts=coalesce(acknowledged_ts, ?), updated_ts=? WHERE alert_id=? AND state=?""",
                (AlertState.ACKNOWLEDGED.value, by, _ts(utc_now()), _ts(utc_now()), alert_id, AlertState.NEW.value),
            )
            if (
                cursor.rowcount == 0
                and conn.execute("SELECT 1 FROM alerts WHERE alert_id=?", (alert_id,)).fetchone() is None
            ):
                raise NotFoundError(f"no alert with id '{alert_id}'")
        return self.get(alert_id)

    def mark_windows_pending(self, windows: Iterable[tuple[str, datetime]]) -> None:
        """Remember (rule id, window start) pairs for the next windowed evaluation."""
        rows = {(rule_id, int(_ts(start))) for rule_id, start in windows}
        if not rows:
            return
        try:
            with Transaction(self.db) as conn:
                conn.executemany(
                    "INSERT OR IGNORE INTO pending_windows (rule_id, window_start_ts) VALUES (?, ?)", sorted(rows)
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot record pending windows: {exc}") from exc

    def pending_windows(self) -> list[tuple[str, datetime]]:
        rows = self.db.connection().execute(
            "SELECT rule_id, window_start_ts FROM pending_windows ORDER BY window_start_ts, rule_id"
        )
        return [(row["rule_id"], datetime.fromtimestamp(row["window_start_ts"], UTC)) for row in rows]

    def clear_pending_window(self, rule_id: str, start: datetime) -> None:
        with Transaction(self.db) as conn:
            conn.execute(
                "DELETE FROM pending_windows WHERE rule_id = ? AND window_start_ts = ?", (rule_id, int(_ts(start)))
            )

    def doc_ids(self, alert_id: str, limit: int = MAX_DOCUMENTS_LISTED) -> list[str]:
        rows = self.db.connection().execute(
            "SELECT doc_id FROM alert_documents WHERE alert_id = ? ORDER BY seq LIMIT ?", (alert_id, limit)
        )
        return [row["doc_id"] for row in rows]

    def _from_row(self, conn: sqlite3.Connection, row: sqlite3.Row) -> Alert:
        doc_count = conn.execute(
            "SELECT count(*) FROM alert_documents WHERE alert_id = ?", (row["alert_id"],)
        ).fetchone()[0]
        return Alert(
            alert_id=row["alert_id"],
            rule_id=row["rule_id"],
            rule_type=row["rule_type"],
            severity=AlertSeverity(row["severity"]),
            key=row["key"],
            title=row["title"],
            summary=row["summary"],
            details=json.loads(row["details"]),
            state=AlertState(row["state"]),
            doc_ids=tuple(self.doc_ids(row["alert_id"])),
            doc_count=doc_count,
            created_at=_dt(row["created_ts"]),
            updated_at=_dt(row["updated_ts"]),
            event_start=_dt(row["event_start_ts"]),
            event_end=_dt(row["event_end_ts"]),
            acknowledged_by=row["acknowledged_by"],
            acknowledged_at=_dt(row["acknowledged_ts"]),
        )
