"""Watch rules on the sample corpus: alerts raised, and how many an officer would act on.

Run: ``PYTHONPATH=. python -m tests.bench.watch_quality`` (crawls configs/samples/ into a temporary
folder, about a minute). For each shipped watch rule it reports, before (the bare query, one alert per
``group_window`` window, as watch rules worked until issue #14) and after (context conditions, episodes,
severity by evidence):

* alerts raised and single-document alerts;
* precision: alerts holding at least one document an officer would act on, over alerts raised;
* recall: actionable documents some alert holds, over actionable documents.

What an officer would act on is written down in tests/fixtures/watch/sample_actionable.yaml.
"""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from monitor import query as query_syntax
from monitor.alerting.types import AlertQuery
from monitor.context import Monitor
from monitor.rules.base import Prepared
from monitor.rules.specs import WatchRuleSpec
from monitor.rules.windows import in_scope, window_start
from monitor.store.base import SearchRequest

ROOT = Path(__file__).resolve().parents[2]
LABELS = ROOT / "tests" / "fixtures" / "watch" / "sample_actionable.yaml"
SOCIAL = ROOT / "configs" / "samples" / "social"


@dataclass(frozen=True)
class Measure:
    """One rule's alerts on the corpus, judged against the labels."""

    alerts: int
    single_document: int
    actionable_alerts: int
    actionable_documents: int
    covered_documents: int

    @property
    def precision(self) -> float:
        return self.actionable_alerts / self.alerts if self.alerts else 1.0

    @property
    def recall(self) -> float:
        return self.covered_documents / self.actionable_documents if self.actionable_documents else 1.0


def labels() -> dict[str, set[str]]:
    """Actionable documents per rule id, by post id (social) or URL (news)."""
    raw: dict[str, list[str]] = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    return {rule_id: set(keys) for rule_id, keys in raw.items()}


def _post_ids() -> dict[str, str]:
    """Social URL → post id, read from the corpus files."""
    found: dict[str, str] = {}
    for path in sorted(SOCIAL.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                found[item["url"]] = item["post_id"]
    return found


def label_keys(monitor: Monitor) -> dict[str, str]:
    """Stored doc id → the key the labels use for it."""
    posts = _post_ids()
    keys: dict[str, str] = {}
    offset = 0
    while True:
        page = monitor.store.search(SearchRequest(limit=500, offset=offset))
        for item in page.items:
            url = str(item.document.url)
            keys[item.doc_id] = posts.get(url, url)
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return keys


def _measure(groups: list[set[str]], actionable: set[str]) -> Measure:
    covered = set().union(*groups) & actionable if groups else set()
    return Measure(
        alerts=len(groups),
        single_document=sum(len(group) == 1 for group in groups),
        actionable_alerts=sum(bool(group & actionable) for group in groups),
        actionable_documents=len(actionable),
        covered_documents=len(covered),
    )


def after(monitor: Monitor, rule: WatchRuleSpec, keys: dict[str, str], actionable: set[str]) -> Measure:
    """The rule's alerts as the monitor recorded them."""
    alerts = monitor.alerts.search(AlertQuery(rule_ids=(rule.id,), limit=500))[1]
    return _measure([{keys[doc_id] for doc_id in alert.doc_ids} for alert in alerts], actionable)


def before(monitor: Monitor, rule: WatchRuleSpec, keys: dict[str, str], actionable: set[str]) -> Measure:
    """What the bare query did: every stored match, one alert per fixed 6-hour window."""
    node = query_syntax.parse(rule.query)
    tz = monitor.engine.tz_offset_seconds
    groups: dict[object, set[str]] = defaultdict(set)
    for doc_id, key in keys.items():
        item = monitor.store.get(doc_id)
        if in_scope(rule, item) and query_syntax.matches(node, Prepared.of(item).matchable):
            groups[window_start(item.document.published_at, 6 * 3600, tz)].add(key)
    return _measure(list(groups.values()), actionable)


def measure(monitor: Monitor) -> dict[str, dict[str, Measure]]:
    """Before and after, per shipped watch rule."""
    truth = labels()
    keys = label_keys(monitor)
    rules = [rule for rule in monitor.rules if isinstance(rule, WatchRuleSpec) and rule.id in truth]
    return {
        rule.id: {
            "before": before(monitor, rule, keys, truth[rule.id]),
            "after": after(monitor, rule, keys, truth[rule.id]),
        }
        for rule in rules
    }


def report(results: dict[str, dict[str, Measure]]) -> str:
    """A table: one line per rule and state, then the totals."""
    lines = [
        f"{'rule':28} {'':6} {'alerts':>6} {'single':>6} {'acted':>5} {'precision':>9} {'recall':>6}",
    ]
    totals: dict[str, list[int]] = {"before": [0, 0, 0, 0, 0], "after": [0, 0, 0, 0, 0]}
    for rule_id, states in results.items():
        for state, m in states.items():
            lines.append(
                f"{rule_id:28} {state:6} {m.alerts:6d} {m.single_document:6d} {m.actionable_alerts:5d} "
                f"{m.precision:9.2f} {m.recall:6.2f}"
            )
            for i, value in enumerate(asdict(m).values()):
                totals[state][i] += value
    for state, (alerts, single, acted, actionable, covered) in totals.items():
        lines.append(
            f"{'all watch rules':28} {state:6} {alerts:6d} {single:6d} {acted:5d} "
            f"{acted / max(alerts, 1):9.2f} {covered / max(actionable, 1):6.2f}"
        )
    return "\n".join(lines)


def main() -> None:
    from tests.conftest import crawl, make_config_dir, open_monitor

    with tempfile.TemporaryDirectory() as tmp:
        monitor = open_monitor(make_config_dir(Path(tmp) / "configs"))
        try:
            crawl(monitor)
            print(report(measure(monitor)))
        finally:
            monitor.close()


if __name__ == "__main__":
    main()
