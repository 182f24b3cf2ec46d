"""Loading ``configs/channels.yaml`` into checked channels with their secrets.

The file is optional: without it (or with ``channels: []``) the service runs and delivers nothing.
Every error names the file, the line and the key, like the other configuration files. Secrets come
from environment variables the channel names; a missing variable is a :class:`ConfigError` naming the
channel and the variable, raised when the service starts rather than at the first alert.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError

from monitor.config.yamlfile import YamlDocument, config_error_from_validation, load_yaml
from monitor.delivery.catalog import channel_spec_class
from monitor.delivery.channels import Channel, ChannelSpec, http_url
from monitor.errors import ConfigError
from monitor.outbound.addresses import literal_host_reason

CHANNELS_FILE = "channels.yaml"
TOP_LEVEL_KEYS = ("public_url", "channels")
# Keys an operator might reach for to paste a secret into the file; each gets a pointed message.
SECRET_KEYS = {
    "secret": "secret_env",
    "password": "password_env",
    "token": "token_env",
    "bot_token": "token_env",
}


@dataclass(frozen=True)
class ChannelsConfig:
    """Everything in ``channels.yaml``. ``public_url`` is where officers open the monitor (for links)."""

    channels: tuple[Channel, ...] = ()
    public_url: str | None = None
    path: Path | None = None

    @property
    def active(self) -> tuple[Channel, ...]:
        return tuple(channel for channel in self.channels if channel.spec.enabled)


def load_channels(config_dir: Path | str, environ: Mapping[str, str] | None = None) -> ChannelsConfig:
    """Read ``<config_dir>/channels.yaml``; a missing file means no channel.

    Args:
        config_dir: The configuration folder (``settings.config_dir``).
        environ: Where secrets are looked up; the process environment by default.

    Raises:
        ConfigError: naming file, line and key for an invalid file, or the channel and the variable
            for a secret that is not set.
    """
    path = Path(config_dir) / CHANNELS_FILE
    if not path.exists():
        return ChannelsConfig(path=None)
    return parse_channels(load_yaml(path), os.environ if environ is None else environ)


def parse_channels(document: YamlDocument, environ: Mapping[str, str]) -> ChannelsConfig:
    """Validate a parsed ``channels.yaml`` (see :func:`load_channels`)."""
    path = str(document.path)
    data = document.data
    if data is None:
        return ChannelsConfig(path=document.path)
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping with a 'channels:' list at the top level", path=path, line=1)
    unknown = sorted(str(key) for key in data if key not in TOP_LEVEL_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown top-level key(s) {unknown}; allowed: {', '.join(TOP_LEVEL_KEYS)}",
            path=path,
            key=unknown[0],
            line=document.line_of((unknown[0],)),
        )
    public_url = _public_url(document, data.get("public_url"))
    entries = data.get("channels") or []
    if not isinstance(entries, list):
        raise ConfigError("expected a list", path=path, key="channels", line=document.line_of(("channels",)))
    channels: list[Channel] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        spec = _spec(document, index, entry)
        if spec.id in seen:
            raise ConfigError(
                f"duplicate channel id '{spec.id}'",
                path=path,
                key=f"channels[{index}].id",
                line=document.line_of(("channels", index, "id")),
            )
        seen.add(spec.id)
        channels.append(_checked(document, index, spec, environ))
    return ChannelsConfig(channels=tuple(channels), public_url=public_url, path=document.path)


def _public_url(document: YamlDocument, value: Any) -> str | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return http_url(value).rstrip("/")
    except ValueError as exc:
        raise ConfigError(
            str(exc), path=str(document.path), key="public_url", line=document.line_of(("public_url",))
        ) from exc


def _spec(document: YamlDocument, index: int, entry: Any) -> ChannelSpec:
    location = ("channels", index)
    path = str(document.path)
    if not isinstance(entry, dict):
        raise ConfigError(
            "expected a mapping with a 'type' key", path=path, key=f"channels[{index}]", line=document.line_of(location)
        )
    for key, variable_key in SECRET_KEYS.items():
        if key in entry:
            raise ConfigError(
                f"secrets are read from the environment only: name the variable with '{variable_key}' instead",
                path=path,
                key=f"channels[{index}].{key}",
                line=document.line_of((*location, key)),
            )
    type_name = entry.get("type")
    if not isinstance(type_name, str):
        raise ConfigError(
            "missing 'type' (webhook, email or telegram)",
            path=path,
            key=f"channels[{index}].type",
            line=document.line_of(location),
        )
    try:
        spec_class = channel_spec_class(type_name)
    except ConfigError as exc:
        raise ConfigError(
            exc.message, path=path, key=f"channels[{index}].type", line=document.line_of((*location, "type"))
        ) from exc
    try:
        return spec_class.model_validate(entry)
    except ValidationError as exc:
        raise config_error_from_validation(exc, document, prefix=location) from exc


def _checked(document: YamlDocument, index: int, spec: ChannelSpec, environ: Mapping[str, str]) -> Channel:
    """Refuse literal private addresses and read the secrets (only for enabled channels)."""
    if not spec.enabled:
        return Channel(spec)
    path = str(document.path)
    if not spec.allow_private_network:
        for key, host in spec.endpoint_hosts():
            reason = literal_host_reason(host)
            if reason:
                raise ConfigError(
                    f"channel '{spec.id}': refusing {reason} (set allow_private_network: true if this is intended)",
                    path=path,
                    key=f"channels[{index}].{key}",
                    line=document.line_of(("channels", index, key)),
                )
    secrets: dict[str, SecretStr] = {}
    for key, variable in spec.secret_envs():
        value = environ.get(variable, "")
        if not value:
            raise ConfigError(
                f"channel '{spec.id}': environment variable {variable} is not set (or is empty)",
                path=path,
                key=f"channels[{index}].{key}",
                line=document.line_of(("channels", index, key)),
            )
        problem = spec.secret_problem(key, value)
        if problem:
            raise ConfigError(
                f"channel '{spec.id}': {problem} (variable {variable})",
                path=path,
                key=f"channels[{index}].{key}",
                line=document.line_of(("channels", index, key)),
            )
        secrets[key] = SecretStr(value)
    return Channel(spec, secrets)
