"""Alert details: typed models built by the evaluators, stored as their JSON in the real SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from monitor.alerting.store import AlertStore
from monitor.alerting.types import AlertCandidate, AlertSeverity
from monitor.analysis import ModelRef, Reason, SentimentLabel
from monitor.db import Database
from monitor.records import Platform
from monitor.rules.document_rules import MisinformationDetails
from monitor.rules.specs import BaselineKind, CompareDays
from monitor.rules.spike import SpikeDetails
from monitor.rules.watch_details import WatchMatchDetails
from monitor.rules.windows import SelectionDetails
from tests.factories import at

SPIKE = SpikeDetails(
    window_start="2026-10-20T18:00:00+07:00",
    window_end="2026-10-21T00:00:00+07:00",
    window="6h",
    filter=SelectionDetails(
        query='ngập OR "mưa lớn"',
        sources=["bao-dong-nai"],
        platforms=[Platform.FACEBOOK],
        sentiments=[SentimentLabel.NEGATIVE],
        topics=[],
    ),
    count=16,
    baseline=BaselineKind.SAME_HOUR,
    compare=CompareDays.ALL_DAYS,
    baseline_mean=5.0,
    baseline_windows=14,
    baseline_total=70,
    baseline_from="2026-10-06T18:00:00+07:00",
    holiday_windows_skipped=1,
    holidays_skipped=["Tết Nguyên Đán Bính Ngọ"],
    holiday=None,
    factor=3.0,
    min_count=10,
    ratio=3.2,
)


def _candidate(details: object, rule_type: str = "spike") -> AlertCandidate:
    return AlertCandidate.model_validate(
        {
            "rule_id": "spike-ngap",
            "rule_type": rule_type,
            "severity": AlertSeverity.MEDIUM,
            "key": "window:2026-10-20T18:00:00+07:00",
            "title": "Tăng đột biến 'ngập': 16 tài liệu trong 6h",
            "summary": "16 tài liệu trong 6h, so với trung bình 5.00",
            "details": details,
            "doc_ids": ("d1",),
            "event_start": at("2026-10-20 18:00"),
            "event_end": at("2026-10-20 23:00"),
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> AlertStore:
    return AlertStore(Database(tmp_path / "alerts.sqlite3"))


def test_a_details_model_round_trips_through_the_store(store: AlertStore) -> None:
    alert, _ = store.record(_candidate(SPIKE))
    loaded = store.get(alert.alert_id)
    assert SpikeDetails.model_validate(loaded.details) == SPIKE
    # Stored as the JSON the evaluators wrote before the models: enums as their values, the same keys.
    assert loaded.details["baseline"] == "same_hour"
    assert loaded.details["filter"]["platforms"] == ["facebook"]
    assert loaded.details["holidays_skipped"] == ["Tết Nguyên Đán Bính Ngọ"]


def test_nested_models_keep_their_stored_keys(store: AlertStore) -> None:
    misinformation = MisinformationDetails(
        threshold=0.6,
        claim_id="nuoc-nhiem-doc",
        case_id=None,
        max_score=0.91,
        top_doc_id="d1",
        reasons=[Reason(kind="claim_match", detail="nước máy Thiện Tân nhiễm độc", weight=0.9, ref="nuoc-nhiem-doc")],
        model=ModelRef(name="misinfo-rules", version="1"),
    )
    alert, _ = store.record(_candidate(misinformation, rule_type="misinformation"))
    loaded = store.get(alert.alert_id).details
    assert loaded["reasons"][0] == {
        "kind": "claim_match",
        "detail": "nước máy Thiện Tân nhiễm độc",
        "weight": 0.9,
        "ref": "nuoc-nhiem-doc",
    }
    assert MisinformationDetails.model_validate(loaded) == misinformation
    match = WatchMatchDetails(doc_id="d1", phrase="ngap", found_in="title", word=0, context="Ngập sâu", conditions={})
    assert match.as_json()["in"] == "title"  # the key clients and reports read


def test_details_refuse_unknown_and_missing_fields() -> None:
    with pytest.raises(ValidationError, match="khu_vuc"):
        SpikeDetails.model_validate({**SPIKE.as_json(), "khu_vuc": "Biên Hòa"})
    with pytest.raises(ValidationError, match="baseline_mean"):
        SpikeDetails.model_validate({key: value for key, value in SPIKE.as_json().items() if key != "baseline_mean"})
    with pytest.raises(ValidationError):
        SPIKE.count = 3  # type: ignore[misc]  # frozen
