"""Evidence snapshots (write-once, hashed, verified), the custody log, and service-level breaches."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.alerting.types import AlertSeverity
from monitor.cases import CaseOpen, CasePriority, CaseState, CustodyAction, EvidenceTamperedError, SlaStage
from monitor.cases.evidence import DOCUMENT_FILE, EVIDENCE_NAMESPACE, RAW_BODY_FILE, RAW_META_FILE
from monitor.cases.sla import SLA_RULE_ID
from monitor.errors import InvalidInputError, NotFoundError, StoreError
from tests.monitor.cases.helpers import ADMIN, OFFICER, World, build_world, rumour, store_with_raw


@pytest.fixture
def world(tmp_path: Path) -> World:
    return build_world(tmp_path)


def test_attach_freezes_document_and_raw_response_with_hashes(world: World) -> None:
    document = rumour()
    raw = store_with_raw(world, document)
    case, evidence = world.cases.open_case(CaseOpen(title="Tin đồn", doc_ids=(document.doc_id,)), OFFICER)
    assert case.evidence_count == 1
    (item,) = evidence
    folder = world.data_dir / "evidence" / case.case_id / item.evidence_id
    assert {f.name for f in item.files} == {DOCUMENT_FILE, RAW_META_FILE, RAW_BODY_FILE}
    for record in item.files:
        assert hashlib.sha256((folder / record.name).read_bytes()).hexdigest() == record.sha256
    assert (folder / RAW_BODY_FILE).read_bytes() == raw.body
    snapshot = json.loads((folder / DOCUMENT_FILE).read_text(encoding="utf-8"))
    assert snapshot["document"]["text"] == "Nước máy Thiện Tân bị nhiễm độc, mọi người đừng uống!"
    assert item.captured_at == document.document.fetched_at
    assert item.raw_note is None
    assert not os.access(folder / DOCUMENT_FILE, os.W_OK) or os.geteuid() == 0  # read-only (root ignores modes)


def test_attaching_twice_gives_the_same_snapshot_even_if_the_document_changed(world: World) -> None:
    document = rumour()
    store_with_raw(world, document)
    case = world.cases.store.open(CaseOpen(title="Tin đồn"), OFFICER)
    first, new = world.cases.evidence.attach(case.case_id, document.doc_id, OFFICER)
    assert new
    world.documents.upsert([rumour(text="Bài đã bị sửa sau khi lan truyền")])
    world.clock.advance(hours=1)
    second, new_again = world.cases.evidence.attach(case.case_id, document.doc_id, ADMIN)
    assert not new_again
    assert second == first
    view = world.cases.evidence.view(case.case_id, first.evidence_id, OFFICER, "kiểm tra")
    assert view.document["document"]["text"].startswith("Nước máy Thiện Tân")


def test_a_document_without_archived_response_says_why(world: World) -> None:
    document = rumour("p2")
    world.documents.upsert([document])
    case = world.cases.store.open(CaseOpen(title="Tin đồn"), OFFICER)
    evidence, _ = world.cases.evidence.attach(case.case_id, document.doc_id, OFFICER)
    assert [f.name for f in evidence.files] == [DOCUMENT_FILE]
    assert evidence.raw_note is not None
    assert "has no response for this URL" in evidence.raw_note


def test_opening_with_unknown_documents_writes_nothing(world: World) -> None:
    with pytest.raises(NotFoundError, match="'khong-co'"):
        world.cases.open_case(CaseOpen(title="Tin đồn", doc_ids=("khong-co",)), OFFICER)
    assert world.cases.store.open_cases() == []


def test_tampering_is_detected_and_named(world: World) -> None:
    document = rumour()
    store_with_raw(world, document)
    case, (item,) = world.cases.open_case(CaseOpen(title="Tin đồn", doc_ids=(document.doc_id,)), OFFICER)
    assert world.cases.verify_evidence(case.case_id).ok
    path = world.data_dir / "evidence" / case.case_id / item.evidence_id / RAW_BODY_FILE
    path.chmod(0o644)
    path.write_bytes(b"<html>da sua</html>")
    (path.parent / "them.txt").write_text("thêm vào", encoding="utf-8")
    result = world.cases.verify_evidence(case.case_id, OFFICER)
    assert not result.ok
    assert [(p.path, p.problem) for p in result.problems] == [
        (f"{item.evidence_id}/{RAW_BODY_FILE}", "changed"),
        (f"{item.evidence_id}/them.txt", "unexpected"),
    ]
    with pytest.raises(EvidenceTamperedError, match=f"{item.evidence_id}/{RAW_BODY_FILE} changed"):
        world.cases.evidence.read_file(case.case_id, item.evidence_id, RAW_BODY_FILE, OFFICER, "xem")
    (path.parent / DOCUMENT_FILE).unlink()
    problems = world.cases.verify_evidence(case.case_id).problems
    assert (f"{item.evidence_id}/{DOCUMENT_FILE}", "missing") in [(p.path, p.problem) for p in problems]


def test_every_view_is_in_the_custody_log(world: World) -> None:
    document = rumour()
    store_with_raw(world, document)
    case, (item,) = world.cases.open_case(CaseOpen(title="Tin đồn", doc_ids=(document.doc_id,)), OFFICER)
    world.cases.evidence.view(case.case_id, item.evidence_id, ADMIN, "Chuẩn bị hồ sơ cho Công an")
    world.cases.evidence.read_file(case.case_id, item.evidence_id, RAW_BODY_FILE, OFFICER, "đối chiếu bản gốc")
    world.cases.evidence.record_export(case.case_id, [item.evidence_id], ADMIN, "gửi Công an tỉnh", {"format": "zip"})
    with pytest.raises(InvalidInputError, match="reason"):
        world.cases.evidence.view(case.case_id, item.evidence_id, ADMIN, "  ")
    log = world.cases.evidence.custody(case.case_id)
    assert [(e.action, e.actor, e.reason) for e in log] == [
        (CustodyAction.ATTACH, OFFICER.name, "attached to the case"),
        (CustodyAction.VIEW, ADMIN.name, "Chuẩn bị hồ sơ cho Công an"),
        (CustodyAction.DOWNLOAD, OFFICER.name, "đối chiếu bản gốc"),
        (CustodyAction.EXPORT, ADMIN.name, "gửi Công an tỉnh"),
    ]
    assert all(e.evidence_id == item.evidence_id for e in log)
    assert log[2].detail["file"] == RAW_BODY_FILE


def test_files_are_never_overwritten(world: World) -> None:
    document = rumour()
    world.documents.upsert([document])
    case = world.cases.store.open(CaseOpen(title="Tin đồn"), OFFICER)
    evidence_id = str(uuid.uuid5(EVIDENCE_NAMESPACE, f"{case.case_id}\x00{document.doc_id}"))
    stray = world.data_dir / "evidence" / case.case_id / evidence_id
    stray.mkdir(parents=True)
    (stray / DOCUMENT_FILE).write_text("{}", encoding="utf-8")
    with pytest.raises(StoreError, match="exists but is not recorded"):
        world.cases.evidence.attach(case.case_id, document.doc_id, OFFICER)
    assert (stray / DOCUMENT_FILE).read_text(encoding="utf-8") == "{}"
    assert world.cases.evidence.attached(case.case_id) == []


def test_breaches_follow_the_hand_set_clock(world: World) -> None:
    store = world.cases.store
    high = store.open(CaseOpen(title="Tin đồn nước nhiễm độc", priority=CasePriority.HIGH), OFFICER).case_id
    normal = store.open(CaseOpen(title="Tin đồn kẹt xe"), OFFICER).case_id
    opened = world.clock.now
    assert world.cases.overdue(world.clock.advance(hours=2)) == []  # exactly at the deadline: not late
    breaches = world.cases.overdue(world.clock.advance(minutes=1))
    assert [(b.case_id, b.stage, b.overdue_seconds) for b in breaches] == [(high, SlaStage.VERIFY, 60)]
    store.transition(high, CaseState.VERIFYING, OFFICER)
    store.transition(high, CaseState.RESPONDING, OFFICER)  # verified late, but verified: no more verify breach
    assert world.cases.overdue(world.clock.now) == []
    world.clock.now = opened + timedelta(hours=24, seconds=1)
    stages = {(b.case_id, b.stage) for b in world.cases.overdue(world.clock.now)}
    assert stages == {(high, SlaStage.RESPOND), (normal, SlaStage.VERIFY)}  # normal: 8 h to verify, 3 d to respond
    store.transition(normal, CaseState.DISMISSED, OFFICER)
    store.transition(high, CaseState.RESOLVED, OFFICER)
    assert world.cases.overdue(world.clock.advance(days=30)) == []


def test_raising_priority_moves_the_deadline(world: World) -> None:
    case_id = world.cases.store.open(CaseOpen(title="Tin đồn"), OFFICER).case_id
    world.clock.advance(hours=1, minutes=30)
    assert world.cases.overdue(world.clock.now) == []
    world.cases.store.set_priority(case_id, CasePriority.CRITICAL, OFFICER)
    assert [b.stage for b in world.cases.overdue(world.clock.now)] == [SlaStage.VERIFY]


def test_breach_candidate_is_one_alert_per_case_and_stage(world: World) -> None:
    document = rumour()
    store_with_raw(world, document)
    case, _ = world.cases.open_case(
        CaseOpen(title="Tin đồn nước nhiễm độc", priority=CasePriority.CRITICAL, doc_ids=(document.doc_id,)), OFFICER
    )
    (breach,) = world.cases.overdue(world.clock.advance(hours=2))
    candidate = world.cases.breach_candidate(breach, world.clock.now)
    assert (candidate.rule_id, candidate.severity, candidate.key) == (
        SLA_RULE_ID,
        AlertSeverity.CRITICAL,
        f"{case.case_id}:verify",
    )
    assert candidate.doc_ids == (document.doc_id,)
    assert candidate.title == "Quá hạn xác minh: Tin đồn nước nhiễm độc"
    alert, new = world.alerts.record(candidate)
    again, new_again = world.alerts.record(world.cases.breach_candidate(breach, world.clock.advance(minutes=5)))
    assert (new, new_again) == (True, False)
    assert again.alert_id == alert.alert_id
