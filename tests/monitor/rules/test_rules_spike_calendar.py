"""``spike`` baselines: the same hours of previous days, the same weekday, and holidays (Tết) left out."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from monitor.analysis import AnalyzedDocument, SentimentLabel
from monitor.rules.calendar import Holiday, HolidayCalendar
from monitor.rules.specs import SpikeRuleSpec
from tests.factories import at
from tests.monitor.rules.test_rules import Harness, posts

COMPLAINT = "Kẹt xe kinh khủng trên Quốc lộ 51, bực mình quá"
TET_2026 = HolidayCalendar.of([Holiday(name="Tết Nguyên Đán Bính Ngọ", start=date(2026, 2, 16), end=date(2026, 2, 21))])


def _rule(**overrides: object) -> SpikeRuleSpec:
    values: dict[str, object] = {"id": "neg", "window": "6h", "factor": 3.0, "min_count": 8}
    values.update(overrides)
    return SpikeRuleSpec.model_validate(values)


def _negative(n: int, start: datetime, prefix: str, spacing_minutes: int = 15) -> list[AnalyzedDocument]:
    return posts(n, start, prefix, text=COMPLAINT, spacing_minutes=spacing_minutes, sentiment=SentimentLabel.NEGATIVE)


def _daily(n: int, first: datetime, days: int, prefix: str, step_days: int = 1) -> list[AnalyzedDocument]:
    """``n`` complaints at the same hours on ``days`` days from ``first``, ``step_days`` apart."""
    return [
        item
        for d in range(days)
        for item in _negative(n, first + timedelta(days=d * step_days), f"{prefix}{d}-", spacing_minutes=20)
    ]


def test_same_hour_baseline_knows_the_busy_evening_that_preceding_windows_miss(tmp_path: Path) -> None:
    preceding = _rule(id="preceding", baseline_windows=28)
    same_hour = _rule(id="same-hour", baseline="same_hour", baseline_days=14)
    h = Harness(tmp_path, [preceding, same_hour])
    h.store.upsert(_daily(5, at("2026-10-06 19:00"), 14, "evening"))  # every evening, 5 complaints
    h.ingest(_negative(12, at("2026-10-20 18:30"), "tonight"))
    fired = {a.rule_id: a for a in h.all_alerts()}
    # Against the last 28 windows (mean 1.25) 12 is a spike; against the last 14 evenings (mean 5) it is not.
    assert set(fired) == {"preceding"}
    assert fired["preceding"].details["baseline_mean"] == 1.25

    h.ingest(_negative(4, at("2026-10-20 22:00"), "more"))  # 16 >= 3 x 5
    fired = {a.rule_id: a for a in h.all_alerts()}
    evening = fired["same-hour"]
    assert evening.details["count"] == 16
    assert evening.details["baseline"] == "same_hour"
    assert evening.details["baseline_windows"] == 14
    assert evening.details["baseline_mean"] == 5.0
    assert datetime.fromisoformat(evening.details["baseline_from"]) == at("2026-10-06 18:00")
    assert "cùng khung giờ của 14 ngày trước" in evening.summary


def test_same_weekday_compares_mondays_with_mondays(tmp_path: Path) -> None:
    weekday = _rule(id="weekday", baseline="same_hour", compare="same_weekday", baseline_days=28)
    any_day = _rule(id="any-day", baseline="same_hour", baseline_days=28)
    h = Harness(tmp_path, [weekday, any_day])
    # Monday mornings bring ten complaints about the one-stop office; other mornings none.
    h.store.upsert(_daily(10, at("2026-10-05 07:00"), 4, "monday", step_days=7))
    h.ingest(_negative(12, at("2026-11-02 07:00"), "this-monday"))
    [monday] = h.all_alerts()
    assert monday.rule_id == "any-day"  # 12 vs a mean of 40/28 over all mornings
    h.ingest(_negative(12, at("2026-11-03 07:00"), "tuesday"))
    tuesday = {
        a.rule_id: a
        for a in h.all_alerts()
        if datetime.fromisoformat(a.details["window_start"]) == at("2026-11-03 06:00")
    }
    assert set(tuesday) == {"weekday", "any-day"}  # Tuesdays are quiet: a spike for both
    assert tuesday["weekday"].details["baseline_windows"] == 4
    assert tuesday["weekday"].details["baseline_total"] == 0
    assert "cùng thứ của 4 tuần trước" in tuesday["weekday"].summary


def _tet_month(h: Harness) -> None:
    """Two quiet complaints a day in early February 2026, thirty a day during Tết (16-21 February)."""
    h.store.upsert(_daily(2, at("2026-02-01 09:00"), 15, "normal"))
    h.store.upsert(_daily(30, at("2026-02-16 06:00"), 6, "tet", step_days=1))


def test_tet_is_left_out_of_the_baseline_so_the_day_after_is_measured_against_normal_days(tmp_path: Path) -> None:
    exclude = _rule(id="exclude", window="1d", baseline_windows=7)
    ignore = _rule(id="ignore", window="1d", baseline_windows=7, holidays="ignore")
    h = Harness(tmp_path, [exclude, ignore], calendar=TET_2026)
    _tet_month(h)
    h.ingest(_negative(9, at("2026-02-22 08:00"), "after"))  # Sunday after Tết: 9 complaints
    [alert] = h.all_alerts()
    assert alert.rule_id == "exclude"  # against Tết's 30 a day (rule "ignore"), 9 looks calm
    assert alert.details["baseline_windows"] == 7
    assert alert.details["baseline_mean"] == 2.0
    assert alert.details["holiday_windows_skipped"] == 6
    assert alert.details["holidays_skipped"] == ["Tết Nguyên Đán Bính Ngọ"]
    assert datetime.fromisoformat(alert.details["baseline_from"]) == at("2026-02-09 00:00")
    assert alert.details["holiday"] is None
    assert "bỏ qua 6 khung ngày lễ" in alert.summary


def test_a_burst_on_tet_is_compared_with_ordinary_days_and_says_so(tmp_path: Path) -> None:
    h = Harness(tmp_path, [_rule(window="1d", baseline_windows=7)], calendar=TET_2026)
    h.store.upsert(_daily(2, at("2026-02-01 09:00"), 15, "normal"))
    h.ingest(_negative(30, at("2026-02-17 06:00"), "mung1"))  # mùng 1 Tết; the eve (16th) was quiet
    [alert] = h.all_alerts()
    assert alert.details["holiday"] == "Tết Nguyên Đán Bính Ngọ"
    assert alert.details["holiday_windows_skipped"] == 1  # the eve, 16 February
    assert alert.details["baseline_mean"] == 2.0
    assert "Tết Nguyên Đán Bính Ngọ" in alert.summary


def test_min_count_still_guards_small_numbers_on_holidays_and_after(tmp_path: Path) -> None:
    rule = _rule(window="6h", baseline="same_hour", baseline_days=14)
    h = Harness(tmp_path, [rule], calendar=TET_2026)
    h.ingest(_negative(3, at("2026-02-17 09:00"), "tet"))  # 3 vs 0 on mùng 1: under the minimum volume
    h.ingest(_negative(7, at("2026-02-23 09:00"), "after"))  # 7 vs 0 after Tết: still under 8
    assert h.all_alerts() == []


def test_holiday_calendar_answers_for_local_dates() -> None:
    assert TET_2026.holiday_on(date(2026, 2, 17)) == "Tết Nguyên Đán Bính Ngọ"
    assert TET_2026.holiday_on(date(2026, 2, 22)) is None
    # 15 February 23:30 local is 16:30 UTC: the window from there to 16 February 00:30 touches Tết.
    start = at("2026-02-15 23:30")
    assert TET_2026.holiday_in(start, start + timedelta(minutes=30), 7 * 3600) is None
    assert TET_2026.holiday_in(start, start + timedelta(hours=1), 7 * 3600) == "Tết Nguyên Đán Bính Ngọ"
