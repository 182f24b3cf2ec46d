"""A case's claim in the registry: when it may be registered, how edits and dismissal follow, the spread."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone
from pathlib import Path

import pytest

from monitor.cases import CaseClaims, CaseOpen, CaseState, CaseStateError, Correction, TimelineKind
from monitor.claims.registry import case_claim_id
from monitor.errors import InvalidInputError
from tests.factories import analyzed, at
from tests.monitor.cases.helpers import OFFICER, PATH_TO, World, build_world

VN = timezone(timedelta(hours=7))
CLAIM = "Hồ Trị An sắp vỡ đập, người dân hạ du sông Đồng Nai phải sơ tán ngay trong đêm nay."
CORRECTION = Correction(
    statement="Công ty Thủy điện Trị An khẳng định đập an toàn, thông tin vỡ đập là sai sự thật.",
    url="https://dongnai-gov.example/dinh-chinh/tri-an-an-toan.html",  # type: ignore[arg-type]
    issued_by="UBND tỉnh Đồng Nai",
    issued_at=at("2026-11-06 10:00"),
)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return build_world(tmp_path)


def _claims(world: World) -> CaseClaims:
    assert world.cases.claims is not None
    return world.cases.claims


def _case(world: World, state: CaseState = CaseState.VERIFYING, *, correction: bool = True) -> str:
    case_id = world.cases.store.open(CaseOpen(title="Tin đồn vỡ đập Trị An", claim=CLAIM), OFFICER).case_id
    if correction:
        world.cases.store.set_correction(case_id, CORRECTION, OFFICER)
    for step in PATH_TO[state]:
        world.cases.store.transition(case_id, step, OFFICER)
    return case_id


@pytest.mark.parametrize("state", list(CaseState))
def test_registration_needs_a_verified_open_case(world: World, state: CaseState) -> None:
    case_id = _case(world, state)
    if state in (CaseState.VERIFYING, CaseState.RESPONDING, CaseState.RESOLVED):
        registered = _claims(world).register(case_id, OFFICER, ("vỡ đập trị an",))
        assert registered.claim.id == case_claim_id(case_id)
        assert registered.claim.correction_url == str(CORRECTION.url)
        assert registered.claim.corrected_at == CORRECTION.issued_at
        assert registered.claim.keywords == ("vỡ đập trị an",)
        event = world.cases.store.timeline(case_id)[-1]
        assert event.kind is TimelineKind.REGISTER
        assert event.detail["claim_id"] == registered.claim.id
    else:
        with pytest.raises(CaseStateError, match=state.value):
            _claims(world).register(case_id, OFFICER)
        assert _claims(world).registered(case_id) is None


def test_registration_needs_the_claim_and_the_correction(world: World) -> None:
    no_correction = _case(world, correction=False)
    with pytest.raises(CaseStateError, match="no official correction"):
        _claims(world).register(no_correction, OFFICER)
    no_claim = world.cases.store.open(CaseOpen(title="Tin đồn"), OFFICER).case_id
    world.cases.store.transition(no_claim, CaseState.VERIFYING, OFFICER)
    with pytest.raises(CaseStateError, match="no claim"):
        _claims(world).register(no_claim, OFFICER)


def test_edits_follow_into_the_registry_and_dismissal_withdraws(world: World) -> None:
    case_id = _case(world)
    claims = _claims(world)
    claims.register(case_id, OFFICER, ("vỡ đập trị an",))
    revision = claims.registry.revision()
    world.cases.set_claim(case_id, "Đập thủy điện Trị An bị nứt, nước sắp tràn về Biên Hòa.", OFFICER)
    registered = claims.registered(case_id)
    assert registered is not None
    assert registered.claim.text == "Đập thủy điện Trị An bị nứt, nước sắp tràn về Biên Hòa."
    assert registered.claim.keywords == ("vỡ đập trị an",)  # kept across the edit
    assert claims.registry.revision() > revision
    with pytest.raises(InvalidInputError, match="at least 10 characters"):
        world.cases.set_claim(case_id, "Vỡ đập", OFFICER)
    assert world.cases.store.get(case_id).claim == registered.claim.text  # refused before anything changed
    world.cases.set_correction(case_id, CORRECTION.model_copy(update={"issued_by": "Sở Công Thương"}), OFFICER)
    updated = claims.registered(case_id)
    assert updated is not None
    assert updated.claim.issued_by == "Sở Công Thương"

    world.cases.transition(case_id, CaseState.DISMISSED, OFFICER, "không phải tin sai")
    withdrawn = claims.registered(case_id)
    assert withdrawn is not None
    assert not withdrawn.active
    assert case_claim_id(case_id) not in [claim.id for claim in claims.registry.claims()]
    kinds = [event.kind for event in world.cases.store.timeline(case_id)]
    assert kinds.count(TimelineKind.REGISTER) == 3  # registered, then the claim and the correction edits
    assert kinds[-1] is TimelineKind.WITHDRAW


def test_withdrawal_needs_a_registration(world: World) -> None:
    case_id = _case(world)
    with pytest.raises(CaseStateError, match="no registered claim"):
        _claims(world).withdraw(case_id, OFFICER, "nhầm")
    _claims(world).register(case_id, OFFICER)
    _claims(world).withdraw(case_id, OFFICER, "đăng ký nhầm")
    with pytest.raises(CaseStateError, match="no registered claim"):
        _claims(world).withdraw(case_id, OFFICER, "lần hai")
    assert world.cases.store.timeline(case_id)[-1].detail == {"claim_id": case_claim_id(case_id), "why": "đăng ký nhầm"}


def test_spread_counts_per_local_day_before_and_after_the_correction(world: World) -> None:
    case_id = _case(world)
    claims = _claims(world)
    claim_id = claims.register(case_id, OFFICER).claim.id
    documents = [
        # 23:30 on the 5th in Vietnam is 16:30 UTC the same day; 00:30 on the 6th is still the 5th in UTC.
        analyzed("Trị An vỡ đập!!!", post_id="a", published=at("2026-11-05 23:30"), claim_ids=(claim_id,)),
        analyzed("vo dap tri an that ha", post_id="b", published=at("2026-11-06 00:30"), claim_ids=(claim_id,)),
        analyzed("Tin giả nha", post_id="c", published=at("2026-11-06 10:30"), corrected_claim_ids=(claim_id,)),
        analyzed("Sắp vỡ đập", post_id="d", published=at("2026-11-07 20:00"), claim_ids=(claim_id,)),
        analyzed("Đập an toàn", post_id="e", published=at("2026-11-07 21:00"), corrected_claim_ids=(claim_id,)),
        analyzed("Chuyện khác", post_id="f", published=at("2026-11-07 21:00"), claim_ids=("other-claim",)),
    ]
    claims.registry.link(documents)
    spread = claims.spread(case_id, VN)
    assert [(str(day.day), day.repeats, day.corrections) for day in spread.days] == [
        ("2026-11-05", 1, 0),
        ("2026-11-06", 1, 1),
        ("2026-11-07", 1, 1),
    ]
    assert (spread.repeats, spread.corrections) == (3, 2)
    assert (spread.repeats_after_correction, spread.corrections_after_correction) == (1, 2)
    in_utc = claims.spread(case_id, UTC)
    assert [(str(day.day), day.repeats) for day in in_utc.days][:1] == [("2026-11-05", 2)]
    assert [link.doc_id for link in claims.linked(case_id, kind="correction")] == [
        documents[4].doc_id,
        documents[2].doc_id,
    ]
    assert len(claims.linked(case_id, limit=2, offset=3)) == 2


def test_spread_of_an_unregistered_case_is_empty(world: World) -> None:
    case_id = _case(world)
    spread = _claims(world).spread(case_id, VN)
    assert spread.registered is None
    assert (spread.repeats, spread.corrections, spread.days) == (0, 0, [])
