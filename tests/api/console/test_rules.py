"""The console's rules pages over the crawled sample corpus: the list, the editor's validation (fields at
fault named with their line), the backtest preview (the same count as ``backtest``), saving through the
API's service, file rules read-only, and who may do what."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from markupsafe import escape

from monitor.access.keys import Role
from monitor.context import Monitor
from monitor.rules.backtest import backtest
from monitor.rules.calendar import load_holiday_calendar
from monitor.rules.drafts import days_ending, parse_rule_text
from tests.api.alerting import headers
from tests.api.console.ops_service import CORPUS_DAY, sample_monitor, signed_in_client

FLOOD_RULE = """type: threshold
id: ngap-lut-5-bai
name: Năm bài về ngập lụt
query: 'ngập OR "mưa lớn"'
window: 6h
min_count: 5
severity: high
"""


@pytest.fixture(scope="module")
def monitor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitor]:
    instance = sample_monitor(tmp_path_factory.mktemp("rules"))
    yield instance
    instance.close()


def _post(monitor: Monitor, who: str, text: str, action: str, replacing: str = "", token: str | None = None):  # type: ignore[no-untyped-def]
    with signed_in_client(monitor, who) as (client, csrf):
        data = {"rule": text, "action": action, "day": CORPUS_DAY.isoformat(), "replacing": replacing}
        return client.post("/console/rules/editor", data=data | {"csrf_token": csrf if token is None else token})


@pytest.mark.parametrize("who", ["admin", "officer"])
def test_the_rules_are_listed_with_their_origin(monitor: Monitor, who: str) -> None:
    with signed_in_client(monitor, who) as (client, _):
        page = client.get("/console/rules")
    assert page.status_code == 200
    for rule in monitor.engine.file_rules:
        assert f'<tr id="rule-{rule.id}">' in page.text
    assert "Tệp cấu hình" in page.text
    assert ('id="new-rule"' in page.text) is (who == "admin")


@pytest.mark.parametrize(
    ("who", "path"),
    [("researcher", "/console/rules"), ("liaison", "/console/rules"), ("officer", "/console/rules/new")],
)
def test_who_may_not_read_or_write_rules(monitor: Monitor, who: str, path: str) -> None:
    with signed_in_client(monitor, who) as (client, _):
        page = client.get(path)
    assert page.status_code == 403
    assert "text/html" in page.headers["content-type"]


def test_only_an_admin_saves_a_rule(monitor: Monitor) -> None:
    refused = _post(monitor, "officer", FLOOD_RULE.replace("ngap-lut-5-bai", "cua-can-bo"), "save")
    assert refused.status_code == 403
    assert all(rule.id != "cua-can-bo" for rule in monitor.engine.all_rules)


@pytest.mark.parametrize("token", ["", "không-đúng"])
def test_the_editor_refuses_a_form_without_its_csrf_token(monitor: Monitor, token: str) -> None:
    refused = _post(monitor, "admin", FLOOD_RULE.replace("ngap-lut-5-bai", "khong-token"), "save", token=token)
    assert refused.status_code == 403
    assert "mã chống giả mạo" in refused.text
    monitor.engine.refresh()
    assert all(rule.id != "khong-token" for rule in monitor.engine.all_rules)


def test_validation_errors_name_each_field_and_line(monitor: Monitor) -> None:
    text = "type: threshold\nid: Ngập Lụt\nwindow: 6h\nquery: '(ngập'\nmin_cout: 5\n"
    page = _post(monitor, "admin", text, "preview")
    assert page.status_code == 422
    errors = page.text[page.text.index('id="rule-errors"') :]
    assert "Dòng 2, trường <code>id</code>: không đúng dạng cho phép (mẫu ^[a-z0-9][a-z0-9_.-]{0,63}$)" in errors
    assert "Dòng 4, trường <code>query</code>: invalid query: missing &#39;)&#39;" in errors
    assert "Dòng 5, trường <code>min_cout</code>: không có trường này" in errors
    assert "trường <code>min_count</code>: thiếu trường bắt buộc này" in errors
    assert 'aria-invalid="true"' in page.text
    assert re.search(r"<textarea [^>]*>type: threshold\nid: Ngập Lụt\n.*min_cout: 5\s*</textarea>", page.text, re.S)


def test_an_unknown_kind_is_named(monitor: Monitor) -> None:
    page = _post(monitor, "admin", "type: tu-khoa\nid: x\n", "preview")
    assert page.status_code == 422
    assert "Dòng 1, trường <code>type</code>: unknown rule type &#39;tu-khoa&#39; (known: misinformation" in page.text


def test_the_backtest_preview_counts_what_backtest_finds(monitor: Monitor) -> None:
    rule = parse_rule_text(FLOOD_RULE)
    period = days_ending(CORPUS_DAY, 30, monitor.settings.zone)
    expected = backtest(
        rule,
        monitor.store,
        period.since,
        period.until,
        monitor.engine.tz_offset_seconds,
        calendar=load_holiday_calendar(monitor.settings.config_dir),
    )
    assert expected  # the flood of 20/10 is within the 30 days up to 03/11
    page = _post(monitor, "admin", FLOOD_RULE, "preview")
    assert page.status_code == 200
    assert f"Quy tắc này sẽ kích hoạt <strong>{len(expected)}</strong> lần trong 30 ngày qua" in page.text
    assert "(05/10/2026 – 03/11/2026)" in page.text
    assert escape(expected[0].title) in page.text
    assert expected[0].event_start.astimezone(monitor.settings.zone).strftime("%d/%m/%Y %H:%M") in page.text
    assert len(re.findall(r'<td data-label="Thời gian">', page.text)) == min(len(expected), 5)
    monitor.engine.refresh()
    assert all(r.id != rule.id for r in monitor.engine.all_rules)  # a preview saves nothing


def test_a_rule_saved_edited_and_deleted_through_the_api_service(monitor: Monitor) -> None:
    text = FLOOD_RULE.replace("ngap-lut-5-bai", "ngap-lut-luu")
    saved = _post(monitor, "admin", text, "save")
    assert saved.status_code == 303
    assert saved.headers["location"] == "/console/rules?done=rule-saved"
    listed = {r["id"]: r for r in _api_rules(monitor)}
    assert listed["ngap-lut-luu"]["origin"] == "api"
    assert listed["ngap-lut-luu"]["min_count"] == 5
    with signed_in_client(monitor, "admin") as (client, csrf):
        page = client.get("/console/rules?done=rule-saved").text
        assert "Đã lưu quy tắc." in page
        assert '<tr id="rule-ngap-lut-luu">' in page
        editor = client.get("/console/rules/ngap-lut-luu").text
        assert 'name="replacing" value="ngap-lut-luu"' in editor
        assert "min_count: 5" in editor
    again = _post(monitor, "admin", text, "save")  # creating it twice is refused, said in the form
    assert again.status_code == 422
    assert "Chưa lưu được: a rule with id &#39;ngap-lut-luu&#39; already exists" in again.text
    moved = _post(monitor, "admin", text.replace("ngap-lut-luu", "ten-khac"), "save", replacing="ngap-lut-luu")
    assert moved.status_code == 422
    assert "differs from the rule in the path" in moved.text
    edited = _post(monitor, "admin", text.replace("min_count: 5", "min_count: 7"), "save", replacing="ngap-lut-luu")
    assert edited.status_code == 303
    assert {r["id"]: r for r in _api_rules(monitor)}["ngap-lut-luu"]["min_count"] == 7
    with signed_in_client(monitor, "admin") as (client, csrf):
        deleted = client.post("/console/rules/ngap-lut-luu/delete", data={"csrf_token": csrf})
        assert deleted.headers["location"] == "/console/rules?done=rule-deleted"
    assert "ngap-lut-luu" not in {r["id"] for r in _api_rules(monitor)}


def test_file_rules_are_read_only(monitor: Monitor) -> None:
    with signed_in_client(monitor, "admin") as (client, csrf):
        view = client.get("/console/rules/negative-spike")
        assert view.status_code == 200
        assert 'id="read-only"' in view.text
        assert 'id="rule-form"' not in view.text
        refused = client.post("/console/rules/negative-spike/delete", data={"csrf_token": csrf})
        assert refused.status_code == 409
        assert "configs/rules/" in refused.text
    clash = _post(monitor, "admin", FLOOD_RULE.replace("ngap-lut-5-bai", "negative-spike"), "save")
    assert clash.status_code == 422
    assert "comes from the configuration files" in clash.text


def _api_rules(monitor: Monitor) -> list[dict[str, object]]:
    with signed_in_client(monitor, "officer") as (client, _):
        response = client.get("/rules", headers=headers(monitor, Role.OFFICER))
    assert response.status_code == 200
    rules: list[dict[str, object]] = response.json()
    return rules


@pytest.mark.parametrize("kind", ["watch", "spike", "source_silence"])
def test_the_editor_starts_from_an_example_of_the_kind(monitor: Monitor, kind: str) -> None:
    with signed_in_client(monitor, "admin") as (client, _):
        page = client.get(f"/console/rules/new?kind={kind}&day={CORPUS_DAY.isoformat()}")
    assert page.status_code == 200
    text = re.search(r'<textarea id="rule"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert text is not None
    assert parse_rule_text(unescape(text.group(1))).type == kind  # the example is a valid rule of that kind
    assert 'value="2026-11-03"' in page.text


def test_an_unknown_kind_of_example_is_refused_with_the_known_ones(monitor: Monitor) -> None:
    with signed_in_client(monitor, "admin") as (client, _):
        page = client.get("/console/rules/new?kind=tu-khoa")
    assert page.status_code == 422
    assert "Không có loại quy tắc “tu-khoa”" in page.text
    assert "watch, threshold, spike" in page.text
