"""The case board and case page for officers, over the real app and SQLite: deadlines and breaches on the
board (on a clock the test moves), filters, role refusals, CSRF refusals, transitions (a forbidden one is
the 409 page), assignment to a person, claim, correction and registration, evidence, and the exports with
their purpose (the police ZIP holds the evidence)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from monitor.access.audit import Actor
from monitor.cases import CaseOpen, CaseState
from tests.api.console.case_service import Console, case_posts, console_for, problem, text
from tests.conftest import make_config_dir, open_monitor
from tests.factories import analyzed, at

RUMOUR = "Tin đồn: nước máy Thiện Tân bị nhiễm độc, người dân đừng uống nước máy"
CORRECTED = "Nước máy Thiện Tân đạt quy chuẩn, người dân yên tâm sử dụng."
OFFICER = Actor(name="Cán bộ trực", key_id="k-test")


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    monitor = open_monitor(make_config_dir(tmp_path_factory.mktemp("console-cases") / "configs"))
    monitor.store.upsert(
        [analyzed(f"{RUMOUR} (bài {i})", post_id=f"c{i}", published=at("2026-11-02 19:00")) for i in range(6)]
    )
    with console_for(monitor) as found:
        yield found
    monitor.close()


def doc(i: int) -> str:
    return analyzed("x", post_id=f"c{i}", published=at("2026-11-02 19:00")).doc_id


def open_case(console: Console, title: str, *, priority: str = "normal", docs: tuple[int, ...] = (0,)) -> str:
    """Open a case through the console's form as an officer; its id from the redirect."""
    response: Any = console.people["lan.nguyen"].post(
        "/console/cases", {"title": title, "priority": priority, "doc_ids": "\n".join(doc(i) for i in docs)}
    )
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/console/cases/([\w-]+)\?done=case-opened", response.headers["location"])
    assert found is not None, response.headers["location"]
    return found.group(1)


def test_board_shows_deadlines_breaches_and_filters(console: Console) -> None:
    urgent = open_case(console, "Tin đồn nước máy nhiễm độc", priority="high", docs=(0,))
    calm = open_case(console, "Bài chê dịch vụ xe buýt", priority="low", docs=(1,))
    console.clock.advance(hours=3, minutes=20)  # high: verify within 2 h (configs/cases.yaml)
    officer = console.people["lan.nguyen"].client
    board = officer.get("/console/cases").text
    card = board[board.rindex("<li", 0, board.index(f'id="case-{urgent}"')) :]
    card = card[: card.index("</li>")]
    assert "is-late" in card
    assert re.search(r'<strong class="late deadline">quá hạn 1 giờ 20 phút</strong>', card)
    assert "03/11/2026 10:00" in card  # the deadline in Vietnam time (opened 08:00 + 2 h)
    late = board[board.index('id="late-cases"') : board.index("</section>", board.index('id="late-cases"'))]
    assert f"/console/cases/{urgent}" in late
    assert f"/console/cases/{calm}" not in late
    calm_card = board[board.index(f'id="case-{calm}"') :]
    assert "quá hạn" not in calm_card[: calm_card.index("</li>")]
    filtered = officer.get("/console/cases", params={"priority": "high"}).text
    assert f'id="case-{urgent}"' in filtered
    assert f'id="case-{calm}"' not in filtered
    bad = officer.get("/console/cases", params={"priority": "gấp"})
    assert bad.status_code == 422
    assert "Mức ưu tiên phải là một trong" in problem(bad.text)
    nobody = officer.get("/console/cases", params={"assignee": "user:khong-co"}).text
    assert 'id="no-cases"' in nobody
    assert "khớp bộ lọc" in nobody


def test_roles_researcher_gets_the_403_page_and_no_session_goes_to_sign_in(console: Console) -> None:
    case_id = open_case(console, "Vụ để kiểm tra quyền", docs=(2,))
    researcher = console.people["nghien.cuu"]
    for path in ("/console/cases", f"/console/cases/{case_id}"):
        refused = researcher.client.get(path)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("text/html")
        assert "Không có quyền" in refused.text
        assert "Vụ việc" not in problem(refused.text)
    posted: Any = researcher.post(f"/console/cases/{case_id}/exports/police", {"purpose": "xem thử"})
    assert posted.status_code == 403
    anonymous = researcher.client.__class__(
        researcher.client.app, base_url="https://testserver", follow_redirects=False
    )
    assert anonymous.get(f"/console/cases/{case_id}").headers["location"].startswith("/console/sign-in?next=")


