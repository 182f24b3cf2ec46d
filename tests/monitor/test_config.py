from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config.settings import load_settings
from monitor.context import load_rule_specs, load_source_specs
from monitor.errors import ConfigError
from monitor.ingestion.plugins import load_plugins
from monitor.rules.specs import SpikeRuleSpec
from tests.conftest import CONFIGS, REPO


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_settings_come_from_yaml_and_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / "settings.yaml", "api:\n  port: 8100\n  host: 127.0.0.1\ncrawl:\n  concurrency: 3\n")
    assert load_settings(tmp_path).api.port == 8100
    monkeypatch.setenv("MONITOR_API__PORT", "9200")
    settings = load_settings(tmp_path)
    assert settings.api.port == 9200
    assert settings.api.host == "127.0.0.1"  # the rest of the nested YAML block survives
    assert settings.crawl.concurrency == 3


def test_missing_settings_file_means_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.storage.backend == "sqlite"
    assert settings.sqlite_path == tmp_path / "var" / "monitor.sqlite3"  # var/ in the configuration folder


def test_a_relative_data_dir_is_taken_from_the_configuration_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "deploy" / "configs" / "settings.yaml", "data_dir: ../var\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    # The same folder from any working directory, and from a relative --config-dir.
    assert load_settings(tmp_path / "deploy" / "configs").data_dir == tmp_path / "deploy" / "var"
    assert load_settings("../deploy/configs").data_dir == tmp_path / "deploy" / "var"
    # A path typed in the shell means the shell's directory.
    monkeypatch.setenv("MONITOR_DATA_DIR", "state")
    assert load_settings(tmp_path / "deploy" / "configs").data_dir == elsewhere / "state"


def test_the_bundled_configuration_keeps_its_data_in_var_next_to_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CONFIGS / "rules")  # make run uses ./var; running from a subfolder finds the same data
    assert load_settings(CONFIGS).data_dir == REPO / "var"


def test_config_error_names_file_line_key_and_expectation(tmp_path: Path) -> None:
    path = _write(tmp_path / "settings.yaml", "timezone: Asia/Ho_Chi_Minh\napi:\n  host: 127.0.0.1\n  port: eighty\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{path}:4, key 'api.port': ")
    assert "valid integer" in message
    assert "'eighty'" in message


def test_unknown_settings_key_is_rejected(tmp_path: Path) -> None:
    _write(tmp_path / "settings.yaml", "api:\n  prot: 8000\n")
    with pytest.raises(ConfigError, match=r"api\.prot.*unknown key"):
        load_settings(tmp_path)


def test_bad_environment_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_CRAWL__TIMEOUT_SECONDS", "soon")
    with pytest.raises(ConfigError, match="MONITOR_CRAWL__TIMEOUT_SECONDS"):
        load_settings(tmp_path)


def test_invalid_yaml_syntax_names_the_line(tmp_path: Path) -> None:
    _write(tmp_path / "settings.yaml", "api:\n  port: [8000\n")
    with pytest.raises(ConfigError, match=r"settings\.yaml:\d+: invalid YAML"):
        load_settings(tmp_path)


def test_unknown_timezone_is_rejected(tmp_path: Path) -> None:
    _write(tmp_path / "settings.yaml", "timezone: Asia/Dong_Nai\n")
    with pytest.raises(ConfigError, match="unknown time zone"):
        load_settings(tmp_path)


