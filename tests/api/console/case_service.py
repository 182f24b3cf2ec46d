"""A console over a real monitor for the case pages' tests: people of every role signed in through the form,
and the case service on a clock the test moves (deadlines and breaches without today's date)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from fastapi.testclient import TestClient

from api.app import create_app
from monitor.access.keys import Role
from monitor.cases import Cases, open_cases
from monitor.context import Monitor
from tests.api.test_console_sign_in import sign_in
from tests.monitor.access.people import PASSWORD, Clock, people_on

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
PROBLEM = re.compile(r'<p class="error" role="alert" id="problem">([^<]*)</p>')

# username -> (role, agency, display name)
PEOPLE = {
    "quan.tri": (Role.ADMIN, None, "Quản trị Hệ thống"),
    "lan.nguyen": (Role.OFFICER, None, "Nguyễn Thị Lan"),
    "binh.tran": (Role.OFFICER, None, "Trần Văn Bình"),
    "nghien.cuu": (Role.RESEARCHER, None, "Nhà nghiên cứu Hà"),
    "cong.an": (Role.LIAISON, "police", "Liên lạc Công an"),
    "ngoai.vu": (Role.LIAISON, "foreign_affairs", "Liên lạc Ngoại vụ"),
}


@dataclass
class Person:
    """A signed-in browser: its client and the session's CSRF token."""

    client: TestClient
    token: str

    def post(self, path: str, data: dict[str, str] | None = None, *, token: bool = True) -> object:
        form = dict(data or {})
        if token:
            form["csrf_token"] = self.token
        return self.client.post(path, data=form)


@dataclass
class Console:
    monitor: Monitor
    cases: Cases
    clock: Clock  # the cases' clock
    people: dict[str, Person] = field(default_factory=dict)
    user_ids: dict[str, str] = field(default_factory=dict)


def case_service(monitor: Monitor, clock: Clock) -> Cases:
    """The monitor's case service rebuilt on ``clock`` (same database, registry and linker)."""
    settings = monitor.settings
    assert monitor.cases.claims is not None
    return open_cases(
        monitor.db,
        config_dir=settings.config_dir,
        data_dir=settings.data_dir,
        documents=monitor.store,
        archive=monitor.pipeline.archive,
        alerts=monitor.alerts,
        claims=monitor.claims,
        linker=monitor.cases.claims.linker,
        clock=clock,
    )


@contextmanager
def console_for(monitor: Monitor) -> Iterator[Console]:
    """Every person of :data:`PEOPLE` signed in to one app over ``monitor``."""
    clock = Clock()
    people_on(monitor, Clock())  # sessions on their own clock: moving the cases' one never ends them
    monitor.cases = case_service(monitor, clock)
    app = create_app(monitor)
    console = Console(monitor, monitor.cases, clock)
    for username, (role, agency, name) in PEOPLE.items():
        user = monitor.users.create(username, role, PASSWORD, display_name=name, agency=agency)
        console.user_ids[username] = user.user_id
    clients = []
    try:
        for username in PEOPLE:
            # https: the session cookie is Secure, and the client keeps Secure cookies off plain http.
            client = TestClient(app, base_url="https://testserver", follow_redirects=False)
            client.__enter__()
            clients.append(client)
            console.people[username] = Person(client, sign_in(client, username))
        yield console
    finally:
        for client in clients:
            client.__exit__(None, None, None)


def problem(page: str) -> str:
    """The message of an error page."""
    found = PROBLEM.search(page)
    assert found is not None, page
    return html.unescape(found.group(1))


def text(response: object) -> str:
    """A page's HTML with its entities decoded (quotes in messages are escaped)."""
    return html.unescape(str(getattr(response, "text", "")))


def case_posts(case_id: str, evidence_id: str, doc_id: str, other_doc_id: str) -> list[tuple[str, dict[str, str]]]:
    """Every form the case pages post, with plausible fields, for ``case_id`` and one of its evidence."""
    return [
        ("/console/cases", {"title": "x", "doc_ids": doc_id}),
        (f"/console/cases/{case_id}/transition", {"to": "verifying"}),
        (f"/console/cases/{case_id}/priority", {"priority": "low"}),
        (f"/console/cases/{case_id}/assignee", {"key_id": ""}),
        (f"/console/cases/{case_id}/comments", {"text": "ghi chú"}),
        (f"/console/cases/{case_id}/claim", {"claim": "Nước máy Thiện Tân bị nhiễm độc"}),
        (f"/console/cases/{case_id}/correction", {"statement": "x", "url": "https://a.vn", "issued_by": "x"}),
        (f"/console/cases/{case_id}/claim/registration", {}),
        (f"/console/cases/{case_id}/shares", {"agency": "police"}),
        (f"/console/cases/{case_id}/shares/police/remove", {}),
        (f"/console/cases/{case_id}/evidence", {"doc_id": other_doc_id}),
        (f"/console/cases/{case_id}/evidence/verify", {}),
        (f"/console/cases/{case_id}/evidence/{evidence_id}/view", {"reason": "xem"}),
        (f"/console/cases/{case_id}/exports/police", {"purpose": "gửi công an"}),
        (f"/console/cases/{case_id}/exports/briefing", {"purpose": "gửi ngoại vụ"}),
        ("/console/cases/exports/register", {"purpose": "báo cáo tháng"}),
    ]
