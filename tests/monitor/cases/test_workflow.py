"""The case state machine, the timeline, and every edit on a real SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cases import TRANSITIONS, CaseOpen, CasePriority, CaseState, CaseStateError, Correction, TimelineKind
from monitor.cases.model import FINAL_STATES
from monitor.errors import NotFoundError
from tests.factories import at
from tests.monitor.cases.helpers import ADMIN, OFFICER, PATH_TO, World, build_world

ALL_MOVES = [(a, b) for a in CaseState for b in CaseState]


@pytest.fixture
def world(tmp_path: Path) -> World:
    return build_world(tmp_path)


def _case_in(world: World, state: CaseState) -> str:
    case = world.cases.store.open(CaseOpen(title="Tin đồn nước nhiễm độc"), OFFICER)
    for step in PATH_TO[state]:
        world.cases.store.transition(case.case_id, step, OFFICER)
    return case.case_id


@pytest.mark.parametrize(("current", "target"), ALL_MOVES, ids=[f"{a}->{b}" for a, b in ALL_MOVES])
def test_every_move_is_allowed_or_refused_with_a_clear_message(
    world: World, current: CaseState, target: CaseState
) -> None:
    case_id = _case_in(world, current)
    if target in TRANSITIONS[current]:
        moved = world.cases.store.transition(case_id, target, OFFICER, note="lý do")
        assert moved.state is target
        last = world.cases.store.timeline(case_id)[-1]
        assert (last.kind, last.from_state, last.to_state, last.detail) == (
            TimelineKind.TRANSITION,
            current,
            target,
            {"note": "lý do"},
        )
        return
    with pytest.raises(CaseStateError) as error:
        world.cases.store.transition(case_id, target, OFFICER)
    message = error.value.message
    assert case_id in message
    if current is target:
        assert f"is already {current.value}" in message
    elif current in FINAL_STATES:
        assert "a final state" in message
    else:
        assert f"cannot move from {current.value} to {target.value} (allowed from {current.value}: " in message
    assert world.cases.store.get(case_id).state is current  # nothing changed


def test_times_to_verify_and_respond_are_recorded(world: World) -> None:
    opened = world.clock.now
    case_id = world.cases.store.open(CaseOpen(title="Tin đồn", priority=CasePriority.HIGH), OFFICER).case_id
    world.clock.advance(minutes=30)
    world.cases.store.transition(case_id, CaseState.VERIFYING, OFFICER)
    world.clock.advance(minutes=60)
    world.cases.store.transition(case_id, CaseState.RESPONDING, OFFICER)
    world.clock.advance(hours=25)
    world.cases.store.transition(case_id, CaseState.RESOLVED, OFFICER)
    case = world.cases.store.get(case_id)
    assert case.opened_at == opened
    assert case.time_to_verify_seconds == 90 * 60
    assert case.time_to_respond_seconds == (90 + 25 * 60) * 60
    record = world.cases.service_record(case_id)
    assert (record.verified_in_time, record.responded_in_time) == (True, False)  # high: 2 h and 24 h


def test_edits_and_the_timeline(world: World) -> None:
    case_id = world.cases.store.open(CaseOpen(title="Tin đồn"), OFFICER).case_id
    store = world.cases.store
    store.set_priority(case_id, CasePriority.CRITICAL, OFFICER)
    store.set_priority(case_id, CasePriority.CRITICAL, OFFICER)  # unchanged: not in the timeline
    store.assign(case_id, OFFICER, ADMIN)
    store.share(case_id, "police", ADMIN)
    store.share(case_id, "police", ADMIN)
    store.set_claim(case_id, "Nước máy Thiện Tân bị nhiễm độc.", OFFICER)
    correction = Correction(
        statement="Sở Y tế khẳng định nước máy Thiện Tân đạt chuẩn, an toàn để sử dụng.",
        url="https://dongnai.gov.vn/dinh-chinh/nuoc-may",  # type: ignore[arg-type]
        issued_by="Sở Y tế tỉnh Đồng Nai",
        issued_at=at("2026-10-20 22:00"),
    )
    store.set_correction(case_id, correction, OFFICER)
    comment = store.comment(case_id, OFFICER, "Đã liên hệ Công ty cấp nước Đồng Nai")
    store.unshare(case_id, "police", ADMIN)
    case = store.get(case_id)
    assert case.priority is CasePriority.CRITICAL
    assert (case.assignee, case.assignee_id) == ("Cán bộ Trần Thị B (k-officer)", "k-officer")
    assert case.agencies == ()
    assert case.claim == "Nước máy Thiện Tân bị nhiễm độc."
    assert case.correction == correction
    assert case.comment_count == 1
    assert store.comments(case_id) == [comment]
    kinds = [e.kind for e in store.timeline(case_id)]
    assert kinds == [
        TimelineKind.OPEN,
        TimelineKind.PRIORITY,
        TimelineKind.ASSIGN,
        TimelineKind.SHARE,
        TimelineKind.CLAIM,
        TimelineKind.CORRECTION,
        TimelineKind.COMMENT,
        TimelineKind.UNSHARE,
    ]
    assert store.timeline(case_id)[1].detail == {"from": "normal", "to": "critical"}


def test_final_cases_refuse_edits_but_take_comments_and_shares(world: World) -> None:
    case_id = _case_in(world, CaseState.DISMISSED)
    store = world.cases.store
    with pytest.raises(CaseStateError, match="is dismissed: its priority can no longer change"):
        store.set_priority(case_id, CasePriority.HIGH, OFFICER)
    with pytest.raises(CaseStateError, match="its claim can no longer change"):
        store.set_claim(case_id, "x", OFFICER)
    store.comment(case_id, OFFICER, "Không phải tin sai: ý kiến cá nhân")
    assert store.share(case_id, "police", OFFICER).agencies == ("police",)


def test_search_by_state_priority_and_agency(world: World) -> None:
    store = world.cases.store
    first = store.open(CaseOpen(title="Một", priority=CasePriority.HIGH), OFFICER).case_id
    world.clock.advance(minutes=1)
    second = store.open(CaseOpen(title="Hai"), OFFICER).case_id
    store.share(first, "police", OFFICER)
    store.transition(second, CaseState.VERIFYING, OFFICER)
    from monitor.cases import CaseQuery

    assert [c.case_id for c in store.search(CaseQuery())[1]] == [second, first]
    assert [c.case_id for c in store.search(CaseQuery(agency="police"))[1]] == [first]
    assert [c.case_id for c in store.search(CaseQuery(states=(CaseState.VERIFYING,)))[1]] == [second]
    assert store.search(CaseQuery(priorities=(CasePriority.HIGH,)))[0] == 1


def test_unknown_case(world: World) -> None:
    with pytest.raises(NotFoundError, match="no case with id 'nope'"):
        world.cases.store.transition("nope", CaseState.VERIFYING, OFFICER)
