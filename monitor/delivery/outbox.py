"""The delivery outbox and log in the service's SQLite database.

``delivery_outbox`` holds one row per (alert, channel, trigger): the message snapshot, its state
(pending → sent, or → failed after the last attempt) and when to try next. Rows are never deleted by
delivery, so a failed channel never loses an alert: it stays visible and an operator can requeue it.
``delivery_log`` keeps every attempt (and every operator requeue) with its outcome, the server's status
and reply, and the error. ``delivery_announced`` remembers what recipients were last told about each
alert, which decides whether an update is announced again (see :mod:`monitor.delivery.triggers`).

Several processes may deliver from one database (two ``monitor run`` on one data directory, or the API
and a worker). Each attempt first *claims* its row: one conditional ``UPDATE`` sets ``lease_owner`` and
``lease_until`` only if the row is still pending, due and not leased by anyone else, so exactly one
process wins and sends. Writing the outcome clears the lease. A process that dies mid-attempt leaves
its lease behind; once ``lease_until`` passes, another process claims the row and retries it. Rows
leased by another process are neither listed as due nor count towards when the channel wakes next.
On PostgreSQL the same claim is ``SELECT ... FOR UPDATE SKIP LOCKED`` on the due rows followed by the
same lease ``UPDATE`` in one transaction (or ``UPDATE ... WHERE delivery_id IN (that select)
RETURNING ...``); the lease columns keep crash recovery identical there.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from monitor.alerting.types import AlertSeverity
from monitor.db import Database, Transaction, datetime_from_ts, record_from_row
from monitor.delivery.triggers import Announced, after_trigger, trigger_for
from monitor.errors import StoreError
from monitor.records import UtcDatetime

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS delivery_outbox (
        delivery_id INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_id TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        trigger TEXT NOT NULL,
        message TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        attempts_base INTEGER NOT NULL DEFAULT 0,
        next_attempt_ts REAL NOT NULL,
        last_error TEXT,
        created_ts REAL NOT NULL,
        updated_ts REAL NOT NULL,
        sent_ts REAL,
        lease_owner TEXT,
        lease_until REAL,
        UNIQUE (alert_id, channel_id, trigger)
    )""",
    "CREATE INDEX IF NOT EXISTS delivery_outbox_due ON delivery_outbox (state, next_attempt_ts)",
    """CREATE TABLE IF NOT EXISTS delivery_log (
        log_id INTEGER PRIMARY KEY AUTOINCREMENT,
        delivery_id INTEGER NOT NULL REFERENCES delivery_outbox (delivery_id) ON DELETE CASCADE,
        alert_id TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        trigger TEXT NOT NULL,
        attempt INTEGER,
        at_ts REAL NOT NULL,
        outcome TEXT NOT NULL,
        status INTEGER,
        reply TEXT,
        error TEXT,
        duration_ms REAL,
        next_attempt_ts REAL
    )""",
    "CREATE INDEX IF NOT EXISTS delivery_log_alert ON delivery_log (alert_id, log_id)",
    """CREATE TABLE IF NOT EXISTS delivery_announced (
        alert_id TEXT PRIMARY KEY,
        severity TEXT NOT NULL,
        doc_count INTEGER NOT NULL,
        updated_ts REAL NOT NULL
    )""",
)


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class AttemptOutcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # failed, another attempt is scheduled
    FAILED = "failed"  # failed for good (permanent error, or the last attempt)
    REQUEUED = "requeued"  # an operator asked for new attempts


class Delivery(BaseModel):
    """The state of one alert's delivery through one channel."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    delivery_id: int
    alert_id: str
    channel_id: str
    trigger: str
    state: DeliveryState
    attempts: int
    next_attempt_at: UtcDatetime | None
    last_error: str | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    sent_at: UtcDatetime | None


class DeliveryAttempt(BaseModel):
    """One line of the delivery log."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    log_id: int
    delivery_id: int
    alert_id: str
    channel_id: str
    trigger: str
    attempt: int | None
    at: UtcDatetime
    outcome: AttemptOutcome
    status: int | None
    reply: str | None
    error: str | None
    duration_ms: float | None
    next_attempt_at: UtcDatetime | None


