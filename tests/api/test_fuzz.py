"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis, in process).

Every GET and POST operation gets generated requests, valid and invalid, sent with an admin key to the
ASGI app (no network). No response may be a 5xx, and every documented response must match its schema
and content type. Deterministic (derandomized Hypothesis, no example database) and bounded in size.

The SSE stream (GET /alerts/stream) is left out: it never ends by design; tests/api/test_stream.py
covers it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)

from api.app import create_app
from monitor.access.keys import Role
from monitor.alerting.silences import SilenceCreate
from monitor.alerting.types import AlertCandidate, AlertQuery, AlertSeverity
from monitor.analysis import SentimentLabel
from monitor.config.settings import ApiSettings
from monitor.context import Monitor
from monitor.records import utc_now
from monitor.store.base import DocumentFilter, SearchRequest
from tests.conftest import make_config_dir, open_monitor
from tests.factories import analyzed, at

MAX_EXAMPLES = 50
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, response_headers_conformance]


@pytest.fixture(scope="module")
def fuzz_monitor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitor]:
    monitor = open_monitor(make_config_dir(tmp_path_factory.mktemp("fuzz") / "configs"))
    # Hundreds of requests with one key: the rate limiter is tested on its own.
    monitor.settings = monitor.settings.model_copy(update={"api": ApiSettings(rate_limit_per_minute=0)})
    docs = [
        analyzed(
            "Biên Hòa ngập sâu sau mưa lớn",
            post_id="1",
            published=at("2026-10-20 19:00"),
            sentiment=SentimentLabel.NEGATIVE,
            author="Trần Thị B",
        ),
        analyzed("Cát Tiên đẹp tuyệt vời", post_id="2", published=at("2026-10-22 09:00"), topics=("tourism",)),
    ]
    monitor.store.upsert(docs)
    monitor.engine.on_documents(docs)
    monitor.engine.evaluate_pending()  # watch episodes are evaluated with the windows
    alert, _ = monitor.alerts.record(
        AlertCandidate(
            rule_id="misinfo-high",
            rule_type="misinformation",
            severity=AlertSeverity.HIGH,
            key="claim:fuzz",
            title="Tin đồn nước nhiễm độc",
            summary="Một bài đăng",
            doc_ids=(docs[0].doc_id,),
            event_start=at("2026-10-20 19:00"),
            event_end=at("2026-10-20 19:00"),
        )
    )
    monitor.alerts.comment(alert.alert_id, "fuzz", "đang kiểm tra")
    monitor.alerts.create_silence(
        SilenceCreate(rule_id="watch-flooding", reason="bảo trì", expires_at=utc_now() + timedelta(days=1)), "fuzz"
    )
    yield monitor
    monitor.close()


@pytest.fixture(scope="module")
def admin_headers(fuzz_monitor: Monitor) -> dict[str, str]:
    return {"X-API-Key": fuzz_monitor.keys.create(Role.ADMIN, "fuzzer")[1]}


@pytest.fixture(scope="module")
def api_schema(fuzz_monitor: Monitor) -> Any:
    config = schemathesis.config.SchemathesisConfig.from_dict(
        {"seed": 20261103, "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True}}
    )
    app = create_app(fuzz_monitor)
    return (
        schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
        .include(method=["GET", "POST"])
        .exclude(path="/alerts/stream")
    )


# Bodies that get past validation, so the fuzzer also reaches the code behind it.
VALID_BODIES: dict[str, list[dict[str, Any]]] = {
    "POST /rules/validate": [
        {"type": "watch", "id": "fuzz-watch", "query": 'ngập OR "triều cường"', "severity": "high"},
        {"type": "misinformation", "id": "fuzz-misinfo", "threshold": 0.7},
        {"type": "spike", "id": "fuzz-spike", "window": "6h", "factor": 2.5},
    ],
    "POST /silences": [
        {"rule_id": "misinfo-high", "reason": "đã xử lý", "expires_at": "2100-01-01T00:00:00+07:00"},
        {"key_pattern": "claim:*", "min_severity": "high", "reason": "x", "expires_at": "2100-01-01T00:00:00Z"},
    ],
}


def _strategies(operation: Any, known_ids: dict[str, list[str]]) -> Any:
    """Valid and invalid requests; for paths naming an object, also requests about objects that exist."""
    variants = [operation.as_strategy(mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    for name, ids in known_ids.items():
        if "{" + name + "}" in operation.path:
            variants += [operation.as_strategy(path_parameters={name: value}) for value in ids]
    variants += [operation.as_strategy(body=body) for body in VALID_BODIES.get(operation.label, [])]
    return st.one_of(variants)


def test_api_conforms_to_its_schema(api_schema: Any, admin_headers: dict[str, str], fuzz_monitor: Monitor) -> None:
    known_ids = {
        "alert_id": [a.alert_id for a in fuzz_monitor.alerts.search(AlertQuery())[1]],
        "silence_id": [s.silence_id for s in fuzz_monitor.alerts.silences.search()[1]],
        "doc_id": [item.doc_id for item in fuzz_monitor.store.search(SearchRequest(filter=DocumentFilter())).items],
    }
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @given(case=_strategies(operation, known_ids))
        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],  # no shrinking: report the first failure as found
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=admin_headers, checks=CHECKS)

        try:
            check()
        except Exception as exc:  # every operation is fuzzed; all failures are reported together
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_schema_covers_every_endpoint(fuzz_monitor: Monitor, tmp_path: Path) -> None:
    paths = create_app(fuzz_monitor).openapi()["paths"]
    assert {
        "/alerts/{alert_id}/resolve",
        "/alerts/{alert_id}/comments",
        "/alerts/{alert_id}/audit",
        "/silences",
        "/rules/validate",
        "/audit",
    } <= set(paths)
