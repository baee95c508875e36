"""The service's errors are mapped to HTTP once: each error answer's class carries its status and
problem type (the OpenAPI document describes each status with it), and ``answer`` maps the errors
other stages raise by one table."""

from __future__ import annotations

import pytest

from fraudforge.features.online import TimeOrderError
from fraudforge.foundation.errors import (
    ConfigError,
    FraudforgeError,
    ModelError,
    NotFoundError,
    NotLoadedError,
)
from fraudforge.models.registry import CatalogMismatchError, RegistryError, RegistryIndexError
from fraudforge.service._errors import (
    RESPONSES,
    InvalidFieldError,
    ResponseError,
    UnavailableError,
    answer,
)
from fraudforge.service.app import api_document


def test_one_class_per_status_and_the_document_agrees() -> None:
    """Every error answer is a FraudforgeError of its own status, and wherever the OpenAPI
    document lists that status it describes it by the class's problem type."""
    statuses = [r.status for r in RESPONSES]
    assert statuses == sorted(set(statuses))
    assert statuses == [400, 401, 403, 409, 413, 422, 429, 503]
    problems = {r.status: r.problem for r in RESPONSES}
    listed = 0
    for ops in api_document()["paths"].values():
        for op in ops.values():
            for code, described in op["responses"].items():
                if int(code) in problems:
                    listed += 1
                    assert described["description"] == problems[int(code)], code
    assert listed > 0
    assert all(issubclass(r, ResponseError) and issubclass(r, FraudforgeError) for r in RESPONSES)


@pytest.mark.parametrize(
    ("error", "status", "message", "field", "headers"),
    [
        (RegistryIndexError("index.db is damaged"), 503, "index.db is damaged", None,
         {"Retry-After": "5"}),
        (CatalogMismatchError("x", recorded="a", current="b"), 422, "x", "model", {}),
        (RegistryError("no model `m`"), 422, "no model `m`", "model", {}),
        (TimeOrderError("too early"), 422, "too early", "model", {}),
        (ValueError("bad value"), 422, "bad value", "model", {}),
        (KeyError("customer_id 9 is unknown"), 422, "customer_id 9 is unknown", "model", {}),
        (NotFoundError("customer_id 9 is unknown"), 422, "customer_id 9 is unknown", "model",
         {}),
        (ConfigError("`top_k` 99 is out of range"), 422, "`top_k` 99 is out of range", "model",
         {}),
        (ModelError("not a fraud-type model"), 422, "not a fraud-type model", "model", {}),
        (NotLoadedError("no model is loaded"), 503, "no model is loaded", None,
         {"Retry-After": "1"}),
    ],
)  # fmt: skip
def test_answers_by_the_table(
    error: Exception, status: int, message: str, field: str | None, headers: dict[str, str]
) -> None:
    """The first row of ANSWERS that matches gives the class; a fault of the service (5xx)
    names no field; a KeyError's message is its text, not its repr."""
    got = answer(error, field="model")
    assert (got.status, got.message, got.field, got.headers) == (status, message, field, headers)
    assert answer(error, message="cannot serve m:1", field="model").message == "cannot serve m:1"


def test_other_errors_stay_faults_of_the_service() -> None:
    """An error no row matches is raised again (the app answers it 500)."""
    with pytest.raises(RuntimeError, match="bug"):
        answer(RuntimeError("bug"))


def test_classes_hold_what_is_answered() -> None:
    """An error answer keeps its message, field and headers; the status is its class's."""
    e = InvalidFieldError("amount_inr 1e9 is above the maximum", field="amount_inr")
    assert (e.status, str(e), e.field, e.headers) == (
        422, "amount_inr 1e9 is above the maximum", "amount_inr", {}
    )  # fmt: skip
    u = UnavailableError("not ready: loading", headers={"Retry-After": "1"})
    assert (u.status, u.problem, u.headers) == (
        503, "Not ready yet (see Retry-After)", {"Retry-After": "1"}
    )  # fmt: skip