def test_every_post_without_the_csrf_token_is_refused_and_changes_nothing(console: Console) -> None:
    case_id = open_case(console, "Vụ để kiểm tra CSRF", docs=(3,))
    evidence_id = console.cases.evidence.attached(case_id)[0].evidence_id
    before = console.cases.store.timeline(case_id)
    officer = console.people["lan.nguyen"]
    for path, data in case_posts(case_id, evidence_id, doc(0), doc(1)):
        refused: Any = officer.post(path, data, token=False)
        assert refused.status_code == 403, path
        assert "Biểu mẫu bị từ chối" in refused.text, path
        wrong: Any = officer.post(path, {**data, "csrf_token": "gia-mao"}, token=False)
        assert wrong.status_code == 403, path
    assert console.cases.store.timeline(case_id) == before
    assert console.cases.evidence.custody(case_id)[-1].action.value == "attach"  # no view, no export logged


def test_transitions_with_a_note_and_a_forbidden_move_is_the_409_page(console: Console) -> None:
    case_id = open_case(console, "Vụ để chuyển trạng thái", docs=(2,))
    officer = console.people["lan.nguyen"]
    forbidden: Any = officer.post(f"/console/cases/{case_id}/transition", {"to": "resolved"})
    assert forbidden.status_code == 409
    assert "cannot move from triage to resolved" in problem(forbidden.text)
    assert "Hãy tải lại trang" in problem(forbidden.text)
    unknown: Any = officer.post(f"/console/cases/{case_id}/transition", {"to": "xong"})
    assert unknown.status_code == 422
    assert "Ô “Chuyển sang”: không phải một lựa chọn hợp lệ" in unknown.text
    moved: Any = officer.post(f"/console/cases/{case_id}/transition", {"to": "verifying", "note": "Đã gọi Sở Y tế"})
    assert moved.status_code == 303
    assert moved.headers["location"].endswith("?done=case-updated")
    page = officer.client.get(f"/console/cases/{case_id}").text
    assert "Chuyển trạng thái: Phân loại → Đang xác minh. Ghi chú: Đã gọi Sở Y tế" in page
    assert '<option value="responding">Đang phản hồi</option>' in page
    assert '<option value="resolved">' not in page  # only the moves allowed from here are offered


def test_assignment_to_a_person_and_refusal_of_a_researcher(console: Console) -> None:
    case_id = open_case(console, "Vụ để giao việc", docs=(4,))
    officer = console.people["lan.nguyen"]
    page = officer.client.get(f"/console/cases/{case_id}").text
    binh = "user:" + console.user_ids["binh.tran"]
    assert f'<option value="{binh}">Trần Văn Bình</option>' in page
    assert "user:" + console.user_ids["nghien.cuu"] not in page  # only officers and admins are offered
    assert officer.post(f"/console/cases/{case_id}/assignee", {"key_id": binh}).status_code == 303  # type: ignore[attr-defined]
    case = console.cases.store.get(case_id)
    assert (case.assignee_id, case.assignee) == (binh, f"Trần Văn Bình ({binh})")
    shown = officer.client.get(f"/console/cases/{case_id}").text
    assert '<dd id="case-assignee">Trần Văn Bình</dd>' in shown
    assert "Giao cho Trần Văn Bình" in shown
    board = officer.client.get("/console/cases", params={"assignee": binh}).text
    assert f'id="case-{case_id}"' in board
    researcher = "user:" + console.user_ids["nghien.cuu"]
    refused: Any = officer.post(f"/console/cases/{case_id}/assignee", {"key_id": researcher})
    assert refused.status_code == 422
    assert "is not an active officer or admin key or person" in text(refused)
    assert console.cases.store.get(case_id).assignee_id == binh
    assert officer.post(f"/console/cases/{case_id}/assignee", {"key_id": ""}).status_code == 303  # type: ignore[attr-defined]
    assert console.cases.store.get(case_id).assignee_id is None


