"""API keys: random secrets shown once, stored only as SHA-256 hashes, each with one role.

Keys are 256-bit random tokens, so a plain SHA-256 (not a slow password hash) is the right tool: nobody
can brute-force the preimage, and lookups stay O(1) per request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from monitor.db import Database, Transaction
from monitor.errors import AuthError, InvalidInputError, NotFoundError, StoreError
from monitor.records import UtcDatetime, utc_now

KEY_PREFIX = "dnm_"

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS api_keys (
        key_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        secret_sha256 TEXT NOT NULL UNIQUE,
        hint TEXT NOT NULL,
        created_ts REAL NOT NULL,
        revoked_ts REAL,
        agency TEXT
    )""",
)


class Role(StrEnum):
    ADMIN = "admin"  # everything, including configuration and keys
    OFFICER = "officer"  # monitoring: documents, alerts (and acknowledging them), rules, sources
    LIAISON = "liaison"  # police / foreign affairs: only cases shared with their agency
    RESEARCHER = "researcher"  # documents and statistics, with author names pseudonymized


class ApiKey(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key_id: str
    name: str
    role: Role
    hint: str  # first characters of the secret, to recognise a key in listings
    created_at: UtcDatetime
    revoked_at: UtcDatetime | None = None
    agency: str | None = None  # a liaison key's agency (an id in configs/cases.yaml)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def check_agency_role(role: Role, agency: str | None, kind: str = "keys") -> None:
    """The one rule for keys and people: only liaisons belong to an agency (InvalidInputError otherwise)."""
    if agency is not None and role is not Role.LIAISON:
        raise InvalidInputError(f"only liaison {kind} belong to an agency, not {role.value} {kind}", parameter="agency")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class KeyStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.apply_schema(SCHEMA)
        self._add_agency_column()

    def _add_agency_column(self) -> None:
        # Databases created before keys carried an agency lack the column; SQLite adds it in place.
        conn = self.db.connection()
        columns = {row["name"] for row in conn.execute("PRAGMA table_info(api_keys)")}
        if "agency" not in columns:
            conn.execute("ALTER TABLE api_keys ADD COLUMN agency TEXT")

    def create(self, role: Role, name: str = "", agency: str | None = None) -> tuple[ApiKey, str]:
        """Create a key; return it and its secret, which is never shown again.

        ``agency`` is for liaison keys only: the agency whose shared cases the key sees.
        """
        check_agency_role(role, agency)
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(
            key_id=str(uuid.uuid4()),
            name=name or f"{role.value} key",
            role=role,
            hint=secret[: len(KEY_PREFIX) + 6],
            created_at=utc_now(),
            agency=agency,
        )
        try:
            with Transaction(self.db) as conn:
                conn.execute(
                    """INSERT INTO api_keys (key_id, name, role, secret_sha256, hint, created_ts, agency)
                       VALUES (?,?,?,?,?,?,?)""",
                    (
                        key.key_id,
                        key.name,
                        key.role.value,
                        _digest(secret),
                        key.hint,
                        key.created_at.timestamp(),
                        agency,
                    ),
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot store the new key: {exc}") from exc
        return key, secret

    def authenticate(self, secret: str) -> ApiKey:
        """Return the active key for ``secret`` or raise :class:`AuthError`."""
        digest = _digest(secret)
        row = self.db.connection().execute("SELECT * FROM api_keys WHERE secret_sha256 = ?", (digest,)).fetchone()
        # compare_digest keeps the final check constant-time even though the lookup is by hash.
        if row is None or not hmac.compare_digest(row["secret_sha256"], digest):
            raise AuthError("unknown API key")
        key = self._from_row(row)
        if not key.active:
            raise AuthError("this API key has been revoked")
        return key

    def all_keys(self) -> list[ApiKey]:
        rows = self.db.connection().execute("SELECT * FROM api_keys ORDER BY created_ts")
        return [self._from_row(row) for row in rows]

    def count_active(self, role: Role | None = None) -> int:
        sql = "SELECT count(*) FROM api_keys WHERE revoked_ts IS NULL"
        params: tuple[str, ...] = ()
        if role is not None:
            sql += " AND role = ?"
            params = (role.value,)
        return int(self.db.connection().execute(sql, params).fetchone()[0])

    def revoke(self, key_id: str) -> ApiKey:
        with Transaction(self.db) as conn:
            cursor = conn.execute(
                "UPDATE api_keys SET revoked_ts = coalesce(revoked_ts, ?) WHERE key_id = ?",
                (utc_now().timestamp(), key_id),
            )
            if cursor.rowcount == 0:
                raise NotFoundError(f"no API key with id '{key_id}'")
        row = self.db.connection().execute("SELECT * FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
        return self._from_row(row)

    @staticmethod
    def _from_row(row: sqlite3.Row) -> ApiKey:
        return ApiKey(
            key_id=row["key_id"],
            name=row["name"],
            role=Role(row["role"]),
            hint=row["hint"],
            created_at=row["created_ts"],
            revoked_at=row["revoked_ts"],
            agency=row["agency"],
        )
