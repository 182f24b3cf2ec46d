"""An alert as API clients receive it, with its ``details`` typed by the rule type that raised it.

The store keeps an alert's details as JSON (:mod:`monitor.alerting.details`); here they are read back into
the details model of the alert's ``rule_type`` (the rule catalog's, plus the case deadline alerts'), so
``/docs`` shows every kind. Details that do not fit their model (an alert stored before a field existed,
or raised by a rule type no longer installed) are returned as stored, never refused: an old alert must
stay readable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitor.alerting.details import AlertDetails
from monitor.alerting.types import Alert, AlertSeverity, AlertState
from monitor.cases.sla import SLA_RULE_TYPE, SlaBreachDetails
from monitor.rules.catalog import ALERT_DETAILS

DETAILS_MODELS: dict[str, type[AlertDetails]] = {**ALERT_DETAILS, SLA_RULE_TYPE: SlaBreachDetails}
"""Rule type → the details model its alerts carry."""

# Each alert's details are read with the model of its rule type (see alert_public), so the union is only
# what the schema shows; the last member, a plain object, is an older alert's details as stored.
AnyAlertDetails: Any = Union[(*DETAILS_MODELS.values(), dict[str, Any])]


class AlertPublic(BaseModel):
    """One alert: which rule raised it, about which documents, and where it stands in the workflow."""

    model_config = ConfigDict(frozen=True)

    alert_id: str
    rule_id: str
    rule_type: str = Field(description="The rule type; it says which model 'details' follows.")
    severity: AlertSeverity
    key: str
    title: str
    summary: str
    details: AnyAlertDetails = Field(description="What the rule found: the details model of its rule type.")
    state: AlertState
    doc_ids: list[str]
    doc_count: int
    created_at: datetime
    updated_at: datetime
    event_start: datetime
    event_end: datetime
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    silenced: bool = Field(default=False, description="An active silence matches: hidden from the feed, not sent.")
    silence_id: str | None = None
    escalated_at: datetime | None = None
    comment_count: int = 0
    seq: int = Field(default=0, description="Change sequence: larger means changed later; the stream's event id.")


def typed_details(rule_type: str, details: dict[str, Any]) -> AlertDetails | dict[str, Any]:
    """``details`` as the model of ``rule_type``, or as stored when they do not fit it."""
    model = DETAILS_MODELS.get(rule_type)
    if model is None:
        return details
    try:
        return model.model_validate(details)
    except ValidationError:
        return details  # stored before the model had its present shape


def alert_public(alert: Alert) -> AlertPublic:
    """The public view of a stored alert."""
    fields = {name: getattr(alert, name) for name in AlertPublic.model_fields}
    return AlertPublic.model_validate({**fields, "details": typed_details(alert.rule_type, alert.details)})
