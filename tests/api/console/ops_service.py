"""The sample corpus crawled into a fresh monitor with one person per role, for the overview, sources,
rules and reports pages' tests (TestClient and browser)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from monitor.access.keys import Role
from monitor.context import Monitor
from tests.api.test_console_sign_in import sign_in
from tests.conftest import crawl, make_config_dir, open_monitor
from tests.monitor.access.people import PASSWORD, Clock, people_on

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
    monitor = open_monitor(make_config_dir(folder / "configs"))
    crawl(monitor)
    users = people_on(monitor, Clock())
    for username, role, name in PEOPLE.values():
        users.create(username, role, PASSWORD, display_name=name, agency="police" if role is Role.LIAISON else None)
    return monitor


@contextmanager
def signed_in_client(monitor: Monitor, who: str) -> Iterator[tuple[TestClient, str]]:
    """A client signed in as the person of role ``who``, and the session's CSRF token."""
    # https: the session cookie is Secure, and a client (as a browser) keeps Secure cookies off plain http.
    with TestClient(create_app(monitor), base_url="https://testserver", follow_redirects=False) as client:
        yield client, sign_in(client, PEOPLE[who][0])


__all__ = ["CORPUS_DAY", "PASSWORD", "PEOPLE", "sample_monitor", "signed_in_client"]
