from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.records import utc_now
from tests.conftest import open_monitor

# The sample corpus starts in October 2026; a look-back from today must reach it on any later date.
SINCE_SAMPLE_CORPUS = f"{(utc_now() - datetime(2026, 10, 1, tzinfo=UTC)).days + 1}d"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_crawl_search_alerts_and_keys(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = ("--config-dir", str(config_dir))

    code, out, err = _run(capsys, *cfg, "crawl", "--once")
    assert code == 0
    assert "[5/5]" in err  # progress, one line per source
    assert "204 new documents" in out

    code, out, _ = _run(capsys, *cfg, "sources")
    assert code == 0
    social = next(line for line in out.splitlines() if line.startswith("sample-social"))
    assert " ok " in social
    assert "136.0/day" in social  # first crawled today: 136 new documents in one day

    code, out, _ = _run(capsys, *cfg, "search", "nuoc may thien tan", "--limit", "3")
    assert code == 0
    assert out.splitlines()[0].endswith("showing 3")
    assert "misinfo=" in out

    code, out, _ = _run(capsys, *cfg, "search", "ngập", "--sentiment", "negative", "--json", "--limit", "2")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["analysis"]["sentiment"]["label"] for row in rows] == ["negative", "negative"]

    code, out, _ = _run(capsys, *cfg, "alerts", "--json", "--limit", "500")
    alerts = [json.loads(line) for line in out.splitlines()]
    claim = next(a for a in alerts if a["key"] == "claim:thien-tan-tap-water-poisoned")
    code, out, _ = _run(capsys, *cfg, "alerts", "--ack", claim["alert_id"])
    assert f"acknowledged (by cli:{getpass.getuser()})" in out  # the operating-system user who acted

    code, out, _ = _run(capsys, *cfg, "keys", "create", "--role", "officer", "--name", "Phòng theo dõi")
    assert code == 0
    secret = out.splitlines()[-1]
    assert secret.startswith("dnm_")
    monitor = open_monitor(config_dir)
    try:
        assert monitor.keys.authenticate(secret).role.value == "officer"
    finally:
        monitor.close()
    code, out, _ = _run(capsys, *cfg, "keys", "list")
    assert "Phòng theo dõi" in out
    assert secret not in out  # secrets are never shown again


def test_errors_exit_with_a_clear_message(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = ("--config-dir", str(config_dir))
    code, _, err = _run(capsys, *cfg, "search", '"unterminated')
    assert code == 2  # an invalid argument
    assert "unterminated quoted phrase at position 0" in err
    code, _, err = _run(capsys, *cfg, "crawl", "--once", "--source", "nope")
    assert code == 2
    assert "unknown or disabled source(s): nope" in err
    (config_dir / "rules" / "broken.yaml").write_text("rules:\n  - type: spike\n    id: x\n    window: 0h\n")
    code, _, err = _run(capsys, *cfg, "config", "check")
    assert code == 2
    assert "broken.yaml:4, key 'rules[0].window'" in err


def test_rules_test_shows_what_a_rule_would_have_fired(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = ("--config-dir", str(config_dir))
    assert _run(capsys, *cfg, "crawl", "--once")[0] == 0
    live = [json.loads(line) for line in _run(capsys, *cfg, "alerts", "--json", "--limit", "500")[1].splitlines()]
    live_keys = sorted(alert["key"] for alert in live if alert["rule_id"] == "negative-spike")
    assert live_keys  # the sample corpus's flood night
    code, out, _ = _run(capsys, *cfg, "rules", "test", "negative-spike", "--since", SINCE_SAMPLE_CORPUS)
    assert code == 0
    assert f"Rule 'negative-spike' would have fired {len(live_keys)} alerts (nothing recorded" in out
    code, out, _ = _run(capsys, *cfg, "rules", "test", "negative-spike", "--since", SINCE_SAMPLE_CORPUS, "--json")
    candidates = [json.loads(line) for line in out.splitlines()]
    assert sorted(c["key"] for c in candidates) == live_keys  # what the live engine recorded, no more
    after = [json.loads(line) for line in _run(capsys, *cfg, "alerts", "--json", "--limit", "500")[1].splitlines()]
    assert len(after) == len(live)  # the test recorded nothing
    code, _, err = _run(capsys, *cfg, "rules", "test", "no-such-rule", "--since", "7d")
    assert code == 2
    assert "no rule with id 'no-such-rule'" in err
