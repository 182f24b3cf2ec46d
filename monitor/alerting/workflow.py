"""The alert workflow: acknowledge, resolve, comment, escalate, and silences, each audited.

States go new → acknowledged → resolved (resolve also straight from new); :class:`AlertStateError`
refuses the rest. Every change is written to the audit log in the same transaction and gives the alert
a new change sequence number (``seq``), so the live stream reports it. :class:`AlertWorkflow` is a part
of :class:`monitor.alerting.store.AlertStore`; use it through the store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime, timedelta

from monitor.access.audit import SYSTEM, Actor, AuditAction, AuditObject, write_entry
from monitor.alerting.silences import Silence, SilenceCreate, SilenceState, SilenceStore
from monitor.alerting.types import (
    SILENCED_SQL,
    Alert,
    AlertComment,
    AlertSeverity,
    AlertState,
    AlertStateError,
)
from monitor.db import Database, Transaction, datetime_from_ts
from monitor.errors import InvalidInputError, NotFoundError
from monitor.records import utc_now

MAX_COMMENT_CHARS = 4000

# Deadlines the scheduler can pass to escalate_overdue() unless the operator configured others.
DEFAULT_ESCALATION_DEADLINES: dict[AlertSeverity, timedelta] = {
    AlertSeverity.HIGH: timedelta(minutes=30),
    AlertSeverity.CRITICAL: timedelta(minutes=30),
}


def next_seq(conn: sqlite3.Connection) -> int:
    """The next change sequence number (call inside the changing transaction)."""
    # Inside BEGIN IMMEDIATE only one writer (of any process) runs, so max + 1 is strictly increasing.
    return int(conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM alerts").fetchone()[0])


def require_alert(conn: sqlite3.Connection, alert_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM alerts WHERE alert_id = ?", (alert_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no alert with id '{alert_id}'")
    return row


def comment_from_row(row: sqlite3.Row) -> AlertComment:
    return AlertComment(
        comment_id=row["comment_id"],
        alert_id=row["alert_id"],
        at=row["ts"],
        author=row["author"],
        author_id=row["author_id"],
        text=row["text"],
    )


class AlertWorkflow:
    """The state-changing half of the alert store (mixed into :class:`monitor.alerting.store.AlertStore`)."""

    db: Database
    silences: SilenceStore

    def get(self, alert_id: str) -> Alert:
        raise NotImplementedError

    def acknowledge(self, alert_id: str, by: Actor | str) -> Alert:
        """Mark a new alert acknowledged by ``by``.

        Idempotent for an acknowledged alert (the first acknowledgement is kept, nothing is audited);
        a resolved alert cannot be acknowledged (:class:`AlertStateError`).
        """
        actor = Actor.of(by)
        with Transaction(self.db) as conn:
            row = require_alert(conn, alert_id)
            state = AlertState(row["state"])
            if state is AlertState.RESOLVED:
                raise AlertStateError(
                    f"alert '{alert_id}' is resolved (by {row['resolved_by']}) and cannot be acknowledged; "
                    "it re-opens by itself when new documents arrive"
                )
            if state is AlertState.NEW:
                now = utc_now().timestamp()
                conn.execute(
                    """UPDATE alerts SET state=?, acknowledged_by=?, acknowledged_ts=?, updated_ts=?, seq=?
                       WHERE alert_id=?""",
                    (AlertState.ACKNOWLEDGED.value, actor.label, now, now, next_seq(conn), alert_id),
                )
                write_entry(
                    conn,
                    actor,
                    AuditAction.ACKNOWLEDGE,
                    AuditObject.ALERT,
                    alert_id,
                    from_state=state.value,
                    to_state=AlertState.ACKNOWLEDGED.value,
                    at=now,
                )
        return self.get(alert_id)

    def resolve(self, alert_id: str, by: Actor | str, note: str | None = None) -> Alert:
        """Resolve a new or acknowledged alert; resolving a resolved one raises :class:`AlertStateError`."""
        actor = Actor.of(by)
        with Transaction(self.db) as conn:
            row = require_alert(conn, alert_id)
            state = AlertState(row["state"])
            if state is AlertState.RESOLVED:
                resolved_at = datetime_from_ts(row["resolved_ts"])
                raise AlertStateError(
                    f"alert '{alert_id}' is already resolved (by {row['resolved_by']} at {resolved_at})"
                )
            now = utc_now().timestamp()
            conn.execute(
                "UPDATE alerts SET state=?, resolved_by=?, resolved_ts=?, updated_ts=?, seq=? WHERE alert_id=?",
                (AlertState.RESOLVED.value, actor.label, now, now, next_seq(conn), alert_id),
            )
            write_entry(
                conn,
                actor,
                AuditAction.RESOLVE,
                AuditObject.ALERT,
                alert_id,
                from_state=state.value,
                to_state=AlertState.RESOLVED.value,
                detail={"note": note} if note else None,
                at=now,
            )
        return self.get(alert_id)

    def comment(self, alert_id: str, by: Actor | str, text: str) -> AlertComment:
        """Add a comment (audited; the alert's ``seq`` moves so stream clients see it)."""
        body = text.strip()
        if not body or len(body) > MAX_COMMENT_CHARS:
            raise InvalidInputError(f"a comment needs 1 to {MAX_COMMENT_CHARS} characters", parameter="text")
        actor = Actor.of(by)
        with Transaction(self.db) as conn:
            row = require_alert(conn, alert_id)
            now = utc_now().timestamp()
            cursor = conn.execute(
                "INSERT INTO alert_comments (alert_id, ts, author, author_id, text) VALUES (?,?,?,?,?)",
                (alert_id, now, actor.name, actor.key_id, body),
            )
            comment_id = int(cursor.lastrowid or 0)
            conn.execute("UPDATE alerts SET seq=? WHERE alert_id=?", (next_seq(conn), alert_id))
            write_entry(
                conn,
                actor,
                AuditAction.COMMENT,
                AuditObject.ALERT,
                alert_id,
                from_state=row["state"],
                to_state=row["state"],
                detail={"comment_id": comment_id, "text": body},
                at=now,
            )
            created = conn.execute("SELECT * FROM alert_comments WHERE comment_id = ?", (comment_id,)).fetchone()
        return comment_from_row(created)

    def escalate_overdue(self, now: datetime, deadline_by_severity: Mapping[AlertSeverity, timedelta]) -> list[Alert]:
        """Escalate alerts still new past their severity's deadline; return those escalated now.

        The deadline counts from when the alert last became new (creation or re-opening). Each alert is
        escalated once per opening; silenced alerts are not escalated. Severities missing from
        ``deadline_by_severity`` never escalate. Call it from the scheduler, e.g. every minute, with
        :data:`DEFAULT_ESCALATION_DEADLINES`.
        """
        moment = now.timestamp()
        escalated: list[str] = []
        with Transaction(self.db) as conn:
            for severity, deadline in deadline_by_severity.items():
                rows = conn.execute(
                    f"""SELECT a.alert_id, a.opened_ts, a.created_ts FROM alerts a
                        WHERE a.state = ? AND a.severity = ? AND a.escalated_ts IS NULL
                        AND coalesce(a.opened_ts, a.created_ts) <= ? AND NOT {SILENCED_SQL}
                        ORDER BY a.created_ts""",
                    (AlertState.NEW.value, severity.value, moment - deadline.total_seconds(), moment, moment),
                ).fetchall()
                for row in rows:
                    conn.execute(
                        "UPDATE alerts SET escalated_ts=?, seq=? WHERE alert_id=?",
                        (moment, next_seq(conn), row["alert_id"]),
                    )
                    opened = row["opened_ts"] or row["created_ts"]
                    write_entry(
                        conn,
                        SYSTEM,
                        AuditAction.ESCALATE,
                        AuditObject.ALERT,
                        row["alert_id"],
                        from_state=AlertState.NEW.value,
                        to_state=AlertState.NEW.value,
                        detail={
                            "severity": severity.value,
                            "deadline_seconds": int(deadline.total_seconds()),
                            "new_for_seconds": int(moment - opened),
                        },
                        at=moment,
                    )
                    escalated.append(row["alert_id"])
        return [self.get(alert_id) for alert_id in escalated]

    def create_silence(self, spec: SilenceCreate, by: Actor | str) -> Silence:
        """Create a silence; if it is active now, open alerts it matches are marked silenced at once."""
        actor = Actor.of(by)
        moment = utc_now()
        with Transaction(self.db) as conn:
            silence = self.silences.insert(conn, spec, actor.name, actor.key_id, moment)
            applied: list[str] = []
            if silence.state_at(moment) is SilenceState.ACTIVE:
                rows = conn.execute(
                    f"SELECT a.alert_id, a.rule_id, a.key, a.severity FROM alerts a WHERE a.state != ?"
                    f" AND NOT {SILENCED_SQL}",
                    (AlertState.RESOLVED.value, moment.timestamp(), moment.timestamp()),
                ).fetchall()
                for row in rows:
                    if silence.matches(row["rule_id"], row["key"], AlertSeverity(row["severity"])):
                        conn.execute(
                            "UPDATE alerts SET silence_id=?, seq=? WHERE alert_id=?",
                            (silence.silence_id, next_seq(conn), row["alert_id"]),
                        )
                        applied.append(row["alert_id"])
            write_entry(
                conn,
                actor,
                AuditAction.SILENCE_CREATE,
                AuditObject.SILENCE,
                silence.silence_id,
                to_state=silence.state_at(moment).value,
                detail={**spec.model_dump(mode="json"), "applied_to_open_alerts": len(applied)},
                at=moment.timestamp(),
            )
        return silence

    def delete_silence(self, silence_id: str, by: Actor | str) -> Silence:
        """End a silence now (the row stays, for the audit trail); alerts it muted show again."""
        actor = Actor.of(by)
        moment = utc_now()
        with Transaction(self.db) as conn:
            before = self.silences.get(silence_id, conn)
            state = before.state_at(moment)
            if before.deleted_at is None:
                self.silences.end(conn, silence_id, actor.label, moment)
                # Alerts it muted changed visibly: give them a new seq so stream clients hear of it.
                for row in conn.execute("SELECT alert_id FROM alerts WHERE silence_id = ?", (silence_id,)).fetchall():
                    conn.execute("UPDATE alerts SET seq=? WHERE alert_id=?", (next_seq(conn), row["alert_id"]))
                write_entry(
                    conn,
                    actor,
                    AuditAction.SILENCE_DELETE,
                    AuditObject.SILENCE,
                    silence_id,
                    from_state=state.value,
                    to_state=SilenceState.EXPIRED.value,
                    at=moment.timestamp(),
                )
        return self.silences.get(silence_id)
