"""Watch rules in context: negation, required and excluded phrases, topics, episodes, severity by evidence."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from monitor.alerting.types import AlertSeverity
from monitor.config.settings import load_settings
from monitor.context import load_rule_specs
from monitor.errors import ConfigError
from monitor.records import Platform
from monitor.rules.base import Prepared
from monitor.rules.specs import EvidenceStep, WatchRuleSpec
from monitor.rules.watch_match import WatchMatcher
from tests.factories import analyzed, at
from tests.monitor.rules.test_rules import Harness


def _counts(rule: WatchRuleSpec, text: str, topics: tuple[str, ...] = ()) -> bool:
    item = analyzed(text, post_id="1", published=at("2026-10-20 19:00"), topics=topics)
    return WatchMatcher(rule).match(Prepared.of(item)) is not None


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("Đường Phạm Văn Thuận ngập sâu", True),
        ("Mưa to mà đường không ngập, đi bình thường", False),
        ("Tam Hiệp chưa bị ngập nha mn", False),
        ("tam hiep ko ngap dau, yen tam", False),  # unaccented teencode
        ("Dự án chống ngập làm mãi chưa xong", False),  # not_after
        ("Năm nào cũng hứa chống ngập, năm nào cũng ngập", True),  # the second hit counts
    ],
)
def test_negated_and_cancelled_hits_do_not_count(text: str, counts: bool) -> None:
    rule = WatchRuleSpec(id="flood", query="ngập", not_after=("chống",))
    assert _counts(rule, text) is counts


def test_count_negated_keeps_negated_hits() -> None:
    rule = WatchRuleSpec(id="flood", query="ngập", count_negated=True)
    assert _counts(rule, "Đường không ngập")


def test_required_phrase_near_a_hit_and_never_inside_it() -> None:
    rule = WatchRuleSpec(id="air", query='"sân bay long thành"', requires_any=("bay", "nhà ga"), near=4)
    assert _counts(rule, "Sân bay Long Thành hoàn tất bay hiệu chỉnh")
    assert not _counts(rule, "Doanh nghiệp chọn Đồng Nai vì gần sân bay Long Thành")  # "bay" of "sân bay"
    far = "Sân bay Long Thành được nhắc trong báo cáo kinh tế dài của tỉnh, bên cạnh đó là nhà ga"
    assert not _counts(rule, far)


def test_excluded_phrase_vetoes_and_topics_must_be_carried() -> None:
    rule = WatchRuleSpec(id="water", query='"nước sạch"', excludes=("cắm trại",), topics=("health",))
    assert not _counts(rule, "Đi cắm trại nhớ mang nước sạch", topics=("health",))
    assert not _counts(rule, "Nước sạch bị nhiễm bẩn", topics=("tourism",))
    assert _counts(rule, "Nuoc sach bi nhiem ban", topics=("health",))


def test_spec_rejects_unknown_keys_and_near_without_phrases(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="near needs requires_any"):
        WatchRuleSpec(id="w", query="ngập", near=5)
    with pytest.raises(ValidationError, match="has no words"):
        WatchRuleSpec(id="w", query="ngập", excludes=("…",))
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "w.yaml").write_text(
        "rules:\n  - type: watch\n    id: w\n    query: ngập\n    evidence:\n      - {severity: high, docs: 3}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"w\.yaml:6.*evidence\[0\]\.docs"):
        load_rule_specs(load_settings(tmp_path))


def test_an_episode_grows_across_batches_and_its_severity_with_the_evidence(tmp_path: Path) -> None:
    rule = WatchRuleSpec(
        id="flood",
        query="ngập",
        group_window=3600,
        evidence=(
            EvidenceStep(severity=AlertSeverity.MEDIUM, documents=2),
            EvidenceStep(severity=AlertSeverity.HIGH, documents=3, outlets=2),
        ),
    )
    h = Harness(tmp_path, [rule])
    h.ingest([analyzed("Tam Hiệp ngập sâu", post_id="1", published=at("2026-10-20 19:10"))])
    [alert] = h.all_alerts()
    assert alert.severity is AlertSeverity.LOW
    assert alert.details["severity_because"] == "the rule's base severity"
    h.ingest([analyzed("Hố Nai cũng ngập", post_id="2", published=at("2026-10-20 20:30"))])  # next window
    [alert] = h.all_alerts()
    assert (alert.doc_count, alert.severity) == (2, AlertSeverity.MEDIUM)
    h.ingest([analyzed("ngập quá", post_id="3", published=at("2026-10-20 21:05"), platform=Platform.YOUTUBE)])
    [alert] = h.all_alerts()
    assert (alert.doc_count, alert.severity) == (3, AlertSeverity.HIGH)
    assert alert.details["outlets"] == ["test-source/facebook", "test-source/youtube"]
    assert [m["phrase"] for m in alert.details["matches"]] == ["ngap", "ngap", "ngap"]
    h.ingest([analyzed("lại ngập", post_id="4", published=at("2026-10-21 09:00"))])  # a gap: a new alert
    assert sorted(a.doc_count for a in h.all_alerts()) == [1, 3]


def test_a_busy_neighbourhood_is_read_window_by_window(tmp_path: Path) -> None:
    # More matches around the window than one store page: the episode is read one window at a time.
    rule = WatchRuleSpec(id="flood", query="ngập", group_window=3600)
    h = Harness(tmp_path, [rule])
    early = [
        analyzed(f"ngập lần {i}", post_id=f"e{i}", published=at("2026-10-20 06:00") + timedelta(seconds=6 * i))
        for i in range(500)
    ]
    h.store.upsert(early)  # stored without evaluation: only the neighbourhood the next document reads
    late = analyzed("Tam Hiệp ngập sâu", post_id="late", published=at("2026-10-20 19:10"))
    h.ingest([late])
    [alert] = [a for a in h.all_alerts() if late.doc_id in a.doc_ids]
    assert alert.doc_ids == (late.doc_id,)  # the busy morning before is another episode