@dataclass(frozen=True)
class Candidate:
    """An alert the rules just touched, with the channels its routing selects."""

    alert_id: str
    severity: AlertSeverity
    doc_count: int
    is_new: bool
    channel_ids: Sequence[str]
    message_json: Callable[[], str]  # built only when a trigger fires
    escalated_at: datetime | None = None  # set when this is an escalation (still unacknowledged past deadline)


@dataclass(frozen=True)
class DueRow:
    delivery_id: int
    alert_id: str
    channel_id: str
    trigger: str
    message_json: str
    attempts: int
    attempts_base: int


@dataclass(frozen=True)
class AttemptRecord:
    """The outcome of an attempt, written to the outbox row and the log together."""

    outcome: AttemptOutcome
    attempt: int
    at: datetime
    status: int | None = None
    reply: str | None = None
    error: str | None = None
    duration_ms: float | None = None
    next_attempt_at: datetime | None = None


# Columns added after the first release: (name, type); older databases gain them in place.
LATER_COLUMNS = (("lease_owner", "TEXT"), ("lease_until", "REAL"))
# A row is claimable when nobody holds an unexpired lease on it.
_NOT_LEASED = "(lease_until IS NULL OR lease_until <= ?)"


class Outbox:
    """Persistent delivery queue and log (tables are created on first use)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.apply_schema(SCHEMA)
        self._add_later_columns()

    def _add_later_columns(self) -> None:
        # Databases created before deliveries were leased lack the lease columns; SQLite adds them in place
        # (NULL: not leased). Under the write lock, so two processes starting together add each one once.
        with Transaction(self.db) as conn:
            columns = {row["name"] for row in conn.execute("PRAGMA table_info(delivery_outbox)")}
            for name, kind in LATER_COLUMNS:
                if name not in columns:
                    conn.execute(f"ALTER TABLE delivery_outbox ADD COLUMN {name} {kind}")

    def enqueue(self, candidates: Sequence[Candidate], now: datetime) -> int:
        """Add a row per routed channel for each candidate whose trigger fires; return rows added.

        Reading and updating ``delivery_announced`` happen in the same transaction as the inserts, and
        rows are unique per (alert, channel, trigger), so calling this twice with the same alerts adds
        nothing the second time.
        """
        added = 0
        ts = now.timestamp()
        try:
            with Transaction(self.db) as conn:
                for candidate in candidates:
                    row = conn.execute(
                        "SELECT severity, doc_count FROM delivery_announced WHERE alert_id = ?", (candidate.alert_id,)
                    ).fetchone()
                    announced = None if row is None else Announced(AlertSeverity(row[0]), row[1])
                    trigger = trigger_for(
                        candidate.severity,
                        candidate.doc_count,
                        is_new=candidate.is_new,
                        announced=announced,
                        escalated_at=candidate.escalated_at,
                    )
                    if trigger is None:
                        continue
                    state = after_trigger(candidate.severity, candidate.doc_count, announced)
                    conn.execute(
                        """INSERT INTO delivery_announced (alert_id, severity, doc_count, updated_ts)
                           VALUES (?, ?, ?, ?) ON CONFLICT (alert_id) DO UPDATE SET severity = excluded.severity,
                           doc_count = excluded.doc_count, updated_ts = excluded.updated_ts""",
                        (candidate.alert_id, state.severity.value, state.doc_count, ts),
                    )
                    if not candidate.channel_ids:
                        continue
                    message = candidate.message_json()
                    for channel_id in candidate.channel_ids:
                        cursor = conn.execute(
                            """INSERT OR IGNORE INTO delivery_outbox (alert_id, channel_id, trigger, message, state,
                               next_attempt_ts, created_ts, updated_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                            (candidate.alert_id, channel_id, trigger, message, DeliveryState.PENDING.value, ts, ts, ts),
                        )
                        added += cursor.rowcount
        except sqlite3.Error as exc:
            raise StoreError(f"cannot enqueue alert deliveries: {exc}") from exc
        return added

    def due(self, now: datetime, channel_ids: Sequence[str], limit: int) -> list[DueRow]:
        """Pending, unleased rows of ``channel_ids`` due at or before ``now``, oldest first.

        Only a listing: another process may take a row meanwhile, so each must be :meth:`claim`-ed
        before it is sent.
        """
        if not channel_ids:
            return []
        marks = ",".join("?" * len(channel_ids))
        ts = now.timestamp()
        rows = self.db.connection().execute(
            f"""SELECT delivery_id, alert_id, channel_id, trigger, message, attempts, attempts_base
                FROM delivery_outbox WHERE state = ? AND next_attempt_ts <= ? AND channel_id IN ({marks})
                AND {_NOT_LEASED} ORDER BY next_attempt_ts, delivery_id LIMIT ?""",
            (DeliveryState.PENDING.value, ts, *channel_ids, ts, limit),
        )
        return [DueRow(*row) for row in rows]

    def claim(self, delivery_id: int, owner: str, now: datetime, lease: timedelta) -> DueRow | None:
        """Take row ``delivery_id`` for one attempt by ``owner`` until ``now + lease``.

        Returns the row as it is now (attempt counts may have moved since it was listed), or None when
        it is no longer pending and due, or another owner holds an unexpired lease on it. The check and
        the lease are one conditional UPDATE under SQLite's write lock, so of any number of processes
        claiming the same row, one wins. :meth:`record` clears the lease.
        """
        ts = now.timestamp()
        try:
            with Transaction(self.db) as conn:
                cursor = conn.execute(
                    f"""UPDATE delivery_outbox SET lease_owner = ?, lease_until = ?
                        WHERE delivery_id = ? AND state = ? AND next_attempt_ts <= ? AND {_NOT_LEASED}""",
                    (owner, ts + lease.total_seconds(), delivery_id, DeliveryState.PENDING.value, ts, ts),
                )
                if cursor.rowcount != 1:
                    return None
                row = conn.execute(
                    """SELECT delivery_id, alert_id, channel_id, trigger, message, attempts, attempts_base
                       FROM delivery_outbox WHERE delivery_id = ?""",
                    (delivery_id,),
                ).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot claim delivery {delivery_id}: {exc}") from exc
        return DueRow(*row)

    def next_due(self, channel_ids: Sequence[str]) -> dict[str, datetime]:
        """For each channel with pending rows, when its earliest one is due (or its lease ends)."""
        if not channel_ids:
            return {}
        marks = ",".join("?" * len(channel_ids))
        # A row another process holds is due again only when its lease runs out (if that process died).
        rows = self.db.connection().execute(
            f"""SELECT channel_id, min(max(next_attempt_ts, coalesce(lease_until, 0))) FROM delivery_outbox
                WHERE state = ? AND channel_id IN ({marks}) GROUP BY channel_id""",
            (DeliveryState.PENDING.value, *channel_ids),
        )
        return {row[0]: datetime.fromtimestamp(row[1], UTC) for row in rows}

    def record(self, row: DueRow, record: AttemptRecord) -> None:
        """Write an attempt's outcome to the outbox row and append it to the log, atomically.

        Clears the row's lease: a retry is claimed again when it is due.
        """
        state = {
            AttemptOutcome.SENT: DeliveryState.SENT,
            AttemptOutcome.RETRY: DeliveryState.PENDING,
            AttemptOutcome.FAILED: DeliveryState.FAILED,
        }[record.outcome]
        at = record.at.timestamp()
        next_ts = record.next_attempt_at.timestamp() if record.next_attempt_at else None
        error = record.error
        with Transaction(self.db) as conn:
            conn.execute(
                """UPDATE delivery_outbox SET state = ?, attempts = ?, next_attempt_ts = coalesce(?, next_attempt_ts),
                   last_error = ?, updated_ts = ?, sent_ts = ?, lease_owner = NULL, lease_until = NULL
                   WHERE delivery_id = ?""",
                (
                    state.value,
                    record.attempt,
                    next_ts,
                    error,
                    at,
                    at if state is DeliveryState.SENT else None,
                    row.delivery_id,
                ),
            )
            self._log(conn, (row.delivery_id, row.alert_id, row.channel_id, row.trigger), record)

    def requeue(self, alert_id: str, channel_id: str | None, by: str, now: datetime) -> int:
        """Give failed deliveries of ``alert_id`` (one channel, or all) a fresh set of attempts now."""
        clause, params = ("AND channel_id = ?", (channel_id,)) if channel_id else ("", ())
        with Transaction(self.db) as conn:
            rows = conn.execute(
                f"""SELECT delivery_id, alert_id, channel_id, trigger, attempts FROM delivery_outbox
                    WHERE alert_id = ? AND state = ? {clause}""",
                (alert_id, DeliveryState.FAILED.value, *params),
            ).fetchall()
            for row in rows:
                conn.execute(
                    """UPDATE delivery_outbox SET state = ?, attempts_base = attempts, next_attempt_ts = ?,
                       updated_ts = ? WHERE delivery_id = ?""",
                    (DeliveryState.PENDING.value, now.timestamp(), now.timestamp(), row["delivery_id"]),
                )
                self._log(
                    conn,
                    (row["delivery_id"], row["alert_id"], row["channel_id"], row["trigger"]),
                    AttemptRecord(
                        outcome=AttemptOutcome.REQUEUED,
                        attempt=row["attempts"],
                        at=now,
                        reply=f"requeued by {by}",
                        next_attempt_at=now,
                    ),
                )
        return len(rows)

    def deliveries(self, alert_id: str) -> list[Delivery]:
        rows = self.db.connection().execute(
            "SELECT * FROM delivery_outbox WHERE alert_id = ? ORDER BY delivery_id", (alert_id,)
        )
        return [
            record_from_row(
                Delivery,
                row,
                next_attempt_at=datetime_from_ts(row["next_attempt_ts"])
                if row["state"] == DeliveryState.PENDING
                else None,
                created_at=datetime_from_ts(row["created_ts"]),
                updated_at=datetime_from_ts(row["updated_ts"]),
                sent_at=datetime_from_ts(row["sent_ts"]),
            )
            for row in rows
        ]

    def log(self, alert_id: str) -> list[DeliveryAttempt]:
        rows = self.db.connection().execute(
            "SELECT * FROM delivery_log WHERE alert_id = ? ORDER BY log_id", (alert_id,)
        )
        return [
            record_from_row(
                DeliveryAttempt,
                row,
                at=datetime_from_ts(row["at_ts"]),
                next_attempt_at=datetime_from_ts(row["next_attempt_ts"]),
            )
            for row in rows
        ]

    def counts(self) -> dict[str, dict[str, int]]:
        """Rows per channel and state, e.g. ``{"ops-webhook": {"sent": 12, "failed": 1}}``."""
        counts: dict[str, dict[str, int]] = {}
        for row in self.db.connection().execute(
            "SELECT channel_id, state, count(*) FROM delivery_outbox GROUP BY channel_id, state"
        ):
            counts.setdefault(row[0], {})[row[1]] = row[2]
        return counts

    @staticmethod
    def _log(conn: sqlite3.Connection, target: tuple[int, str, str, str], record: AttemptRecord) -> None:
        """Append ``record`` for ``target`` = (delivery id, alert id, channel id, trigger)."""
        delivery_id, alert_id, channel_id, trigger = target
        conn.execute(
            """INSERT INTO delivery_log (delivery_id, alert_id, channel_id, trigger, attempt, at_ts, outcome, status,
               reply, error, duration_ms, next_attempt_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                delivery_id,
                alert_id,
                channel_id,
                trigger,
                record.attempt,
                record.at.timestamp(),
                record.outcome.value,
                record.status,
                record.reply,
                record.error,
                record.duration_ms,
                record.next_attempt_at.timestamp() if record.next_attempt_at else None,
            ),
        )
