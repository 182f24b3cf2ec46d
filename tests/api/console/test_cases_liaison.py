"""A liaison in the console reaches nothing outside their agency's cases: every page of another agency's
case answers the same 404 page as an unknown case, the board lists only theirs, exports of another case
are refused, action forms are refused (403) and never shown; their own cases are read-only and exportable."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from monitor.access.audit import Actor
from monitor.cases import CaseOpen
from tests.api.console.case_service import Console, case_posts, console_for, problem
from tests.conftest import make_config_dir, open_monitor
from tests.factories import analyzed, at

OFFICER = Actor(name="Cán bộ trực", key_id="k-test")
UNKNOWN = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Console, str, str, str]]:
    """The console, a case shared with the police, one shared with foreign affairs, one with nobody."""
    monitor = open_monitor(make_config_dir(tmp_path_factory.mktemp("console-liaison") / "configs"))
    docs = [
        analyzed(f"Tin đồn số {i} về nước máy", post_id=f"l{i}", published=at("2026-11-02 19:00")) for i in range(3)
    ]
    monitor.store.upsert(docs)
    with console_for(monitor) as console:
        ids = []
        for i, agency in enumerate(("police", "foreign_affairs", None)):
            case, _ = console.cases.open_case(CaseOpen(title=f"Vụ {i}", doc_ids=(docs[i].doc_id,)), OFFICER)
            if agency:
                console.cases.store.share(case.case_id, agency, OFFICER)
            ids.append(case.case_id)
        yield console, ids[0], ids[1], ids[2]
    monitor.close()


def test_the_board_lists_only_the_agencys_cases_and_no_staff(shared: tuple[Console, str, str, str]) -> None:
    console, police, foreign, private = shared
    board = console.people["cong.an"].client.get("/console/cases").text
    assert f'id="case-{police}"' in board
    assert foreign not in board
    assert private not in board
    assert "Vụ việc chia sẻ với Công an tỉnh Đồng Nai" in board
    for hidden in ('id="open-case"', 'id="export-register"', 'id="filter-assignee"', "Trần Văn Bình"):
        assert hidden not in board, hidden
    # the agency filter of the API is not a way round: the board has none, and the query is ignored
    assert foreign not in console.people["cong.an"].client.get("/console/cases?agency=foreign_affairs").text


def test_another_agencys_case_is_the_same_404_as_an_unknown_one(shared: tuple[Console, str, str, str]) -> None:
    console, _police, foreign, private = shared
    liaison = console.people["cong.an"]
    unknown = liaison.client.get(f"/console/cases/{UNKNOWN}")
    assert unknown.status_code == 404
    for other in (foreign, private):
        evidence_id = console.cases.evidence.attached(other)[0].evidence_id
        page = liaison.client.get(f"/console/cases/{other}")
        assert (page.status_code, problem(page.text)) == (404, problem(unknown.text).replace(UNKNOWN, other))
        for path, data in (
            (f"/console/cases/{other}/evidence/{evidence_id}/view", {"reason": "xem"}),
            (f"/console/cases/{other}/exports/police", {"purpose": "điều tra"}),
            (f"/console/cases/{other}/exports/police", {"purpose": ""}),
            (f"/console/cases/{other}/exports/briefing", {"purpose": "điều tra"}),
        ):
            refused: Any = liaison.post(path, data)
            assert refused.status_code == 404, path
            assert problem(refused.text) == problem(unknown.text).replace(UNKNOWN, other), path
    assert [e.action.value for e in console.cases.evidence.custody(foreign)] == ["attach"]  # nothing left


def test_every_action_form_is_refused_with_403_on_any_case(shared: tuple[Console, str, str, str]) -> None:
    console, police, foreign, _ = shared
    liaison = console.people["cong.an"]
    before = {case_id: console.cases.store.timeline(case_id) for case_id in (police, foreign)}
    exports = ("/exports/police", "/exports/briefing", "/view")
    for case_id in (police, foreign):
        evidence_id = console.cases.evidence.attached(case_id)[0].evidence_id
        for path, data in case_posts(case_id, evidence_id, evidence_id, evidence_id):
            if path.endswith(exports):
                continue  # what a liaison may do (tested above and below)
            refused: Any = liaison.post(path, data)
            assert refused.status_code == 403, path
            assert "liên lạc viên không được làm việc này" in problem(refused.text), path
    assert {case_id: console.cases.store.timeline(case_id) for case_id in (police, foreign)} == before


def test_their_case_is_read_only_and_exportable(shared: tuple[Console, str, str, str]) -> None:
    console, police, _, _ = shared
    liaison = console.people["cong.an"]
    page = liaison.client.get(f"/console/cases/{police}").text
    assert "chế độ chỉ đọc" in page
    for action in ("/transition", "/priority", "/assignee", "/comments", "/claim", "/correction", "/shares",
                   "/evidence\"", "/evidence/verify", 'id="sharing"', 'id="work"'):  # fmt: skip
        assert action not in page, action
    assert 'id="police-form"' in page
    assert 'id="briefing-form"' in page
    refused: Any = liaison.post(f"/console/cases/{police}/exports/police", {"purpose": ""})
    assert refused.status_code == 422
    assert "Hãy ghi mục đích xuất tệp" in refused.text
    package: Any = liaison.post(f"/console/cases/{police}/exports/police", {"purpose": "Điều tra tin đồn"})
    assert package.status_code == 200
    assert package.headers["content-type"] == "application/zip"
    evidence = console.cases.evidence.attached(police)[0]
    assert any(evidence.evidence_id in name for name in zipfile.ZipFile(io.BytesIO(package.content)).namelist())
    logged = console.cases.evidence.custody(police)[-1]
    assert (logged.action.value, logged.actor_id) == ("export", "user:" + console.user_ids["cong.an"])
    register: Any = liaison.post("/console/cases/exports/register", {"purpose": "báo cáo"})
    assert register.status_code == 403  # the register of every case is the office's own


def test_a_liaison_of_another_agency_sees_the_police_case_as_unknown(shared: tuple[Console, str, str, str]) -> None:
    console, police, foreign, _ = shared
    other = console.people["ngoai.vu"]
    assert other.client.get(f"/console/cases/{police}").status_code == 404
    board = other.client.get("/console/cases").text
    assert f'id="case-{foreign}"' in board
    assert police not in board
