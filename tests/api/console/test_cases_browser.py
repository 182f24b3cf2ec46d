"""Cases in a real chromium on the sample corpus: an officer opens a case from the misinformation alert,
records the claim and the official correction, registers the claim and shares the case with the police;
the police liaison then sees only that case and downloads the police package with a purpose."""

from __future__ import annotations

import zipfile
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import Select

from api.app import create_app
from monitor.access.audit import Actor
from monitor.access.keys import Role
from monitor.alerting.types import AlertQuery
from monitor.cases import CaseOpen
from monitor.context import Monitor
from tests.browser import Browser
from tests.conftest import crawl
from tests.live_api import serve_app
from tests.monitor.access.people import PASSWORD, Clock, people_on

CLAIM = "Nước máy Thiện Tân bị nhiễm độc, người dân Biên Hòa không được dùng nước máy"
CORRECTION = "Sở Y tế khẳng định nước máy Thiện Tân đạt quy chuẩn; thông tin nhiễm độc là sai sự thật."


def _sign_in(browser: Browser, base: str, username: str) -> None:
    browser.open(base + "/console/sign-in")
    browser.driver.find_element(By.ID, "username").send_keys(username)
    browser.driver.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.driver.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    browser.wait_for(lambda d: d.find_elements(By.ID, "greeting"), f"the start page of {username}")


def _submit(browser: Browser, button_id: str, notice: str) -> None:
    page = browser.driver.find_element(By.TAG_NAME, "html")
    browser.driver.find_element(By.ID, button_id).click()
    browser.wait_for(staleness_of(page), f"the page after {button_id}")
    browser.wait_for(
        lambda d: notice in "".join(e.text for e in d.find_elements(By.ID, "notice")), f"the notice “{notice}”"
    )


def _type(browser: Browser, element_id: str, text: str) -> None:
    field = browser.driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(text)


def test_officer_works_a_case_and_the_police_liaison_exports_it(
    monitor: Monitor, browser: Browser, tmp_path: Path
) -> None:
    crawl(monitor)
    _, alerts = monitor.alerts.search(AlertQuery(rule_ids=("misinfo-high",)))
    alert = next(a for a in alerts if a.key.startswith("claim:"))
    people_on(monitor, Clock())
    monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD, display_name="Nguyễn Thị Lan")
    monitor.users.create("cong.an", Role.LIAISON, PASSWORD, display_name="Liên lạc Công an", agency="police")
    other, _ = monitor.cases.open_case(
        CaseOpen(title="Vụ chưa chia sẻ", doc_ids=(alert.doc_ids[0],)), Actor(name="Cán bộ khác")
    )
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with serve_app(create_app(monitor)) as base:
        _sign_in(browser, base, "lan.nguyen")
        browser.open(base + "/console/cases")
        _type(browser, "open-title", "Tin đồn nước máy Thiện Tân nhiễm độc")
        Select(browser.driver.find_element(By.ID, "open-priority")).select_by_value("high")
        _type(browser, "open-alert", alert.alert_id)
        _submit(browser, "open-case-submit", "Đã mở vụ việc.")
        case_id = browser.driver.current_url.split("/console/cases/")[1].split("?")[0]
        attached = monitor.cases.evidence.attached(case_id)
        assert {e.doc_id for e in attached} <= set(alert.doc_ids)
        assert attached

        _type(browser, "claim-input", CLAIM)
        _submit(browser, "save-claim", "Đã ghi nhận nội dung sai sự thật.")
        Select(browser.driver.find_element(By.ID, "move-to")).select_by_value("verifying")
        _type(browser, "move-note", "Đã liên hệ Sở Y tế")
        _submit(browser, "move", "Đã cập nhật vụ việc.")
        _type(browser, "statement", CORRECTION)
        _type(browser, "correction-url", "https://dongnai-gov.example/tin-tuc/bac-bo.html")
        _type(browser, "issued-by", "Sở Y tế tỉnh Đồng Nai")
        issued = browser.driver.find_element(By.ID, "issued-at")
        browser.driver.execute_script("arguments[0].value = '2026-11-04T14:00';", issued)
        _submit(browser, "save-correction", "Đã ghi nhận thông tin đính chính.")
        _type(browser, "keywords", "nước máy nhiễm độc")
        _submit(browser, "register-claim", "Đã đăng ký nội dung sai")
        Select(browser.driver.find_element(By.ID, "agency")).select_by_value("police")
        _submit(browser, "share", "Đã chia sẻ vụ việc.")
        assert browser.driver.find_element(By.ID, "case-agencies").text == "Công an tỉnh Đồng Nai"
        assert browser.driver.find_elements(By.CSS_SELECTOR, "#spread svg.chart rect.repeat")  # repeats linked
        browser.screenshot("case-page")
        browser.open(base + "/console/cases")
        browser.wait_for(lambda d: d.find_elements(By.ID, f"case-{case_id}"), "the case's card on the board")
        browser.screenshot("cases-board")
        browser.driver.find_element(By.ID, "sign-out").click()
        browser.wait_for(lambda d: d.find_elements(By.ID, "username"), "the sign-in form")

        _sign_in(browser, base, "cong.an")
        assert browser.driver.current_url == base + "/console/cases"  # a liaison starts at their cases
        cards = browser.driver.find_elements(By.CSS_SELECTOR, "li.case-card")
        assert [card.get_attribute("id") for card in cards] == [f"case-{case_id}"]
        assert other.case_id not in browser.driver.page_source
        browser.driver.find_element(By.CSS_SELECTOR, f"#case-{case_id} a.case-title").click()
        browser.wait_for(lambda d: d.find_elements(By.ID, "police-form"), "the liaison's case page")
        assert not browser.driver.find_elements(By.ID, "transition-form")
        assert not browser.driver.find_elements(By.ID, "share-form")
        browser.screenshot("case-liaison")
        browser.driver.execute_cdp_cmd(
            "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
        )
        _type(browser, "police-purpose", "Điều tra tin đồn nước máy nhiễm độc")
        browser.driver.find_element(By.ID, "export-police").click()
        browser.wait_for(lambda d: list(downloads.glob("*.zip")), "the police package in the download folder")
        [package] = downloads.glob("*.zip")
        names = zipfile.ZipFile(package).namelist()
        for evidence in attached:
            assert any(evidence.evidence_id in name for name in names), evidence.evidence_id
        logged = monitor.cases.evidence.custody(case_id)[-1]
        assert (logged.action.value, logged.reason) == ("export", "Điều tra tin đồn nước máy nhiễm độc")
        assert browser.foreign_requests() == []
