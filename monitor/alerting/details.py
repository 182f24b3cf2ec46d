"""What an alert's ``details`` say: one typed, frozen model per kind of alert.

Each rule type declares its details model next to its evaluator (see :mod:`monitor.rules.spike`), and the
evaluator builds it; a typo in a field name or a missing number fails where the alert is made, not in a
report weeks later. The alert store keeps details as the model's JSON (the same keys as before the models
existed), so stored alerts load unchanged; the API reads them back into the model of the alert's rule type
for its clients (``api/schemas/alerts.py``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class AlertDetails(BaseModel):
    """The base of every alert's details model: frozen, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def as_json(self) -> dict[str, Any]:
        """The details as stored and sent (JSON types: strings for enums, lists for tuples)."""
        return self.model_dump(mode="json", by_alias=True)


def details_json(value: object) -> object:
    """An :class:`AlertDetails` as its JSON object; anything else as given (for pydantic to check)."""
    return value.as_json() if isinstance(value, AlertDetails) else value
