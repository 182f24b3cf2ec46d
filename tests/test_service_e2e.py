"""The front door, end to end: `monitor run` in its own process on the sample corpus.

Starts the real service (crawler + rules + API on 127.0.0.1) as `make run` does, reads the admin key it
prints, and checks with real HTTP requests that the sample corpus was crawled, scored and stored, that the
alerts for the false claim and the negative burst exist, and that an unreachable feed shows in source
health while the run goes on. The process is stopped by its own PID.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import make_config_dir

STARTUP_LIMIT_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    config = make_config_dir(tmp_path / "configs", workers=None)
    unreachable = f"http://127.0.0.1:{_free_port()}/rss/home.rss"  # nothing listens there
    (config / "sources" / "live.yaml").write_text(
        f"sources:\n  - {{type: rss, id: live-unreachable, name: Báo điện tử, url: '{unreachable}',"
        " allow_private_network: true}\n",
        encoding="utf-8",
    )
    port = _free_port()
    env = {**os.environ, "MONITOR_API__PORT": str(port), "MONITOR_API__HOST": "127.0.0.1"}
    log_path = tmp_path / "service.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.main", "--config-dir", str(config), "run"],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
        )
        try:
            assert process.stdout is not None
            secret = None
            deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
            while secret is None and time.monotonic() < deadline:
                line = process.stdout.readline()
                if not line and process.poll() is not None:
                    break
                # Its output is a pipe, not a terminal: the first admin key is in a file only we can read.
                match = re.search(r"it is in (\S+first-admin-key\.txt)", line)
                if match:
                    secret = Path(match.group(1)).read_text(encoding="utf-8").strip()
            assert secret, f"no admin key printed; log:\n{log_path.read_text(encoding='utf-8')}"
            yield f"http://127.0.0.1:{port}", secret, log_path
        finally:
            workers = _children(process.pid)
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            # A stopped service leaves no worker process behind.
            assert _wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), 15)


def _children(pid: int) -> list[int]:
    """The process ids whose parent is ``pid`` (Linux /proc)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError):
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
            if fields.get("PPid", "").strip() == str(pid):
                found.append(int(status.parent.name))
    return found


def _wait_for(check: Any, limit: float) -> Any:
    deadline = time.monotonic() + limit
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return last


def test_make_run_serves_alerts_for_the_sample_stories(service: tuple[str, str, Path]) -> None:
    base, secret, log_path = service
    headers = {"X-API-Key": secret}
    started = time.monotonic()

    def alerts_ready() -> dict[str, Any] | None:
        # Each source runs on its own schedule and its health is recorded when its collection is done, while
        # alerts appear batch by batch: wait until the social posts are all in, not only for the first alerts.
        social = httpx.get(f"{base}/sources", headers=headers, timeout=5).json()
        if not any(s["id"] == "sample-social" and (s.get("health") or {}).get("items_total", 0) >= 100 for s in social):
            return None
        listing = httpx.get(f"{base}/alerts", params={"limit": 500}, headers=headers, timeout=5).json()
        rules = {item["rule_id"] for item in listing["items"]}
        return listing if {"misinfo-high", "negative-spike"} <= rules else None

    listing = _wait_for(alerts_ready, STARTUP_LIMIT_SECONDS)
    assert listing, f"alerts did not appear within a minute; log:\n{log_path.read_text(encoding='utf-8')}"
    assert time.monotonic() - started < STARTUP_LIMIT_SECONDS

    health = httpx.get(f"{base}/health", timeout=5).json()
    assert health["documents"] >= 150
    assert health["failing_sources"] == ["live-unreachable"]

    claim_alerts = [a for a in listing["items"] if a["key"] == "claim:thien-tan-tap-water-poisoned"]
    assert len(claim_alerts) == 1
    assert claim_alerts[0]["doc_count"] >= 10
    detail = httpx.get(f"{base}/alerts/{claim_alerts[0]['alert_id']}", headers=headers, timeout=5).json()
    assert any(
        "thiện tân" in (d["title"] + d["excerpt"]).lower() or "thien tan" in d["excerpt"].lower()
        for d in detail["documents"]
    )

    spikes = [a for a in listing["items"] if a["rule_id"] == "negative-spike"]
    assert any(a["details"]["window_start"].startswith("2026-10-20") for a in spikes)

    sources = {s["id"]: s for s in httpx.get(f"{base}/sources", headers=headers, timeout=5).json()}
    assert sources["live-unreachable"]["status"] == "failing"
    assert "cannot fetch" in sources["live-unreachable"]["health"]["last_error"]
    assert sources["sample-social"]["health"]["items_total"] >= 100

    found = httpx.get(f"{base}/documents", params={"q": "dong nai"}, headers=headers, timeout=5).json()
    assert found["total"] > 0
    assert httpx.get(f"{base}/alerts", timeout=5).status_code == 401

    # The first run also made the console's admin account; not on a terminal, its password is in a private
    # file. Cookies are carried by hand: httpx, unlike a browser, keeps Secure cookies off http://127.0.0.1.
    lines = (log_path.parent / "configs" / "var" / "first-admin-password.txt").read_text(encoding="utf-8")
    password = lines.splitlines()[1].removeprefix("password: ")
    form = httpx.get(f"{base}/console/sign-in", timeout=5)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    signed = httpx.post(
        f"{base}/console/sign-in",
        data={"csrf_token": token.group(1), "username": "admin", "password": password},
        headers={"Cookie": f"dnm_sign_in={form.cookies['dnm_sign_in']}"},
        timeout=30,
    )
    assert signed.status_code == 303, signed.text
    home = httpx.get(f"{base}/console/", headers={"Cookie": f"dnm_session={signed.cookies['dnm_session']}"}, timeout=5)
    assert "Quản trị viên · quản trị viên" in home.text  # signed in, on the overview
    assert "<h1>Tổng quan ngày" in home.text
