"""The evaluator for each rule spec: the one place that maps rule types to the code that runs them."""

from __future__ import annotations

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


def evaluator_for(rule: RuleSpec, context: RuleContext) -> Evaluator:  # noqa: PLR0911 - one branch per type
    """Build the evaluator of ``rule``; a spec class without one is a programming error, reported clearly."""
    if isinstance(rule, WatchRuleSpec):
        return WatchEvaluator(rule, context)
    if isinstance(rule, MisinformationRuleSpec):
        return MisinformationEvaluator(rule, context)
    if isinstance(rule, SpikeRuleSpec):
        return SpikeEvaluator(rule, context)
    if isinstance(rule, ThresholdRuleSpec):
        return ThresholdEvaluator(rule, context)
    if isinstance(rule, NegativeShareRuleSpec):
        return NegativeShareEvaluator(rule, context)
    if isinstance(rule, TrendingStoryRuleSpec):
        return TrendingStoryEvaluator(rule, context)
    if isinstance(rule, SourceSilenceRuleSpec):
        return SourceSilenceEvaluator(rule, context)
    raise ConfigError(f"rule '{rule.id}': no evaluator for rule type '{rule.type}'")
