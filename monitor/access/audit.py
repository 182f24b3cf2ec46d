"""The audit log: who changed what, when, and from which state to which.

Every change an officer or the system makes to an alert or a silence (creation, acknowledge, resolve,
re-open, comment, escalate, create or delete a silence), a rule or a person's account is written here
*in the same transaction* as the change itself, so the log can never disagree with the data (DESIGN.md:
privacy and accountability). Entries are never updated or deleted.
"""

from __future__ import annotations

import json
import sqlite3
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from monitor.access.keys import ApiKey
from monitor.db import Database, record_from_row
from monitor.records import UtcDatetime, utc_now

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS audit_log (
        entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts REAL NOT NULL,
        actor TEXT NOT NULL,
        actor_id TEXT,
        action TEXT NOT NULL,
        object_type TEXT NOT NULL,
        object_id TEXT NOT NULL,
        from_state TEXT,
        to_state TEXT,
        detail TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS audit_object ON audit_log (object_type, object_id, entry_id)",
    "CREATE INDEX IF NOT EXISTS audit_ts ON audit_log (ts)",
)


class AuditAction(StrEnum):
    CREATE = "create"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    COMMENT = "comment"
    ESCALATE = "escalate"
    SILENCE_CREATE = "silence.create"
    SILENCE_DELETE = "silence.delete"
    RULE_CREATE = "rule.create"
    RULE_UPDATE = "rule.update"
    RULE_DELETE = "rule.delete"
    USER_CREATE = "user.create"
    USER_DISABLE = "user.disable"
    USER_LOCK = "user.lock"  # too many failed sign-ins
    PASSWORD_CHANGE = "user.password_change"  # noqa: S105 - an action's name; by the person
    PASSWORD_RESET = "user.password_reset"  # noqa: S105 - an action's name; by an administrator


class AuditObject(StrEnum):
    ALERT = "alert"
    SILENCE = "silence"
    RULE = "rule"
    USER = "user"  # a person's console account


class Actor(BaseModel):
    """Who did something: an API key (name and id), a command-line user (``cli:<os user>``) or the system."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    key_id: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.key_id})" if self.key_id else self.name

    @classmethod
    def of(cls, who: Actor | str) -> Actor:
        return who if isinstance(who, Actor) else cls(name=who)

    @classmethod
    def for_key(cls, key: ApiKey) -> Actor:
        """The holder of an API key (the API, and command-line users acting as a key)."""
        return cls(name=key.name, key_id=key.key_id)


SYSTEM = Actor(name="system")


class AuditEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    entry_id: int
    at: UtcDatetime
    actor: str
    actor_id: str | None
    action: AuditAction
    object_type: AuditObject
    object_id: str
    from_state: str | None
    to_state: str | None
    detail: dict[str, Any]


class AuditQuery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    object_type: AuditObject | None = None
    object_id: str | None = None
    actions: tuple[AuditAction, ...] = ()
    actor_id: str | None = None
    since: UtcDatetime | None = None
    until: UtcDatetime | None = None
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> AuditQuery:
        if self.since is not None and self.until is not None and self.until < self.since:
            raise ValueError("'until' is before 'since'")
        return self


def write_entry(
    conn: sqlite3.Connection,
    actor: Actor,
    action: AuditAction,
    object_type: AuditObject,
    object_id: str,
    *,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: dict[str, Any] | None = None,
    at: float | None = None,
) -> None:
    """Append an entry inside the caller's open transaction (so it commits or rolls back with the change)."""
    conn.execute(
        """INSERT INTO audit_log (ts, actor, actor_id, action, object_type, object_id, from_state, to_state, detail)
           VALUES (?,?,?,?,?,?,?,?,?)""",
        (
            utc_now().timestamp() if at is None else at,
            actor.name,
            actor.key_id,
            action.value,
            object_type.value,
            object_id,
            from_state,
            to_state,
            json.dumps(detail or {}, ensure_ascii=False),
        ),
    )


class AuditLog:
    """Reads the audit log (writes go through :func:`write_entry` inside the changing transaction)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.apply_schema(SCHEMA)

    def search(self, request: AuditQuery) -> tuple[int, list[AuditEntry]]:
        """Entries matching ``request``, newest first, and how many match in all."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("object_type", request.object_type.value if request.object_type else None),
            ("object_id", request.object_id),
            ("actor_id", request.actor_id),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if request.actions:
            clauses.append(f"action IN ({','.join('?' * len(request.actions))})")
            params.extend(a.value for a in request.actions)
        if request.since is not None:
            clauses.append("ts >= ?")
            params.append(request.since.timestamp())
        if request.until is not None:
            clauses.append("ts < ?")
            params.append(request.until.timestamp())
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        conn = self.db.connection()
        total = int(conn.execute(f"SELECT count(*) FROM audit_log{where}", params).fetchone()[0])
        rows = conn.execute(
            f"SELECT * FROM audit_log{where} ORDER BY entry_id DESC LIMIT ? OFFSET ?",
            [*params, request.limit, request.offset],
        ).fetchall()
        return total, [self._from_row(row) for row in rows]

    def trail(self, object_type: AuditObject, object_id: str) -> list[AuditEntry]:
        """Every entry about one object, oldest first."""
        rows = self.db.connection().execute(
            "SELECT * FROM audit_log WHERE object_type = ? AND object_id = ? ORDER BY entry_id",
            (object_type.value, object_id),
        )
        return [self._from_row(row) for row in rows]

    @staticmethod
    def _from_row(row: sqlite3.Row) -> AuditEntry:
        return record_from_row(AuditEntry, row, at=row["ts"], detail=json.loads(row["detail"]))
