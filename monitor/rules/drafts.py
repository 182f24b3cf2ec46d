"""Rules written by people at run time: read, checked, tried on the past and saved, for the API and the console.

The API (``/rules``) and the officers' console both call these functions, so a rule is refused, warned
about, backtested and saved by one set of rules:

- :func:`parse_rule_text` reads one rule typed as YAML (or JSON) and names every field at fault, with its
  line, worded as for the rule files (:func:`rule_errors`, also used for the API's JSON bodies);
- :func:`rule_warnings` says what is legal but probably not meant (an id taken, a disabled rule);
- :func:`dry_run` is ``monitor rules test``: what the rule would have fired, nothing recorded;
- :func:`save_rule` and :func:`delete_rule` change the rules created at run time, never a file rule.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import TypeAdapter, ValidationError

from monitor.access.audit import Actor
from monitor.alerting.types import AlertCandidate
from monitor.analytics.metrics import Period
from monitor.config.yamlfile import YamlDocument, dotted
from monitor.errors import InvalidInputError
from monitor.rules.backtest import backtest
from monitor.rules.calendar import load_holiday_calendar
from monitor.rules.catalog import RULE_TYPES, AnyRuleSpec
from monitor.rules.managed import RuleConflictError
from monitor.rules.specs import RuleSpec

if TYPE_CHECKING:
    from monitor.context import Monitor
    from monitor.rules.engine import RuleEngine

BACKTEST_DAYS = 30  # "this rule would have fired N times in the last 30 days"
_RULE: TypeAdapter[Any] = TypeAdapter(AnyRuleSpec)


def rule_errors(errors: Sequence[Any], root: tuple[str | int, ...] = ()) -> list[dict[str, Any]]:
    """Pydantic errors of one rule worded as for the rule files: 'type' named, no union tags.

    Args:
        errors: ``ValidationError.errors()`` of a rule validated as :data:`AnyRuleSpec`.
        root: Where the rule sits in the validated value (``("body",)`` for an API request body).
    """
    known = ", ".join(sorted(RULE_TYPES))
    worded = []
    for error in errors:
        loc = tuple(error["loc"])
        change: dict[str, Any] = {}
        if error["type"] == "union_tag_not_found":
            change = {"loc": (*loc, "type"), "msg": f"required, one of {known}"}
        elif error["type"] == "union_tag_invalid":
            tag = error.get("ctx", {}).get("tag", "")
            change = {"loc": (*loc, "type"), "msg": f"unknown rule type '{tag}' (known: {known})"}
        elif loc[: len(root)] == root and len(loc) > len(root) and loc[len(root)] in RULE_TYPES:
            change = {"loc": (*root, *loc[len(root) + 1 :])}
        worded.append({**error, **change})
    return worded


@dataclass(frozen=True)
class FieldError:
    """One field of a typed rule at fault: its dotted name ("" for the whole rule), what is wrong, its line."""

    field: str
    message: str
    kind: str
    line: int | None = None
    limits: Mapping[str, object] = dataclasses.field(default_factory=dict)  # the bound a value broke (max_length...)


class RuleTextError(InvalidInputError):
    """A typed rule that cannot be used, with every field at fault."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = tuple(errors)
        parts = [f"field '{e.field}': {e.message}" if e.field else e.message for e in self.errors]
        super().__init__("; ".join(parts), parameter="rule")


def parse_rule_text(text: str) -> RuleSpec:
    """One rule typed as YAML or JSON (as in ``configs/rules/*.yaml``, without the ``rules:`` list).

    Raises:
        RuleTextError: The text is not YAML, not one mapping, or a field is missing or wrong; every
            field at fault is named, with its line.
    """
    if not text.strip():
        raise RuleTextError([FieldError("", "the rule is empty: write its fields (type, id, ...)", "empty")])
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise RuleTextError([FieldError("", f"invalid YAML: {exc.problem}", "yaml", line)]) from None
    except yaml.YAMLError as exc:
        raise RuleTextError([FieldError("", f"invalid YAML: {exc}", "yaml")]) from None
    if not isinstance(data, dict):
        raise RuleTextError([FieldError("", "expected one rule: a mapping of fields (type, id, ...)", "mapping")])
    document = YamlDocument(path=Path("<rule>"), data=data, root=root)
    try:
        rule: RuleSpec = _RULE.validate_python(data)
    except ValidationError as exc:
        found = []
        for error in rule_errors(exc.errors()):
            location = tuple(error["loc"])
            message = "unknown field (check the spelling)" if error["type"] == "extra_forbidden" else error["msg"]
            limits = error.get("ctx", {})
            found.append(FieldError(dotted(location), message, error["type"], document.line_of(location), limits))
        raise RuleTextError(found) from None
    return rule


