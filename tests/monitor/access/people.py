"""Helpers for the tests of people's accounts: a clock the test moves, and stores built on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher, Type

from monitor.access.passwords import Passwords
from monitor.access.sessions import SessionStore
from monitor.access.users import UserStore
from monitor.config.settings import ConsoleSettings
from monitor.context import Monitor
from tests.factories import at

# Cheap argon2id parameters: the tests check behaviour, not cost (DEFAULT_HASHER takes 64 MiB a hash).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
PASSWORD = "Đồng Nai mùa mưa 2026"


@dataclass
class Clock:
    """A clock that moves only when the test says so."""

    now: datetime = field(default_factory=lambda: at("2026-11-03 08:00").astimezone(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def people_on(
    monitor: Monitor, clock: Clock, settings: ConsoleSettings | None = None, hasher: PasswordHasher = FAST_HASHER
) -> UserStore:
    """``monitor.users`` replaced by stores on ``clock`` (and ``settings``); the same database."""
    chosen = settings or monitor.settings.console
    sessions = SessionStore(monitor.db, chosen, clock)
    users = UserStore(monitor.db, chosen, sessions, Passwords(chosen.password_min_length, hasher), clock)
    monitor.users = users
    return users
