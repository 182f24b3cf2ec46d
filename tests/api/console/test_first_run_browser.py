"""The console's front door in a real chromium, as a new install meets it: the first run creates the admin
account (its password in the data folder, as under systemd), the address the service prints leads to the
sign-in page, the admin creates a researcher's account in the console and hands over the password shown
once; the researcher signs in, changes it, searches and reads pseudonyms only. Then the main pages at a
phone's width: nothing wider than the screen."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from api.app import create_app
from monitor.context import Monitor
from monitor.service import FIRST_ADMIN_PASSWORD_FILE, ensure_admin_user
from monitor.store.base import DocumentFilter, SearchRequest
from tests.browser import Browser
from tests.conftest import crawl
from tests.live_api import serve_app

NEW_PASSWORD = "Trảng Bom mưa chiều 2026"
PHONE = (390, 844)
PHONE_HEADER_MOST = 140  # brand, account, then the sections scrolling sideways on one row
AUTHOR = "Thanh Tâm"  # the author of the sample's first Facebook post: a private person


def _sign_in(browser: Browser, username: str, password: str) -> None:
    browser.wait_for(lambda d: d.find_elements(By.ID, "username"), "the sign-in form")
    browser.driver.find_element(By.ID, "username").send_keys(username)
    browser.driver.find_element(By.ID, "password").send_keys(password)
    browser.driver.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    browser.wait_for(lambda d: d.find_elements(By.ID, "greeting"), f"the start page of {username}")


def _first_admin_password(monitor: Monitor) -> str:
    said: list[str] = []
    ensure_admin_user(monitor, said.append, interactive=False)
    file = Path(monitor.settings.data_dir) / FIRST_ADMIN_PASSWORD_FILE
    assert str(file) in said[0]  # only the path is announced
    lines = dict(line.split(": ", 1) for line in file.read_text(encoding="utf-8").splitlines())
    assert lines["username"] == "admin"
    return lines["password"]


def _fits_the_screen(browser: Browser) -> bool:
    width: int = browser.driver.execute_script("return document.documentElement.scrollWidth")
    return width <= browser.driver.execute_script("return window.innerWidth")


def test_a_new_install_signs_in_creates_a_researcher_who_searches_in_pseudonyms(
    monitor: Monitor, browser: Browser
) -> None:
    crawl(monitor)
    admin_password = _first_admin_password(monitor)
    with serve_app(create_app(monitor)) as base:
        browser.open(base + "/")
        _sign_in(browser, "admin", admin_password)
        assert browser.driver.current_url == base + "/console/"
        browser.wait_for(lambda d: d.find_elements(By.CSS_SELECTOR, "h1"), "the overview")
        browser.screenshot("first-run-overview")

        browser.driver.find_element(By.LINK_TEXT, "Người dùng").click()
        browser.wait_for(lambda d: d.find_elements(By.ID, "create-user"), "the accounts page")
        browser.driver.find_element(By.ID, "new-username").send_keys("minh.nghiencuu")
        browser.driver.find_element(By.ID, "new-display-name").send_keys("Lê Minh")
        Select(browser.driver.find_element(By.ID, "new-role")).select_by_value("researcher")
        browser.driver.find_element(By.ID, "create-user-submit").click()
        shown = browser.wait_for(lambda d: d.find_elements(By.ID, "account-password"), "the password shown once")
        researcher_password = shown[0].text
        browser.screenshot("users-created")
        browser.open(base + "/console/users")
        assert browser.driver.find_element(By.ID, "user-minh.nghiencuu").is_displayed()
        assert researcher_password not in browser.driver.page_source
        browser.screenshot("users")
        browser.driver.find_element(By.ID, "sign-out").click()

        _sign_in(browser, "minh.nghiencuu", researcher_password)
        sections = [link.text for link in browser.driver.find_elements(By.CSS_SELECTOR, "nav.sections a")]
        assert "Tìm kiếm" in sections
        assert "Cảnh báo" not in sections
        assert "Vụ việc" not in sections
        browser.open(base + "/console/password")
        browser.driver.find_element(By.ID, "current_password").send_keys(researcher_password)
        browser.driver.find_element(By.ID, "new_password").send_keys(NEW_PASSWORD)
        browser.driver.find_element(By.ID, "confirm_password").send_keys(NEW_PASSWORD)
        browser.driver.find_element(By.CSS_SELECTOR, "main form.card button[type=submit]").click()
        notice = browser.wait_for(lambda d: d.find_elements(By.ID, "notice"), "the password change notice")[0]
        assert "Đã đổi mật khẩu" in notice.text
        assert monitor.users.sign_in("minh.nghiencuu", NEW_PASSWORD).username == "minh.nghiencuu"

        found = monitor.store.search(SearchRequest(filter=DocumentFilter(text="can cuoc"), limit=20)).items
        assert AUTHOR in {item.document.author for item in found}  # the officers' view names the author
        browser.open(base + "/console/search?q=can+cuoc")
        browser.wait_for(lambda d: d.find_elements(By.CSS_SELECTOR, "#results li"), "the researcher's results")
        assert AUTHOR not in browser.driver.page_source
        assert "anon-" in browser.driver.page_source
        browser.driver.find_element(By.CSS_SELECTOR, "#results li h3 a").click()
        author = browser.wait_for(lambda d: d.find_elements(By.ID, "doc-author"), "the document page")[0]
        assert author.text.startswith("anon-")

        browser.driver.set_window_size(*PHONE)
        for path, name in (("/console/", "overview-phone"), ("/console/search?q=nuoc", "search-phone-researcher")):
            browser.open(base + path)
            browser.wait_for(lambda d: d.find_elements(By.CSS_SELECTOR, "main h1"), f"{path} on a phone")
            assert _fits_the_screen(browser), f"{path} is wider than a phone's screen"
            header = browser.driver.find_element(By.CSS_SELECTOR, "header.bar").size["height"]
            assert header <= PHONE_HEADER_MOST, f"the header takes {header}px of a phone's screen"
            browser.screenshot(name)
        assert browser.foreign_requests() == []
