"""``configs/cases.yaml``: service levels per priority and stage, and the agencies cases are shared with.

Agencies map liaison API keys to an agency here rather than on the key itself, because keys carry only a
role today; a key listed in no agency sees no cases (fail closed).
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.access.keys import ApiKey
from monitor.cases.model import CasePriority
from monitor.config.yamlfile import config_error_from_validation, load_yaml
from monitor.durations import DurationSeconds
from monitor.errors import ConfigError, InvalidInputError

CASES_FILE = "cases.yaml"
_AGENCY_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class ServiceLevel(BaseModel):
    """Deadlines of one priority, both counted from when the case was opened."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    verify: DurationSeconds = Field(description="Verification done (case moved to responding) within this.")
    respond: DurationSeconds = Field(description="Official response done (case resolved) within this.")

    @model_validator(mode="after")
    def _respond_after_verify(self) -> ServiceLevel:
        if self.respond < self.verify:
            raise ValueError("'respond' must not be shorter than 'verify' (both count from opening)")
        return self


class Agency(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    key_ids: tuple[str, ...] = ()
    key_names: tuple[str, ...] = ()


DEFAULT_SERVICE_LEVELS: dict[CasePriority, ServiceLevel] = {
    CasePriority.CRITICAL: ServiceLevel(verify=3600, respond=12 * 3600),
    CasePriority.HIGH: ServiceLevel(verify=2 * 3600, respond=24 * 3600),
    CasePriority.NORMAL: ServiceLevel(verify=8 * 3600, respond=3 * 86400),
    CasePriority.LOW: ServiceLevel(verify=86400, respond=7 * 86400),
}


class CasesConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    service_levels: dict[CasePriority, ServiceLevel] = Field(default_factory=lambda: dict(DEFAULT_SERVICE_LEVELS))
    agencies: dict[str, Agency] = Field(default_factory=dict)

    @field_validator("agencies")
    @classmethod
    def _agency_ids(cls, value: dict[str, Agency]) -> dict[str, Agency]:
        for agency_id in value:
            if not _AGENCY_ID.match(agency_id):
                raise ValueError(f"agency id '{agency_id}': use lower-case letters, digits and '_'")
        return value

    @model_validator(mode="after")
    def _each_key_in_one_agency(self) -> CasesConfig:
        # A key in two agencies would see both agencies' cases: refuse rather than guess.
        for field in ("key_ids", "key_names"):
            seen: dict[str, str] = {}
            for agency_id, agency in self.agencies.items():
                for value in getattr(agency, field):
                    if value in seen and seen[value] != agency_id:
                        raise ValueError(
                            f"{field[:-1].replace('_', ' ')} '{value}' is in '{seen[value]}' and '{agency_id}'"
                        )
                    seen[value] = agency_id
        return self

    def check_agency(self, agency: str) -> str:
        """``agency`` if configured, else InvalidInputError naming the configured ones."""
        if agency not in self.agencies:
            known = ", ".join(sorted(self.agencies)) or "none configured in cases.yaml"
            raise InvalidInputError(f"unknown agency '{agency}' (known: {known})", parameter="agency")
        return agency

    def agency_of(self, key: ApiKey) -> str | None:
        """The agency a key belongs to: the one it was created for, else by key id or name here; or None.

        A key created for an agency this file no longer lists belongs to none (its liaison is refused).
        """
        if key.agency is not None:
            return key.agency if key.agency in self.agencies else None
        for agency_id, agency in self.agencies.items():
            if key.key_id in agency.key_ids:
                return agency_id
        for agency_id, agency in self.agencies.items():
            if key.name in agency.key_names:
                return agency_id
        return None


def load_cases_config(config_dir: Path) -> CasesConfig:
    """Read ``<config_dir>/cases.yaml``; a missing file means the default service levels and no agencies."""
    path = config_dir / CASES_FILE
    if not path.exists():
        return CasesConfig()
    document = load_yaml(path)
    data = document.data or {}
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping with 'service_levels:' and 'agencies:'", path=str(path))
    try:
        return CasesConfig.model_validate(data)
    except ValidationError as exc:
        raise config_error_from_validation(exc, document) from exc
