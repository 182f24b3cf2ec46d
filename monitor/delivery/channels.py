"""Channel specifications from ``configs/channels.yaml``: one spec class per ``type``, unknown keys rejected.

A channel says *where* alerts go (a webhook, mailboxes, a Telegram chat), *which* alerts it gets
(:class:`AlertRoute`) and *how hard* to try (:class:`RetryPolicy`). Secrets are never written here: a
spec names the environment variable that holds them (``secret_env``, ``password_env``, ``token_env``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator, model_validator

from monitor.alerting.types import AlertSeverity
from monitor.durations import DurationSeconds

ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(AlertSeverity)}
OFFICIAL_TELEGRAM_API = "https://api.telegram.org"


class AlertRoute(BaseModel):
    """Which alerts a channel receives. Empty lists mean "all"; every given condition must hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_severity: AlertSeverity = AlertSeverity.LOW
    rule_ids: tuple[str, ...] = ()
    rule_types: tuple[str, ...] = ()

    def accepts(self, *, severity: AlertSeverity, rule_id: str, rule_type: str) -> bool:
        return (
            SEVERITY_RANK[severity] >= SEVERITY_RANK[self.min_severity]
            and (not self.rule_ids or rule_id in self.rule_ids)
            and (not self.rule_types or rule_type in self.rule_types)
        )


class RetryPolicy(BaseModel):
    """Exponential back-off with jitter between attempts, then the delivery is marked failed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(default=8, ge=1, le=100, description="Attempts before the delivery is 'failed'.")
    initial_delay: DurationSeconds = Field(default=10, description="Wait after the first failure.")
    max_delay: DurationSeconds = Field(default=30 * 60, description="Longest back-off between two attempts.")
    max_retry_after: DurationSeconds = Field(
        default=6 * 3600, description="Longest Retry-After honoured; a server asking for more waits this long."
    )

    @model_validator(mode="after")
    def _delays_ordered(self) -> RetryPolicy:
        if self.max_delay < self.initial_delay:
            raise ValueError("max_delay must be at least initial_delay")
        return self


class ChannelSpec(BaseModel):
    """Fields every channel has."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    name: str = ""
    enabled: bool = True
    alerts: AlertRoute = Field(default_factory=AlertRoute)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    allow_private_network: bool = Field(
        default=False,
        description="Allow loopback/private/link-local addresses (tests, or a relay inside the office network).",
    )
    concurrency: int = Field(
        default=1, ge=1, le=32, description="Deliveries in flight at once; 1 keeps the channel's messages in order."
    )

    @property
    def label(self) -> str:
        return self.name or self.id

    def endpoint_hosts(self) -> list[tuple[str, str]]:
        """(config key, host) pairs this channel connects to, checked against private addresses."""
        return []

    def secret_envs(self) -> list[tuple[str, str]]:
        """(config key, environment variable) pairs that must be set for this channel to work."""
        return []

    def secret_problem(self, key: str, value: str) -> str | None:
        """Why the secret read for ``key`` cannot work with this channel, or None."""
        return None


def http_url(value: str) -> str:
    """Accept an absolute http(s) URL with a host; a bare trailing slash is dropped."""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"expected an http(s) URL with a host, got {value!r}")
    return value.rstrip("/") if parts.path in {"", "/"} else value


class WebhookChannelSpec(ChannelSpec):
    """POST each alert as signed JSON to ``url``."""

    type: Literal["webhook"] = "webhook"
    url: str
    secret_env: str = Field(pattern=ENV_NAME_PATTERN, description="Variable holding the HMAC-SHA256 key.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra, non-secret request headers.")
    # Webhook receivers de-duplicate and order by the delivery id and timestamps, so a burst of alerts
    # can go out in parallel.
    concurrency: int = Field(default=4, ge=1, le=32, description="Requests in flight at once.")

    _check_url = field_validator("url")(http_url)

    def endpoint_hosts(self) -> list[tuple[str, str]]:
        return [("url", urlsplit(self.url).hostname or "")]

    def secret_envs(self) -> list[tuple[str, str]]:
        return [("secret_env", self.secret_env)]