class RuleWarning(StrEnum):
    """Something legal in a rule that is probably not meant."""

    ID_TAKEN = "id-taken"
    DISABLED = "disabled"


WARNING_TEXT = {
    RuleWarning.ID_TAKEN: "a configured rule already has id '{id}': saving this one would replace or clash with it",
    RuleWarning.DISABLED: "the rule is disabled ('enabled: false'): it would not fire",
}


def rule_warnings(rule: RuleSpec, existing: Sequence[RuleSpec], *, replacing: str | None = None) -> list[RuleWarning]:
    """What to tell the author before saving ``rule`` among the ``existing`` rules (``replacing``: its own id)."""
    warnings = []
    if rule.id != replacing and any(other.id == rule.id for other in existing):
        warnings.append(RuleWarning.ID_TAKEN)
    if not rule.enabled:
        warnings.append(RuleWarning.DISABLED)
    return warnings


def check_not_file_rule(engine: RuleEngine, rule_id: str) -> None:
    """Raise :class:`RuleConflictError` if ``rule_id`` is a rule of the configuration files (read-only here)."""
    if any(rule.id == rule_id for rule in engine.file_rules):
        raise RuleConflictError(
            f"rule '{rule_id}' comes from the configuration files (configs/rules/); change it there"
        )


def save_rule(engine: RuleEngine, rule: RuleSpec, by: Actor, *, replacing: str | None = None) -> RuleSpec:
    """Create ``rule``, or replace the run-time rule ``replacing``; it runs from the engine's next pass.

    Raises:
        InvalidInputError: ``replacing`` given and the rule's id differs from it.
        RuleConflictError: The id is a file rule's, or (creating) already taken.
        NotFoundError: Replacing a rule that was not created at run time.
    """
    if replacing is not None and rule.id != replacing:
        raise InvalidInputError(f"field 'id': '{rule.id}' differs from the rule in the path '{replacing}'")
    check_not_file_rule(engine, rule.id)
    managed = engine.managed_rules()
    if replacing is None:
        managed.create(rule, by)
    else:
        managed.replace(rule, by)
    engine.refresh()
    return rule


def delete_rule(engine: RuleEngine, rule_id: str, by: Actor) -> RuleSpec:
    """Delete a run-time rule and return it as it was saved (a file rule: :class:`RuleConflictError`)."""
    check_not_file_rule(engine, rule_id)
    deleted = engine.managed_rules().delete(rule_id, by)
    engine.refresh()
    return deleted


def origin_of(engine: RuleEngine, rule: RuleSpec) -> Literal["file", "api"]:
    """``file`` for a rule of ``configs/rules/``, ``api`` for one created at run time."""
    return "file" if any(other.id == rule.id for other in engine.file_rules) else "api"


def days_ending(last_day: date, days: int, zone: tzinfo) -> Period:
    """The ``days`` whole local days that end with ``last_day`` (included)."""
    return Period.of_days(last_day - timedelta(days=days - 1), days, zone)


def dry_run(monitor: Monitor, rule: RuleSpec, since: datetime, until: datetime) -> list[AlertCandidate]:
    """What ``rule`` would have fired for events in ``[since, until)``, as the engine runs it; nothing recorded.

    The engine's local-time offset and the holiday calendar of ``configs/holidays.yaml`` apply, as live.
    """
    calendar = load_holiday_calendar(monitor.settings.config_dir)
    return backtest(rule, monitor.store, since, until, monitor.engine.tz_offset_seconds, calendar=calendar)
