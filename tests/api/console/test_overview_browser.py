"""The overview, sources, rules and reports pages in a real chromium over the crawled sample corpus: an
admin signs in, reads the corpus's day, writes a rule, backtests it, saves it, and downloads a report."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from api.app import create_app
from monitor.context import Monitor
from monitor.rules.drafts import days_ending, dry_run, parse_rule_text
from tests.api.console.ops_service import CORPUS_DAY, PASSWORD, PEOPLE, sample_monitor
from tests.browser import Browser
from tests.live_api import serve_app

RULE = """type: threshold
id: ngap-lut-trinh-duyet
name: Năm bài về ngập lụt
query: 'ngập OR "mưa lớn"'
window: 6h
min_count: 5
severity: high
"""


def test_an_admin_walks_overview_sources_rules_and_reports(tmp_path: Path, browser: Browser) -> None:
    monitor: Monitor = sample_monitor(tmp_path / "service")
    period = days_ending(CORPUS_DAY, 30, monitor.settings.zone)
    fired = len(dry_run(monitor, parse_rule_text(RULE), period.since, period.until))
    assert fired > 0
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver = browser.driver
    try:
        with serve_app(create_app(monitor)) as base:
            browser.open(f"{base}/console/?day={CORPUS_DAY.isoformat()}")
            browser.wait_for(lambda d: d.find_elements(By.ID, "username"), "the sign-in form")
            driver.find_element(By.ID, "username").send_keys(PEOPLE["admin"][0])
            driver.find_element(By.ID, "password").send_keys(PASSWORD)
            driver.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
            tiles = browser.wait_for(lambda d: d.find_elements(By.ID, "tile-volume"), "the overview's tiles")
            assert "Tổng quan ngày 03/11/2026" in driver.find_element(By.TAG_NAME, "h1").text
            assert tiles[0].find_element(By.CLASS_NAME, "big").text == "18"
            assert driver.find_elements(By.ID, "campaigns")
            browser.screenshot("overview")

            browser.open(f"{base}/console/sources")
            rows = browser.wait_for(lambda d: d.find_elements(By.CSS_SELECTOR, "#sources tbody tr"), "the sources")
            assert len(rows) == len(monitor.sources)
            browser.screenshot("sources")

            browser.open(f"{base}/console/rules")
            Select(browser.wait_for(lambda d: d.find_element(By.ID, "kind"), "the kind")).select_by_value("threshold")
            driver.find_element(By.ID, "new-rule").click()
            browser.wait_for(lambda d: "/console/rules/new" in d.current_url, "the rule editor")
            # The 30 days of the preview end on the corpus's day (the editor takes the day from the address too).
            browser.open(f"{base}/console/rules/new?kind=threshold&day={CORPUS_DAY.isoformat()}")
            editor = browser.wait_for(lambda d: d.find_element(By.ID, "rule"), "the rule's text area")
            assert "type: threshold" in editor.get_attribute("value")
            editor.clear()
            editor.send_keys(RULE)
            driver.find_element(By.ID, "preview").click()
            count = browser.wait_for(lambda d: d.find_elements(By.ID, "backtest-count"), "the backtest preview")
            assert f"Quy tắc này sẽ kích hoạt {fired} lần trong 30 ngày qua" in count[0].text
            assert len(driver.find_elements(By.CSS_SELECTOR, "#candidates tbody tr")) == min(fired, 5)
            browser.screenshot("rules-edit")
            driver.find_element(By.ID, "save").click()
            browser.wait_for(lambda d: d.find_elements(By.ID, "notice"), "the saved notice")
            assert driver.find_element(By.ID, "notice").text == "Đã lưu quy tắc."
            row = driver.find_element(By.ID, "rule-ngap-lut-trinh-duyet")
            assert "Tạo trên hệ thống" in row.text

            driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
            browser.open(f"{base}/console/reports")
            end = browser.wait_for(lambda d: d.find_element(By.ID, "end"), "the reports form")
            driver.execute_script("arguments[0].value = arguments[1]", end, CORPUS_DAY.isoformat())
            driver.find_element(By.ID, "format-docx").click()
            browser.screenshot("reports")
            driver.find_element(By.ID, "generate").click()
            report = downloads / "daily-2026-11-03.docx"
            browser.wait_for(lambda _: report.exists() and report.stat().st_size > 0, "the downloaded report")
            assert report.read_bytes().startswith(b"PK")
            assert browser.foreign_requests() == []
    finally:
        monitor.close()
