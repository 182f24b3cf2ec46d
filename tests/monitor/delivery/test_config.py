"""channels.yaml: the shipped file, and errors that name the file, the line, the key or the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.alerting.types import AlertSeverity
from monitor.delivery import EmailChannelSpec, TelegramChannelSpec, WebhookChannelSpec, load_channels
from monitor.errors import ConfigError
from tests.monitor.delivery.conftest import ChannelsLoader

REPO = Path(__file__).resolve().parents[3]


def test_shipped_config_has_no_channel_and_missing_file_is_fine(tmp_path: Path) -> None:
    shipped = load_channels(REPO / "configs", environ={})
    assert shipped.channels == ()
    assert load_channels(tmp_path, environ={}).channels == ()


def test_every_documented_example_in_the_shipped_file_is_valid(tmp_path: Path) -> None:
    text = (REPO / "configs" / "channels.yaml").read_text(encoding="utf-8")
    # Un-comment the documented example block (after "channels: []") and load it.
    example = text.split("# Every option, with its default where it has one:\n", 1)[1]
    uncommented = "\n".join(line[2:] if line.startswith("# ") else "" for line in example.splitlines())
    (tmp_path / "channels.yaml").write_text(uncommented, encoding="utf-8")
    env = {"MONITOR_WEBHOOK_SECRET": "s", "MONITOR_SMTP_PASSWORD": "p", "MONITOR_TELEGRAM_TOKEN": "t"}
    config = load_channels(tmp_path, environ=env)
    webhook, email, telegram = config.channels
    assert isinstance(webhook.spec, WebhookChannelSpec)
    assert webhook.secret("secret_env") == "s"
    assert isinstance(email.spec, EmailChannelSpec)
    assert email.spec.alerts.min_severity is AlertSeverity.HIGH
    assert email.spec.sender == "Giám sát truyền thông <giamsat@example.vn>"
    assert isinstance(telegram.spec, TelegramChannelSpec)
    assert telegram.spec.chat_id == -1001234567890


def error_of(channels: ChannelsLoader, text: str, env: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        channels(text, env)
    return caught.value


def test_invalid_value_names_file_line_and_key(channels: ChannelsLoader) -> None:
    error = error_of(
        channels,
        """\
        channels:
          - id: hook
            type: webhook
            url: ftp://hooks.example.vn/x
            secret_env: HOOK_SECRET
        """,
    )
    assert error.path is not None
    assert error.path.endswith("channels.yaml")
    assert (error.line, error.key) == (4, "channels[0].url")
    assert "expected an http(s) URL" in str(error)
    assert str(error).startswith(f"{error.path}:4, key 'channels[0].url'")


def test_unknown_key_and_unknown_type(channels: ChannelsLoader) -> None:
    error = error_of(
        channels,
        """\
        channels:
          - id: mail
            type: email
            host: smtp.example.vn
            form: a@example.vn
            to: [b@example.vn]
        """,
    )
    assert (error.line, error.key) == (2, "channels[0].from")  # the missing 'from' is reported first...
    assert "line 5, key 'channels[0].form': unknown key" in str(error)  # ...and the misspelt key too
    error = error_of(channels, "channels:\n  - id: sms\n    type: sms\n")
    assert (error.line, error.key) == (3, "channels[0].type")
    assert "unknown channel type 'sms' (known: email, telegram, webhook)" in str(error)


def test_nested_route_error_points_at_the_nested_key(channels: ChannelsLoader) -> None:
    error = error_of(
        channels,
        """\
        channels:
          - id: hook
            type: webhook
            url: https://hooks.example.vn/x
            secret_env: HOOK_SECRET
            alerts:
              min_severity: urgent
        """,
    )
    assert (error.line, error.key) == (7, "channels[0].alerts.min_severity")


def test_missing_secret_variable_names_channel_and_variable(channels: ChannelsLoader) -> None:
    error = error_of(
        channels,
        """\
        channels:
          - id: duty-telegram
            type: telegram
            chat_id: 42
            token_env: MONITOR_TELEGRAM_TOKEN
        """,
        env={},
    )
    assert (error.line, error.key) == (5, "channels[0].token_env")
    assert "channel 'duty-telegram': environment variable MONITOR_TELEGRAM_TOKEN is not set" in str(error)


def test_disabled_channel_needs_no_secret(channels: ChannelsLoader) -> None:
    config = channels(
        """\
        channels:
          - id: duty-telegram
            type: telegram
            enabled: false
            chat_id: 42
            token_env: MONITOR_TELEGRAM_TOKEN
        """,
        env={},
    )
    assert config.active == ()


def test_secret_written_in_the_file_is_refused(channels: ChannelsLoader) -> None:
    error = error_of(
        channels,
        "channels:\n  - id: hook\n    type: webhook\n    url: https://h.example.vn\n    secret: hunter2\n",
    )
    assert (error.line, error.key) == (5, "channels[0].secret")
    assert "secrets are read from the environment only: name the variable with 'secret_env'" in str(error)


def test_non_ascii_smtp_password_is_refused_at_start(channels: ChannelsLoader) -> None:
    error = error_of(
        channels,
        """\
        channels:
          - id: mail
            type: email
            host: smtp.example.vn
            from: a@example.vn
            to: [b@example.vn]
            username: giamsat
            password_env: SMTP_PASSWORD
        """,
        env={"SMTP_PASSWORD": "mật khẩu"},
    )
    assert (error.line, error.key) == (8, "channels[0].password_env")


@pytest.mark.parametrize(
    "tls", ["starttls: false", "starttls: true", "implicit_tls: true\n            starttls: false"]
)
def test_an_smtp_password_needs_tls_or_an_explicit_permission(channels: ChannelsLoader, tls: str) -> None:
    text = f"""\
        channels:
          - id: mail
            type: email
            host: smtp.example.vn
            from: a@example.vn
            to: [b@example.vn]
            {tls}
            username: giamsat
            password_env: SMTP_PASSWORD
        """
    env = {"SMTP_PASSWORD": "mat-khau"}
    if tls != "starttls: false":  # with TLS the password is accepted
        assert channels(text, env=env).channels[0].id == "mail"
        return
    error = error_of(channels, text, env=env)
    assert (error.line, error.key) == (9, "channels[0].password_env")
    assert "the password would be sent unencrypted" in str(error)
    assert "channels.yaml:9" in str(error)
    allowed = text.replace("username: giamsat", "username: giamsat\n            allow_plaintext_password: true")
    assert channels(allowed, env=env).channels[0].spec.allow_plaintext_password is True


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1:8080/hook", "127.0.0.1"),
        ("http://localhost/hook", "localhost is the local machine"),
        ("http://10.1.2.3/hook", "10.1.2.3"),
        ("http://[::1]:9000/hook", "::1"),
        ("http://169.254.169.254/latest", "169.254.169.254"),
    ],
)
def test_private_addresses_are_refused_unless_allowed(channels: ChannelsLoader, url: str, shown: str) -> None:
    text = f"channels:\n  - id: hook\n    type: webhook\n    secret_env: HOOK_SECRET\n    url: {url}\n"
    error = error_of(channels, text)
    assert (error.line, error.key) == (5, "channels[0].url")
    assert shown in str(error)
    assert "allow_private_network: true" in str(error)
    assert channels(text + "    allow_private_network: true\n").active[0].id == "hook"


def test_duplicate_ids_and_top_level_keys(channels: ChannelsLoader) -> None:
    entry = "  - id: hook\n    type: webhook\n    url: https://h.example.vn\n    secret_env: HOOK_SECRET\n"
    error = error_of(channels, "channels:\n" + entry + entry)
    assert (error.line, error.key) == (6, "channels[1].id")
    error = error_of(channels, "channel:\n" + entry)
    assert (error.line, error.key) == (1, "channel")
    error = error_of(channels, "public_url: giamsat.example.vn\nchannels: []\n")
    assert (error.line, error.key) == (1, "public_url")
