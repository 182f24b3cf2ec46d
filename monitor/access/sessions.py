"""Signed-in people's sessions: server-side records, found by the SHA-256 of a random cookie token.

The cookie holds a 256-bit random token; the table holds only its hash (as for API keys, a fast hash
is right for a random secret), so a copy of the database lets nobody sign in. A session ends at a fixed
time after sign-in (``session_hours``), after ``idle_minutes`` without use, on sign-out, and when its
person's password changes or the account is disabled. Each session carries its own CSRF token, which
every state-changing request authenticated by the cookie must echo.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from monitor.config.settings import ConsoleSettings
from monitor.db import Database, Transaction, datetime_from_ts
from monitor.errors import AuthError
from monitor.records import UtcDatetime, utc_now

Clock = Callable[[], datetime]

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS user_sessions (
        session_id TEXT PRIMARY KEY,
        token_sha256 TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL,
        csrf_token TEXT NOT NULL,
        created_ts REAL NOT NULL,
        last_seen_ts REAL NOT NULL,
        expires_ts REAL NOT NULL,
        revoked_ts REAL
    )""",
    "CREATE INDEX IF NOT EXISTS user_sessions_user ON user_sessions (user_id)",
)

EXPIRED = "Phiên đăng nhập đã hết hạn: vui lòng đăng nhập lại."


class Session(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    session_id: str
    user_id: str
    csrf_token: str
    created_at: UtcDatetime
    last_seen_at: UtcDatetime
    expires_at: UtcDatetime

    def csrf_matches(self, given: str | None) -> bool:
        """Whether ``given`` is this session's CSRF token (compared in constant time)."""
        return bool(given) and hmac.compare_digest(self.csrf_token.encode(), (given or "").encode())


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SessionStore:
    """Opens, resumes and revokes sessions; ``clock`` is injectable so tests never wait for real time."""

    def __init__(self, db: Database, settings: ConsoleSettings, clock: Clock = utc_now) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        db.apply_schema(SCHEMA)

    def open(self, user_id: str) -> tuple[Session, str]:
        """A new session for ``user_id`` and its cookie token (shown once: only its hash is stored)."""
        now = self.clock()
        token = secrets.token_urlsafe(32)
        session = Session(
            session_id=str(uuid.uuid4()),
            user_id=user_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=self.settings.session_hours),
        )
        idle = timedelta(minutes=self.settings.idle_minutes).total_seconds()
        with Transaction(self.db) as conn:
            # Ended sessions are of no further use (a cookie of one is refused as unknown): forget them.
            conn.execute(
                """DELETE FROM user_sessions
                   WHERE revoked_ts IS NOT NULL OR expires_ts <= ? OR last_seen_ts + ? <= ?""",
                (now.timestamp(), idle, now.timestamp()),
            )
            conn.execute(
                """INSERT INTO user_sessions
                   (session_id, token_sha256, user_id, csrf_token, created_ts, last_seen_ts, expires_ts)
                   VALUES (?,?,?,?,?,?,?)""",
                (
                    session.session_id,
                    _digest(token),
                    user_id,
                    session.csrf_token,
                    now.timestamp(),
                    now.timestamp(),
                    session.expires_at.timestamp(),
                ),
            )
        return session, token

    def resume(self, token: str) -> Session:
        """The live session of a cookie token, marked as used now; AuthError if unknown or ended."""
        now = self.clock()
        digest = _digest(token)
        row = self.db.connection().execute("SELECT * FROM user_sessions WHERE token_sha256 = ?", (digest,)).fetchone()
        if row is None or not hmac.compare_digest(row["token_sha256"], digest) or row["revoked_ts"] is not None:
            raise AuthError(EXPIRED)
        idle_limit = row["last_seen_ts"] + timedelta(minutes=self.settings.idle_minutes).total_seconds()
        if now.timestamp() >= row["expires_ts"] or now.timestamp() >= idle_limit:
            self.revoke(row["session_id"])
            raise AuthError(EXPIRED)
        with Transaction(self.db) as conn:
            conn.execute(
                "UPDATE user_sessions SET last_seen_ts = max(last_seen_ts, ?) WHERE session_id = ?",
                (now.timestamp(), row["session_id"]),
            )
        return self._from_row(row, last_seen=now.timestamp())

    def revoke(self, session_id: str) -> None:
        """End one session (sign-out)."""
        with Transaction(self.db) as conn:
            conn.execute(
                "UPDATE user_sessions SET revoked_ts = coalesce(revoked_ts, ?) WHERE session_id = ?",
                (self.clock().timestamp(), session_id),
            )

    def revoke_user(self, conn: sqlite3.Connection, user_id: str, keep: str | None = None) -> int:
        """End every session of ``user_id`` but ``keep``, in the caller's transaction; how many ended."""
        cursor = conn.execute(
            """UPDATE user_sessions SET revoked_ts = ?
               WHERE user_id = ? AND revoked_ts IS NULL AND session_id IS NOT ?""",
            (self.clock().timestamp(), user_id, keep),
        )
        return cursor.rowcount

    def active_count(self, user_id: str) -> int:
        """How many sessions of ``user_id`` are neither revoked nor past their end."""
        now = self.clock().timestamp()
        idle = timedelta(minutes=self.settings.idle_minutes).total_seconds()
        row = (
            self.db.connection()
            .execute(
                """SELECT count(*) FROM user_sessions
               WHERE user_id = ? AND revoked_ts IS NULL AND expires_ts > ? AND last_seen_ts + ? > ?""",
                (user_id, now, idle, now),
            )
            .fetchone()
        )
        return int(row[0])

    @staticmethod
    def _from_row(row: sqlite3.Row, last_seen: float) -> Session:
        return Session(
            session_id=row["session_id"],
            user_id=row["user_id"],
            csrf_token=row["csrf_token"],
            created_at=datetime_from_ts(row["created_ts"]),
            last_seen_at=datetime_from_ts(max(last_seen, row["last_seen_ts"])),
            expires_at=datetime_from_ts(row["expires_ts"]),
        )
