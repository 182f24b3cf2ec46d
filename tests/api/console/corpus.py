"""The sample corpus crawled into a fresh monitor with people signed in through the form, for the console's
page tests (one home: the search, document, overview, sources, rules and reports tests build on it)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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


def open_crawled(folder: Path, people: Iterable[tuple[str, Role, str]]) -> Monitor:
    """A monitor over a fresh copy of configs/ with the sample corpus crawled, and the accounts of ``people``
    (username, role, display name; a liaison belongs to the police). The caller closes it."""
    monitor = open_monitor(make_config_dir(folder / "configs"))
    crawl(monitor)
    users = people_on(monitor, Clock())
    for username, role, name in people:
        users.create(username, role, PASSWORD, display_name=name, agency="police" if role is Role.LIAISON else None)
    return monitor


@contextmanager
def signed_in(monitor: Monitor, username: str) -> Iterator[tuple[TestClient, str]]:
    """A client signed in through the form as ``username``, and the session's CSRF token."""
    # https: the session cookie is Secure, and a client (as a browser) keeps Secure cookies off plain http.
    with TestClient(create_app(monitor), base_url="https://testserver", follow_redirects=False) as client:
        yield client, sign_in(client, username)


@contextmanager
def crawled_monitor(folder: Path) -> Iterator[Monitor]:
    """The crawled sample corpus with a person per role (:data:`PEOPLE`)."""
    monitor = open_crawled(folder, [(username, role, "") for role, username in PEOPLE.items()])
    try:
        yield monitor
    finally:
        monitor.close()


@contextmanager
def signed_in_as(monitor: Monitor, role: Role) -> Iterator[tuple[TestClient, str]]:
    """A client signed in as the person of ``role`` in :data:`PEOPLE`, and the session's CSRF token."""
    with signed_in(monitor, PEOPLE[role]) as signed:
        yield signed
