"""Search and the document page in a real chromium over the crawled sample corpus: an officer signs in,
searches with the Boolean syntax, sees the charts, opens a document, reads its reasons, corrects a label."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from api.app import create_app
from monitor.access.keys import Role
from monitor.context import Monitor
from tests.browser import Browser
from tests.conftest import crawl
from tests.live_api import serve_app
from tests.monitor.access.people import PASSWORD


def test_an_officer_searches_opens_a_document_and_corrects_its_label(monitor: Monitor, browser: Browser) -> None:
    crawl(monitor)
    monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD, display_name="Nguyễn Thị Lan")
    with serve_app(create_app(monitor)) as base:
        browser.open(base + "/console/search")
        browser.wait_for(lambda d: d.find_elements(By.ID, "username"), "the sign-in form")
        browser.driver.find_element(By.ID, "username").send_keys("lan.nguyen")
        browser.driver.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.driver.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
        box = browser.wait_for(lambda d: d.find_elements(By.ID, "q"), "the search page after signing in")[0]

        box.send_keys("nươc AND (Thiện")  # a typo, then a missing ")"
        browser.driver.find_element(By.ID, "search-button").click()
        fault = browser.wait_for(lambda d: d.find_elements(By.ID, "query-error"), "the query error")[0]
        assert "ký tự thứ 10" in fault.text
        assert fault.find_element(By.TAG_NAME, "mark").text == "("

        box = browser.driver.find_element(By.ID, "q")
        box.clear()
        box.send_keys('nuoc AND "Thiện Tân"')  # without accents on one word: found all the same
        browser.driver.find_element(By.ID, "search-button").click()
        results = browser.wait_for(lambda d: d.find_elements(By.CSS_SELECTOR, "#results li h3 a"), "the results")
        count = int(browser.driver.find_element(By.ID, "result-count").text.replace(".", ""))
        assert count >= len(results) == min(count, 20) > 0
        charts = browser.driver.find_elements(By.CSS_SELECTOR, "#charts svg.chart")
        assert len(charts) == 5
        assert charts[0].size["width"] > 200  # drawn, not an empty box
        browser.screenshot("search")
        search_url = browser.driver.current_url

        results[0].click()
        browser.wait_for(lambda d: d.find_elements(By.ID, "doc-text"), "the document page")
        reasons = browser.driver.find_elements(By.CSS_SELECTOR, "#reasons-misinformation li")
        assert reasons, "the rumour's misinformation score shows its reasons"
        assert browser.driver.find_element(By.ID, "claims").text
        browser.screenshot("document")

        Select(browser.driver.find_element(By.ID, "correction")).select_by_visible_text("Tiêu cực")
        browser.driver.find_element(By.ID, "note").send_keys("Tin đồn gây hoang mang")
        browser.driver.find_element(By.ID, "label-submit").click()
        notice = browser.wait_for(lambda d: d.find_elements(By.ID, "notice"), "the notice after correcting")[0]
        assert "Đã ghi nhận nhãn đúng" in notice.text
        history = browser.driver.find_element(By.ID, "label-history").text
        assert "Tiêu cực" in history
        assert "Nguyễn Thị Lan" in history

        browser.driver.set_window_size(390, 844)  # a phone: nothing wider than the screen
        for name, url in (("search-phone", search_url), ("document-phone", browser.driver.current_url)):
            browser.open(url)
            browser.wait_for(lambda d: d.find_elements(By.ID, "main"), "the page on a phone")
            overflow = browser.driver.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{url} is {overflow}px wider than a phone's screen"
            browser.screenshot(name)
        assert browser.foreign_requests() == []
