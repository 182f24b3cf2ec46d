"""The console's sign-in in a real chromium: the form, the Secure session cookie over http://127.0.0.1,
the greeting, and no request leaving the machine."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from api.app import create_app
from monitor.access.keys import Role
from monitor.context import Monitor
from tests.browser import Browser
from tests.live_api import serve_app
from tests.monitor.access.people import PASSWORD


def test_sign_in_through_the_form_and_see_the_greeting(monitor: Monitor, browser: Browser) -> None:
    monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD, display_name="Nguyễn Thị Lan")
    with serve_app(create_app(monitor)) as base:
        browser.open(base + "/console/")
        browser.wait_for(lambda d: d.current_url.endswith("/console/sign-in"), "the redirect to the sign-in page")
        browser.driver.find_element(By.ID, "username").send_keys("lan.nguyen")
        browser.driver.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.screenshot("console-sign-in")
        browser.driver.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
        greeting = browser.wait_for(
            lambda d: d.find_elements(By.ID, "greeting"), "the home page's greeting after signing in"
        )
        assert greeting[0].text == "Nguyễn Thị Lan · cán bộ theo dõi"
        browser.screenshot("console-home")
        cookies = {c["name"]: c for c in browser.driver.get_cookies()}
        session = cookies["dnm_session"]
        assert (session["secure"], session["httpOnly"], session["sameSite"]) == (True, True, "Lax")
        browser.driver.find_element(By.ID, "sign-out").click()  # sign out
        browser.wait_for(lambda d: d.find_elements(By.ID, "username"), "the sign-in form after signing out")
        assert "dnm_session" not in {c["name"] for c in browser.driver.get_cookies()}
        assert browser.foreign_requests() == []
