"""Evaluating alert rules over event time (``published_at``) and recording their alerts.

Per-document rules (misinformation) run on every batch of newly stored or changed documents.
Windowed rules (watch, spike, threshold, negative_share, trending_story) note every window a new batch touched;
those windows are evaluated once, at the end of a crawl cycle or replay and on the schedule (which also
looks at the current window), so replaying history yields the alerts that history would have produced.
Counting a window after every batch of a busy cycle would recount the same window hundreds of times.
Scheduled rules (source_silence) run on the schedule only. Each alert explains itself: which rule, which
window, which counts and which documents. The rule types themselves live in their own modules; see
:mod:`monitor.rules.catalog`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from monitor.alerting.store import AlertStore
from monitor.alerting.types import Alert, AlertCandidate
from monitor.analysis import AnalyzedDocument
from monitor.errors import NotFoundError, StoreError
from monitor.ingestion.health import HealthStore
from monitor.rules.base import DocumentEvaluator, Prepared, RuleContext, ScheduledEvaluator, WindowEvaluator
from monitor.rules.calendar import HolidayCalendar
from monitor.rules.catalog import evaluator_for
from monitor.rules.managed import ManagedRules
from monitor.rules.specs import RuleSpec
from monitor.rules.windows import window_start
from monitor.store.base import DocumentStore

__all__ = ["RuleEngine", "window_start"]  # window_start: where callers have always found it

log = logging.getLogger(__name__)


# Called with the alerts just recorded and the ids of those that are new (delivery queues them).
RecordedHook = Callable[[Sequence[Alert], set[str]], object]


class RuleEngine:
    """Runs the configured rules and records their alerts."""

    def __init__(
        self,
        rules: Sequence[RuleSpec],
        store: DocumentStore,
        alerts: AlertStore,
        tz_offset_seconds: int = 0,
        *,
        calendar: HolidayCalendar | None = None,
        health: HealthStore | None = None,
        on_recorded: RecordedHook | None = None,
        managed: ManagedRules | None = None,
    ) -> None:
        self.on_recorded = on_recorded
        self.store = store
        self.alerts = alerts
        self.tz_offset_seconds = tz_offset_seconds
        self.file_rules = list(rules)
        self.managed = managed
        self._context = RuleContext(store, tz_offset_seconds, calendar or HolidayCalendar(), health)
        self._version: int | None = None
        self._managed_rules: list[RuleSpec] = []
        self._install(self.file_rules)
        self.refresh()

    @property
    def all_rules(self) -> list[RuleSpec]:
        """Every rule, enabled or not: the files' and then the API's."""
        return [*self.file_rules, *self._managed_rules]

    def managed_rules(self) -> ManagedRules:
        """The store of rules created through the API (an error if this engine runs the files only)."""
        if self.managed is None:
            raise NotFoundError("this service runs the configured rules only; no rule can be managed through it")
        return self.managed

    def refresh(self) -> None:
        """Reload the rules if one was created, changed or removed through the API (in any process)."""
        if self.managed is None:
            return
        version = self.managed.version()
        if version != self._version:
            self._managed_rules = self.managed.list()
            self._install([*self.file_rules, *self._managed_rules])
            self._version = version

    def _install(self, rules: Sequence[RuleSpec]) -> None:
        self.rules = [rule for rule in rules if rule.enabled]
        self._documents: dict[str, DocumentEvaluator] = {}
        self._windows: dict[str, WindowEvaluator] = {}
        self._scheduled: dict[str, ScheduledEvaluator] = {}
        for rule in self.rules:
            evaluator = evaluator_for(rule, self._context)
            if isinstance(evaluator, DocumentEvaluator):
                self._documents[rule.id] = evaluator
            elif isinstance(evaluator, WindowEvaluator):
                self._windows[rule.id] = evaluator
            else:
                self._scheduled[rule.id] = evaluator

    def on_documents(self, items: Sequence[AnalyzedDocument]) -> list[Alert]:
        """Evaluate per-document rules for new or changed documents and mark the windows they touch."""
        if not items:
            return []
        self.refresh()
        prepared = [Prepared.of(item) for item in items]
        candidates: list[AlertCandidate] = []
        for evaluator in self._documents.values():
            candidates.extend(evaluator.on_documents(prepared))
        for rule_id, windowed in self._windows.items():
            self.alerts.mark_windows_pending(
                (rule_id, window_start(p.item.document.published_at, windowed.window_seconds, self.tz_offset_seconds))
                for p in prepared
                if windowed.touches(p)
            )
        return self._record(candidates)

    def evaluate_pending(self) -> list[Alert]:
        """Evaluate every window that new documents touched since the last evaluation."""
        self.refresh()
        alerts: list[Alert] = []
        for rule_id, start in self.alerts.pending_windows():
            windowed = self._windows.get(rule_id)
            if windowed is not None:  # a window of a rule since removed or disabled is dropped
                try:
                    candidates = windowed.evaluate(start)
                except StoreError as exc:  # the window stays pending until the store answers
                    log.warning("rule %s: windows not evaluated, the store is unavailable (%s)", rule_id, exc)
                    break
                alerts.extend(self._record(candidates))
            self.alerts.clear_pending_window(rule_id, start)
        return alerts

    def evaluate_windows(self, now: datetime) -> list[Alert]:
        """The scheduled pass: pending windows, the window containing ``now`` for every windowed rule, and the
        scheduled rules (source silence) as of ``now``."""
        alerts = self.evaluate_pending()
        for rule_id, windowed in self._windows.items():
            start = window_start(now, windowed.window_seconds, self.tz_offset_seconds)
            alerts.extend(self._guarded(rule_id, windowed.evaluate, start))
        for rule_id, scheduled in self._scheduled.items():
            alerts.extend(self._guarded(rule_id, scheduled.evaluate_at, now))
        return alerts

    def _guarded(
        self, rule_id: str, evaluate: Callable[[datetime], list[AlertCandidate]], moment: datetime
    ) -> list[Alert]:
        # One rule meeting an unavailable store must not keep the others from running; the next pass retries.
        try:
            return self._record(evaluate(moment))
        except StoreError as exc:
            log.warning("rule %s: not evaluated, the store is unavailable (%s)", rule_id, exc)
            return []

    def _record(self, candidates: Iterable[AlertCandidate]) -> list[Alert]:
        recorded = [self.alerts.record(candidate) for candidate in candidates]
        alerts = [alert for alert, _ in recorded]
        if alerts and self.on_recorded is not None:
            try:
                self.on_recorded(alerts, {alert.alert_id for alert, new in recorded if new})
            except Exception:  # the alerts are recorded; a delivery queue failure must not undo that
                log.exception("recorded %d alerts but could not queue them for delivery", len(alerts))
        return alerts