def test_source_errors_name_file_line_and_key(tmp_path: Path) -> None:
    registry = load_plugins()
    path = _write(
        tmp_path / "sources" / "a.yaml",
        (
            "sources:\n"
            "  - type: rss\n    id: ok-feed\n    url: https://example.org/rss\n"
            "  - type: rss\n    id: bad-feed\n    url: ftp://example.org/rss\n"
        ),
    )
    settings = load_settings(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_source_specs(settings, registry)
    assert str(caught.value).startswith(f"{path}:5, key 'sources[1]': ")
    assert "'url' must start with http:// or https://" in str(caught.value)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            "  - type: telegraph\n    id: x\n",
            "unknown source type 'telegraph' (known: csv, facebook_page, jsonl, rss, sitemap, telegram_channel, "
            "youtube)",
        ),
        ("  - type: rss\n    id: x\n    url: https://a.example/rss\n    colour: red\n", "sources[0].colour"),
        ("  - type: rss\n    id: Not Valid\n    url: https://a.example/rss\n", "sources[0].id"),
        ("  - type: rss\n    id: x\n", "exactly one of 'url'"),
        ("  - id: x\n", "missing 'type'"),
    ],
)
def test_invalid_source_entries(tmp_path: Path, entry: str, expected: str) -> None:
    _write(tmp_path / "sources" / "s.yaml", "sources:\n" + entry)
    with pytest.raises(ConfigError) as caught:
        load_source_specs(load_settings(tmp_path), load_plugins())
    assert expected in str(caught.value)


def test_duplicate_source_ids_across_files(tmp_path: Path) -> None:
    entry = "sources:\n  - type: jsonl\n    id: same\n    path: a.jsonl\n"
    _write(tmp_path / "sources" / "a.yaml", entry)
    _write(tmp_path / "sources" / "b.yaml", entry)
    with pytest.raises(ConfigError, match="duplicate id 'same'"):
        load_source_specs(load_settings(tmp_path), load_plugins())


def test_rules_load_with_durations_and_reject_bad_queries(tmp_path: Path) -> None:
    _write(
        tmp_path / "rules" / "r.yaml",
        ("rules:\n  - type: spike\n    id: s\n    window: 3h\n    query: 'ngập OR lụt'\n"),
    )
    [rule] = load_rule_specs(load_settings(tmp_path))
    assert isinstance(rule, SpikeRuleSpec)
    assert rule.window == 3 * 3600
    _write(tmp_path / "rules" / "r.yaml", "rules:\n  - type: watch\n    id: w\n    query: '(ngập OR'\n")
    with pytest.raises(ConfigError, match=r"r\.yaml:4, key 'rules\[0\]\.query'.*invalid query"):
        load_rule_specs(load_settings(tmp_path))
    _write(tmp_path / "rules" / "r.yaml", "rules:\n  - type: spike\n    id: s\n    window: soon\n")
    with pytest.raises(ConfigError, match=r"rules\[0\]\.window.*duration"):
        load_rule_specs(load_settings(tmp_path))


def test_shipped_configuration_is_valid() -> None:
    repo_configs = Path(__file__).resolve().parents[2] / "configs"
    settings = load_settings(repo_configs)
    registry = load_plugins()
    assert len(load_source_specs(settings, registry)) >= 10
    assert {rule.type for rule in load_rule_specs(settings)} == {
        "watch",
        "misinformation",
        "spike",
        "threshold",
        "negative_share",
        "trending_story",
        "source_silence",
    }


def test_elasticsearch_secrets_come_only_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / "settings.yaml", "storage:\n  backend: elasticsearch\n  elasticsearch:\n    password: hunter2\n")
    with pytest.raises(ConfigError, match="MONITOR_STORAGE__ELASTICSEARCH__PASSWORD instead") as caught:
        load_settings(tmp_path)
    assert "settings.yaml:4" in str(caught.value)
    _write(tmp_path / "settings.yaml", "storage:\n  backend: elasticsearch\n  elasticsearch:\n    username: monitor\n")
    monkeypatch.setenv("MONITOR_STORAGE__ELASTICSEARCH__PASSWORD", "hunter2")
    settings = load_settings(tmp_path)
    es = settings.storage.elasticsearch
    assert es.username == "monitor"
    assert es.password is not None
    assert es.password.get_secret_value() == "hunter2"
    assert "hunter2" not in repr(settings)  # never printed in logs or errors


def test_a_missing_configuration_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"the configuration folder {tmp_path / 'nowhere'} does not exist"):
        load_settings(tmp_path / "nowhere")
    assert not (tmp_path / "nowhere").exists()  # and nothing was created there
