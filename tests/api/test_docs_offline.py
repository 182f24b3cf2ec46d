"""/docs and /redoc render offline: their scripts come from the installed package, checked in chromium."""

from __future__ import annotations

from typing import Any

import httpx

from api.app import create_app
from monitor.context import Monitor
from tests.browser import Browser
from tests.live_api import serve_app

OPERATION_PATHS = """
return Array.from(document.querySelectorAll('.opblock-summary-path'))
    .map(e => e.getAttribute('data-path') || e.textContent.trim());
"""


def test_the_pages_refer_to_no_other_host(monitor: Monitor) -> None:
    with serve_app(create_app(monitor)) as base:
        for page in ("/docs", "/redoc"):
            html = httpx.get(base + page, timeout=10).text
            assert "://" not in html, f"{page} refers to another host:\n{html}"
        assets = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")
        for asset in assets:
            response = httpx.get(f"{base}/docs-assets/{asset}", timeout=10)
            assert response.status_code == 200, asset
            assert len(response.content) > 1000, asset


def test_swagger_ui_and_redoc_render_in_a_browser_without_internet(monitor: Monitor, browser: Browser) -> None:
    with serve_app(create_app(monitor)) as base:
        browser.open(base + "/docs")
        paths: list[Any] = browser.wait_for(
            lambda driver: (found := driver.execute_script(OPERATION_PATHS)) and "/documents" in found and found,
            "Swagger UI to list the operations",
        )
        assert {"/documents", "/alerts/stream", "/rules"} <= set(paths)
        swagger_shot = browser.screenshot("swagger-ui")

        browser.open(base + "/redoc")
        browser.wait_for(
            lambda driver: "Search documents" in driver.execute_script("return document.body.innerText"),
            "ReDoc to render the operations",
        )
        text = browser.driver.execute_script("return document.body.innerText")
        assert "Đồng Nai media monitor" in text
        redoc_shot = browser.screenshot("redoc")
        assert browser.foreign_requests() == []
        assert any(url.endswith("/docs-assets/swagger-ui-bundle.js") for url in browser.requested_urls())
    assert swagger_shot.stat().st_size > 10_000
    assert redoc_shot.stat().st_size > 10_000
