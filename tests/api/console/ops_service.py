"""The sample corpus crawled into a fresh monitor with one person per role, for the overview, sources,
rules and reports pages' tests (TestClient and browser)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from monitor.access.keys import Role
from monitor.context import Monitor
from tests.api.console.corpus import open_crawled, signed_in
from tests.monitor.access.people import PASSWORD

# The sample corpus's busiest day of the tap-water rumour (inside the festival campaign, 24/10 – 6/11).
CORPUS_DAY = date(2026, 11, 3)
PEOPLE = {
    "admin": ("quan.tri", Role.ADMIN, "Trần Quản Trị"),
    "officer": ("lan.nguyen", Role.OFFICER, "Nguyễn Thị Lan"),
    "researcher": ("minh.le", Role.RESEARCHER, "Lê Văn Minh"),
    "liaison": ("cong.an", Role.LIAISON, "Trung tá Hùng"),
}


def sample_monitor(folder: Path) -> Monitor:
    """A monitor over a copy of configs/ with the sample corpus crawled, and a person of each role."""
    return open_crawled(folder, PEOPLE.values())


def signed_in_client(monitor: Monitor, who: str) -> AbstractContextManager[tuple[TestClient, str]]:
    """A client signed in as the person of role ``who``, and the session's CSRF token."""
    return signed_in(monitor, PEOPLE[who][0])


__all__ = ["CORPUS_DAY", "PASSWORD", "PEOPLE", "sample_monitor", "signed_in_client"]
