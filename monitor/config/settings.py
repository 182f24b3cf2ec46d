"""Service settings: ``configs/settings.yaml`` overridden by ``MONITOR_*`` environment variables.

Nested keys use a double underscore: ``MONITOR_API__PORT=9000`` overrides ``api.port``. Secrets are read
from the environment only. Settings are built by :func:`load_settings`, never at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from monitor.config.yamlfile import YamlDocument, config_error_from_validation, dotted, load_yaml
from monitor.errors import ConfigError
from monitor.logs import register_secret
from monitor.zones import DEFAULT_TIMEZONE, ZoneName

ENV_PREFIX = "MONITOR_"
SETTINGS_FILE = "settings.yaml"


class ApiSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    rate_limit_per_minute: int = Field(
        default=600, ge=0, le=1_000_000, description="Requests per minute per API key (refill rate); 0: no limit."
    )
    rate_limit_burst: int = Field(default=60, ge=1, le=100_000, description="Requests one key may send at once.")
    stream_poll_seconds: float = Field(default=1.0, gt=0, le=60, description="How often the alert stream looks.")
    stream_heartbeat_seconds: float = Field(
        default=15.0, gt=0, le=300, description="Comment sent on an idle alert stream so proxies keep it open."
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        le=100_000_000,
        description="Largest request body accepted (413 beyond); the largest legitimate body is a few kB.",
    )
    busy_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="How long a request waits for another writer's database lock before answering 503.",
    )
    stream_key_check_seconds: float = Field(
        default=5.0, gt=0, le=300, description="How often an open alert stream checks that its key still may."
    )


class ConsoleSettings(BaseModel):
    """People's sign-in to the console: sessions, lock-out and the password policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    session_hours: float = Field(default=12, gt=0, le=24 * 30, description="A session ends this long after sign-in.")
    idle_minutes: float = Field(default=30, gt=0, le=24 * 60, description="A session unused this long ends.")
    lockout_attempts: int = Field(
        default=5, ge=1, le=100, description="Failed sign-ins within lockout_window_minutes that lock an account."
    )
    lockout_window_minutes: float = Field(
        default=15, gt=0, le=24 * 60, description="How long failures count: the lock lifts when they age out."
    )
    password_min_length: int = Field(default=12, ge=8, le=128, description="Shortest password accepted.")
    secure_cookies: bool = Field(
        default=True, description="Mark cookies Secure (browsers still send them to http://127.0.0.1 and localhost)."
    )


class CrawlSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    interval_seconds: int = Field(default=300, ge=5, description="Default cadence of every source.")
    timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    fetch_deadline_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="Longest one request may take in all, from connecting to the last byte of the body: "
        "timeout_seconds applies to each read, so a server trickling bytes would otherwise hold a fetch forever.",
    )
    source_deadline_seconds: float = Field(
        default=300.0,
        gt=0,
        le=86_400,
        description="Longest one collection from a source may take (every request it makes); a source may "
        "set its own deadline_seconds.",
    )
    max_body_bytes: int = Field(default=20_000_000, ge=1024)
    concurrency: int = Field(default=8, ge=1, le=256, description="Sources collected at the same time.")
    per_host_concurrency: int = Field(default=2, ge=1, le=64, description="Requests at once to one host.")
    per_host_interval_seconds: float = Field(default=0.5, ge=0, le=60, description="Gap between requests to a host.")
    max_retries: int = Field(default=2, ge=0, le=10, description="Retries after a 429, a 5xx or a network error.")
    max_retry_wait_seconds: float = Field(default=30.0, ge=0, description="Longest Retry-After we wait for.")
    user_agent: str = "DongNaiMonitor/0.1 (+media monitoring of the Dong Nai provincial office)"

    @model_validator(mode="after")
    def _deadlines_nest(self) -> CrawlSettings:
        if self.source_deadline_seconds < 2 * self.fetch_deadline_seconds:
            raise ValueError(
                f"'source_deadline_seconds' ({self.source_deadline_seconds:g}) must be at least twice "
                f"'fetch_deadline_seconds' ({self.fetch_deadline_seconds:g}): a collection reads a listing, "
                "then pages while one fetch deadline is left"
            )
        return self


