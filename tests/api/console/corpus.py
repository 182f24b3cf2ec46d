"""The sample corpus crawled once per test module, with one person per role, for the console's page tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from monitor.access.keys import Role
from monitor.context import Monitor
from tests.api.test_console_sign_in import sign_in
from tests.conftest import crawl, make_config_dir, open_monitor
from tests.monitor.access.people import PASSWORD, Clock, people_on

PEOPLE = {
    Role.ADMIN: "an.admin",
    Role.OFFICER: "lan.officer",
    Role.RESEARCHER: "minh.researcher",
    Role.LIAISON: "hung.liaison",
}


@contextmanager
def crawled_monitor(folder: Path) -> Iterator[Monitor]:
    """A monitor over a fresh copy of configs/ with the sample corpus crawled, and a person per role."""
    monitor = open_monitor(make_config_dir(folder / "configs"))
    try:
        crawl(monitor)
        users = people_on(monitor, Clock())
        for role, username in PEOPLE.items():
            users.create(username, role, PASSWORD, agency="police" if role is Role.LIAISON else None)
        yield monitor
    finally:
        monitor.close()


@contextmanager
def signed_in_as(monitor: Monitor, role: Role) -> Iterator[tuple[TestClient, str]]:
    """A client signed in through the form as the person of ``role``, and the session's CSRF token."""
    with TestClient(create_app(monitor), base_url="https://testserver", follow_redirects=False) as client:
        token = sign_in(client, PEOPLE[role])
        yield client, token
