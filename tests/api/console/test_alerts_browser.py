"""The alert inbox in a real chromium over the crawled sample corpus: an officer signs in, sees an alert
arrive live (recorded after the page loaded), opens the misinformation alert, acknowledges it, comments,
and opens a case from it; no request leaves the machine."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from api.app import create_app
from monitor.access.keys import Role
from monitor.alerting.types import AlertQuery, AlertState
from monitor.cases.store import CaseStore
from monitor.context import Monitor
from tests.api.alerting import record_alert
from tests.browser import Browser
from tests.conftest import crawl
from tests.live_api import serve_app
from tests.monitor.access.people import PASSWORD, Clock, people_on


def _sign_in(browser: Browser, base: str, username: str) -> None:
    browser.open(base + "/console/alerts")
    browser.wait_for(lambda d: d.find_elements(By.ID, "username"), "the sign-in form")
    browser.driver.find_element(By.ID, "username").send_keys(username)
    browser.driver.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.driver.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    browser.wait_for(lambda d: d.find_elements(By.ID, "alert-filters"), "the inbox after signing in")


def _live_text(driver: WebDriver) -> str:
    return str(driver.find_element(By.ID, "live").text)


def test_an_officer_works_the_misinformation_alert_from_the_live_inbox(monitor: Monitor, browser: Browser) -> None:
    crawl(monitor)
    people_on(monitor, Clock())
    monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD, display_name="Nguyễn Thị Lan")
    _, alerts = monitor.alerts.search(AlertQuery(rule_ids=("misinfo-high",)))
    misinformation = alerts[0]
    with serve_app(create_app(monitor)) as base:
        _sign_in(browser, base, "lan.nguyen")
        driver = browser.driver
        assert driver.find_elements(By.ID, f"alert-{misinformation.alert_id}")
        browser.wait_for(lambda d: "Trực tiếp" in _live_text(d), "the live indicator")
        browser.screenshot("alerts-inbox")

        # An alert raised after the page loaded arrives without a reload, and is announced.
        arrived = record_alert(
            monitor, "claim:ngap-bien-hoa", title="Tin đồn vỡ đê sông Đồng Nai", day="2026-11-09"
        ).alert_id
        row = browser.wait_for(lambda d: d.find_elements(By.ID, f"alert-{arrived}"), "the new alert's row")
        assert "fresh" in (row[0].get_attribute("class") or "")
        assert "Tin đồn vỡ đê sông Đồng Nai" in row[0].text
        browser.wait_for(
            lambda d: d.find_element(By.ID, "live-news").get_attribute("textContent") == "1 cảnh báo mới",
            "the polite announcement",
        )
        # A change made elsewhere (another officer, the API) updates the row in place.
        monitor.alerts.acknowledge(arrived, by="Trần Văn Bình")
        browser.wait_for(
            lambda d: "Đã tiếp nhận" in d.find_element(By.ID, f"alert-{arrived}").text, "the row's new state"
        )
        assert driver.find_element(By.ID, "live-news").get_attribute("textContent") == "1 cảnh báo mới"

        # The misinformation alert: why it fired, then acknowledge and comment.
        driver.find_element(By.CSS_SELECTOR, f"#alert-{misinformation.alert_id} a.alert-title").click()
        browser.wait_for(lambda d: d.find_elements(By.ID, "why"), "the alert page")
        assert "Ngưỡng điểm sai lệch" in driver.find_element(By.ID, "why").text
        driver.find_element(By.ID, "acknowledge").click()
        browser.wait_for(lambda d: d.find_elements(By.ID, "notice"), "the acknowledged notice")
        assert driver.find_element(By.ID, "alert-state").text == "Đã tiếp nhận"
        comment = "Đã đối chiếu với thông báo của Sở Y tế: tin sai."
        driver.find_element(By.ID, "comment-text").send_keys(comment)
        driver.find_element(By.ID, "add-comment").click()
        browser.wait_for(lambda d: d.find_elements(By.ID, "comment-list"), "the comment")
        assert comment in driver.find_element(By.ID, "comment-list").text
        browser.screenshot("alert-detail")

        # Open a case from it: the case page is another part's; the case exists and the URL names it.
        title = driver.find_element(By.ID, "case-title-input")
        title.clear()
        title.send_keys("Tin đồn nước máy Thiện Tân nhiễm độc")
        driver.find_element(By.ID, "open-case").click()
        browser.wait_for(lambda d: "/console/cases/" in d.current_url, "the case page's address")
        case_id = driver.current_url.split("/console/cases/")[1].split("?")[0]
        case = CaseStore(monitor.db).get(case_id)
        assert (case.alert_id, case.title) == (misinformation.alert_id, "Tin đồn nước máy Thiện Tân nhiễm độc")
        after = monitor.alerts.get(misinformation.alert_id)
        assert after.state is AlertState.ACKNOWLEDGED
        assert [c.text for c in monitor.alerts.comments(misinformation.alert_id)] == [comment]
        assert browser.foreign_requests() == []
