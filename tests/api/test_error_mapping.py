"""The one place where the core's errors become HTTP answers (api.errors)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.errors import install_error_handlers
from monitor.alerting.types import AlertStateError
from monitor.cases.model import CaseStateError
from monitor.errors import ForbiddenError, InvalidInputError, MonitorError, NotFoundError
from monitor.rules.managed import RuleConflictError

RAISED: dict[str, MonitorError] = {
    "missing": NotFoundError("no case with id 'c-1'"),
    "alert-state": AlertStateError("alert 'a-1' is already resolved"),
    "case-state": CaseStateError("case 'c-1' is closed"),
    "rule-conflict": RuleConflictError("rule 'lũ-lụt' exists"),
    "blank": InvalidInputError("a comment needs 1 to 4000 characters"),
    "agency": InvalidInputError("unknown agency 'tòa án' (known: police)", parameter="agency"),
    "forbidden": ForbiddenError("role 'researcher' may not do this (allowed: admin, officer)"),
}


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/raise/{name}")
    def raise_it(name: str) -> None:
        raise RAISED[name]

    return TestClient(app)


@pytest.mark.parametrize(
    ("name", "status", "detail"),
    [
        ("missing", 404, "no case with id 'c-1'"),
        ("alert-state", 409, "alert 'a-1' is already resolved"),
        ("case-state", 409, "case 'c-1' is closed"),
        ("rule-conflict", 409, "rule 'lũ-lụt' exists"),
        ("blank", 422, "a comment needs 1 to 4000 characters"),
        ("agency", 422, "parameter 'agency': unknown agency 'tòa án' (known: police)"),
        ("forbidden", 403, "role 'researcher' may not do this (allowed: admin, officer)"),
    ],
)
def test_each_kind_of_error_has_its_status(client: TestClient, name: str, status: int, detail: str) -> None:
    response = client.get(f"/raise/{name}")
    assert (response.status_code, response.json()) == (status, {"detail": detail})
