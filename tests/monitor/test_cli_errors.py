"""The command line answers bad input with a message and an exit code, never a traceback (issue #13, §6)."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from monitor.access.audit import AuditLog, AuditObject
from monitor.access.keys import Role
from monitor.alerting.types import AlertQuery
from monitor.cli import main
from tests.conftest import make_config_dir, open_monitor
from tests.loopback import Reply, serve

FEED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Tin Đồng Nai</title>'
    "<item><title>Biên Hòa ngập sâu sau mưa lớn</title><link>https://a.example/1</link>"
    "<pubDate>Mon, 12 Oct 2026 08:00:00 +0700</pubDate></item></channel></rss>"
).encode()


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``monitor`` in-process; argparse's refusals (SystemExit) count as an exit code too."""
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (("search", "--limit", "-1"), "argument --limit: expected a whole number from 1 to 500, got '-1'"),
        (("alerts", "--limit", "0"), "argument --limit: expected a whole number from 1 to 500, got '0'"),
        (("search", "ngập", "--since", "100000000d"), "argument --since: "),
        (("rules", "test", "negative-spike", "--since", "100000000d"), "argument --since: "),
        (("replay", "--since", "100000000d"), "argument --since: "),
        (("cases", "list", "--limit", "0"), "argument --limit: expected a whole number from 1 to 500, got '0'"),
    ],
)
def test_out_of_range_arguments_are_refused_with_the_option_named(
    config_dir: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...], message: str
) -> None:
    code, _, err = _run(capsys, "--config-dir", str(config_dir), *command)
    assert code == 2
    assert message in err


