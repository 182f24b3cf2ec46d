"""Pseudonyms for people's names where a role or an export must not see them.

A keyed hash (HMAC-SHA256) gives the same pseudonym for the same author across queries, so researchers
can still count posts per author, while nobody without the install's key can reverse or recompute it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_FILE = "pseudonym.key"


class Pseudonymizer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> Pseudonymizer:
        """Use the install's key in ``data_dir``, creating it (readable by the owner only) on first use."""
        path = data_dir / KEY_FILE
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process created it first: use theirs
                return cls(path.read_bytes())
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(secrets.token_bytes(32))
        return cls(path.read_bytes())

    def pseudonym(self, name: str) -> str:
        digest = hmac.new(self._key, name.strip().casefold().encode("utf-8"), hashlib.sha256).hexdigest()
        return f"anon-{digest[:12]}"