def test_claim_correction_registration_sharing_and_the_spread_chart(console: Console) -> None:
    case_id = open_case(console, "Tin đồn nước máy Thiện Tân", priority="high", docs=(5,))
    officer = console.people["lan.nguyen"]
    steps = [
        ("claim", {"claim": "Nước máy Thiện Tân bị nhiễm độc"}, "claim-saved"),
        ("transition", {"to": "verifying"}, "case-updated"),
        (
            "correction",
            {
                "statement": CORRECTED,
                "url": "https://dongnai.gov.vn/dinh-chinh",
                "issued_by": "UBND tỉnh Đồng Nai",
                "issued_at": "2026-11-03T09:30",
            },
            "correction-saved",
        ),
        ("claim/registration", {"keywords": "nước máy nhiễm độc"}, "claim-registered"),
        ("shares", {"agency": "police"}, "shared"),
    ]
    for action, data, done in steps:
        response: Any = officer.post(f"/console/cases/{case_id}/{action}", data)
        assert response.status_code == 303, (action, response.text)
        assert response.headers["location"] == f"/console/cases/{case_id}?done={done}"
    case = console.cases.store.get(case_id)
    assert case.correction is not None
    assert case.correction.issued_at == at("2026-11-03 09:30")
    assert case.agencies == ("police",)
    page = officer.client.get(f"/console/cases/{case_id}").text
    assert 'id="registered"' in page
    assert "Công an tỉnh Đồng Nai" in page
    # the stored posts repeating the claim were linked when it was registered: the chart shows them
    assert 'class="repeat"' in page
    assert "Lan truyền: bài lặp lại nội dung sai và bài đính chính theo ngày" in page
    bad_url: Any = officer.post(
        f"/console/cases/{case_id}/correction",
        {"statement": "Đính chính", "url": "dongnai.gov.vn", "issued_by": "UBND", "issued_at": "2026-11-03T09:30"},
    )
    assert bad_url.status_code == 422
    assert "Ô “Đường dẫn bài đính chính”: không phải một đường dẫn hợp lệ" in bad_url.text
    also: Any = officer.post(f"/console/cases/{case_id}/shares", {"agency": "foreign_affairs"})
    assert also.status_code == 303
    removed: Any = officer.post(f"/console/cases/{case_id}/shares/foreign_affairs/remove")
    assert removed.headers["location"] == f"/console/cases/{case_id}?done=unshared"
    assert console.cases.store.get(case_id).agencies == ("police",)
    noted: Any = officer.post(f"/console/cases/{case_id}/comments", {"text": "Đã gửi công văn cho Công an"})
    assert noted.headers["location"] == f"/console/cases/{case_id}?done=commented"
    page = officer.client.get(f"/console/cases/{case_id}").text
    assert "Thôi chia sẻ với Sở Ngoại vụ tỉnh Đồng Nai" in page
    assert "Đã gửi công văn cho Công an" in page[page.index('id="comments"') :]
    no_time: Any = officer.post(
        f"/console/cases/{case_id}/correction",
        {"statement": CORRECTED, "url": "https://dongnai.gov.vn/a", "issued_by": "UBND", "issued_at": ""},
    )
    assert no_time.status_code == 422
    assert "Ô “Thời điểm đính chính”: không phải thời điểm hợp lệ" in no_time.text
    assert console.cases.store.get(case_id).correction == case.correction  # nothing changed
    unknown_agency: Any = officer.post(f"/console/cases/{case_id}/shares", {"agency": "toa_an"})
    assert unknown_agency.status_code == 422
    assert "unknown agency 'toa_an'" in text(unknown_agency)


def test_registering_in_triage_is_refused_with_what_to_do(console: Console) -> None:
    case_id = open_case(console, "Vụ chưa xác minh", docs=(1,))
    refused: Any = console.people["lan.nguyen"].post(f"/console/cases/{case_id}/claim/registration", {})
    assert refused.status_code == 409
    assert "still in triage" in problem(refused.text)


