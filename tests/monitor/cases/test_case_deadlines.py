"""The scheduler turns a missed case deadline into one alert per case and stage, queued for delivery."""

from __future__ import annotations

from datetime import timedelta

from monitor.access.audit import Actor
from monitor.cases.model import CaseOpen, CasePriority, CaseState
from monitor.cases.sla import SlaStage, next_deadlines
from monitor.context import Monitor
from monitor.records import utc_now
from monitor.service import case_deadlines
from tests.factories import analyzed, at


def test_a_case_not_verified_in_time_raises_one_alert(monitor: Monitor) -> None:
    post = analyzed(
        "Nghe nói nước máy Thiện Tân nhiễm độc, share gấp!!!", post_id="1", published=at("2026-11-03 08:00")
    )
    monitor.store.upsert([post])
    case, _ = monitor.cases.open_case(
        CaseOpen(title="Tin sai về nước máy Thiện Tân", priority=CasePriority.HIGH, doc_ids=(post.doc_id,)),
        Actor(name="officer key", key_id="k1"),
    )
    assert case_deadlines(monitor, utc_now() + timedelta(minutes=30)) == []  # high: verify within 2 h
    [alert] = case_deadlines(monitor, utc_now() + timedelta(hours=3))
    assert alert.rule_id == "case-sla"
    assert case.case_id in alert.key
    assert alert.doc_ids == (post.doc_id,)
    [again] = case_deadlines(monitor, utc_now() + timedelta(hours=4))
    assert again.alert_id == alert.alert_id  # the same breach, not a second alert


def test_open_cases_by_their_next_deadline(monitor: Monitor) -> None:
    post = analyzed("Tin đồn mất nước cả tuần ở Biên Hòa", post_id="2", published=at("2026-11-03 08:00"))
    monitor.store.upsert([post])
    by = Actor(name="officer key", key_id="k1")
    normal, _ = monitor.cases.open_case(CaseOpen(title="Mất nước Biên Hòa", doc_ids=(post.doc_id,)), by)
    high, _ = monitor.cases.open_case(
        CaseOpen(title="Nước máy nhiễm độc", priority=CasePriority.HIGH, doc_ids=(post.doc_id,)), by
    )
    levels = monitor.cases.config.service_levels
    later = high.opened_at + timedelta(hours=3)  # past the high case's 2 h to verify, not the normal one's
    due = next_deadlines(monitor.cases.store.open_cases(), levels, later)
    assert [(d.case.case_id, d.stage, d.overdue) for d in due] == [
        (high.case_id, SlaStage.VERIFY, True),
        (normal.case_id, SlaStage.VERIFY, False),
    ]
    assert due[0].deadline == high.opened_at + timedelta(seconds=levels[CasePriority.HIGH].verify)
    monitor.cases.transition(high.case_id, CaseState.VERIFYING, by)
    monitor.cases.transition(high.case_id, CaseState.RESPONDING, by)  # verified: responding is next
    [_, responding] = next_deadlines(monitor.cases.store.open_cases(), levels, later)
    assert (responding.case.case_id, responding.stage, responding.overdue) == (high.case_id, SlaStage.RESPOND, False)
