"""The rule types: each one's spec (what ``configs/rules/*.yaml`` says) and the evaluator that runs it.

This table is the one place that lists them. A new rule type is one module (its spec class, with a
``type`` literal, and its evaluator; see :mod:`monitor.rules.spike` for a small one) plus one line in
:data:`BUILT_IN`: loading, the API's schema and validation, ``monitor rules test`` and the engine all
read this table, and the API shows the evaluator's ``details_model`` as the alerts' details.
"""

from __future__ import annotations

from typing import Annotated, Any, Protocol, Union

from pydantic import Field

from monitor.alerting.details import AlertDetails
from monitor.config.catalog import spec_class_of, types_by_name
from monitor.errors import ConfigError
from monitor.rules.base import Evaluator, RuleContext
from monitor.rules.document_rules import MisinformationEvaluator
from monitor.rules.silence import SourceSilenceEvaluator
from monitor.rules.specs import (
    MisinformationRuleSpec,
    NegativeShareRuleSpec,
    RuleSpec,
    SourceSilenceRuleSpec,
    SpikeRuleSpec,
    ThresholdRuleSpec,
    TrendingStoryRuleSpec,
    WatchRuleSpec,
)
from monitor.rules.spike import SpikeEvaluator
from monitor.rules.trending import TrendingStoryEvaluator
from monitor.rules.volume import NegativeShareEvaluator, ThresholdEvaluator
from monitor.rules.watch import WatchEvaluator


class EvaluatorFactory(Protocol):
    """An evaluator class: built from its rule's spec, and naming the details model of its alerts."""

    @property
    def details_model(self) -> type[AlertDetails]: ...

    # Each evaluator takes its own spec class, so the table can only say "a spec of this type".
    def __call__(self, rule: Any, context: RuleContext, /) -> Evaluator: ...


# One line per rule type: its spec class (whose ``type`` literal names it) and its evaluator.
BUILT_IN: dict[type[RuleSpec], EvaluatorFactory] = {
    WatchRuleSpec: WatchEvaluator,
    MisinformationRuleSpec: MisinformationEvaluator,
    SpikeRuleSpec: SpikeEvaluator,
    ThresholdRuleSpec: ThresholdEvaluator,
    NegativeShareRuleSpec: NegativeShareEvaluator,
    TrendingStoryRuleSpec: TrendingStoryEvaluator,
    SourceSilenceRuleSpec: SourceSilenceEvaluator,
}

RULE_TYPES: dict[str, type[RuleSpec]] = types_by_name(BUILT_IN)
"""Rule ``type`` → its spec class."""

AnyRuleSpec: Any = Annotated[Union[tuple(RULE_TYPES.values())], Field(discriminator="type")]  # noqa: UP007

ALERT_DETAILS: dict[str, type[AlertDetails]] = {name: BUILT_IN[spec].details_model for name, spec in RULE_TYPES.items()}
"""Rule ``type`` → the details model of its alerts."""


def rule_spec_class(name: str) -> type[RuleSpec]:
    """The spec class for a rule ``type``, or a ConfigError listing the known types."""
    return spec_class_of(RULE_TYPES, "rule", name)


def evaluator_for(rule: RuleSpec, context: RuleContext) -> Evaluator:
    """Build the evaluator of ``rule``; a spec class without one is a programming error, reported clearly."""
    try:
        factory = BUILT_IN[type(rule)]
    except KeyError:
        raise ConfigError(f"rule '{rule.id}': no evaluator for rule type '{rule.type}'") from None
    return factory(rule, context)
