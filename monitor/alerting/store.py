"""Alerts: what a rule found, why, and which documents; stored once per rule and key.

An alert's id is derived from its rule and key (e.g. the window or the claim), so re-processing the same
documents updates the existing alert instead of creating a duplicate, and new matching documents are
added to it.

The workflow is new → acknowledged → resolved (resolve also straight from new). A resolved alert that
receives new documents is re-opened (state new again). Officers comment on alerts; high-severity alerts
left new past a deadline are escalated. Every state change and comment is written to the audit log
(:mod:`monitor.access.audit`) in the same transaction. Active silences (:mod:`monitor.alerting.silences`)
mark matching alerts silenced; they are still recorded. The types live in :mod:`monitor.alerting.types`
and the state-changing methods in :mod:`monitor.alerting.workflow` (mixed into :class:`AlertStore`).

Every change gives the alert a new ``seq`` from one increasing sequence: the live stream (SSE) uses it as
the event id, so a client that reconnects with ``Last-Event-ID`` gets exactly what changed since.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.access.audit import SYSTEM, AuditAction, AuditEntry, AuditLog, AuditObject, write_entry
from monitor.alerting.silences import SCHEMA as SILENCE_SCHEMA
from monitor.alerting.silences import SilenceStore
from monitor.alerting.types import (
    SILENCED_SQL,
    Alert,
    AlertCandidate,
    AlertComment,
    AlertQuery,
    AlertSeverity,
    AlertState,
)
from monitor.alerting.workflow import (
    AlertWorkflow,
    comment_from_row,
    next_seq,
    require_alert,
)
from monitor.db import Database, Transaction, datetime_from_ts
from monitor.errors import NotFoundError, StoreError
from monitor.records import utc_now
from monitor.text import folded_words, tokens

# Re-exported: callers import the alert types and workflow constants from here.

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
    """CREATE TABLE IF NOT EXISTS alert_comments (
        comment_id INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_id TEXT NOT NULL REFERENCES alerts (alert_id) ON DELETE CASCADE,
        ts REAL NOT NULL,
        author TEXT NOT NULL,
        author_id TEXT,
        text TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS alert_comments_alert ON alert_comments (alert_id, comment_id)",
)

# Columns added after the first release; databases created before get them by _migrate().
ADDED_COLUMNS = (
    ("resolved_by", "TEXT"),
    ("resolved_ts", "REAL"),
    ("silence_id", "TEXT"),
    ("escalated_ts", "REAL"),
    ("opened_ts", "REAL"),  # when the alert last became new (created or re-opened): escalation counts from it
    ("seq", "INTEGER NOT NULL DEFAULT 0"),
    ("search_text", "TEXT NOT NULL DEFAULT ''"),
)
INDEXES_ON_ADDED = ("CREATE INDEX IF NOT EXISTS alerts_seq ON alerts (seq)",)

MAX_DOCUMENTS_LISTED = 1000
REOPEN_DOC_IDS_AUDITED = 20


def _search_text(title: str, summary: str) -> str:
    return folded_words(f"{title}\n{summary}")


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class _Incoming:
    """A candidate being recorded, with what record() computed for it."""

    candidate: AlertCandidate
    details: str  # JSON
    now: float
    start: int
    end: int
    silence_id: str | None


_SELECT = (
    f"SELECT a.*, {SILENCED_SQL} AS silenced_now,"
    " (SELECT count(*) FROM alert_comments c WHERE c.alert_id = a.alert_id) AS comment_count,"
    " (SELECT count(*) FROM alert_documents d WHERE d.alert_id = a.alert_id) AS doc_count"
    " FROM alerts a"
)


