"""Watch rules on the bundled sample corpus (configs/samples/, fictional): the alerts that matter, few.

The labels of what an officer would act on are in tests/fixtures/watch/sample_actionable.yaml; the
numbers are those of ``python -m tests.bench.watch_quality``.
"""

from __future__ import annotations

from monitor.alerting.types import Alert, AlertQuery, AlertSeverity
from monitor.context import Monitor
from monitor.ingestion.crawl import CycleReport
from tests.bench.watch_quality import label_keys, measure

CAMPING = (
    "https://tuoitre.example/du-lich/cam-trai-cau-ca-ben-ho-tri-an-lua-chon-cuoi-tuan-cua-nguoi-thanh-pho-20261385.html"
)
CORRECTION = (
    "https://dongnai-gov.example/dinh-chinh/"
    "thong-tin-nuoc-may-tu-nha-may-nuoc-thien-tan-bi-nhiem-doc-la-sai-su-that-8908.html"
)
RUMOUR_WAVE = {"fb_1039", "fb_1040", "fb_1041", "fb_1043", "tg_4015", "forum_2016", "forum_2017", "fb_1044",
               "yt_3014", "tg_4016", "fb_1045", "fb_1046", "yt_3015", "tg_4017", "fb_1047", "forum_2019",
               "fb_1048", "tg_4018"}  # fmt: skip


def _watch(monitor: Monitor, rule_id: str) -> list[Alert]:
    return monitor.alerts.search(AlertQuery(rule_ids=(rule_id,), limit=500))[1]


def test_the_tap_water_rumour_wave_is_one_high_alert_and_camping_raises_nothing(
    sample_run: tuple[Monitor, CycleReport],
) -> None:
    monitor, _ = sample_run
    keys = label_keys(monitor)
    alerts = _watch(monitor, "watch-tap-water")
    held = {keys[doc_id] for alert in alerts for doc_id in alert.doc_ids}
    assert CAMPING not in held  # "nguồn cung cấp nước" on a camping trip: off topic
    assert CORRECTION not in held  # the official correction is the answer, not the problem
    [wave] = [a for a in alerts if {keys[d] for d in a.doc_ids} & RUMOUR_WAVE]
    assert {keys[d] for d in wave.doc_ids} == RUMOUR_WAVE  # 19:05 to 11:20 the next day: one alert
    assert wave.severity is AlertSeverity.HIGH
    assert wave.details["documents"] == len(RUMOUR_WAVE)
    assert len(wave.details["outlets"]) == 4  # facebook, forum, youtube, telegram
    assert wave.details["severity_because"] == {"severity": "high", "documents": 10, "outlets": 3}
    first = wave.details["matches"][0]
    assert first["phrase"]
    assert first["context"]
    assert first["conditions"]["requires_any"]["phrase"]


def test_the_flood_night_is_one_high_alert_and_flood_prevention_projects_raise_nothing(
    sample_run: tuple[Monitor, CycleReport],
) -> None:
    monitor, _ = sample_run
    alerts = _watch(monitor, "watch-flooding")
    [night] = [a for a in alerts if a.severity is AlertSeverity.HIGH]
    assert night.doc_count >= 15
    titles = {monitor.store.get(d).document.title for a in alerts for d in a.doc_ids}
    assert not any(title.startswith(("HĐND", "Kinh tế – xã hội")) for title in titles)  # "chống ngập" only


def test_watch_alerts_are_fewer_and_mostly_actionable(sample_run: tuple[Monitor, CycleReport]) -> None:
    monitor, _ = sample_run
    results = measure(monitor)
    before = sum(r["before"].alerts for r in results.values())
    after = sum(r["after"].alerts for r in results.values())
    acted = sum(r["after"].actionable_alerts for r in results.values())
    assert (before, after) == (33, 12)
    assert acted / after >= 0.75
    for rule_id, states in results.items():  # context never costs an actionable document
        assert states["after"].recall == states["before"].recall, rule_id
    assert results["watch-long-thanh-airport"]["after"].precision == 1.0
