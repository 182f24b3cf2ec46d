"""A real headless browser for tests: Debian's chromium driven by Selenium through chromium-driver.

The browser cannot resolve any host but 127.0.0.1 (as on a machine without internet), every URL it
requests is recorded, and screenshots go to a folder the test names. Without chromium the tests that
use it are skipped with the reason, except in CI (``CI=true``), where a missing browser fails them:
.ci/run installs it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

WAIT_SECONDS = 30
LOCAL_SCHEMES = ("data", "blob", "about", "chrome", "chrome-extension", "devtools")

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
    # As offline: only loopback resolves, so a page that needs a CDN fails here as it would there.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)


def find_chromium() -> tuple[str, str] | None:
    """The chromium binary and its driver, if both are installed."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (binary, driver) if binary and driver else None


def chromium_or_skip() -> tuple[str, str]:
    """Both paths, or skip the test (fail it in CI, where the browser must be there)."""
    found = find_chromium()
    if found is not None:
        return found
    reason = "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}; .ci/run installs them")
    pytest.skip(reason)


@dataclass
class Browser:
    """A driven chromium page, with the URLs it requested and a folder for screenshots."""

    driver: WebDriver
    screenshots: Path
    requested: list[tuple[str, str]] = field(default_factory=list)  # (request id, URL)
    blocked: set[str] = field(default_factory=set)  # refused by the page's own policy: never sent

    def open(self, url: str) -> None:
        self.driver.get(url)

    def wait_for(self, condition: Callable[[WebDriver], Any], what: str) -> Any:
        """Wait until ``condition(driver)`` is truthy; fail naming ``what`` otherwise.

        An element read while the page is being replaced is asked again rather than failing the test:
        chromium reports it as stale, or as a node that "does not belong to the document".
        """

        def settled(driver: WebDriver) -> Any:
            try:
                return condition(driver)
            except StaleElementReferenceException:
                return False
            except WebDriverException as exc:
                if "does not belong to the document" in str(exc):
                    return False
                raise

        return WebDriverWait(self.driver, WAIT_SECONDS).until(settled, f"timed out waiting for {what}")

    def screenshot(self, name: str) -> Path:
        self.screenshots.mkdir(parents=True, exist_ok=True)
        path = self.screenshots / f"{name}.png"
        assert self.driver.save_screenshot(str(path)), f"no screenshot written to {path}"
        return path

    def _read_network_log(self) -> None:
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if message.get("method") == "Network.requestWillBeSent":
                self.requested.append((params["requestId"], params["request"]["url"]))
            elif message.get("method") == "Network.loadingFailed" and params.get("blockedReason") == "csp":
                self.blocked.add(params["requestId"])

    def requested_urls(self) -> list[str]:
        """Every URL the browser sent a request for (the page's Content-Security-Policy may stop some first)."""
        self._read_network_log()
        return [url for request_id, url in self.requested if request_id not in self.blocked]

    def foreign_requests(self) -> list[str]:
        """The URLs requested from another host than 127.0.0.1."""
        return [
            url
            for url in self.requested_urls()
            if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).hostname != "127.0.0.1"
        ]


@contextmanager
def open_browser(profile: Path, screenshots: Path) -> Iterator[Browser]:
    """Start a headless chromium with a fresh profile in ``profile``; quit it when the block ends."""
    binary, driver_path = chromium_or_skip()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield Browser(driver=driver, screenshots=screenshots)
    finally:
        driver.quit()