def test_an_export_into_a_missing_folder_names_the_folder(
    config_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monitor = open_monitor(config_dir)
    try:
        monkeypatch.setenv("MONITOR_API_KEY", monitor.keys.create(Role.OFFICER, "Cán bộ trực ban")[1])
    finally:
        monitor.close()
    missing = tmp_path / "missing-dir"
    cfg = ("--config-dir", str(config_dir))
    for command in (
        ("cases", "export", "register", "--purpose", "Báo cáo tuần", "--out", str(missing / "so-vu-viec.xlsx")),
        ("cases", "export", "briefing", "--case", "x", "--purpose", "Họp báo", "--out", str(missing / "x.docx")),
        ("export", "dataset", str(missing / "documents.parquet")),
    ):
        code, _, err = _run(capsys, *cfg, *command)
        assert code == 2
        assert f"the folder {missing} does not exist" in err
    assert not missing.exists()


def test_options_are_accepted_after_the_subcommand(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "config", "check", "--config-dir", str(config_dir))
    assert code == 0
    assert f"Configuration in {config_dir}/ is valid" in out
    code, out, _ = _run(
        capsys, "keys", "create", "--role", "officer", "--name", "Phòng theo dõi", "--config-dir", str(config_dir)
    )
    assert code == 0
    key_file = config_dir.parent / "officer.key"
    key_file.write_text(out.splitlines()[-1], encoding="utf-8")
    code, out, _ = _run(capsys, "cases", "list", "--config-dir", str(config_dir), "--key-file", str(key_file))
    assert code == 0
    assert out.startswith("0 cases")
    # Given before and after, the one after the subcommand wins (the last one, as for any option).
    code, out, _ = _run(capsys, "--config-dir", "/nowhere", "config", "check", "--config-dir", str(config_dir))
    assert code == 0


def test_a_command_run_from_another_folder_sees_the_same_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config_dir(tmp_path / "deploy" / "configs")
    settings = config / "settings.yaml"
    lines = settings.read_text(encoding="utf-8").splitlines()
    settings.write_text(
        "\n".join("data_dir: ../var" if line.startswith("data_dir:") else line for line in lines), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path / "deploy")
    assert _run(capsys, "--config-dir", "configs", "crawl", "--once")[0] == 0
    assert (tmp_path / "deploy" / "var" / "monitor.sqlite3").is_file()
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(capsys, "--config-dir", "deploy/configs", "search", "ngập", "--limit", "1")
    assert code == 0
    assert not out.startswith("0 documents")
    assert not (tmp_path / "var").exists()


def test_config_check_reads_what_the_service_reads_later(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    campaigns = config_dir / "campaigns.yaml"
    text = campaigns.read_text(encoding="utf-8")
    campaigns.write_text(
        text.replace("campaigns:\n", "campaigns:\n  - id: bad\n    colour: red\n", 1), encoding="utf-8"
    )
    code, _, err = _run(capsys, "--config-dir", str(config_dir), "config", "check")
    assert code == 2
    assert f"configuration error: {campaigns}:" in err
    assert "campaigns[0]" in err
    campaigns.write_text(text, encoding="utf-8")
    settings = config_dir / "settings.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + "reports:\n  email_channels: [nobody]\n", encoding="utf-8"
    )
    code, _, err = _run(capsys, "--config-dir", str(config_dir), "config", "check")
    assert code == 2
    assert f"{settings}, key 'reports.email_channels': nobody: not e-mail channels in channels.yaml" in err


def test_replay_of_an_unknown_source_is_refused_naming_the_known_ones(
    config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "--config-dir", str(config_dir), "replay", "--source", "nope")
    assert code == 2
    assert "unknown or disabled source(s): nope (enabled sources: " in err
    assert "sample-social" in err


def test_a_liaison_key_needs_an_agency(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = ("--config-dir", str(config_dir))
    code, _, err = _run(capsys, *cfg, "keys", "create", "--role", "liaison", "--name", "Công an tỉnh")
    assert code == 2
    assert "a liaison key needs --agency" in err
    assert "(known: foreign_affairs, police)" in err
    monitor = open_monitor(config_dir)
    try:
        assert monitor.keys.all_keys() == []  # nothing was created
    finally:
        monitor.close()
    cases = config_dir / "cases.yaml"  # a name cases.yaml lists under an agency is an agency
    cases.write_text(
        cases.read_text(encoding="utf-8").replace("key_names: []", "key_names: [Công an tỉnh]", 1), encoding="utf-8"
    )
    assert _run(capsys, *cfg, "keys", "create", "--role", "liaison", "--name", "Công an tỉnh")[0] == 0


def test_the_audit_log_names_the_key_or_the_user_who_acted_from_the_command_line(
    config_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = ("--config-dir", str(config_dir))
    assert _run(capsys, *cfg, "crawl", "--once")[0] == 0
    monitor = open_monitor(config_dir)
    try:
        key, secret = monitor.keys.create(Role.OFFICER, "Cán bộ trực ban")
        _, alerts = monitor.alerts.search(AlertQuery(limit=2))
    finally:
        monitor.close()
    first, second = (alert.alert_id for alert in alerts)
    monkeypatch.setenv("MONITOR_API_KEY", secret)
    assert _run(capsys, *cfg, "alerts", "--ack", first)[1].endswith(f"(by Cán bộ trực ban ({key.key_id}))\n")
    monkeypatch.setenv("MONITOR_API_KEY", "dnm_not-a-key")
    code, _, err = _run(capsys, *cfg, "alerts", "--ack", second)
    assert code == 1
    assert "unknown API key" in err
    monkeypatch.delenv("MONITOR_API_KEY")
    assert _run(capsys, *cfg, "alerts", "--ack", second)[0] == 0
    monitor = open_monitor(config_dir)
    try:
        audit = AuditLog(monitor.db)
        [by_key] = [e for e in audit.trail(AuditObject.ALERT, first) if e.action.value == "acknowledge"]
        [by_user] = [e for e in audit.trail(AuditObject.ALERT, second) if e.action.value == "acknowledge"]
    finally:
        monitor.close()
    assert (by_key.actor, by_key.actor_id) == ("Cán bộ trực ban", key.key_id)
    assert (by_user.actor, by_user.actor_id) == (f"cli:{getpass.getuser()}", None)


def test_library_request_logs_stay_quiet_unless_asked_for(
    config_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve({"/tin.rss": Reply(200, FEED)}) as server:
        (config_dir / "sources" / "loop.yaml").write_text(
            f"sources:\n  - {{type: rss, id: loop, url: '{server.url('/tin.rss')}', allow_private_network: true}}\n",
            encoding="utf-8",
        )
        cfg = ("--config-dir", str(config_dir), "crawl", "--once", "--source", "loop")
        code, out, err = _run(capsys, *cfg)
        assert code == 0
        assert "1 new documents" in out
        assert "HTTP Request" not in err  # httpx logs every request at INFO
        monkeypatch.setenv("MONITOR_LOG_LEVEL", "DEBUG")
        code, _, err = _run(capsys, *cfg)
        assert code == 0
        assert f"INFO httpx: HTTP Request: GET {server.url('/tin.rss')}" in err
        monkeypatch.setenv("MONITOR_LOG_LEVEL", "chatty")
        code, _, err = _run(capsys, *cfg)
        assert code == 2
        assert "environment variable MONITOR_LOG_LEVEL: unknown log level 'CHATTY'" in err
