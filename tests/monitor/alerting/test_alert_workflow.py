"""The alert workflow in the real SQLite store: states, re-opening, comments, audit, silences, escalation."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.access.audit import Actor, AuditAction, AuditObject, AuditQuery
from monitor.alerting.silences import SilenceCreate, SilenceState
from monitor.alerting.store import AlertStore
from monitor.alerting.types import AlertCandidate, AlertQuery, AlertSeverity, AlertState, AlertStateError
from monitor.alerting.workflow import DEFAULT_ESCALATION_DEADLINES
from monitor.db import Database
from monitor.errors import InvalidInputError, NotFoundError
from monitor.records import utc_now
from tests.factories import at

OFFICER = Actor(name="Nguyễn Văn A", key_id="key-1")


def _candidate(
    key: str = "claim:nuoc-nhiem-doc",
    docs: tuple[str, ...] = ("d1",),
    rule_id: str = "misinfo-high",
    severity: AlertSeverity = AlertSeverity.HIGH,
    title: str = "Tin đồn nước máy Thiện Tân nhiễm độc",
) -> AlertCandidate:
    return AlertCandidate(
        rule_id=rule_id,
        rule_type="misinformation",
        severity=severity,
        key=key,
        title=title,
        summary="Bài đăng lan truyền trên mạng xã hội",
        details={"claim": key},
        doc_ids=docs,
        event_start=at("2026-10-20 19:00"),
        event_end=at("2026-10-20 20:00"),
    )


@pytest.fixture
def store(tmp_path: Path) -> AlertStore:
    return AlertStore(Database(tmp_path / "alerts.sqlite3"))


def _actions(store: AlertStore, alert_id: str) -> list[tuple[str, str | None, str | None]]:
    return [(e.action.value, e.from_state, e.to_state) for e in store.trail(alert_id)]


def test_new_acknowledged_resolved_with_audit(store: AlertStore) -> None:
    alert, created = store.record(_candidate())
    assert created
    assert alert.state is AlertState.NEW
    acked = store.acknowledge(alert.alert_id, OFFICER)
    assert acked.acknowledged_by == "Nguyễn Văn A (key-1)"
    assert store.acknowledge(alert.alert_id, "someone else").acknowledged_by == acked.acknowledged_by  # idempotent
    resolved = store.resolve(alert.alert_id, OFFICER, note="đã đính chính")
    assert resolved.state is AlertState.RESOLVED
    assert resolved.resolved_by == "Nguyễn Văn A (key-1)"
    assert resolved.resolved_at is not None
    assert _actions(store, alert.alert_id) == [
        ("create", None, "new"),
        ("acknowledge", "new", "acknowledged"),
        ("resolve", "acknowledged", "resolved"),
    ]
    resolve_entry = store.trail(alert.alert_id)[-1]
    assert (resolve_entry.actor, resolve_entry.actor_id) == ("Nguyễn Văn A", "key-1")
    assert resolve_entry.detail == {"note": "đã đính chính"}


def test_resolve_straight_from_new(store: AlertStore) -> None:
    alert, _ = store.record(_candidate())
    assert store.resolve(alert.alert_id, OFFICER).state is AlertState.RESOLVED
    assert _actions(store, alert.alert_id)[-1] == ("resolve", "new", "resolved")


def test_forbidden_transitions_say_why(store: AlertStore) -> None:
    alert, _ = store.record(_candidate())
    store.resolve(alert.alert_id, OFFICER)
    with pytest.raises(AlertStateError, match=r"is resolved .* cannot be acknowledged"):
        store.acknowledge(alert.alert_id, OFFICER)
    with pytest.raises(AlertStateError, match="already resolved"):
        store.resolve(alert.alert_id, OFFICER)
    assert len(store.trail(alert.alert_id)) == 2  # nothing audited for refused steps
    for step in (store.acknowledge, store.resolve):
        with pytest.raises(NotFoundError):
            step("no-such-alert", OFFICER)


def test_new_documents_reopen_a_resolved_alert(store: AlertStore) -> None:
    alert, _ = store.record(_candidate(docs=("d1", "d2")))
    store.acknowledge(alert.alert_id, OFFICER)
    store.resolve(alert.alert_id, OFFICER)
    same, created = store.record(_candidate(docs=("d2", "d1")))  # nothing new: stays resolved
    assert not created
    assert same.state is AlertState.RESOLVED
    reopened, _ = store.record(_candidate(docs=("d2", "d3")))
    assert reopened.state is AlertState.NEW
    assert reopened.doc_ids == ("d1", "d2", "d3")
    assert reopened.acknowledged_by is None
    assert reopened.resolved_by is None
    entry = store.trail(alert.alert_id)[-1]
    assert (entry.action, entry.from_state, entry.to_state, entry.actor) == (
        AuditAction.REOPEN,
        "resolved",
        "new",
        "system",
    )
    assert entry.detail["doc_ids"] == ["d3"]
    assert entry.detail["resolved_by"] == "Nguyễn Văn A (key-1)"
    assert store.acknowledge(alert.alert_id, OFFICER).state is AlertState.ACKNOWLEDGED  # the workflow starts over


def test_acknowledged_alert_stays_acknowledged_with_new_documents(store: AlertStore) -> None:
    alert, _ = store.record(_candidate())
    store.acknowledge(alert.alert_id, OFFICER)
    merged, _ = store.record(_candidate(docs=("d9",)))
    assert merged.state is AlertState.ACKNOWLEDGED
    assert merged.doc_count == 2


def test_comments_are_kept_and_audited(store: AlertStore) -> None:
    alert, _ = store.record(_candidate())
    first = store.comment(alert.alert_id, OFFICER, "  Đã liên hệ Công ty Cấp nước Đồng Nai  ")
    assert first.text == "Đã liên hệ Công ty Cấp nước Đồng Nai"
    store.comment(alert.alert_id, "cli", "chờ đính chính")
    assert [c.text for c in store.comments(alert.alert_id)] == [
        "Đã liên hệ Công ty Cấp nước Đồng Nai",
        "chờ đính chính",
    ]
    assert store.get(alert.alert_id).comment_count == 2
    entry = store.trail(alert.alert_id)[1]
    assert (entry.action, entry.from_state, entry.to_state) == (AuditAction.COMMENT, "new", "new")
    assert entry.detail == {"comment_id": first.comment_id, "text": first.text}
    with pytest.raises(InvalidInputError, match="1 to 4000"):
        store.comment(alert.alert_id, OFFICER, "   ")
    with pytest.raises(NotFoundError):
        store.comment("missing", OFFICER, "x")


def test_every_change_gets_a_larger_sequence_number(store: AlertStore) -> None:
    a, _ = store.record(_candidate(key="a"))
    b, _ = store.record(_candidate(key="b"))
    assert 0 < a.seq < b.seq == store.last_seq()
    unchanged, _ = store.record(_candidate(key="a"))
    assert unchanged.seq == a.seq  # re-recording the same thing is not a change
    acked = store.acknowledge(a.alert_id, OFFICER)
    assert acked.seq > b.seq
    assert [x.alert_id for x in store.changed_since(a.seq)] == [b.alert_id, a.alert_id]
    assert [x.alert_id for x in store.changed_since(b.seq)] == [a.alert_id]
    commented = store.comment(b.alert_id, OFFICER, "xem")
    assert store.get(commented.alert_id).seq == store.last_seq() > acked.seq
    assert store.changed_since(store.last_seq()) == []


def test_search_filters(store: AlertStore) -> None:
    store.record(_candidate(key="a", title="Ngập sâu ở Biên Hòa", severity=AlertSeverity.LOW))
    b, _ = store.record(_candidate(key="b", title="Kẹt xe Long Thành"))
    assert [x.key for x in store.search(AlertQuery(text="bien hoa"))[1]] == ["a"]  # accents optional
    assert [x.key for x in store.search(AlertQuery(text="BIÊN   hòa ngập"))[1]] == ["a"]
    assert store.search(AlertQuery(text="100%_"))[0] == 0  # LIKE wildcards are literal
    assert [x.key for x in store.search(AlertQuery(severities=(AlertSeverity.HIGH,)))[1]] == ["b"]
    assert store.search(AlertQuery(event_since=at("2026-10-20 19:30"), event_until=at("2026-10-20 19:45")))[0] == 2
    assert store.search(AlertQuery(event_since=at("2026-10-20 20:01")))[0] == 0
    assert store.search(AlertQuery(event_until=at("2026-10-20 19:00")))[0] == 0
    store.resolve(b.alert_id, OFFICER)
    assert [x.key for x in store.search(AlertQuery(states=(AlertState.RESOLVED,)))[1]] == ["b"]
    with pytest.raises(ValueError, match="'until' is before 'since'"):
        AlertQuery(since=at("2026-10-21 00:00"), until=at("2026-10-20 00:00"))


def _silence(**fields: object) -> SilenceCreate:
    values: dict[str, object] = {"reason": "đang xử lý sự cố", "expires_at": utc_now() + timedelta(hours=2)}
    values.update(fields)
    return SilenceCreate.model_validate(values)


def test_silenced_alerts_are_recorded_marked_and_hidden_on_request(store: AlertStore) -> None:
    silence = store.create_silence(_silence(rule_id="misinfo-high"), OFFICER)
    assert silence.state is SilenceState.ACTIVE
    muted, created = store.record(_candidate(key="a"))
    assert created
    assert muted.silenced
    assert muted.silence_id == silence.silence_id
    other, _ = store.record(_candidate(key="b", rule_id="watch-flooding"))
    assert not other.silenced
    assert store.search(AlertQuery())[0] == 2  # nothing lost
    assert [x.key for x in store.search(AlertQuery(include_silenced=False))[1]] == ["b"]
    ended = store.delete_silence(silence.silence_id, OFFICER)
    assert ended.state is SilenceState.EXPIRED
    assert ended.deleted_by == "Nguyễn Văn A (key-1)"
    assert not store.get(muted.alert_id).silenced  # a deleted silence stops applying at once
    assert store.search(AlertQuery(include_silenced=False))[0] == 2
    entries = store.audit.search(AuditQuery(object_type=AuditObject.SILENCE))[1]
    assert [e.action for e in entries] == [AuditAction.SILENCE_DELETE, AuditAction.SILENCE_CREATE]
    assert entries[0].actor_id == "key-1"


def test_expired_silences_stop_applying(store: AlertStore, tmp_path: Path) -> None:
    silence = store.create_silence(_silence(key_pattern="claim:*"), OFFICER)
    alert, _ = store.record(_candidate(key="claim:x"))
    assert alert.silenced
    with sqlite3.connect(tmp_path / "alerts.sqlite3") as conn:  # let the clock run past its end
        conn.execute(
            "UPDATE silences SET expires_ts = ? WHERE silence_id = ?", (utc_now().timestamp() - 1, silence.silence_id)
        )
    assert not store.get(alert.alert_id).silenced
    assert store.silences.get(silence.silence_id).state is SilenceState.EXPIRED
    again, _ = store.record(_candidate(key="claim:x", docs=("d2",)))
    assert not again.silenced
    assert again.silence_id is None


def test_silence_matching_by_key_pattern_and_severity(store: AlertStore) -> None:
    store.create_silence(_silence(key_pattern="claim:*", min_severity="high"), OFFICER)
    assert store.record(_candidate(key="claim:a", severity=AlertSeverity.CRITICAL))[0].silenced
    assert not store.record(_candidate(key="claim:b", severity=AlertSeverity.MEDIUM))[0].silenced
    assert not store.record(_candidate(key="window:c", severity=AlertSeverity.HIGH))[0].silenced
    store.create_silence(_silence(rule_id="spike-x", max_severity="medium"), OFFICER)
    assert store.record(_candidate(key="s1", rule_id="spike-x", severity=AlertSeverity.LOW))[0].silenced
    assert not store.record(_candidate(key="s2", rule_id="spike-x", severity=AlertSeverity.HIGH))[0].silenced


def test_a_new_silence_mutes_matching_open_alerts_but_not_resolved_ones(store: AlertStore) -> None:
    open_alert, _ = store.record(_candidate(key="claim:a"))
    done, _ = store.record(_candidate(key="claim:b"))
    store.resolve(done.alert_id, OFFICER)
    before = store.last_seq()
    silence = store.create_silence(_silence(key_pattern="claim:*"), OFFICER)
    assert store.get(open_alert.alert_id).silenced
    assert store.get(open_alert.alert_id).seq > before  # stream clients learn of it
    assert not store.get(done.alert_id).silenced
    entry = store.audit.trail(AuditObject.SILENCE, silence.silence_id)[0]
    assert entry.detail["applied_to_open_alerts"] == 1


def test_a_future_silence_applies_only_from_its_start(store: AlertStore) -> None:
    start = utc_now() + timedelta(hours=1)
    silence = store.create_silence(_silence(rule_id="misinfo-high", starts_at=start), OFFICER)
    assert silence.state is SilenceState.PENDING
    assert not store.record(_candidate())[0].silenced


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "give 'rule_id' or 'key_pattern'"),
        ({"rule_id": "r", "expires_at": "2020-01-01T00:00:00Z"}, "in the past"),
        (
            {"rule_id": "r", "starts_at": "2100-01-02T00:00:00Z", "expires_at": "2100-01-01T00:00:00Z"},
            "after 'starts_at'",
        ),
        ({"rule_id": "r", "expires_at": "2100-01-01T00:00:00"}, "time zone"),
        ({"rule_id": "r", "min_severity": "critical", "max_severity": "low"}, "match nothing"),
        ({"rule_id": "r", "reason": "   "}, "blank"),
    ],
)
def test_invalid_silences_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _silence(**fields)


def test_escalation_of_overdue_high_alerts(store: AlertStore) -> None:
    high, _ = store.record(_candidate(key="high"))
    low, _ = store.record(_candidate(key="low", severity=AlertSeverity.LOW))
    acked, _ = store.record(_candidate(key="acked", severity=AlertSeverity.CRITICAL))
    store.acknowledge(acked.alert_id, OFFICER)
    soon = utc_now() + timedelta(minutes=10)
    assert store.escalate_overdue(soon, DEFAULT_ESCALATION_DEADLINES) == []
    later = utc_now() + timedelta(minutes=31)
    [escalated] = store.escalate_overdue(later, DEFAULT_ESCALATION_DEADLINES)
    assert escalated.alert_id == high.alert_id
    assert escalated.escalated_at is not None
    assert escalated.state is AlertState.NEW
    assert store.escalate_overdue(later, DEFAULT_ESCALATION_DEADLINES) == []  # once per opening
    assert not store.get(low.alert_id).escalated_at
    entry = store.trail(high.alert_id)[-1]
    assert (entry.action, entry.actor, entry.detail["deadline_seconds"]) == (AuditAction.ESCALATE, "system", 1800)
    assert [a.key for a in store.search(AlertQuery(escalated=True))[1]] == ["high"]
    # Re-opened after resolution: the deadline counts again from the re-opening.
    store.resolve(high.alert_id, OFFICER)
    reopened, _ = store.record(_candidate(key="high", docs=("d7",)))
    assert reopened.escalated_at is None
    assert store.escalate_overdue(utc_now() + timedelta(minutes=31), DEFAULT_ESCALATION_DEADLINES)[0].key == "high"


def test_silenced_alerts_are_not_escalated(store: AlertStore) -> None:
    store.create_silence(_silence(rule_id="misinfo-high"), OFFICER)
    store.record(_candidate())
    assert store.escalate_overdue(utc_now() + timedelta(hours=1), {AlertSeverity.HIGH: timedelta(minutes=5)}) == []


OLD_SCHEMA = """
CREATE TABLE alerts (alert_id TEXT PRIMARY KEY, rule_id TEXT NOT NULL, rule_type TEXT NOT NULL,
    severity TEXT NOT NULL, key TEXT NOT NULL, title TEXT NOT NULL, summary TEXT NOT NULL, details TEXT NOT NULL,
    state TEXT NOT NULL, created_ts REAL NOT NULL, updated_ts REAL NOT NULL, event_start_ts INTEGER NOT NULL,
    event_end_ts INTEGER NOT NULL, acknowledged_by TEXT, acknowledged_ts REAL);
