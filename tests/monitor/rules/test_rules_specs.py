"""Rule files and the holiday calendar: the shipped ones load, mistakes are reported clearly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from monitor.config.catalog import load_spec_file, load_spec_folder
from monitor.errors import ConfigError
from monitor.rules.calendar import load_holiday_calendar
from monitor.rules.catalog import RULE_TYPES, rule_spec_class
from tests.conftest import CONFIGS


def _load(tmp_path: Path, body: str) -> list[object]:
    path = tmp_path / "rules.yaml"
    path.write_text(body, encoding="utf-8")
    return list(load_spec_file(path, "rules", rule_spec_class))


def test_shipped_rules_load_with_every_new_type() -> None:
    rules = load_spec_folder(CONFIGS / "rules", "rules", rule_spec_class)
    types = {rule.type for rule in rules}
    assert {"threshold", "negative_share", "trending_story", "source_silence", "spike"} <= types
    assert set(RULE_TYPES) == types  # every type has a shipped example


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{type: threshold, id: t, query: ngập}", r"rules\[0\]\.min_count'.*Field required"),
        ("{type: threshold, id: t, min_count: 0}", "greater than or equal to 1"),
        ("{type: threshold, id: t, min_count: 5, query: '\"ngập'}", "invalid query"),
        ("{type: negative_share, id: n, min_share: 0.5}", r"rules\[0\]\.query'.*Field required"),
        ("{type: negative_share, id: n, query: ngập, min_share: 0}", "greater than 0"),
        ("{type: negative_share, id: n, query: ngập, min_share: 1.5}", "less than or equal to 1"),
        ("{type: negative_share, id: n, query: ngập, min_share: 0.5, sentiments: [negative]}", "remove 'sentiments'"),
        ("{type: trending_story, id: s, min_new_members: 3, min_sources: 4}", "cannot exceed min_new_members"),
        ("{type: trending_story, id: s, min_new_members: 1}", "greater than or equal to 2"),
        ("{type: source_silence, id: q, gap: 30m}", "gap must be at least 1h"),
        ("{type: source_silence, id: q, window: 6h}", "unknown key"),
        ("{type: spike, id: p, compare: same_weekday}", "compare: same_weekday needs baseline: same_hour"),
        ("{type: spike, id: p, baseline: same_hour, window: 5h}", "divides a day.*got 5h"),
        ("{type: spike, id: p, baseline: same_hour, compare: same_weekday, baseline_days: 5}", "at least 7"),
        ("{type: spike, id: p, baseline: yesterday}", "'preceding' or 'same_hour'"),
        ("{type: spike, id: p, holidays: skip}", "'exclude' or 'ignore'"),
        ("{type: silence, id: p}", "unknown rule type 'silence'.*source_silence"),
    ],
)
def test_invalid_rules_name_the_file_line_key_and_reason(tmp_path: Path, entry: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        _load(tmp_path, f"rules:\n  - {entry}\n")
    assert caught.value.path == str(tmp_path / "rules.yaml")
    assert caught.value.line == 2


def test_shipped_holiday_calendar_has_tet_and_the_public_holidays() -> None:
    calendar = load_holiday_calendar(CONFIGS)
    for first_day in (date(2025, 1, 29), date(2026, 2, 17), date(2027, 2, 6)):
        assert (calendar.holiday_on(first_day) or "").startswith("Tết Nguyên Đán")
    for year in (2025, 2026, 2027):
        assert calendar.holiday_on(date(year, 1, 1)) == "Tết Dương lịch"
        assert calendar.holiday_on(date(year, 4, 30)) == "Ngày Giải phóng miền Nam"
        assert calendar.holiday_on(date(year, 9, 2)) == "Quốc khánh"
    assert calendar.holiday_on(date(2026, 10, 20)) is None  # the sample corpus has no holidays


def test_holiday_calendar_errors_and_absence(tmp_path: Path) -> None:
    assert load_holiday_calendar(tmp_path).names == {}  # no file, no holidays
    (tmp_path / "holidays.yaml").write_text(
        "holidays:\n"
        "  - {name: Tết, start: 2026-02-16, end: 2026-02-21}\n"
        "  - {name: Sai, start: 2026-05-02, end: 2026-05-01}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"end .* is before start") as caught:
        load_holiday_calendar(tmp_path)
    assert caught.value.line == 3
    (tmp_path / "holidays.yaml").write_text("holidays:\n  - {name: Tết, day: 2026-02-16}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key"):
        load_holiday_calendar(tmp_path)
