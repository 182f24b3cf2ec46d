"""The console with the keyboard alone, in a real chromium: sign in, skip the navigation, reach an alert's
"Tiếp nhận" button with Tab and press it. Every action is an ordinary link or button, so a person who
cannot use a mouse works the same as anyone."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

from api.app import create_app
from monitor.access.keys import Role
from monitor.alerting.types import AlertQuery, AlertState
from monitor.context import Monitor
from tests.browser import Browser
from tests.conftest import crawl
from tests.live_api import serve_app
from tests.monitor.access.people import PASSWORD

MOST_TABS = 80


def _focused(browser: Browser) -> WebElement:
    return browser.driver.switch_to.active_element


def _press(browser: Browser, key: str) -> WebElement:
    _focused(browser).send_keys(key)
    return _focused(browser)


def test_an_officer_signs_in_and_acknowledges_an_alert_with_the_keyboard_alone(
    monitor: Monitor, browser: Browser
) -> None:
    crawl(monitor)
    monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD, display_name="Nguyễn Thị Lan")
    with serve_app(create_app(monitor)) as base:
        browser.open(base + "/console/alerts")
        browser.wait_for(lambda d: d.find_elements(By.ID, "username"), "the sign-in form")
        assert _focused(browser).get_attribute("id") == "username"  # the form starts where typing starts
        _focused(browser).send_keys("lan.nguyen")
        _press(browser, Keys.TAB).send_keys(PASSWORD)
        _press(browser, Keys.ENTER)
        browser.wait_for(lambda d: d.find_elements(By.ID, "alert-results"), "the inbox after signing in")

        skip = _press(browser, Keys.TAB)
        assert skip.text == "Bỏ qua thanh điều hướng"
        assert skip.location["x"] >= 0  # kept off screen until focused, then shown at the top
        _press(browser, Keys.ENTER)
        browser.wait_for(lambda d: d.current_url.endswith("#main"), "the jump past the navigation")

        for _ in range(MOST_TABS):
            element = _press(browser, Keys.TAB)
            if element.tag_name == "button" and element.text == "Tiếp nhận":
                break
        else:
            raise AssertionError(f"no 'Tiếp nhận' button within {MOST_TABS} presses of Tab")
        label = element.get_attribute("aria-label") or ""
        assert label.startswith("Tiếp nhận")  # a screen reader hears which alert it acts on
        element.send_keys(Keys.ENTER)
        notice = browser.wait_for(lambda d: d.find_elements(By.ID, "notice"), "the notice after acknowledging")[0]
        assert notice.text == "Đã tiếp nhận cảnh báo."
        _, acknowledged = monitor.alerts.search(AlertQuery(states=(AlertState.ACKNOWLEDGED,)))
        assert [alert.title for alert in acknowledged] == [label.removeprefix("Tiếp nhận: ")]
        assert browser.foreign_requests() == []
