"""People's accounts for the console (API keys stay, for machines): roles, passwords, sign-in, lock-out.

A person has the same roles as a key (:class:`~monitor.access.keys.Role`); a liaison belongs to an
agency by the same rule as a liaison key (:func:`~monitor.access.keys.check_agency_role`). Signed in,
a person acts through :meth:`User.principal`, the same object a key is, so every route and every rule
(the cases' agency scope, the researchers' pseudonyms, the audit log) treats both alike.

Lock-out is per account: ``lockout_attempts`` failed sign-ins within ``lockout_window_minutes`` lock it
until the oldest of them leaves the window. While locked, passwords are not even checked, so guessing
goes no faster; a successful sign-in clears the failures.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import uuid
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from monitor.access.audit import SYSTEM, Actor, AuditAction, AuditObject, write_entry
from monitor.access.keys import ApiKey, Role, check_agency_role
from monitor.access.passwords import Passwords
from monitor.access.sessions import Clock, SessionStore
from monitor.config.settings import ConsoleSettings
from monitor.db import Database, Transaction, datetime_from_ts
from monitor.errors import AuthError, ConflictError, InvalidInputError, NotFoundError
from monitor.records import UtcDatetime, utc_now

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS users (
        user_id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL,
        agency TEXT,
        password_hash TEXT NOT NULL,
        created_ts REAL NOT NULL,
        disabled_ts REAL
    )""",
    """CREATE TABLE IF NOT EXISTS user_login_failures (
        user_id TEXT NOT NULL,
        ts REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS user_login_failures_user ON user_login_failures (user_id, ts)",
)

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
WRONG = "Sai tên đăng nhập hoặc mật khẩu."
PRINCIPAL_PREFIX = "user:"


class User(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: str
    username: str
    display_name: str
    role: Role
    agency: str | None = None  # a liaison's agency (an id in configs/cases.yaml)
    created_at: UtcDatetime
    disabled_at: UtcDatetime | None = None

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    def principal(self) -> ApiKey:
        """The person as the API sees a caller: the key record every role check and the audit log read."""
        return ApiKey(
            key_id=PRINCIPAL_PREFIX + self.user_id,
            name=self.display_name,
            role=self.role,
            hint="session",
            created_at=self.created_at,
            agency=self.agency,
        )


class LockedOutError(AuthError):
    """Too many failed sign-ins for one account within the window."""

    def __init__(self, until: datetime) -> None:
        super().__init__("Tài khoản tạm khoá do đăng nhập sai quá nhiều lần.")
        self.until = until


class UserStore:
    """People's accounts; sessions live in ``sessions``, which this store revokes when it must."""

    def __init__(
        self,
        db: Database,
        settings: ConsoleSettings,
        sessions: SessionStore,
        passwords: Passwords | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.db = db
        self.settings = settings
        self.sessions = sessions
        self.passwords = passwords or Passwords(settings.password_min_length)
        self.clock = clock
        self._decoy: str | None = None
        db.apply_schema(SCHEMA)

    def create(
        self,
        username: str,
        role: Role,
        password: str,
        *,
        display_name: str = "",
        agency: str | None = None,
        by: Actor = SYSTEM,
    ) -> User:
        """A new active account, audited as done ``by``. Liaisons need their agency (checked against
        cases.yaml by the caller)."""
        username = username.strip().lower()
        if not USERNAME.fullmatch(username):
            raise InvalidInputError(
                "Tên đăng nhập cần 2–64 ký tự: chữ thường không dấu, chữ số, '.', '_' hoặc '-'.",
                parameter="username",
            )
        check_agency_role(role, agency, "accounts")
        if role is Role.LIAISON and agency is None:
            raise InvalidInputError("a liaison account needs its agency (an id in cases.yaml)", parameter="agency")
        self.passwords.check_policy(password, username)
        user = User(
            user_id=str(uuid.uuid4()),
            username=username,
            display_name=display_name.strip() or username,
            role=role,
            agency=agency,
            created_at=self.clock(),
        )
        try:
            with Transaction(self.db) as conn:
                conn.execute(
                    """INSERT INTO users (user_id, username, display_name, role, agency, password_hash, created_ts)
                       VALUES (?,?,?,?,?,?,?)""",
                    (
                        user.user_id,
                        user.username,
                        user.display_name,
                        role.value,
                        agency,
                        self.passwords.hash(password),
                        user.created_at.timestamp(),
                    ),
                )
                self._audit(conn, by, AuditAction.USER_CREATE, user, {"role": role.value, "agency": agency})
        except sqlite3.IntegrityError as exc:
            raise ConflictError(f"a user named '{username}' already exists") from exc
        return user

    def get(self, user_id: str) -> User:
        """The account with id ``user_id`` (disabled or not), or NotFoundError."""
        row = self.db.connection().execute("SELECT * FROM users WHERE user_id = ?", (user_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no user with id '{user_id}'")
        return self._from_row(row)

    def find(self, username: str) -> User:
        """The account named ``username`` (any case), or NotFoundError."""
        row = self._row_by_name(username)
        if row is None:
            raise NotFoundError(f"no user named '{username}'")
        return self._from_row(row)

    def all_users(self) -> list[User]:
        """Every account, oldest first."""
        rows = self.db.connection().execute("SELECT * FROM users ORDER BY created_ts")
        return [self._from_row(row) for row in rows]

    def count(self) -> int:
        """How many accounts exist, disabled ones included."""
        return int(self.db.connection().execute("SELECT count(*) FROM users").fetchone()[0])

    def active_user(self, user_id: str) -> User:
        """The account behind a session, or AuthError if it was deleted or disabled since."""
        try:
            user = self.get(user_id)
        except NotFoundError:
            user = None
        if user is None or not user.active:
            raise AuthError("Tài khoản này đã bị vô hiệu hoá.")
        return user

    def sign_in(self, username: str, password: str) -> User:
        """The account if ``password`` is right and it is neither locked nor disabled; AuthError otherwise.

        A right password hashed with older parameters is rehashed with the current ones.
        """
        row = self._row_by_name(username)
        if row is None:
            # Verify against a decoy, so that an unknown name takes as long to refuse as a wrong password.
            if self._decoy is None:
                self._decoy = self.passwords.hash(secrets.token_urlsafe(16))
            self.passwords.verify(self._decoy, password)
            raise AuthError(WRONG)
        user = self._from_row(row)
        now = self.clock()
        locked_until = self.locked_until(user.user_id)
        if locked_until is not None:
            raise LockedOutError(locked_until)
        verified = self.passwords.verify(row["password_hash"], password)
        if verified is None or not user.active:
            with Transaction(self.db) as conn:
                conn.execute(
                    "INSERT INTO user_login_failures (user_id, ts) VALUES (?,?)", (user.user_id, now.timestamp())
                )
                # Failures that left the window no longer count: keep the table as small as the window.
                window = timedelta(minutes=self.settings.lockout_window_minutes)
                conn.execute(
                    "DELETE FROM user_login_failures WHERE user_id = ? AND ts <= ?",
                    (user.user_id, (now - window).timestamp()),
                )
            locked_until = self.locked_until(user.user_id)
            if locked_until is not None:
                with Transaction(self.db) as conn:
                    self._audit(conn, SYSTEM, AuditAction.USER_LOCK, user, {"until": locked_until.isoformat()})
                raise LockedOutError(locked_until)
            raise AuthError(WRONG)
        with Transaction(self.db) as conn:
            conn.execute("DELETE FROM user_login_failures WHERE user_id = ?", (user.user_id,))
            if verified.new_hash is not None:
                conn.execute("UPDATE users SET password_hash = ? WHERE user_id = ?", (verified.new_hash, user.user_id))
        return user

    def locked_until(self, user_id: str) -> datetime | None:
        """When the account's lock lifts, or None if it is not locked now."""
        now = self.clock()
        window = timedelta(minutes=self.settings.lockout_window_minutes)
        rows = (
            self.db.connection()
            .execute(
                "SELECT ts FROM user_login_failures WHERE user_id = ? AND ts > ? ORDER BY ts DESC LIMIT ?",
                (user_id, (now - window).timestamp(), self.settings.lockout_attempts),
            )
            .fetchall()
        )
        if len(rows) < self.settings.lockout_attempts:
            return None
        # The lock lifts when the oldest of the last `attempts` failures leaves the window.
        oldest: float = rows[-1]["ts"]
        return datetime_from_ts(oldest) + window

    def change_password(self, user_id: str, current: str, new: str, keep_session: str | None) -> None:
        """Set a new password after checking the current one; every other session of the person ends."""
        user = self.active_user(user_id)
        row = self._row_by_name(user.username)
        assert row is not None
        if self.passwords.verify(row["password_hash"], current) is None:
            raise InvalidInputError("Mật khẩu hiện tại không đúng.", parameter="current_password")
        if new == current:
            raise InvalidInputError("Mật khẩu mới phải khác mật khẩu hiện tại.", parameter="password")
        self._set_password(user, new, keep_session, Actor.for_key(user.principal()), AuditAction.PASSWORD_CHANGE)

    def reset_password(self, username: str, new: str, by: Actor = SYSTEM) -> User:
        """An administrator sets a new password: every session of the person ends, failures are forgotten."""
        user = self.find(username)
        self._set_password(user, new, None, by, AuditAction.PASSWORD_RESET)
        return user

    def disable(self, username: str, by: Actor = SYSTEM) -> User:
        """Disable an account and end its sessions (its audit entries stay)."""
        user = self.find(username)
        with Transaction(self.db) as conn:
            conn.execute(
                "UPDATE users SET disabled_ts = coalesce(disabled_ts, ?) WHERE user_id = ?",
                (self.clock().timestamp(), user.user_id),
            )
            ended = self.sessions.revoke_user(conn, user.user_id)
            self._audit(conn, by, AuditAction.USER_DISABLE, user, {"sessions_ended": ended})
        return self.get(user.user_id)

    def _set_password(self, user: User, new: str, keep_session: str | None, by: Actor, action: AuditAction) -> None:
        self.passwords.check_policy(new, user.username)
        new_hash = self.passwords.hash(new)
        with Transaction(self.db) as conn:
            conn.execute("UPDATE users SET password_hash = ? WHERE user_id = ?", (new_hash, user.user_id))
            conn.execute("DELETE FROM user_login_failures WHERE user_id = ?", (user.user_id,))
            ended = self.sessions.revoke_user(conn, user.user_id, keep=keep_session)
            self._audit(conn, by, action, user, {"sessions_ended": ended})

    def _audit(
        self, conn: sqlite3.Connection, by: Actor, action: AuditAction, user: User, detail: dict[str, object]
    ) -> None:
        # Never a password or a hash: the account's name is enough to follow what happened to it.
        write_entry(
            conn,
            by,
            action,
            AuditObject.USER,
            user.user_id,
            detail={"username": user.username, **detail},
            at=self.clock().timestamp(),
        )

    def _row_by_name(self, username: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = (
            self.db.connection()
            .execute("SELECT * FROM users WHERE username = ?", (username.strip().lower(),))
            .fetchone()
        )
        return row

    @staticmethod
    def _from_row(row: sqlite3.Row) -> User:
        return User(
            user_id=row["user_id"],
            username=row["username"],
            display_name=row["display_name"],
            role=Role(row["role"]),
            agency=row["agency"],
            created_at=datetime_from_ts(row["created_ts"]),
            disabled_at=datetime_from_ts(row["disabled_ts"]),
        )
