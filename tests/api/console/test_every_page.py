"""Every console page, as each role reaches it by following links over the sample corpus: no server
error, no link to a page the role may not open, labels on every field, the CSRF token in every form, no
inline script or style (the Content-Security-Policy would block them), local times only; and a liaison
reaches nothing but the cases shared with their agency, whatever address they type."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from monitor.access.audit import Actor
from monitor.access.keys import Role
from monitor.alerting.types import AlertQuery
from monitor.cases import CaseOpen
from monitor.context import Monitor
from tests.api.console.corpus import open_crawled, signed_in
from tests.api.console.crawl import Visit, page_faults, walk

OFFICE = Actor(name="Nguyễn Thị Lan", key_id="user:test")
PEOPLE = {"admin": Role.ADMIN, "officer": Role.OFFICER, "researcher": Role.RESEARCHER, "police": Role.LIAISON}


@dataclass(frozen=True)
class Office:
    monitor: Monitor
    shared_case: str
    other_case: str


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    """The sample corpus crawled, a person of each role, and two cases: one shared with the police."""
    people = [(username, role, f"Người dùng {username}") for username, role in PEOPLE.items()]
    monitor = open_crawled(tmp_path_factory.mktemp("console-pages"), people)
    _, alerts = monitor.alerts.search(AlertQuery(limit=2))
    assert len(alerts) == 2, "the sample corpus raises alerts"
    rumour = CaseOpen(title="Tin đồn nước máy nhiễm độc", alert_id=alerts[0].alert_id)
    shared, _ = monitor.cases.open_case(rumour, OFFICE)
    other, _ = monitor.cases.open_case(CaseOpen(title="Vụ việc nội bộ", alert_id=alerts[1].alert_id), OFFICE)
    monitor.cases.store.share(shared.case_id, "police", OFFICE)
    yield Office(monitor, shared.case_id, other.case_id)
    monitor.close()


def _walk_as(office: Office, username: str) -> list[Visit]:
    with signed_in(office.monitor, username) as (client, _):
        start = client.get("/console/").headers.get("location", "/console/")
        return walk(client, start)


@pytest.mark.parametrize("username", list(PEOPLE))
def test_every_page_a_role_reaches_keeps_the_console_rules(office: Office, username: str) -> None:
    visits = _walk_as(office, username)
    assert len(visits) > 1
    broken = {visit.path: visit.status for visit in visits if visit.status >= 400}
    assert broken == {}, f"links shown to {username} that answer an error"
    faults = {visit.path: page_faults(visit) for visit in visits}
    assert {path: found for path, found in faults.items() if found} == {}


def test_a_liaison_reaches_only_the_cases_shared_with_their_agency(office: Office) -> None:
    officer_pages = {visit.path for visit in _walk_as(office, "officer")} | {
        f"/console/cases/{office.other_case}",
        "/console/search",
        "/console/alerts",
    }
    liaison_pages = {visit.path for visit in _walk_as(office, "police")}
    assert any(office.shared_case in path for path in liaison_pages)
    assert not any(office.other_case in path for path in liaison_pages)
    allowed = ("/console/cases", "/console/password")
    assert {path for path in liaison_pages if not path.startswith(allowed)} == {"/console/"}  # the brand link
    with signed_in(office.monitor, "police") as (client, _):
        assert client.get("/console/").headers["location"] == "/console/cases"
    with signed_in(office.monitor, "police") as (client, _):
        unknown = client.get("/console/cases/khong-co-vu-nay")
        for path in sorted(officer_pages - liaison_pages):
            if path.startswith("/console/password"):
                continue
            answer = client.get(path)
            if answer.status_code == 303:  # the overview sends a liaison to their cases, nothing else
                assert (urlsplit(path).path, answer.headers["location"]) == ("/console/", "/console/cases")
                continue
            assert answer.headers.get("content-type", "").startswith("text/html"), (path, answer.status_code)
            if office.other_case in path:  # another agency's case: as unknown as a case that does not exist
                assert answer.status_code == unknown.status_code == 404, path
            elif path.startswith("/console/cases"):  # the board with other filters, or parts of their own case
                assert office.other_case not in answer.text, path
            else:
                assert answer.status_code in (403, 404), f"{path} answered {answer.status_code} to a liaison"
