"""API keys on a real SQLite file: liaison keys carry their agency; older databases gain the column."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from monitor.access.keys import KeyStore, Role
from monitor.cases.config import Agency, CasesConfig
from monitor.db import Database
from monitor.errors import InvalidInputError


def test_a_liaison_key_carries_its_agency(tmp_path: Path) -> None:
    keys = KeyStore(Database(tmp_path / "monitor.sqlite3"))
    key, secret = keys.create(Role.LIAISON, "Liên lạc Công an", agency="police")
    assert keys.authenticate(secret).agency == "police"
    assert [k.agency for k in keys.all_keys()] == ["police"]
    with pytest.raises(InvalidInputError, match="only liaison keys"):
        keys.create(Role.OFFICER, "Cán bộ", agency="police")
    config = CasesConfig(agencies={"police": Agency(name="Công an tỉnh Đồng Nai")})
    assert config.agency_of(key) == "police"
    # An agency the configuration no longer lists: the key belongs to none (its liaison is refused).
    assert CasesConfig(agencies={}).agency_of(key) is None


def test_a_database_from_before_agencies_gains_the_column(tmp_path: Path) -> None:
    path = tmp_path / "monitor.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(
            """CREATE TABLE api_keys (key_id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,
               secret_sha256 TEXT NOT NULL UNIQUE, hint TEXT NOT NULL, created_ts REAL NOT NULL, revoked_ts REAL)"""
        )
        conn.execute(
            "INSERT INTO api_keys VALUES ('k-old', 'Khóa cũ', 'liaison', 'abc', 'dnm_abc', 1700000000.0, NULL)"
        )
    keys = KeyStore(Database(path))
    [old] = keys.all_keys()
    assert (old.key_id, old.agency) == ("k-old", None)
    _, secret = keys.create(Role.LIAISON, "Liên lạc Sở Ngoại vụ", agency="foreign_affairs")
    assert keys.authenticate(secret).agency == "foreign_affairs"