def test_evidence_view_needs_a_reason_and_is_logged(console: Console) -> None:
    case_id = open_case(console, "Vụ để xem bằng chứng", docs=(2,))
    officer = console.people["lan.nguyen"]
    evidence_id = console.cases.evidence.attached(case_id)[0].evidence_id
    path = f"/console/cases/{case_id}/evidence/{evidence_id}/view"
    missing: Any = officer.post(path, {"reason": " "})
    assert missing.status_code == 422
    assert "Hãy ghi lý do xem bằng chứng" in missing.text
    seen: Any = officer.post(path, {"reason": "Đối chiếu trước khi gửi công an"})
    assert seen.status_code == 200
    assert RUMOUR in seen.text
    assert 'id="intact"' in seen.text
    entry = console.cases.evidence.custody(case_id)[-1]
    assert (entry.action.value, entry.reason) == ("view", "Đối chiếu trước khi gửi công an")
    assert entry.actor_id == "user:" + console.user_ids["lan.nguyen"]
    attached: Any = officer.post(f"/console/cases/{case_id}/evidence", {"doc_id": doc(3)})
    assert attached.status_code == 303
    assert len(console.cases.evidence.attached(case_id)) == 2
    verified: Any = officer.post(f"/console/cases/{case_id}/evidence/verify")
    assert verified.status_code == 200
    assert "tất cả còn nguyên vẹn" in verified.text


def test_open_case_form_errors(console: Console) -> None:
    officer = console.people["lan.nguyen"]
    nothing: Any = officer.post("/console/cases", {"title": "Không có nguồn"})
    assert nothing.status_code == 422
    assert "mã cảnh báo hoặc mã bài viết" in problem(nothing.text)
    untitled: Any = officer.post("/console/cases", {"title": " ", "doc_ids": doc(0)})
    assert untitled.status_code == 422
    assert "Ô “Tiêu đề”" in problem(untitled.text)
    unknown: Any = officer.post("/console/cases", {"title": "x", "doc_ids": "khong-co"})
    assert unknown.status_code == 404
    assert "'khong-co'" in problem(unknown.text)


def test_exports_need_a_purpose_and_the_police_zip_holds_the_evidence(console: Console) -> None:
    case_id = open_case(console, "Vụ để xuất hồ sơ", priority="high", docs=(0, 1))
    officer = console.people["lan.nguyen"]
    for kind in ("police", "briefing"):
        refused: Any = officer.post(f"/console/cases/{case_id}/exports/{kind}", {"purpose": "  "})
        assert refused.status_code == 422, kind
        assert "Hãy ghi mục đích xuất tệp" in refused.text
        assert 'id="police-form"' in refused.text
    register_refused: Any = officer.post("/console/cases/exports/register", {"purpose": ""})
    assert register_refused.status_code == 422
    assert "Hãy ghi mục đích xuất tệp" in register_refused.text
    package: Any = officer.post(f"/console/cases/{case_id}/exports/police", {"purpose": "Gửi Công an tỉnh"})
    assert package.status_code == 200
    assert package.headers["content-type"] == "application/zip"
    assert package.headers["content-disposition"].startswith("attachment;")
    names = zipfile.ZipFile(io.BytesIO(package.content)).namelist()
    for evidence in console.cases.evidence.attached(case_id):
        assert any(evidence.evidence_id in name for name in names), (evidence.evidence_id, names)
    logged = console.cases.evidence.custody(case_id)[-1]
    assert (logged.action.value, logged.reason) == ("export", "Gửi Công an tỉnh")
    briefing: Any = officer.post(f"/console/cases/{case_id}/exports/briefing", {"purpose": "Gửi Sở Ngoại vụ"})
    assert briefing.status_code == 200
    assert briefing.content[:2] == b"PK"
    assert briefing.headers["content-disposition"].startswith(f'attachment; filename="ban-tin-{case_id}-')
    register: Any = officer.post("/console/cases/exports/register", {"purpose": "Báo cáo tháng 11"})
    assert register.status_code == 200
    assert register.content[:2] == b"PK"
    assert register.headers["content-disposition"].startswith('attachment; filename="so-vu-viec-')


def test_closed_cases_are_folded_and_offer_no_moves(console: Console) -> None:
    case, _ = console.cases.open_case(CaseOpen(title="Vụ đã khép", doc_ids=(doc(0),)), OFFICER)
    for state in (CaseState.VERIFYING, CaseState.RESPONDING, CaseState.RESOLVED, CaseState.CLOSED):
        console.cases.transition(case.case_id, state, OFFICER)
    officer = console.people["lan.nguyen"].client
    board = officer.get("/console/cases").text
    folded = board[board.index('id="final-cases"') :]
    assert f'/console/cases/{case.case_id}"' in folded
    assert f'id="case-{case.case_id}"' not in board
    page = officer.get(f"/console/cases/{case.case_id}").text
    assert 'id="transition-form"' not in page
    assert "không chuyển trạng thái được nữa" in page