class AlertStore(AlertWorkflow):
    """Alerts in the embedded database (alerts stay in SQLite whatever the document backend)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.apply_schema(SCHEMA)
        db.apply_schema(SILENCE_SCHEMA)
        self.audit = AuditLog(db)
        self.silences = SilenceStore(db.connection)
        self._migrate()

    def _migrate(self) -> None:
        """Add the columns of later releases to an existing table (SQLite has no ADD COLUMN IF NOT EXISTS)."""
        try:
            with Transaction(self.db) as conn:
                present = {row["name"] for row in conn.execute("PRAGMA table_info(alerts)")}
                for name, declaration in ADDED_COLUMNS:
                    if name not in present:
                        conn.execute(f"ALTER TABLE alerts ADD COLUMN {name} {declaration}")
                for statement in INDEXES_ON_ADDED:
                    conn.execute(statement)
                # Rows from before the sequence existed get one, in their order of last change.
                old = conn.execute("SELECT alert_id FROM alerts WHERE seq = 0 ORDER BY updated_ts").fetchall()
                if old:
                    first = conn.execute("SELECT coalesce(max(seq), 0) FROM alerts").fetchone()[0] + 1
                    conn.executemany(
                        "UPDATE alerts SET seq = ? WHERE alert_id = ?",
                        [(first + i, row["alert_id"]) for i, row in enumerate(old)],
                    )
                for row in conn.execute("SELECT alert_id, title, summary FROM alerts WHERE search_text = ''"):
                    conn.execute(
                        "UPDATE alerts SET search_text = ? WHERE alert_id = ?",
                        (_search_text(row["title"], row["summary"]), row["alert_id"]),
                    )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot upgrade the alerts table in {self.db.path}: {exc}", retryable=False) from exc

    # -- recording what the rules found ----------------------------------------------------------

    def record(self, candidate: AlertCandidate) -> tuple[Alert, bool]:
        """Create or merge the alert for ``candidate``; return it and whether it is new.

        A resolved alert that gets documents it did not have is re-opened (and the re-opening audited).
        An alert matching an active silence is recorded all the same, marked silenced.
        """
        alert_id = candidate.alert_id
        moment = utc_now()
        now = moment.timestamp()
        details = json.dumps(candidate.details, ensure_ascii=False)
        try:
            with Transaction(self.db) as conn:
                row = conn.execute("SELECT * FROM alerts WHERE alert_id = ?", (alert_id,)).fetchone()
                silence = self.silences.matching(conn, moment, candidate.rule_id, candidate.key, candidate.severity)
                incoming = _Incoming(
                    candidate=candidate,
                    details=details,
                    now=now,
                    start=int(candidate.event_start.timestamp()),
                    end=int(candidate.event_end.timestamp()),
                    silence_id=silence.silence_id if silence else None,
                )
                if row is None:
                    self._insert(conn, incoming)
                else:
                    self._merge(conn, row, incoming)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot record alert for rule '{candidate.rule_id}': {exc}") from exc
        return self.get(alert_id), row is None

    def _insert(self, conn: sqlite3.Connection, incoming: _Incoming) -> None:
        candidate, now, start, end = incoming.candidate, incoming.now, incoming.start, incoming.end
        details, silence_id = incoming.details, incoming.silence_id
        alert_id = candidate.alert_id
        conn.execute(
            """INSERT INTO alerts (alert_id, rule_id, rule_type, severity, key, title, summary, details, state,
               created_ts, updated_ts, event_start_ts, event_end_ts, silence_id, opened_ts, seq, search_text)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
            (
                alert_id,
                candidate.rule_id,
                candidate.rule_type,
                candidate.severity.value,
                candidate.key,
                candidate.title,
                candidate.summary,
                details,
                AlertState.NEW.value,
                now,
                now,
                start,
                end,
                silence_id,
                now,
                next_seq(conn),
                _search_text(candidate.title, candidate.summary),
            ),
        )
        self._add_documents(conn, alert_id, candidate.doc_ids)
        write_entry(
            conn,
            SYSTEM,
            AuditAction.CREATE,
            AuditObject.ALERT,
            alert_id,
            to_state=AlertState.NEW.value,
            detail={"rule_id": candidate.rule_id, "documents": len(candidate.doc_ids), "silence_id": silence_id},
            at=now,
        )

    def _merge(self, conn: sqlite3.Connection, row: sqlite3.Row, incoming: _Incoming) -> None:
        candidate, now, start, end = incoming.candidate, incoming.now, incoming.start, incoming.end
        details, silence_id = incoming.details, incoming.silence_id
        alert_id = candidate.alert_id
        added = self._add_documents(conn, alert_id, candidate.doc_ids)
        new_start, new_end = min(start, row["event_start_ts"]), max(end, row["event_end_ts"])
        changed = bool(added) or (
            (candidate.title, candidate.summary, details, candidate.severity.value, silence_id, new_start, new_end)
            != (
                row["title"],
                row["summary"],
                row["details"],
                row["severity"],
                row["silence_id"],
                row["event_start_ts"],
                row["event_end_ts"],
            )
        )
        conn.execute(
            """UPDATE alerts SET title=?, summary=?, details=?, severity=?, updated_ts=?, event_start_ts=?,
               event_end_ts=?, silence_id=?, search_text=?, seq=CASE WHEN ? THEN ? ELSE seq END
               WHERE alert_id=?""",
            (
                candidate.title,
                candidate.summary,
                details,
                candidate.severity.value,
                now,
                new_start,
                new_end,
                silence_id,
                _search_text(candidate.title, candidate.summary),
                changed,
                next_seq(conn),
                alert_id,
            ),
        )
        if added and row["state"] == AlertState.RESOLVED.value:
            conn.execute(
                """UPDATE alerts SET state=?, acknowledged_by=NULL, acknowledged_ts=NULL, resolved_by=NULL,
                   resolved_ts=NULL, escalated_ts=NULL, opened_ts=? WHERE alert_id=?""",
                (AlertState.NEW.value, now, alert_id),
            )
            write_entry(
                conn,
                SYSTEM,
                AuditAction.REOPEN,
                AuditObject.ALERT,
                alert_id,
                from_state=AlertState.RESOLVED.value,
                to_state=AlertState.NEW.value,
                detail={
                    "reason": "new documents arrived after the alert was resolved",
                    "new_documents": len(added),
                    "doc_ids": added[:REOPEN_DOC_IDS_AUDITED],
                    "resolved_by": row["resolved_by"],
                    "resolved_at": (
                        None if row["resolved_ts"] is None else datetime_from_ts(row["resolved_ts"]).isoformat()
                    ),
                },
                at=now,
            )

    @staticmethod
    def _add_documents(conn: sqlite3.Connection, alert_id: str, doc_ids: Sequence[str]) -> list[str]:
        """Attach ``doc_ids`` (in order, skipping known ones); return those that were new to the alert."""
        next_seq = conn.execute(
            "SELECT coalesce(max(seq), 0) FROM alert_documents WHERE alert_id = ?", (alert_id,)
        ).fetchone()[0]
        added: list[str] = []
        for doc_id in dict.fromkeys(doc_ids):
            cursor = conn.execute(
                "INSERT OR IGNORE INTO alert_documents (alert_id, doc_id, seq) VALUES (?, ?, ?)",
                (alert_id, doc_id, next_seq + len(added) + 1),
            )
            if cursor.rowcount:
                added.append(doc_id)
        return added

    # -- reading ---------------------------------------------------------------------------------

    def get(self, alert_id: str) -> Alert:
        conn = self.db.connection()
        now = utc_now().timestamp()
        row = conn.execute(f"{_SELECT} WHERE a.alert_id = ?", (now, now, alert_id)).fetchone()
        if row is None:
            raise NotFoundError(f"no alert with id '{alert_id}'")
        return self._from_row(row)

    def search(self, request: AlertQuery) -> tuple[int, list[Alert]]:
        now = utc_now().timestamp()
        clauses: list[str] = []
        params: list[Any] = []
        for column, values in (
            ("state", [s.value for s in request.states]),
            ("severity", [s.value for s in request.severities]),
            ("rule_id", list(request.rule_ids)),
        ):
            if values:
                clauses.append(f"a.{column} IN ({','.join('?' * len(values))})")
                params.extend(values)
        for clause, value in (
            ("a.created_ts >= ?", request.since),
            ("a.created_ts < ?", request.until),
            ("a.event_end_ts >= ?", request.event_since),
            ("a.event_start_ts < ?", request.event_until),
        ):
            if value is not None:
                clauses.append(clause)
                params.append(value.timestamp())
        for word in tokens(request.text or ""):
            clauses.append("a.search_text LIKE ? ESCAPE '\\'")
            params.append(_like(word))
        if not request.include_silenced:
            clauses.append(f"NOT {SILENCED_SQL}")
            params.extend((now, now))
        if request.escalated is not None:
            clauses.append("a.escalated_ts IS NOT NULL" if request.escalated else "a.escalated_ts IS NULL")
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        conn = self.db.connection()
        total = conn.execute(f"SELECT count(*) FROM alerts a{where}", params).fetchone()[0]
        rows = conn.execute(
            f"{_SELECT}{where} ORDER BY a.event_end_ts DESC, a.created_ts DESC, a.alert_id LIMIT ? OFFSET ?",
            [now, now, *params, request.limit, request.offset],
        ).fetchall()
        return total, [self._from_row(row) for row in rows]

    def changed_since(self, seq: int, limit: int = 100) -> list[Alert]:
        """Alerts whose last change has a sequence number above ``seq``, in the order they changed."""
        now = utc_now().timestamp()
        rows = self.db.connection().execute(f"{_SELECT} WHERE a.seq > ? ORDER BY a.seq LIMIT ?", (now, now, seq, limit))
        return [self._from_row(row) for row in rows]

    def last_seq(self) -> int:
        """The sequence number of the latest change (0 when there are no alerts)."""
        return int(self.db.connection().execute("SELECT coalesce(max(seq), 0) FROM alerts").fetchone()[0])

    def doc_ids(self, alert_id: str, limit: int = MAX_DOCUMENTS_LISTED) -> list[str]:
        rows = self.db.connection().execute(
            "SELECT doc_id FROM alert_documents WHERE alert_id = ? ORDER BY seq LIMIT ?", (alert_id, limit)
        )
        return [row["doc_id"] for row in rows]

    def comments(self, alert_id: str) -> list[AlertComment]:
        """An alert's comments, oldest first."""
        require_alert(self.db.connection(), alert_id)
        rows = self.db.connection().execute(
            "SELECT * FROM alert_comments WHERE alert_id = ? ORDER BY comment_id", (alert_id,)
        )
        return [comment_from_row(row) for row in rows]

    def trail(self, alert_id: str) -> list[AuditEntry]:
        """The alert's audit trail, oldest first."""
        require_alert(self.db.connection(), alert_id)
        return self.audit.trail(AuditObject.ALERT, alert_id)

    # -- pending windows (for the windowed rules) --------------------------------------------------

    def mark_windows_pending(self, windows: Iterable[tuple[str, datetime]]) -> None:
        """Remember (rule id, window start) pairs for the next windowed evaluation."""
        rows = {(rule_id, int(start.timestamp())) for rule_id, start in windows}
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
        return [(row["rule_id"], datetime_from_ts(row["window_start_ts"])) for row in rows]

    def clear_pending_window(self, rule_id: str, start: datetime) -> None:
        with Transaction(self.db) as conn:
            conn.execute(
                "DELETE FROM pending_windows WHERE rule_id = ? AND window_start_ts = ?",
                (rule_id, int(start.timestamp())),
            )

    # -- rows --------------------------------------------------------------------------------------

    def _from_row(self, row: sqlite3.Row) -> Alert:
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
            doc_count=row["doc_count"],
            created_at=datetime_from_ts(row["created_ts"]),
            updated_at=datetime_from_ts(row["updated_ts"]),
            event_start=datetime_from_ts(row["event_start_ts"]),
            event_end=datetime_from_ts(row["event_end_ts"]),
            acknowledged_by=row["acknowledged_by"],
            acknowledged_at=datetime_from_ts(row["acknowledged_ts"]),
            resolved_by=row["resolved_by"],
            resolved_at=datetime_from_ts(row["resolved_ts"]),
            silenced=bool(row["silenced_now"]),
            silence_id=row["silence_id"],
            escalated_at=datetime_from_ts(row["escalated_ts"]),
            comment_count=row["comment_count"],
            seq=row["seq"],
        )
