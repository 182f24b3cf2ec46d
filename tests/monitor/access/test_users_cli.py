"""The first admin account (created once, its password handed over like the first key's secret) and
``monitor users create|list|disable|reset-password`` against a real database."""

from __future__ import annotations

import getpass
import io
import stat
from pathlib import Path

import pytest

from monitor.access.audit import AuditObject, AuditQuery
from monitor.access.keys import Role
from monitor.cli import main
from monitor.context import Monitor
from monitor.errors import AuthError
from monitor.service import FIRST_ADMIN_PASSWORD_FILE, ensure_admin_user
from tests.conftest import open_monitor


def test_the_first_admin_account_is_created_once_and_its_password_kept_private(monitor: Monitor) -> None:
    said: list[str] = []
    ensure_admin_user(monitor, said.append, interactive=False)
    ensure_admin_user(monitor, said.append, interactive=False)  # the second run creates nothing
    assert len(said) == 1
    [admin] = monitor.users.all_users()
    assert (admin.username, admin.role) == ("admin", Role.ADMIN)
    path = monitor.settings.data_dir / FIRST_ADMIN_PASSWORD_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    username, password = (line.split(": ", 1)[1] for line in path.read_text(encoding="utf-8").splitlines())
    assert username == "admin"
    assert password not in said[0]
    assert f"it is in {path} (readable only by this user)" in said[0]
    assert monitor.users.sign_in("admin", password).user_id == admin.user_id


def test_on_a_terminal_the_first_admin_password_is_shown_and_no_file_written(monitor: Monitor) -> None:
    said: list[str] = []
    ensure_admin_user(monitor, said.append, interactive=True)
    [password] = [line.split()[-1] for line in said[0].splitlines() if line.strip().startswith("password:")]
    assert monitor.users.sign_in("admin", password).role is Role.ADMIN
    assert not (monitor.settings.data_dir / FIRST_ADMIN_PASSWORD_FILE).exists()


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_users_commands(config_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = ("--config-dir", str(config_dir))
    code, out, _ = _run(capsys, *cfg, "users", "create", "lan.nguyen", "--role", "officer", "--name", "Nguyễn Thị Lan")
    assert code == 0
    assert "Created officer account 'lan.nguyen' (Nguyễn Thị Lan)" in out
    password = out.splitlines()[-1]

    code, _, err = _run(capsys, *cfg, "users", "create", "cong.an", "--role", "liaison", "--agency", "toa-an")
    assert code == 2
    assert "unknown agency 'toa-an' (known: foreign_affairs, police)" in err

    monkeypatch.setattr("sys.stdin", io.StringIO("ngắn\n"))
    code, _, err = _run(capsys, *cfg, "users", "create", "cong.an", "--role", "liaison", "--password-stdin")
    assert code == 2
    assert "a liaison account needs its agency (an id in cases.yaml)" in err

    monkeypatch.setattr("sys.stdin", io.StringIO("Công an Biên Hòa 2026\n"))
    code, out, _ = _run(
        capsys, *cfg, "users", "create", "cong.an", "--role", "liaison", "--agency", "police", "--password-stdin"
    )
    assert code == 0
    assert "Created liaison of police account 'cong.an'" in out
    assert "Công an Biên Hòa 2026" not in out  # a password read from stdin is not echoed

    code, out, _ = _run(capsys, *cfg, "users", "list")
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["lan.nguyen", "officer", "active"]
    assert lines[1].endswith("[police]")
    assert password not in out

    code, out, _ = _run(capsys, *cfg, "users", "reset-password", "lan.nguyen")
    assert code == 0
    new_password = out.splitlines()[-1]
    code, out, _ = _run(capsys, *cfg, "users", "disable", "cong.an")
    assert "Disabled 'cong.an'" in out

    monitor = open_monitor(config_dir)
    try:
        assert monitor.users.sign_in("lan.nguyen", new_password).display_name == "Nguyễn Thị Lan"
        with pytest.raises(AuthError):
            monitor.users.sign_in("lan.nguyen", password)
        with pytest.raises(AuthError):
            monitor.users.sign_in("cong.an", "Công an Biên Hòa 2026")
        entries = monitor.alerts.audit.search(AuditQuery(object_type=AuditObject.USER))[1]
        assert [(e.action.value, e.detail["username"], e.actor) for e in reversed(entries)] == [
            ("user.create", "lan.nguyen", f"cli:{getpass.getuser()}"),  # who ran the command
            ("user.create", "cong.an", f"cli:{getpass.getuser()}"),
            ("user.password_reset", "lan.nguyen", f"cli:{getpass.getuser()}"),
            ("user.disable", "cong.an", f"cli:{getpass.getuser()}"),
        ]
    finally:
        monitor.close()