CREATE TABLE alert_documents (alert_id TEXT NOT NULL REFERENCES alerts (alert_id) ON DELETE CASCADE,
    doc_id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (alert_id, doc_id));
INSERT INTO alerts VALUES ('old-1', 'watch-flooding', 'watch', 'medium', 'k1', 'Ngập ở Biên Hòa', 'tóm tắt', '{}',
    'acknowledged', 1000.0, 1000.0, 1000, 1000, 'officer key (x)', 1001.0);
INSERT INTO alerts VALUES ('old-2', 'watch-flooding', 'watch', 'medium', 'k2', 'Khác', 'tóm tắt', '{}',
    'new', 2000.0, 2000.0, 2000, 2000, NULL, NULL);
INSERT INTO alert_documents VALUES ('old-1', 'd1', 1);
"""


def test_databases_from_before_the_workflow_are_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
    store = AlertStore(Database(path))
    old = store.get("old-1")
    assert (old.state, old.acknowledged_by, old.doc_ids, old.silenced) == (
        AlertState.ACKNOWLEDGED,
        "officer key (x)",
        ("d1",),
        False,
    )
    assert (old.seq, store.get("old-2").seq) == (1, 2)  # in order of last change
    assert [a.alert_id for a in store.search(AlertQuery(text="bien hoa"))[1]] == ["old-1"]
    assert store.resolve("old-1", OFFICER).state is AlertState.RESOLVED
    AlertStore(Database(path))  # opening again changes nothing
    assert store.get("old-2").seq == 2
    fresh, _ = store.record(_candidate())
    assert fresh.seq == 4
