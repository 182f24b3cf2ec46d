"""`monitor serve` in its own process stops promptly on SIGTERM while an alert stream is open."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from monitor.access.keys import Role
from tests.conftest import make_config_dir, open_monitor

# Generous: the service stops in well under a second; this only bounds a broken run.
STOP_LIMIT_SECONDS = 30
START_LIMIT_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_sigterm_ends_open_streams_and_stops_the_service(tmp_path: Path) -> None:
    config = make_config_dir(tmp_path / "configs")
    monitor = open_monitor(config)
    try:
        monitor.keys.create(Role.ADMIN, "first admin key")  # so the service does not make one
        _, secret = monitor.keys.create(Role.OFFICER, "cán bộ trực ban")
    finally:
        monitor.close()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MONITOR_API__HOST": "127.0.0.1",
        "MONITOR_API__PORT": str(port),
        "MONITOR_API__STREAM_HEARTBEAT_SECONDS": "0.5",
    }
    log_path = tmp_path / "serve.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.main", "--config-dir", str(config), "serve"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + START_LIMIT_SECONDS
        while True:
            assert process.poll() is None, log_path.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the service did not start"
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        lines: list[str] = []
        with (
            httpx.Client(timeout=STOP_LIMIT_SECONDS) as client,
            client.stream("GET", f"{base}/alerts/stream", headers={"X-API-Key": secret}) as response,
        ):
            assert response.status_code == 200
            stream = response.iter_lines()
            assert next(stream) == "retry: 5000"
            os.kill(process.pid, signal.SIGTERM)
            stop_deadline = time.monotonic() + STOP_LIMIT_SECONDS
            for line in stream:  # heartbeats every 0.5 s until the server ends the stream
                lines.append(line)
                assert time.monotonic() < stop_deadline, f"the stream stayed open after SIGTERM: {lines[-5:]}"
        assert "event: end" in lines
        assert any("server shutting down" in line for line in lines)
        assert process.wait(timeout=STOP_LIMIT_SECONDS) == 0
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