class EmailChannelSpec(ChannelSpec):
    """Send each alert as a Vietnamese e-mail (plain text and HTML) through an SMTP relay."""

    type: Literal["email"] = "email"
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = Field(default=True, description="Upgrade the connection with STARTTLS (port 587).")
    implicit_tls: bool = Field(default=False, description="TLS from the first byte (SMTPS, port 465).")
    username: str | None = None
    allow_plaintext_password: bool = Field(
        default=False,
        description="Log in without TLS (only for a relay on this machine): the password crosses the wire in clear.",
    )  # declared before password_env, so that field's check can see it
    password_env: str | None = Field(default=None, pattern=ENV_NAME_PATTERN)
    sender: str = Field(alias="from", min_length=3, description="The From address.")
    to: tuple[str, ...] = Field(min_length=1)
    subject_prefix: str = "[Giám sát truyền thông Đồng Nai]"

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("sender")
    @classmethod
    def _address(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError(f"expected an e-mail address, got {value!r}")
        return value

    @field_validator("password_env")
    @classmethod
    def _encrypted(cls, value: str | None, info: ValidationInfo) -> str | None:
        # SMTP AUTH PLAIN/LOGIN is the password in base64: without TLS, anyone on the path reads it.
        data = info.data
        if value is not None and not (
            data.get("starttls") or data.get("implicit_tls") or data.get("allow_plaintext_password")
        ):
            raise ValueError(
                "the password would be sent unencrypted: set starttls: true (port 587) or implicit_tls: true "
                "(port 465), or allow_plaintext_password: true for a relay on this machine"
            )
        return value

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            if "@" not in address:
                raise ValueError(f"expected e-mail addresses, got {address!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> EmailChannelSpec:
        if self.starttls and self.implicit_tls:
            raise ValueError("choose one of starttls and implicit_tls")
        if (self.username is None) != (self.password_env is None):
            raise ValueError("username and password_env go together")
        if self.username is not None and not self.username.isascii():
            raise ValueError("the SMTP username must be ASCII (SMTP AUTH cannot send other characters)")
        return self

    def endpoint_hosts(self) -> list[tuple[str, str]]:
        return [("host", self.host)]

    def secret_envs(self) -> list[tuple[str, str]]:
        return [("password_env", self.password_env)] if self.password_env else []

    def secret_problem(self, key: str, value: str) -> str | None:
        # smtplib encodes AUTH credentials as ASCII; better to say so at start-up than fail every send.
        if not value.isascii():
            return "the SMTP password contains non-ASCII characters, which SMTP AUTH cannot send"
        return None


class TelegramChannelSpec(ChannelSpec):
    """Send each alert to a Telegram chat through the Bot API's ``sendMessage``."""

    type: Literal["telegram"] = "telegram"
    token_env: str = Field(pattern=ENV_NAME_PATTERN, description="Variable holding the bot token.")
    chat_id: int | str = Field(description="Numeric chat id, or '@channelusername'.")
    api_base: str = OFFICIAL_TELEGRAM_API

    _check_api_base = field_validator("api_base")(http_url)

    def endpoint_hosts(self) -> list[tuple[str, str]]:
        return [("api_base", urlsplit(self.api_base).hostname or "")]

    def secret_envs(self) -> list[tuple[str, str]]:
        return [("token_env", self.token_env)]


@dataclass(frozen=True)
class Channel:
    """A configured channel and the secrets read from its environment variables."""

    spec: ChannelSpec
    secrets: Mapping[str, SecretStr] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.spec.id

    def secret(self, key: str) -> str:
        """The value of the variable named by ``key`` (e.g. ``"secret_env"``)."""
        return self.secrets[key].get_secret_value()
