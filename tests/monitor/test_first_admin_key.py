"""The first admin key: shown on a terminal, else written to a file only the owner can read.

The service's output is often a service log (systemd, docker) that other people read; the secret must
not land there. Both paths run the real start-up code in a child process, once with standard output on
a pseudo-terminal and once on a pipe.
"""

from __future__ import annotations

import os
import pty
import stat
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, open_monitor

START = (
    "import sys\n"
    "from monitor.config.settings import load_settings\n"
    "from monitor.context import build_monitor\n"
    "from monitor.service import ensure_admin_key\n"
    "monitor = build_monitor(load_settings(sys.argv[1]))\n"
    "ensure_admin_key(monitor, print)\n"
    "monitor.close()\n"
)


def _start(config_dir: Path, stdout: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", START, str(config_dir)],
        stdout=stdout,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"},
    )


def _authenticates(config_dir: Path, secret: str) -> str:
    monitor = open_monitor(config_dir)
    try:
        return monitor.keys.authenticate(secret).role.value
    finally:
        monitor.close()


def test_not_on_a_terminal_the_secret_goes_to_a_private_file(config_dir: Path) -> None:
    child = _start(config_dir, subprocess.PIPE)
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err.decode()
    key_file = config_dir / "var" / "first-admin-key.txt"
    secret = key_file.read_text(encoding="utf-8").strip()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert _authenticates(config_dir, secret) == "admin"
    text = out.decode()
    assert f"its secret\nis not printed: it is in {key_file} (readable only by this user)" in text
    assert "dnm_" not in text
    assert secret not in err.decode()


def test_on_a_terminal_the_secret_is_shown_once_and_no_file_is_written(config_dir: Path) -> None:
    controller, terminal = pty.openpty()
    try:
        child = _start(config_dir, terminal)
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the child closed the terminal (EIO)
                break
            if not chunk:
                break
            shown += chunk
        _, err = child.communicate(timeout=300)
    finally:
        os.close(controller)
    assert child.returncode == 0, err.decode()
    [secret] = [line.split()[-1] for line in shown.decode().splitlines() if line.strip().startswith("secret:")]
    assert _authenticates(config_dir, secret) == "admin"
    assert not (config_dir / "var" / "first-admin-key.txt").exists()
    # A second start finds the admin key and prints nothing.
    again = _start(config_dir, subprocess.PIPE)
    out, _ = again.communicate(timeout=300)
    assert out == b""