class ElasticsearchSettings(BaseModel):
    """Where and how to reach Elasticsearch. Credentials come only from the environment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = "http://127.0.0.1:9200"
    index_prefix: str = Field(default="dnm", pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$")
    username: str | None = None
    password: SecretStr | None = None
    api_key: SecretStr | None = None
    verify_certs: bool = True
    ca_certs: str | None = Field(default=None, description="CA bundle for a TLS cluster with a private CA.")
    request_timeout_seconds: float = Field(default=30.0, gt=0)
    bulk_chunk_size: int = Field(default=2500, ge=1, le=10_000)
    number_of_shards: int | None = Field(default=None, ge=1, description="Overrides the mapping file.")
    number_of_replicas: int | None = Field(default=None, ge=0, description="Overrides the mapping file.")


SECRET_KEYS = (("storage", "elasticsearch", "password"), ("storage", "elasticsearch", "api_key"))


class StorageSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Literal["sqlite", "elasticsearch"] = "sqlite"
    sqlite_file: str = "monitor.sqlite3"
    elasticsearch: ElasticsearchSettings = Field(default_factory=ElasticsearchSettings)


class RuleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    window_interval_seconds: int = Field(
        default=30, ge=1, le=3600, description="How often windowed rules are re-evaluated."
    )


class ReportSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    email_channels: tuple[str, ...] = Field(
        default=(), description="E-mail channels (ids in channels.yaml) that receive the scheduled reports."
    )


class Settings(BaseSettings):
    """Everything the service needs to start.

    :func:`load_settings` makes ``data_dir`` absolute: a relative ``data_dir`` in ``settings.yaml`` is taken
    from the configuration folder (the file's own folder), one in ``MONITOR_DATA_DIR`` from the current
    directory, so a command gives the same answer from whichever directory it is run.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    config_dir: Path = Path("configs")
    data_dir: Path = Field(default=Path("var"), description="State: database, archive, keys. Relative: see above.")
    timezone: ZoneName = DEFAULT_TIMEZONE
    analyzer: str = Field(default="builtin", description="Registered analyzer that scores documents.")
    workers: int | None = Field(
        default=None,
        ge=0,
        le=64,
        description="Worker processes for article extraction and scoring; 0 runs them in the service process. "
        "Default: one per core when there are several.",
    )
    api: ApiSettings = Field(default_factory=ApiSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    rules: RuleSettings = Field(default_factory=RuleSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / self.storage.sqlite_file

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment first: an operator's MONITOR_* variable beats the YAML file (passed as init).
        return env_settings, init_settings


def _env_variable_for(location: tuple[str | int, ...]) -> str:
    return ENV_PREFIX + "__".join(str(part).upper() for part in location)


def _lookup(values: Any, location: tuple[str, ...]) -> Any:
    for part in location:
        if not isinstance(values, dict):
            return None
        values = values.get(part)
    return values


def load_settings(config_dir: Path | str | None = None) -> Settings:
    """Build settings from ``<config_dir>/settings.yaml`` and the ``MONITOR_*`` environment.

    ``config_dir`` defaults to ``$MONITOR_CONFIG_DIR`` or ``./configs``. A missing settings file is fine
    (defaults apply); an invalid one raises :class:`ConfigError` naming file, line and key, and an
    invalid environment variable raises one naming the variable. ``data_dir`` comes back absolute (a
    relative one in the file is relative to ``config_dir``).
    """
    directory = Path(config_dir or os.environ.get(f"{ENV_PREFIX}CONFIG_DIR") or "configs")
    if not directory.is_dir():
        raise ConfigError(
            f"the configuration folder {directory} does not exist (--config-dir or {ENV_PREFIX}CONFIG_DIR; "
            f"default ./configs, from the current directory {Path.cwd()})"
        )
    path = directory / SETTINGS_FILE
    document = load_yaml(path) if path.exists() else YamlDocument(path=path, data={}, root=None)
    values: Any = document.data or {}
    if not isinstance(values, dict):
        raise ConfigError("expected a mapping of settings at the top level", path=str(path))
    for secret in SECRET_KEYS:
        if _lookup(values, secret) is not None:
            raise ConfigError(
                f"secrets are read from the environment only: set {_env_variable_for(secret)} instead",
                path=str(path),
                key=".".join(secret),
                line=document.line_of(secret),
            )
    values = {**values, "config_dir": str(directory)}
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = tuple(error["loc"])
        for depth in range(len(location), 0, -1):
            variable = _env_variable_for(location[:depth])
            if variable in os.environ:
                raise ConfigError(
                    f"{error['msg']} (got {os.environ[variable]!r})",
                    path=f"environment variable {variable}",
                    key=dotted(location),
                ) from exc
        raise config_error_from_validation(exc, document) from exc
    elastic = settings.storage.elasticsearch
    for credential in (elastic.password, elastic.api_key):  # kept out of every log line
        register_secret(credential.get_secret_value() if credential is not None else None)
    return _with_absolute_data_dir(settings, directory)


def _with_absolute_data_dir(settings: Settings, config_dir: Path) -> Settings:
    data_dir = settings.data_dir.expanduser()
    if not data_dir.is_absolute():
        # A path typed in a shell (MONITOR_DATA_DIR) means the shell's directory; a path written in
        # settings.yaml means the file's folder, wherever the command runs from.
        base = Path.cwd() if os.environ.get(f"{ENV_PREFIX}DATA_DIR") else config_dir
        data_dir = Path(os.path.abspath(base / data_dir))
    return settings.model_copy(update={"data_dir": data_dir})
