"""The reviewed claims file, ``configs/claims.yaml``: false claims verified before start-up.

Claims registered from cases while the service runs are added by :mod:`monitor.claims.registry`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from monitor.config.yamlfile import config_error_from_validation, load_yaml
from monitor.errors import ConfigError
from monitor.ingestion.scoring import Claim

CLAIMS_FILE = "claims.yaml"
_CLAIM_LIST = TypeAdapter(list[Claim])


def load_claims(config_dir: Path) -> list[Claim]:
    """Read ``<config_dir>/claims.yaml`` (``claims:`` list); a missing file means no claims."""
    path = config_dir / CLAIMS_FILE
    if not path.exists():
        return []
    document = load_yaml(path)
    data = document.data or {}
    if not isinstance(data, dict) or set(data) - {"claims"}:
        raise ConfigError("expected a mapping with only a 'claims:' list", path=str(path))
    try:
        claims = _CLAIM_LIST.validate_python(data.get("claims") or [])
    except ValidationError as exc:
        raise config_error_from_validation(exc, document, prefix=("claims",)) from exc
    ids = [claim.id for claim in claims]
    duplicates = sorted({claim_id for claim_id in ids if ids.count(claim_id) > 1})
    if duplicates:
        raise ConfigError(f"duplicate claim id(s) {duplicates}", path=str(path), key="claims")
    return claims
