"""``source_silence``: a normally busy source that stops publishing, checked on the schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from monitor.analysis import AnalyzedDocument
from monitor.ingestion.health import CycleCounts
from monitor.records import Platform
from monitor.rules.specs import SourceSilenceRuleSpec
from tests.factories import analyzed, at
from tests.monitor.rules.test_rules import Harness


def _rule(**overrides: object) -> SourceSilenceRuleSpec:
    values: dict[str, object] = {"id": "silence", "gap": "24h", "baseline_days": 14, "min_daily": 3}
    values.update(overrides)
    return SourceSilenceRuleSpec.model_validate(values)


def _publishing(
    source_id: str, first: datetime, days: int, per_day: int, platform: Platform = Platform.NEWS
) -> list[AnalyzedDocument]:
    """``per_day`` articles a day (08:00, 10:00, ...) for ``days`` days from ``first``."""
    return [
        analyzed(
            f"Tin tức Đồng Nai ngày {d}, bài {i}",
            post_id=f"{source_id}-{d}-{i}",
            published=first + timedelta(days=d, hours=2 * i),
            source_id=source_id,
            platform=platform,
        )
        for d in range(days)
        for i in range(per_day)
    ]


def _key(source_id: str, silent_since: str) -> str:
    return f"source:{source_id}:since:{at(silent_since).astimezone(UTC).isoformat()}"


def _history(h: Harness) -> list[AnalyzedDocument]:
    """Báo A: four articles a day until 19 Oct 14:00, then nothing. Blog B: one article every few days.
    Báo C: four a day, still publishing (until 25 Oct)."""
    bao_a = _publishing("bao-a", at("2026-10-05 08:00"), 15, 4)  # last: 19 Oct 14:00
    blog_b = [
        item for item in _publishing("blog-b", at("2026-10-01 09:00"), 19, 1) if item.document.published_at.day % 4 == 0
    ]
    bao_c = _publishing("bao-c", at("2026-10-05 08:00"), 21, 4)
    h.store.upsert(bao_a + blog_b + bao_c)
    return bao_a


def test_a_busy_source_silent_past_the_gap_fires_once_with_its_numbers(tmp_path: Path) -> None:
    h = Harness(tmp_path, [_rule()])
    bao_a = _history(h)
    assert h.engine.evaluate_windows(at("2026-10-20 13:00")) == []  # 23h: not yet
    [alert] = h.engine.evaluate_windows(at("2026-10-20 15:00"))
    assert alert.key == _key("bao-a", "2026-10-19 14:00")
    assert alert.details["source_id"] == "bao-a"
    assert alert.details["median_daily"] == 4.0
    assert alert.details["daily_counts"] == [4] * 14  # 5 .. 18 October
    assert alert.doc_ids == (bao_a[-1].doc_id,)
    assert alert.event_start == at("2026-10-19 14:00")
    assert alert.event_end == at("2026-10-20 14:00")
    # The next passes keep the one alert as it is.
    again = h.engine.evaluate_windows(at("2026-10-21 09:00"))
    assert [a.alert_id for a in again] == [alert.alert_id]
    assert (again[0].details, again[0].doc_ids) == (alert.details, alert.doc_ids)  # nothing changed
    assert len(h.all_alerts()) == 1


def test_silence_waits_for_the_schedule_and_a_new_silence_is_a_new_alert(tmp_path: Path) -> None:
    h = Harness(tmp_path, [_rule()])
    _history(h)
    h.engine.evaluate_pending()
    assert h.all_alerts() == []  # only the scheduled pass looks for absences
    h.engine.evaluate_windows(at("2026-10-20 15:00"))
    h.ingest(_publishing("bao-a", at("2026-10-22 08:00"), 1, 4))  # back on the 22nd ...
    assert h.engine.evaluate_windows(at("2026-10-22 20:00")) == []
    h.engine.evaluate_windows(at("2026-10-24 09:00"))  # ... silent again after 22 Oct 14:00
    keys = sorted(a.key for a in h.all_alerts())
    assert keys == [_key("bao-a", "2026-10-19 14:00"), _key("bao-a", "2026-10-22 14:00")]


def test_quiet_sources_and_sources_outside_the_rule_do_not_fire(tmp_path: Path) -> None:
    h = Harness(tmp_path, [_rule(sources=["blog-b", "bao-c"]), _rule(id="social", platforms=["facebook"])])
    _history(h)
    # Blog B is silent for days, but it never published three a day: its silence is normal.
    assert h.engine.evaluate_windows(at("2026-10-20 15:00")) == []


def test_alert_carries_crawler_health_to_tell_a_broken_crawler_from_a_quiet_source(tmp_path: Path) -> None:
    h = Harness(tmp_path, [_rule()])
    _history(h)
    h.health.record("bao-a", at("2026-10-20 14:30"), CycleCounts(errors=1), error="HTTP 403 Forbidden")
    [alert] = h.engine.evaluate_windows(at("2026-10-20 15:00"))
    assert alert.details["health"]["status"] == "failing"
    assert alert.details["health"]["last_error"] == "HTTP 403 Forbidden"


def test_spec_validation_messages() -> None:
    with pytest.raises(ValidationError, match="gap must be at least 1h"):
        _rule(gap="30m")
    with pytest.raises(ValidationError, match="greater than 0"):
        _rule(min_daily=0)
