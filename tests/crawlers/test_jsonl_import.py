from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.jsonl_import import parse_jsonl
from crawlers.values import parse_count, parse_timestamp
from monitor.ingestion.sources import Severity
from monitor.records import Platform, RawItem, doc_id_for_post

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "social" / "messy.jsonl"
FETCHED = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12, 12),
        ("12", 12),
        ("1.1K", 1100),
        ("2,5K", 2500),
        ("1,234", 1234),
        ("3M", 3_000_000),
        ("", None),
        (None, None),
        (" 7 ", 7),
    ],
)
def test_counts_survive_messy_values(value: object, expected: int | None) -> None:
    assert parse_count(value) == expected


@pytest.mark.parametrize("value", ["nhiều", "-3", -1, "1.2.3"])
def test_unreadable_counts_are_errors(value: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is checked where it is reported
        parse_count(value)


def test_timestamps_iso_unix_seconds_and_milliseconds() -> None:
    expected = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
    assert parse_timestamp("2026-10-20T19:00:00+07:00") == expected
    assert parse_timestamp("2026-10-20T12:00:00Z") == expected
    assert parse_timestamp(int(expected.timestamp())) == expected
    assert parse_timestamp(str(int(expected.timestamp() * 1000))) == expected
    with pytest.raises(ValueError, match="no time zone"):
        parse_timestamp("2026-10-20T19:00:00")


def test_messy_export_keeps_every_usable_line_and_reports_the_rest() -> None:
    raw = RawItem(source_id="import", url=FIXTURE.as_uri(), fetched_at=FETCHED, body=FIXTURE.read_bytes())
    documents, problems = parse_jsonl(raw, "import", Platform.FACEBOOK, "messy.jsonl")
    by_post = {doc.url.rsplit("/", 1)[-1].removeprefix("facebook:"): doc for doc in documents}
    assert sorted(by_post) == ["m1", "m2", "m5", "m8"]

    m1 = by_post["m1"]
    assert (m1.engagement.likes, m1.engagement.comments, m1.engagement.shares) == (1100, None, 2500)
    assert m1.author == "Trần Thị B"
    assert by_post["m2"].published_at == datetime.fromtimestamp(1792411200, UTC)
    assert by_post["m2"].engagement.likes == 12
    assert by_post["m5"].published_at == FETCHED  # invalid date: kept, dated by the import
    assert by_post["m8"].parent_id == doc_id_for_post("facebook", "m1")

    errors = {p.location: p.message for p in problems if p.severity is Severity.ERROR}
    warnings = {p.location: p.message for p in problems if p.severity is Severity.WARNING}
    assert errors == {
        "messy.jsonl:3": errors["messy.jsonl:3"],
        "messy.jsonl:4": errors["messy.jsonl:4"],
        "messy.jsonl:5": "field 'text' is missing or empty",
        "messy.jsonl:7": errors["messy.jsonl:7"],
        "messy.jsonl:8": errors["messy.jsonl:8"],
        "messy.jsonl:10": "expected an object of fields, got list",
    }
    assert errors["messy.jsonl:3"].startswith("invalid JSON")
    assert "not valid UTF-8" in errors["messy.jsonl:4"]
    assert "unknown platform 'myspace'" in errors["messy.jsonl:7"]
    assert "field 'likes'" in errors["messy.jsonl:8"]
    assert list(warnings) == ["messy.jsonl:6"]
    assert "using the import time" in warnings["messy.jsonl:6"]
    # Every error keeps its raw line for the quarantine.
    assert all(p.raw for p in problems if p.severity is Severity.ERROR)
